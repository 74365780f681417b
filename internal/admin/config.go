package admin

import (
	"context"
	"regexp"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/wrapupreason"
	"github.com/switchboard/switchboard/internal/apperr"
)

// CreateCapacityProfile creates a capacity profile; ent checks 0..50.
func (s *Service) CreateCapacityProfile(ctx context.Context, in ent.CreateCapacityProfileInput) (*ent.CapacityProfile, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.CapacityProfile, error) {
		return tx.CapacityProfile.Create().SetInput(in).Save(ctx)
	})
}

// UpdateCapacityProfile updates a capacity profile.
func (s *Service) UpdateCapacityProfile(ctx context.Context, id int, in ent.UpdateCapacityProfileInput) (*ent.CapacityProfile, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.CapacityProfile, error) {
		return tx.CapacityProfile.UpdateOneID(id).SetInput(in).Save(ctx)
	})
}

// CreateCustomer adds a customer to the address book.
func (s *Service) CreateCustomer(ctx context.Context, in ent.CreateCustomerInput) (*ent.Customer, error) {
	if err := checkContacts(in.Phones, in.Emails); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Customer, error) {
		return tx.Customer.Create().SetInput(in).Save(ctx)
	})
}

// UpdateCustomer updates a customer.
func (s *Service) UpdateCustomer(ctx context.Context, id int, in ent.UpdateCustomerInput) (*ent.Customer, error) {
	if err := checkContacts(append(in.Phones, in.AppendPhones...), append(in.Emails, in.AppendEmails...)); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Customer, error) {
		return tx.Customer.UpdateOneID(id).SetInput(in).Save(ctx)
	})
}

func checkContacts(phones, emails []string) error {
	for _, p := range phones {
		if !e164.MatchString(p) {
			return apperr.Invalid("phones", "%q is not a phone number with country code such as +4930123456", p)
		}
	}
	for _, e := range emails {
		if _, err := normaliseEmail(e); err != nil {
			return apperr.Invalid("emails", "%q is not an email address", e)
		}
	}
	return nil
}

var reasonCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// CreateWrapUpReason creates a disposition.
func (s *Service) CreateWrapUpReason(ctx context.Context, in ent.CreateWrapUpReasonInput) (*ent.WrapUpReason, error) {
	if !reasonCode.MatchString(in.Code) {
		return nil, apperr.Invalid("code", "use SCREAMING_SNAKE_CASE such as RESOLVED, got %q", in.Code)
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.WrapUpReason, error) {
		return tx.WrapUpReason.Create().SetInput(in).Save(ctx)
	})
}

// UpdateWrapUpReason updates a disposition.
func (s *Service) UpdateWrapUpReason(ctx context.Context, id int, in ent.UpdateWrapUpReasonInput) (*ent.WrapUpReason, error) {
	if in.Code != nil && !reasonCode.MatchString(*in.Code) {
		return nil, apperr.Invalid("code", "use SCREAMING_SNAKE_CASE such as RESOLVED, got %q", *in.Code)
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.WrapUpReason, error) {
		return tx.WrapUpReason.UpdateOneID(id).SetInput(in).Save(ctx)
	})
}

// DeleteWrapUpReason deletes a disposition no engagement recorded.
func (s *Service) DeleteWrapUpReason(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		used, err := tx.WrapUpReason.Query().Where(wrapupreason.ID(id), wrapupreason.HasEngagements()).Exist(ctx)
		if err != nil || used {
			return 0, orConflict(err, "wrap-up reason %d was recorded on engagements; deactivate it instead (active: false)", id)
		}
		return id, tx.WrapUpReason.DeleteOneID(id).Exec(ctx)
	})
}

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
		va, err := tx.VirtualAgent.UpdateOneID(id).SetInput(in).Save(ctx)
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
		ps, err := tx.PostSessionSetting.UpdateOneID(id).SetInput(in).Save(ctx)
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
	}
	for _, p := range ps.DataParameters {
		if p.Name == "" || (p.Value == "") == (p.Field == "") {
			return apperr.Invalid("dataParameters", "each parameter needs a name and exactly one of value or field")
		}
	}
	return nil
}

// CRMSetting returns the single CRM settings row, creating it with defaults.
func (s *Service) CRMSetting(ctx context.Context) (*ent.CRMSetting, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.CRMSetting, error) {
		return crmSetting(ctx, tx)
	})
}

func crmSetting(ctx context.Context, tx *ent.Tx) (*ent.CRMSetting, error) {
	cs, err := tx.CRMSetting.Query().First(ctx)
	if ent.IsNotFound(err) {
		return tx.CRMSetting.Create().Save(ctx)
	}
	return cs, err
}

// UpdateCRMSetting updates the CRM settings.
func (s *Service) UpdateCRMSetting(ctx context.Context, in ent.UpdateCRMSettingInput) (*ent.CRMSetting, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.CRMSetting, error) {
		cs, err := crmSetting(ctx, tx)
		if err != nil {
			return nil, err
		}
		return cs.Update().SetInput(in).Save(ctx)
	})
}

// CreateTemplate creates a message template for SMS or email.
func (s *Service) CreateTemplate(ctx context.Context, in ent.CreateTemplateInput) (*ent.Template, error) {
	if err := checkTemplate(in.Channel, in.Subject); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Template, error) {
		return tx.Template.Create().SetInput(in).Save(ctx)
	})
}

// UpdateTemplate updates a template.
func (s *Service) UpdateTemplate(ctx context.Context, id int, in ent.UpdateTemplateInput) (*ent.Template, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Template, error) {
		t, err := tx.Template.UpdateOneID(id).SetInput(in).Save(ctx)
		if err != nil {
			return nil, err
		}
		return t, checkTemplate(t.Channel, &t.Subject)
	})
}

// DeleteTemplate deletes a template.
func (s *Service) DeleteTemplate(ctx context.Context, id int) (int, error) {
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (int, error) {
		return id, tx.Template.DeleteOneID(id).Exec(ctx)
	})
}

func checkTemplate(ch enum.Channel, subject *string) error {
	switch {
	case ch != enum.ChannelEmail && ch != enum.ChannelSMS && ch != enum.ChannelChat:
		return apperr.Invalid("channel", "templates are for EMAIL, SMS and CHAT messages, not %s", ch)
	case ch != enum.ChannelEmail && subject != nil && *subject != "":
		return apperr.Invalid("subject", "only EMAIL templates have a subject")
	}
	return nil
}
