package admin

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema"
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
	if err := checkContacts(slices.Concat(in.Phones, in.AppendPhones), slices.Concat(in.Emails, in.AppendEmails)); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Customer, error) {
		var appendPhones, appendEmails []string
		in.Phones, appendPhones = listUpdate(in.ClearPhones, in.Phones, in.AppendPhones)
		in.Emails, appendEmails = listUpdate(in.ClearEmails, in.Emails, in.AppendEmails)
		in.AppendPhones, in.AppendEmails = nil, nil
		u := tx.Customer.UpdateOneID(id).SetInput(in)
		if appendPhones != nil {
			u.AppendPhones(appendPhones)
		}
		if appendEmails != nil {
			u.AppendEmails(appendEmails)
		}
		return u.Save(ctx)
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
	if err := checkWebhookURL("webhookURL", in.WebhookURL); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.VirtualAgent, error) {
		return tx.VirtualAgent.Create().SetInput(in).Save(ctx)
	})
}

// UpdateVirtualAgent updates a virtual agent; settings using it must still match its channels.
func (s *Service) UpdateVirtualAgent(ctx context.Context, id int, in ent.UpdateVirtualAgentInput) (*ent.VirtualAgent, error) {
	if err := checkWebhookURL("webhookURL", in.WebhookURL); err != nil {
		return nil, err
	}
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

// postSessionTypes are the session types each channel's post-session
// setting may hand to a virtual agent: the channel's own types, without
// mobile-app sessions, for which the feature does not exist (SPEC P4).
var postSessionTypes = map[enum.Channel][]enum.SessionType{
	enum.ChannelVoice: {enum.SessionIVRCall, enum.SessionInboundCallWeb, enum.SessionScheduledCallWeb, enum.SessionOutboundCall},
	enum.ChannelChat:  {enum.SessionInboundWebChat},
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
		if !slices.Contains(postSessionTypes[ps.Channel], st) {
			return apperr.Invalid("sessionTypes", "%s sessions cannot be handed to a virtual agent from a %s setting; allowed: %v (mobile-app sessions are not supported)",
				st, ps.Channel, postSessionTypes[ps.Channel])
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
	if in.TitleTemplate != nil {
		if err := checkTitleTemplate(*in.TitleTemplate); err != nil {
			return nil, err
		}
	}
	if err := checkWebhookURL("webhookURL", in.WebhookURL); err != nil {
		return nil, err
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.CRMSetting, error) {
		cs, err := crmSetting(ctx, tx)
		if err != nil {
			return nil, err
		}
		return cs.Update().SetInput(in).Save(ctx)
	})
}

// TitleVariables are the variables a CRM record title template may use (C7).
var TitleVariables = []string{"CALL_TYPE", "CALL_ID", "MENU_PATH", "PHONE_NUMBER", "LANGUAGE", "TIMESTAMP"}

var titleVariable = regexp.MustCompile(`\{([^{}]*)\}`)

// checkTitleTemplate refuses unknown {VARIABLES} and unbalanced braces,
// which would otherwise show up verbatim in every record title.
func checkTitleTemplate(tmpl string) error {
	matches := titleVariable.FindAllStringSubmatch(tmpl, -1)
	for _, m := range matches {
		if !slices.Contains(TitleVariables, m[1]) {
			return apperr.Invalid("titleTemplate", "unknown variable {%s}; use %v", m[1], TitleVariables)
		}
	}
	if strings.Count(tmpl, "{") != len(matches) || strings.Count(tmpl, "}") != len(matches) {
		return apperr.Invalid("titleTemplate", "unbalanced braces in %q", tmpl)
	}
	return nil
}

// checkWebhookURL accepts nothing (no webhook) or an absolute http(s) URL.
func checkWebhookURL(field string, raw *string) error {
	if raw == nil || *raw == "" {
		return nil
	}
	u, err := url.Parse(*raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return apperr.Invalid(field, "%q is not an http(s) URL", *raw)
	}
	return nil
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
