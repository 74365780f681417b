package admin

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schedule"
)

// ChatSettings are a CHAT entry point's web chat settings (README, "Web
// chat"): nil Hours means open at all hours.
type ChatSettings struct {
	Hours                    *schedule.Hours
	PreChatFields            []schema.PreChatField
	OfflineEmailEntryPointID *int
}

// Pre-chat field types and bounds.
const (
	FieldText     = "TEXT"
	FieldEmail    = "EMAIL"
	FieldPhone    = "PHONE"
	FieldTextarea = "TEXTAREA"
	// MaxPreChatFields bounds the pre-chat form.
	MaxPreChatFields = 20
)

// ReservedFlowVariables are the flow variables web chat sets itself, which
// no pre-chat field may be named.
var ReservedFlowVariables = []string{"pageURL", "offline"}

var fieldName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// SetChatSettings replaces a CHAT entry point's opening hours, pre-chat
// form and offline email entry point.
func (s *Service) SetChatSettings(ctx context.Context, id int, in ChatSettings) (*ent.EntryPoint, error) {
	if in.Hours != nil {
		if err := in.Hours.Validate(); err != nil {
			return nil, apperr.Invalid("openingHours", "%v", err)
		}
	}
	if err := checkPreChatFields(in.PreChatFields); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.EntryPoint, error) {
		ep, err := tx.EntryPoint.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "entry point %d does not exist", id).WithField("entryPointID")
		}
		if err != nil {
			return nil, err
		}
		if ep.Channel != enum.ChannelChat {
			return nil, apperr.Invalid("entryPointID", "entry point %q is %s; only CHAT entry points have chat settings", ep.Name, ep.Channel)
		}
		u := tx.EntryPoint.UpdateOneID(id).SetPreChatFields(in.PreChatFields)
		if in.Hours != nil {
			u.SetOpeningHours(in.Hours)
		} else {
			u.ClearOpeningHours()
		}
		if in.OfflineEmailEntryPointID != nil {
			mail, err := tx.EntryPoint.Get(ctx, *in.OfflineEmailEntryPointID)
			if ent.IsNotFound(err) {
				return nil, apperr.New(apperr.NotFound, "entry point %d does not exist", *in.OfflineEmailEntryPointID).WithField("offlineEmailEntryPointID")
			}
			if err != nil {
				return nil, err
			}
			if mail.Channel != enum.ChannelEmail || !mail.Active {
				return nil, apperr.Invalid("offlineEmailEntryPointID", "entry point %q is not an active EMAIL entry point", mail.Name)
			}
			u.SetOfflineEmailEntryPointID(mail.ID)
		} else {
			u.ClearOfflineEmailEntryPointID()
		}
		return u.Save(ctx)
	})
}

func checkPreChatFields(fields []schema.PreChatField) error {
	if len(fields) > MaxPreChatFields {
		return apperr.Invalid("preChatFields", "at most %d fields", MaxPreChatFields)
	}
	seen := map[string]bool{}
	for i, f := range fields {
		at := fmt.Sprintf("preChatFields[%d]", i)
		switch {
		case !fieldName.MatchString(f.Name):
			return apperr.Invalid(at+".name", "%q: letters, digits and _, at most 64", f.Name)
		case seen[f.Name]:
			return apperr.Invalid(at+".name", "%q is given twice", f.Name)
		case strings.TrimSpace(f.Label) == "" || len(f.Label) > 200:
			return apperr.Invalid(at+".label", "give a label of at most 200 bytes")
		}
		for _, r := range ReservedFlowVariables {
			if strings.EqualFold(f.Name, r) {
				return apperr.Invalid(at+".name", "%q is set by web chat itself", f.Name)
			}
		}
		switch f.Type {
		case FieldText, FieldEmail, FieldPhone, FieldTextarea:
		default:
			return apperr.Invalid(at+".type", "%q is not a pre-chat field type", f.Type)
		}
		seen[f.Name] = true
	}
	return nil
}
