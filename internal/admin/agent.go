package admin

import (
	"context"
	"net/mail"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
)

// CreateAgent creates an agent, with a password when given.
func (s *Service) CreateAgent(ctx context.Context, in ent.CreateAgentInput, password *string) (*ent.Agent, error) {
	email, err := normaliseEmail(in.Email)
	if err != nil {
		return nil, err
	}
	in.Email = email
	var hash string
	if password != nil {
		if hash, err = s.Auth.HashPassword(*password); err != nil {
			return nil, err
		}
	}
	return write(ctx, s, func(ctx context.Context, tx *ent.Tx) (*ent.Agent, error) {
		c := tx.Agent.Create().SetInput(in)
		if hash != "" {
			c.SetPasswordHash(hash)
		}
		return c.Save(ctx)
	})
}

// UpdateAgent updates an agent. Deactivating it revokes its tokens.
func (s *Service) UpdateAgent(ctx context.Context, id int, in ent.UpdateAgentInput) (*ent.Agent, error) {
	if in.Email != nil {
		email, err := normaliseEmail(*in.Email)
		if err != nil {
			return nil, err
		}
		in.Email = &email
	}
	return writeWithEvents(ctx, s, func(ctx context.Context, tx *ent.Tx, b *events.Batch) (*ent.Agent, error) {
		before, err := tx.Agent.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		var appendSkills []string
		in.Skills, appendSkills = listUpdate(in.ClearSkills, in.Skills, in.AppendSkills)
		in.AppendSkills = nil
		u := tx.Agent.UpdateOneID(id).SetInput(in)
		if appendSkills != nil {
			u.AppendSkills(appendSkills)
		}
		a, err := u.Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := checkAdminRemains(ctx, tx); err != nil {
			return nil, err
		}
		if a.Role != before.Role || a.Active != before.Active {
			b.Append(auth.AccessChanged(ctx, a))
		}
		if !a.Active {
			if err := s.Auth.RevokeAgentTokens(ctx, tx, b, id, auth.ReasonDeactivated); err != nil {
				return nil, err
			}
		}
		return a, nil
	})
}

func normaliseEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", apperr.Invalid("email", "%q is not an email address", email)
	}
	return auth.NormaliseEmail(email), nil
}

// checkAdminRemains refuses a change that leaves no active admin, since
// nobody could configure the center (or undo the change) afterwards.
func checkAdminRemains(ctx context.Context, tx *ent.Tx) error {
	ok, err := tx.Agent.Query().Where(agent.RoleEQ(enum.RoleAdmin), agent.Active(true)).Exist(ctx)
	if err != nil || ok {
		return err
	}
	return apperr.New(apperr.PreconditionFailed, "at least one active ADMIN must remain; make another agent ADMIN first").WithReason("LAST_ADMIN")
}
