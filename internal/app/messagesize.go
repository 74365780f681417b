package app

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// MaxMessageBytes is the longest message body postMessage takes, by the
// engagement's channel: a chat line, an SMS of at most ten parts, an
// email (the string bound). Voice and video engagements chat beside the
// call.
var MaxMessageBytes = map[enum.Channel]int{
	enum.ChannelChat:  8 << 10,
	enum.ChannelVoice: 8 << 10,
	enum.ChannelVideo: 8 << 10,
	enum.ChannelSMS:   1600,
	enum.ChannelEmail: MaxStringBytes,
}

// limitMessageSize refuses a postMessage body longer than its channel
// allows with LIMIT_EXCEEDED, before anything is written.
func limitMessageSize(client *ent.Client) graphql.RootFieldMiddleware {
	return func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		f := graphql.GetRootFieldContext(ctx).Field
		if f.Name != "postMessage" {
			return next(ctx)
		}
		in, _ := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["input"].(map[string]any)
		body, _ := in["body"].(string)
		id, err := idOf(in["engagementID"])
		if body == "" || err != nil {
			return next(ctx) // nothing to bound, or the resolver reports the ID
		}
		eg, err := client.Engagement.Query().Where(engagement.ID(id)).Select(engagement.FieldChannel).Only(ctx)
		if err != nil {
			return next(ctx) // the resolver reports it as the viewer may see it
		}
		if limit, ok := MaxMessageBytes[eg.Channel]; ok && len(body) > limit {
			graphql.AddError(ctx, apperr.New(apperr.LimitExceeded, "a %s message has at most %d bytes", eg.Channel, limit).WithField("body"))
			return graphql.Null
		}
		return next(ctx)
	}
}

func idOf(v any) (int, error) {
	switch v := v.(type) {
	case string:
		return strconv.Atoi(v)
	case int64:
		return int(v), nil
	}
	return 0, strconv.ErrSyntax
}
