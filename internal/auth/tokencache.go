package auth

import (
	"context"
	"strings"
	"sync"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/internal/events"
)

// tokenCache remembers the login tokens that authenticated an HTTP request
// recently, so that the next request with the same token does not read the
// token and its agent again (two of the reads of every agent's request:
// switchboard bench). It serves a store with one writer (SQLite), where
// every change that can make a token fail — a revocation, a password
// change, logout, an agent deactivated or given another role — commits a
// credential.revoked or agent.access_changed event that the bus publishes
// before the write returns (events.Bus.Watch): hearing one empties the
// cache. Expiry is checked on every hit. Websockets do not use it: their
// connection_init, every subscribe and the socket guard read the
// credential afresh (docs/rules.md W8).
type tokenCache struct {
	mu sync.Mutex
	// gen counts the times the cache was emptied: a token read before one
	// is not remembered after it, as it may be what the event revoked.
	gen     uint64
	entries map[string]Viewer // by the token's hash
}

// tokenCacheSize bounds the remembered tokens; past it one is forgotten
// for each new one.
const tokenCacheSize = 1 << 16

// CacheTokens turns the token cache on, emptied by the events on bus. Call
// it once, before the bus is used, and only for a store with one writer.
func (s *Service) CacheTokens(bus *events.Bus) {
	c := &tokenCache{entries: map[string]Viewer{}}
	for _, topic := range []string{events.CredentialRevoked, events.AgentAccessChanged} {
		bus.Watch(topic, func(*ent.Event) { c.clear() })
	}
	s.tokens = c
}

func (c *tokenCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

func (c *tokenCache) get(hash string) (Viewer, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[hash]
	return v, c.gen, ok
}

// put remembers v for hash unless the cache was emptied since gen.
func (c *tokenCache) put(hash string, v Viewer, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.entries) >= tokenCacheSize {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = v
}

// authenticateRequest is Authenticate for an HTTP request: a login token
// that authenticated before and has not expired is taken from the cache
// when it is on.
func (s *Service) authenticateRequest(ctx context.Context, header string) (*Viewer, error) {
	secret := bearer(header)
	if s.tokens == nil || !strings.HasPrefix(secret, tokenPrefix) {
		return s.Authenticate(ctx, header)
	}
	hash := string(hashSecret(secret))
	v, gen, ok := s.tokens.get(hash)
	if ok && s.Clock.Now().Before(v.ExpiresAt) {
		return &v, nil
	}
	fresh, err := s.Authenticate(ctx, header)
	if err == nil && fresh != nil {
		s.tokens.put(hash, *fresh, gen)
	}
	return fresh, err
}
