package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/store"
)

// CreateAPIKeyFor creates an integration API key like CreateAPIKey; a key
// with scope VIRTUAL_AGENT is bound to the one virtual agent it acts as,
// and only such a key is.
func (s *Service) CreateAPIKeyFor(ctx context.Context, name string, scopes []enum.Scope, virtualAgentID *int) (*ent.APIKey, string, error) {
	if virtualAgentID == nil {
		if slices.Contains(scopes, enum.ScopeVirtualAgent) {
			return nil, "", apperr.Invalid("virtualAgentID", "a key with scope VIRTUAL_AGENT acts as one virtual agent; give its ID")
		}
		return s.CreateAPIKey(ctx, name, scopes)
	}
	if !slices.Contains(scopes, enum.ScopeVirtualAgent) {
		return nil, "", apperr.Invalid("virtualAgentID", "only a key with scope VIRTUAL_AGENT acts as a virtual agent")
	}
	secret := NewSecret(apiKeyPrefix)
	key, err := store.Write(ctx, s.Writer, func(ctx context.Context, tx *store.Tx) (*ent.APIKey, error) {
		if _, err := tx.VirtualAgent.Get(ctx, *virtualAgentID); err != nil {
			return nil, err
		}
		return tx.APIKey.Create().SetName(strings.TrimSpace(name)).SetPrefix(secret[:len(apiKeyPrefix)+6]).
			SetHash(hashSecret(secret)).SetScopes(scopes).SetVirtualAgentID(*virtualAgentID).Save(ctx)
	})
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}
