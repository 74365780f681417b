package auth

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/apikey"
	"github.com/switchboard/switchboard/ent/authtoken"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// Service issues and checks credentials.
type Service struct {
	Client *ent.Client
	// Writer runs its write transactions.
	Writer   *store.Writer
	Clock    clock.Clock
	TokenTTL time.Duration
	// BcryptCost is bcrypt's work factor; tests lower it.
	BcryptCost int
	Log        *slog.Logger

	// dummyHash is compared against for unknown emails, at BcryptCost, so a
	// login takes as long whether or not the email exists.
	dummyHash     []byte
	dummyHashOnce sync.Once
	// throttle slows down password guessing (throttle.go).
	throttle loginThrottle
	// tokens, when set, remembers login tokens for HTTP requests
	// (tokencache.go).
	tokens *tokenCache
}

// errBadLogin is deliberately the same for an unknown email and a wrong
// password.
var errBadLogin = apperr.New(apperr.Unauthenticated, "email or password is wrong")

// CheckPassword returns the active agent with this email and password. It
// answers the same error, after the same bcrypt work, for an unknown email,
// an agent without a password, a wrong password and a deactivated agent,
// so that neither the answer nor its timing tells them apart.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*ent.Agent, error) {
	ctx = SystemContext(ctx)
	a, err := s.Client.Agent.Query().Where(agent.EmailEQ(NormaliseEmail(email))).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	hash := s.dummy()
	if a != nil && a.PasswordHash != "" {
		hash = []byte(a.PasswordHash)
	}
	matches := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if a == nil || a.PasswordHash == "" || !matches || !a.Active {
		return nil, errBadLogin
	}
	return a, nil
}

// dummy is a hash at BcryptCost that no password matches, compared against
// when there is no real one, so that every check does the same work.
func (s *Service) dummy() []byte {
	s.dummyHashOnce.Do(func() {
		s.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(RandomToken(16)), s.BcryptCost)
	})
	return s.dummyHash
}

// Login checks an agent's password and issues a bearer token. Attempts are
// throttled per account and per client address (throttle.go): a throttled
// attempt is refused with LIMIT_EXCEEDED and extensions.retryAfter before
// any password is checked.
func (s *Service) Login(ctx context.Context, email, password string) (string, *ent.AuthToken, *ent.Agent, error) {
	account := throttleKey{"account:" + NormaliseEmail(email), AccountFreeFailures}
	var address []throttleKey
	if addr := clientAddr(ctx); addr != "" {
		address = append(address, throttleKey{"address:" + addr, AddressFreeFailures})
	}
	if wait := s.throttle.attempt(s.Clock.Now(), []throttleKey{account}, address...); wait > 0 {
		return "", nil, nil, throttled(wait)
	}
	a, err := s.CheckPassword(ctx, email, password)
	if apperr.Is(err, apperr.Unauthenticated) {
		s.throttle.failed(s.Clock.Now(), address...)
	}
	if err != nil {
		return "", nil, nil, err
	}
	s.throttle.succeeded(account)
	secret := NewSecret(tokenPrefix)
	var tok *ent.AuthToken
	err = s.Writer.Do(SystemContext(ctx), func(ctx context.Context, tx *store.Tx) error {
		tok, err = tx.AuthToken.Create().SetHash(hashSecret(secret)).SetAgentID(a.ID).
			SetCreatedAt(s.Clock.Now()).SetExpiresAt(s.Clock.Now().Add(s.TokenTTL)).Save(ctx)
		return err
	})
	if err != nil {
		return "", nil, nil, err
	}
	return secret, tok, a, nil
}

