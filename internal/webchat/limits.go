package webchat

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// ReasonRateLimited is the reason of the LIMIT_EXCEEDED error of a web chat
// rate limit; extensions.retryAfter says how many seconds to wait.
const ReasonRateLimited = "RATE_LIMITED"

// Limit is a token bucket: Burst requests at once, then one every Every.
type Limit struct {
	Every time.Duration
	Burst int
}

// Limits are the web chat's rate limits (README, "Rate limits").
type Limits struct {
	// Start bounds startChat and leaveMessage per entry point and client
	// network (an IPv4 address, an IPv6 /64): generous, as an office
	// behind NAT is one address.
	Start Limit
	// Message bounds a customer token's postMessage.
	Message Limit
	// Typing bounds setTyping per engagement and side (customer, agent).
	Typing Limit
	// Read bounds markRead per engagement and side.
	Read Limit
}

// DefaultLimits are the limits the server runs with.
var DefaultLimits = Limits{
	Start:   Limit{Every: 6 * time.Second, Burst: 20},
	Message: Limit{Every: time.Second, Burst: 10},
	Typing:  Limit{Every: 500 * time.Millisecond, Burst: 10},
	Read:    Limit{Every: 500 * time.Millisecond, Burst: 20},
}

// maxKeys bounds the memory of one limiter; past it, keys whose bucket is
// full again (idle ones) are forgotten first.
const maxKeys = 100_000

// keyed is a token bucket per key, on the engine's clock.
type keyed struct {
	limit Limit
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
}

func newKeyed(l Limit) *keyed { return &keyed{limit: l, keys: map[string]*rate.Limiter{}} }

// take takes a token of key at now, or returns how long to wait for one
// (taking nothing).
func (k *keyed) take(now time.Time, key string) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.keys[key]
	if lim == nil {
		if len(k.keys) >= maxKeys {
			k.prune(now)
		}
		lim = rate.NewLimiter(rate.Every(k.limit.Every), k.limit.Burst)
		k.keys[key] = lim
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return k.limit.Every
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// prune forgets keys whose bucket is full, then any while still over.
func (k *keyed) prune(now time.Time) {
	for key, lim := range k.keys {
		if lim.TokensAt(now) >= float64(k.limit.Burst) {
			delete(k.keys, key)
		}
	}
	for key := range k.keys {
		if len(k.keys) < maxKeys {
			return
		}
		delete(k.keys, key)
	}
}

// limiters are the keyed buckets of Limits.
type limiters struct {
	start, message, typing, read *keyed
}

func newLimiters(l Limits) *limiters {
	return &limiters{start: newKeyed(l.Start), message: newKeyed(l.Message), typing: newKeyed(l.Typing), read: newKeyed(l.Read)}
}

// exceeded is the error of a request that must wait d.
func exceeded(what string, d time.Duration) error {
	return apperr.TooMany(ReasonRateLimited, what, d)
}

// clientNetwork is the key of a client address: the IPv4 address, or the
// /64 of an IPv6 one (one household or office); empty when unknown.
func clientNetwork(ctx context.Context) string {
	ip := net.ParseIP(auth.ClientAddr(ctx))
	switch {
	case ip == nil:
		return ""
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func startKey(ctx context.Context, entryPointID int) string {
	return strconv.Itoa(entryPointID) + " " + clientNetwork(ctx)
}

// TypingRepeat is how long a side's repeat of its last recorded typing
// state is absorbed rather than recorded again.
const TypingRepeat = time.Second

// typingStates are the last typing state each side recorded, and when.
type typingStates struct {
	mu   sync.Mutex
	last map[string]typingState
}

type typingState struct {
	typing bool
	at     time.Time
}

// repeat reports whether typing repeats key's last recorded state within
// TypingRepeat.
func (s *typingStates) repeat(now time.Time, key string, typing bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.last[key]
	return ok && l.typing == typing && now.Sub(l.at) < TypingRepeat
}

// record remembers key's recorded state, forgetting stale ones past
// maxKeys.
func (s *typingStates) record(now time.Time, key string, typing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]typingState{}
	}
	if _, ok := s.last[key]; !ok && len(s.last) >= maxKeys {
		for k, l := range s.last {
			if now.Sub(l.at) >= TypingRepeat || len(s.last) >= maxKeys {
				delete(s.last, k)
			}
		}
	}
	s.last[key] = typingState{typing, now}
}
