package admin

import (
	"context"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/postsession"
)

// CreateVirtualAgent creates a bot for post-session work.
func (s *Service) CreateVirtualAgent(ctx context.Context, in ent.CreateVirtualAgentInput) (*ent.VirtualAgent, error) {
	if len(in.Channels) == 0 {
		return nil, apperr.Invalid("channels", "give the channels the virtual agent serves")
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.VirtualAgent, error) {
		return tx.VirtualAgent.Create().SetInput(in).Save(ctx)
	})
}

// UpdateVirtualAgent updates a virtual agent; settings using it must still match its channels.
func (s *Service) UpdateVirtualAgent(ctx context.Context, id int, in ent.UpdateVirtualAgentInput) (*ent.VirtualAgent, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.VirtualAgent, error) {
		var appendChannels []enum.Channel
		in.Channels, appendChannels = listUpdate(false, in.Channels, in.AppendChannels)
		in.AppendChannels = nil
		u := tx.VirtualAgent.UpdateOneID(id).SetInput(in)
		if appendChannels != nil {
			u.AppendChannels(appendChannels)
		}
		va, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		if len(va.Channels) == 0 {
			return nil, apperr.Invalid("channels", "a virtual agent serves at least one channel")
		}
		settings, err := tx.PostSessionSetting.Query().Where(postsessionsetting.VirtualAgentID(id)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, ps := range settings {
			if !slices.Contains(va.Channels, ps.Channel) {
				return nil, apperr.New(apperr.Conflict, "post-session setting %d hands %s sessions to this virtual agent", ps.ID, ps.Channel)
			}
			if !va.Active && ps.Enabled {
				return nil, apperr.New(apperr.Conflict, "enabled post-session setting %d hands sessions to this virtual agent; disable it first", ps.ID)
			}
		}
		return va, nil
	})
}

// DeleteVirtualAgent deletes a virtual agent no setting uses.
func (s *Service) DeleteVirtualAgent(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		used, err := tx.PostSessionSetting.Query().Where(postsessionsetting.VirtualAgentID(id)).Exist(ctx)
		if err != nil || used {
			return 0, orConflict(err, "post-session settings use virtual agent %d; change them first", id)
		}
		return id, tx.VirtualAgent.DeleteOneID(id).Exec(ctx)
	})
}

// CreatePostSessionSetting creates a global (per channel) or queue-level setting.
func (s *Service) CreatePostSessionSetting(ctx context.Context, in ent.CreatePostSessionSettingInput) (*ent.PostSessionSetting, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.PostSessionSetting, error) {
		ps, err := tx.PostSessionSetting.Create().SetInput(in).Save(ctx)
		if err != nil {
			return nil, err
		}
		return ps, checkPostSession(ctx, tx, ps)
	})
}

// UpdatePostSessionSetting updates a post-session setting.
func (s *Service) UpdatePostSessionSetting(ctx context.Context, id int, in ent.UpdatePostSessionSettingInput) (*ent.PostSessionSetting, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.PostSessionSetting, error) {
		var appendTypes []enum.SessionType
		var appendParams []schema.DataParameter
		in.SessionTypes, appendTypes = listUpdate(in.ClearSessionTypes, in.SessionTypes, in.AppendSessionTypes)
		in.DataParameters, appendParams = listUpdate(in.ClearDataParameters, in.DataParameters, in.AppendDataParameters)
		in.AppendSessionTypes, in.AppendDataParameters = nil, nil
		u := tx.PostSessionSetting.UpdateOneID(id).SetInput(in)
		if appendTypes != nil {
			u.AppendSessionTypes(appendTypes)
		}
		if appendParams != nil {
			u.AppendDataParameters(appendParams)
		}
		ps, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		return ps, checkPostSession(ctx, tx, ps)
	})
}

// DeletePostSessionSetting deletes a post-session setting.
func (s *Service) DeletePostSessionSetting(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		return id, tx.PostSessionSetting.DeleteOneID(id).Exec(ctx)
	})
}

// checkPostSession enforces SPEC §6: only chat and call channels; queue
// overrides only for chat queues; an enabled setting needs a virtual agent
// serving its channel; data parameters have a name and one source.
func checkPostSession(ctx context.Context, tx *ent.Tx, ps *ent.PostSessionSetting) error {
	if ps.Channel != enum.ChannelChat && ps.Channel != enum.ChannelVoice {
		return apperr.Invalid("channel", "post-session transfer exists for CHAT and VOICE sessions, not %s", ps.Channel)
	}
	if ps.QueueID != nil {
		q, err := tx.Queue.Query().Where(queue.ID(*ps.QueueID)).Only(ctx)
		if err != nil {
			return err
		}
		if ps.Channel != enum.ChannelChat || (len(q.Channels) > 0 && !slices.Contains(q.Channels, enum.ChannelChat)) {
			return apperr.Invalid("queueID", "queue-level post-session settings exist only for chat queues")
		}
	}
	if ps.Enabled {
		if ps.VirtualAgentID == nil {
			return apperr.Invalid("virtualAgentID", "an enabled post-session setting needs a virtual agent")
		}
		va, err := tx.VirtualAgent.Get(ctx, *ps.VirtualAgentID)
		if err != nil {
			return err
		}
		if !slices.Contains(va.Channels, ps.Channel) {
			return apperr.Invalid("virtualAgentID", "virtual agent %q does not serve %s", va.Name, ps.Channel)
		}
		if !va.Active {
			return apperr.Invalid("virtualAgentID", "virtual agent %q is deactivated", va.Name)
		}
	}
	if ps.AskConsent && ps.Channel != enum.ChannelChat {
		return apperr.Invalid("askConsent", "only chat asks the end user for consent; calls are handed over directly")
	}
	for _, st := range ps.SessionTypes {
		if !slices.Contains(postsession.Types[ps.Channel], st) {
			return apperr.Invalid("sessionTypes", "%s sessions cannot be handed to a virtual agent from a %s setting; allowed: %v (mobile-app sessions are not supported)",
				st, ps.Channel, postsession.Types[ps.Channel])
		}
	}
	for _, p := range ps.DataParameters {
		if p.Name == "" || (p.Value == "") == (p.Field == "") {
			return apperr.Invalid("dataParameters", "each parameter needs a name and exactly one of value or field")
		}
		if p.Field != "" {
			if err := postsession.CheckField(p.Field); err != nil {
				return apperr.Invalid("dataParameters", "parameter %q: %v", p.Name, err)
			}
		}
	}
	return nil
}