// Authenticate resolves a bearer credential (login token, API key or
// customer token) to a viewer. An empty credential gives (nil, nil):
// anonymous.
func (s *Service) Authenticate(ctx context.Context, header string) (*Viewer, error) {
	secret := bearer(header)
	if secret == "" {
		return nil, nil
	}
	ctx = SystemContext(ctx)
	now := s.Clock.Now()
	switch {
	case strings.HasPrefix(secret, tokenPrefix):
		tok, err := s.Client.AuthToken.Query().Where(authtoken.Hash(hashSecret(secret))).WithAgent().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.Unauthenticated, "the token is not valid")
		}
		if err != nil {
			return nil, err
		}
		if tok.RevokedAt != nil || !now.Before(tok.ExpiresAt) {
			return nil, apperr.New(apperr.Unauthenticated, "the token has expired or was revoked; log in again")
		}
		a := tok.Edges.Agent
		if !a.Active {
			return nil, apperr.New(apperr.Unauthenticated, "this agent is deactivated")
		}
		return &Viewer{AgentID: a.ID, Role: a.Role, TokenID: tok.ID, ExpiresAt: tok.ExpiresAt}, nil
	case strings.HasPrefix(secret, apiKeyPrefix):
		key, err := s.Client.APIKey.Query().Where(apikey.Hash(hashSecret(secret))).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.New(apperr.Unauthenticated, "the API key is not valid")
		}
		if err != nil {
			return nil, err
		}
		if key.RevokedAt != nil {
			return nil, apperr.New(apperr.Unauthenticated, "the API key was revoked")
		}
		s.touchAPIKey(ctx, key, now)
		return &Viewer{APIKeyID: key.ID, Scopes: key.Scopes}, nil
	case strings.HasPrefix(secret, customerPrefix):
		return s.authenticateCustomer(ctx, secret)
	}
	return nil, apperr.New(apperr.Unauthenticated, "unrecognised credential: send a login token, an API key or a customer token")
}

// authenticateCustomer checks a customer token against the hash stored on
// the engagement it names.
func (s *Service) authenticateCustomer(ctx context.Context, secret string) (*Viewer, error) {
	invalid := apperr.New(apperr.Unauthenticated, "the customer token is not valid")
	id, ok := parseCustomerToken(secret)
	if !ok {
		return nil, invalid
	}
	e, err := s.Client.Engagement.Query().Where(engagement.ID(id)).
		Select(engagement.FieldCustomerTokenHash, engagement.FieldClosedAt).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if !customerTokenMatches(secret, e.CustomerTokenHash) {
		return nil, invalid
	}
	if e.ClosedAt != nil && !s.Clock.Now().Before(e.ClosedAt.Add(CustomerTokenGrace)) {
		return nil, apperr.New(apperr.Unauthenticated, "the conversation is over: the customer token has expired")
	}
	return &Viewer{EngagementID: id}, nil
}

// CustomerTokenGrace is how long a customer token stays valid after its
// engagement closed: time for the customer to read the end and answer a
// survey.
const CustomerTokenGrace = 10 * time.Minute

// APIKeyUseResolution is how precisely an API key's lastUsedAt is kept:
// recording every request would queue each integration call behind
// SQLite's single writer.
const APIKeyUseResolution = time.Minute

// touchAPIKey records that key was used at now, at most once per
// APIKeyUseResolution. Failing to record it does not fail the request.
func (s *Service) touchAPIKey(ctx context.Context, key *ent.APIKey, now time.Time) {
	if key.LastUsedAt != nil && now.Sub(*key.LastUsedAt) < APIKeyUseResolution {
		return
	}
	err := s.Writer.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		// updatedAt is kept: it tells when the key was last changed, not used.
		return tx.APIKey.UpdateOneID(key.ID).SetLastUsedAt(now).SetUpdatedAt(key.UpdatedAt).Exec(ctx)
	})
	if err != nil {
		s.Log.WarnContext(ctx, "could not record API key use", "key", key.ID, "err", err)
	}
}

// RevokeToken revokes the token the viewer authenticated with.
func (s *Service) RevokeToken(ctx context.Context) error {
	v := FromContext(ctx)
	if v == nil || v.TokenID == 0 {
		return apperr.New(apperr.PreconditionFailed, "this request was not made with a login token")
	}
	_, err := WriteWithEvents(ctx, s, func(ctx context.Context, tx *ent.Tx, b *events.Batch) (struct{}, error) {
		b.Append(TokenRevoked(ctx, v.AgentID, v.TokenID, ReasonRevoked))
		return struct{}{}, tx.AuthToken.UpdateOneID(v.TokenID).SetRevokedAt(s.Clock.Now()).Exec(SystemContext(ctx))
	})
	return err
}

// RevokeAgentTokens revokes every live token of an agent, inside tx; the
// caller commits b, where it appends credential.revoked.
func (s *Service) RevokeAgentTokens(ctx context.Context, tx *ent.Tx, b *events.Batch, agentID int, reason string) error {
	b.Append(events.Event{AgentID: agentID, Actor: Actor(ctx), Payload: events.CredentialRevokedDetails{Reason: reason}})
	return tx.AuthToken.Update().
		Where(authtoken.AgentID(agentID), authtoken.RevokedAtIsNil()).
		SetRevokedAt(s.Clock.Now()).Exec(SystemContext(ctx))
}

