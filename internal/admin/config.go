package admin

import (
	"context"
	"regexp"
	"slices"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/ent/wrapupreason"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/messaging"
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

// CreateTemplate creates a message template for SMS or email.
func (s *Service) CreateTemplate(ctx context.Context, in ent.CreateTemplateInput) (*ent.Template, error) {
	if err := checkTemplate(in.Channel, in.Subject); err != nil {
		return nil, err
	}
	if err := messaging.CheckTemplate(ptrValue(in.Subject), in.Body, in.Variables); err != nil {
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
		if err := checkTemplate(t.Channel, &t.Subject); err != nil {
			return nil, err
		}
		// Checked on the saved row, so a change of the variables alone is
		// checked against the text it keeps.
		return t, messaging.CheckTemplate(t.Subject, t.Body, t.Variables)
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

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
