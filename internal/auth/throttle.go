package auth

import (
	"context"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/switchboard/switchboard/internal/apperr"
)

// ReasonLoginThrottled is the reason of the LIMIT_EXCEEDED error that
// refuses a login attempt made too soon after failed ones.
const ReasonLoginThrottled = "LOGIN_THROTTLED"

// Login throttle: after AccountFreeFailures failed logins in a row for one
// account (email), or AddressFreeFailures from one client address (many
// agents may share one), each further attempt must wait LoginBackoff,
// doubled for each further failure, at most MaxLoginBackoff. An attempt on
// an account counts as a failure until it succeeds, so attempts sent in
// parallel are throttled as well as ones in a row; a success clears the
// account's count. A count is forgotten once it has been quiet for
// MaxLoginBackoff.
const (
	AccountFreeFailures = 5
	AddressFreeFailures = 20
	LoginBackoff        = time.Second
	MaxLoginBackoff     = 15 * time.Minute
	// maxThrottleKeys bounds the memory the throttle holds; past it, keys
	// whose wait is over are forgotten first.
	maxThrottleKeys = 100_000
)

// loginThrottle is a keyed exponential backoff over failed logins.
type loginThrottle struct {
	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	n     int
	until time.Time // no attempt before
	last  time.Time
}

// throttleKey is one count: an account or an address, with its allowance.
type throttleKey struct {
	name string
	free int
}

// attempt returns how long the attempt must wait when one of keys is
// throttled (and counts nothing), or else counts it against the reserved
// keys and returns 0: those count every attempt until it succeeds, the
// others only failures (failed).
func (t *loginThrottle) attempt(now time.Time, reserved []throttleKey, keys ...throttleKey) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var longest time.Duration
	for _, k := range append(keys, reserved...) {
		if f := t.keys[k.name]; f != nil && now.Before(f.until) {
			longest = max(longest, f.until.Sub(now))
		}
	}
	if longest > 0 {
		return longest
	}
	t.count(now, reserved)
	return 0
}

// failed counts a failed attempt against keys.
func (t *loginThrottle) failed(now time.Time, keys ...throttleKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count(now, keys)
}

func (t *loginThrottle) count(now time.Time, keys []throttleKey) {
	if t.keys == nil {
		t.keys = map[string]*failures{}
	}
	if len(t.keys) >= maxThrottleKeys {
		t.prune(now)
	}
	for _, k := range keys {
		f := t.keys[k.name]
		if f == nil || now.Sub(f.last) > MaxLoginBackoff {
			f = &failures{}
			t.keys[k.name] = f
		}
		f.n++
		f.last = now
		f.until = backoff(now, f.n, k.free)
	}
}

// backoff is when the next attempt may come after n failures: at once
// while fewer than free, then after a wait that doubles.
func backoff(now time.Time, n, free int) time.Time {
	over := n - free + 1
	if over <= 0 {
		return time.Time{}
	}
	d := time.Duration(float64(LoginBackoff) * math.Pow(2, float64(min(over-1, 30))))
	return now.Add(min(d, MaxLoginBackoff))
}

// succeeded clears key's count.
func (t *loginThrottle) succeeded(key throttleKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, key.name)
}

func (t *loginThrottle) prune(now time.Time) {
	for k, f := range t.keys {
		if !now.Before(f.until) {
			delete(t.keys, k)
		}
	}
	for k := range t.keys { // all still waiting: forget any
		if len(t.keys) < maxThrottleKeys {
			break
		}
		delete(t.keys, k)
	}
}

// throttled is the error of an attempt that must wait d.
func throttled(d time.Duration) error {
	return apperr.TooMany(ReasonLoginThrottled, "failed logins", d)
}

type clientAddrKey struct{}

// withClientAddr returns ctx carrying the address of the client of r (the
// TCP peer; a proxy in front must be the one to throttle, or pass the
// requests through unchanged).
func withClientAddr(ctx context.Context, r *http.Request) context.Context {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return context.WithValue(ctx, clientAddrKey{}, host)
}

func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// ClientAddr is the address of the request's client (the TCP peer), empty
// outside an HTTP request.
func ClientAddr(ctx context.Context) string { return clientAddr(ctx) }

type requestBaseKey struct{}

// RequestBase is the scheme and host the request was sent to
// ("https://switchboard.example.com"), empty outside an HTTP request.
func RequestBase(ctx context.Context) string {
	b, _ := ctx.Value(requestBaseKey{}).(string)
	return b
}

func withRequestBase(ctx context.Context, r *http.Request) context.Context {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return context.WithValue(ctx, requestBaseKey{}, scheme+"://"+r.Host)
}