// CreateAPIKey creates a key with scopes and returns its secret, once.
func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes []enum.Scope) (*ent.APIKey, string, error) {
	if len(scopes) == 0 {
		return nil, "", apperr.Invalid("scopes", "give at least one scope")
	}
	secret := NewSecret(apiKeyPrefix)
	key, err := store.Write(ctx, s.Writer, func(ctx context.Context, tx *store.Tx) (*ent.APIKey, error) {
		return tx.APIKey.Create().SetName(strings.TrimSpace(name)).SetPrefix(secret[:len(apiKeyPrefix)+6]).
			SetHash(hashSecret(secret)).SetScopes(scopes).Save(ctx)
	})
	if err != nil {
		return nil, "", err
	}
	return key, secret, nil
}

// RevokeAPIKey revokes an API key.
func (s *Service) RevokeAPIKey(ctx context.Context, id int) (*ent.APIKey, error) {
	return WriteWithEvents(ctx, s, func(ctx context.Context, tx *ent.Tx, b *events.Batch) (*ent.APIKey, error) {
		key, err := tx.APIKey.Get(ctx, id)
		if err != nil || key.RevokedAt != nil {
			return key, err // revoking twice keeps the first time
		}
		b.Append(events.Event{Actor: Actor(ctx), Payload: events.CredentialRevokedDetails{APIKeyID: &id, Reason: ReasonRevoked}})
		return key.Update().SetRevokedAt(s.Clock.Now()).Save(ctx)
	})
}

// NormaliseEmail is the form agent emails are stored and looked up in:
// trimmed and lower-case, so that logins do not depend on how a person
// capitalises their address.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// HashPassword checks a password's length and hashes it.
func (s *Service) HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", apperr.Invalid("password", "must have at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return "", apperr.Invalid("password", "must have at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.BcryptCost)
	return string(h), err
}

// SetPassword sets an agent's password: admins for anyone, others only for
// themselves. The agent's other tokens are revoked.
func (s *Service) SetPassword(ctx context.Context, agentID int, password string) (*ent.Agent, error) {
	v := FromContext(ctx)
	if v.Role != enum.RoleAdmin && v.AgentID != agentID {
		return nil, apperr.New(apperr.Forbidden, "you may only change your own password")
	}
	hash, err := s.HashPassword(password)
	if err != nil {
		return nil, err
	}
	return WriteWithEvents(ctx, s, func(ctx context.Context, tx *ent.Tx, b *events.Batch) (*ent.Agent, error) {
		a, err := tx.Agent.UpdateOneID(agentID).SetPasswordHash(hash).Save(ctx)
		if err != nil {
			return nil, err
		}
		d := events.CredentialRevokedDetails{Reason: ReasonPasswordChanged}
		if v.TokenID != 0 {
			d.ExceptTokenID = &v.TokenID
		}
		b.Append(events.Event{AgentID: agentID, Actor: Actor(ctx), Payload: d})
		return a, tx.AuthToken.Update().
			Where(authtoken.AgentID(agentID), authtoken.RevokedAtIsNil(), authtoken.IDNEQ(v.TokenID)).
			SetRevokedAt(s.Clock.Now()).Exec(SystemContext(ctx))
	})
}

// Bootstrap creates the first admin when the database has no agent: with
// the given email and password, or with a generated password that is
// logged once. It never uses a fixed default password. A password given
// for a database that has agents already is ignored, with a warning.
func (s *Service) Bootstrap(ctx context.Context, email, password string) error {
	ctx = SystemContext(ctx)
	n, err := s.Client.Agent.Query().Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		if password != "" {
			s.Log.Warn("the admin password given (-admin-password or SWITCHBOARD_ADMIN_PASSWORD) is ignored: "+
				"it only applies to an empty database, and this one has agents already; change a password with setPassword",
				"email", NormaliseEmail(email))
		}
		return nil
	}
	if email = NormaliseEmail(email); email == "" {
		email = "admin@localhost"
	}
	generated := password == ""
	if generated {
		password = RandomToken(18)
	}
	hash, err := s.HashPassword(password)
	if err != nil {
		return err
	}
	err = s.Writer.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.Agent.Create().SetName("Administrator").SetEmail(email).SetPasswordHash(hash).
			SetRole(enum.RoleAdmin).SetLicense(agent.LicensePremium).Exec(ctx)
	})
	if err != nil {
		return err
	}
	if generated {
		s.Log.Warn("created the first admin with a generated password; it is shown only now, change it with setPassword",
			"email", email, "password", password)
	} else {
		s.Log.Info("created the first admin", "email", email)
	}
	return nil
}
