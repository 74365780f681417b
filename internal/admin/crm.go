package admin

import (
	"context"
	"net/url"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/crm"
)

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
		if err := crm.CheckTitleTemplate(*in.TitleTemplate); err != nil {
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
