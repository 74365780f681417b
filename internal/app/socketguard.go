package app

import (
	"container/heap"
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/live"
)

// socketGuard keeps the credential of every open websocket checked for as
// long as the socket lives, not only at connection_init:
//
//   - it follows the event log for credential.revoked and
//     agent.access_changed (committed with the change, so every instance
//     hears of them) and checks again the credential of each socket they
//     concern: one that no longer authenticates, or whose role changed, is
//     closed with 4403 and the reason;
//   - a socket opened with a login token is closed with 4403 when the token
//     expires;
//   - every subscribe checks the credential again (checkOnSubscribe).
type socketGuard struct {
	client *ent.Client
	auth   *auth.Service
	bus    *events.Bus
	clock  clock.Clock
	log    *slog.Logger

	mu      sync.Mutex
	sockets map[*guardedSocket]struct{}
	// byOwner holds the same sockets by whom they authenticate, so
	// that an event about one agent, key or customer, and the count of a
	// principal's sockets at every connection, do not walk them all.
	byOwner map[socketOwner]map[*guardedSocket]struct{}
	// expiries are the sockets opened with a login token, soonest expiry
	// first: the guard's one goroutine closes them when their token
	// expires, rather than a goroutine waiting per socket. wake tells it
	// of a new one.
	expiries expiryHeap
	wake     chan struct{}

	stop context.CancelFunc
	done chan struct{}
}

// guardedSocket is one authenticated websocket.
type guardedSocket struct {
	credential string
	viewer     *auth.Viewer
	close      live.CloseFunc
	closeOnce  sync.Once
	expiry     int // index in socketGuard.expiries; -1 when not there
}

// socketOwner is whom a socket authenticates: an agent (of any role), an
// API key, or the customer of one engagement.
type socketOwner struct {
	kind byte // 'a' agent, 'k' API key, 'c' customer
	id   int
}

func ownerOf(v *auth.Viewer) socketOwner {
	switch {
	case v.IsCustomer():
		return socketOwner{'c', v.EngagementID}
	case v.APIKeyID != 0:
		return socketOwner{'k', v.APIKeyID}
	}
	return socketOwner{'a', v.AgentID}
}

// guardBuffer is how many events the guard's bus subscription holds; when
// it falls behind it checks every socket instead.
const guardBuffer = 4096

func newSocketGuard(client *ent.Client, a *auth.Service, bus *events.Bus, clk clock.Clock, log *slog.Logger) *socketGuard {
	return &socketGuard{client: client, auth: a, bus: bus, clock: clk, log: log, sockets: map[*guardedSocket]struct{}{},
		byOwner: map[socketOwner]map[*guardedSocket]struct{}{}, wake: make(chan struct{}, 1)}
}

// start follows the bus until stopped.
func (g *socketGuard) start() {
	ctx, cancel := context.WithCancel(auth.SystemContext(context.Background()))
	g.stop, g.done = cancel, make(chan struct{})
	sub := g.bus.Subscribe(events.Key{Kind: events.All}, guardBuffer)
	go func() {
		defer close(g.done)
		var expiry <-chan time.Time // at the soonest expiry
		var expiryAt time.Time
		for {
			if next, ok := g.nextExpiry(); ok && (expiry == nil || next.Before(expiryAt)) {
				expiry, expiryAt = g.clock.At(next), next
			}
			select {
			case <-ctx.Done():
				g.bus.Unsubscribe(sub)
				return
			case <-g.wake:
			case <-expiry:
				expiry = nil
				g.expire()
			case e := <-sub.C:
				g.event(ctx, e)
			case <-sub.Dropped:
				// Events were lost: resubscribe first, then check every
				// socket, so no revocation falls between the two.
				sub = g.bus.Subscribe(events.Key{Kind: events.All}, guardBuffer)
				for _, s := range g.all() {
					g.check(ctx, s)
				}
			}
		}
	}()
}

// close stops following the bus.
func (g *socketGuard) close() {
	if g.stop != nil {
		g.stop()
		<-g.done
	}
}

// event checks the sockets a credential event concerns.
func (g *socketGuard) event(ctx context.Context, e *ent.Event) {
	var who socketOwner
	switch e.Topic {
	case events.EngagementStateChanged:
		if e.EngagementID != nil && e.Payload["to"] == "CLOSED" {
			g.expireCustomers(ctx, *e.EngagementID)
		}
		return
	case events.CredentialRevoked, events.AgentAccessChanged:
		d, err := events.DetailsOf(e)
		if err != nil {
			g.log.ErrorContext(ctx, "unreadable credential event", "err", err)
			return
		}
		if r, ok := d.(events.CredentialRevokedDetails); ok && r.APIKeyID != nil {
			who = socketOwner{'k', *r.APIKeyID}
		} else if e.AgentID != nil {
			who = socketOwner{'a', *e.AgentID}
		}
	}
	if who.id == 0 {
		return
	}
	for _, s := range g.of(who) {
		g.check(ctx, s)
	}
}

// expireCustomers checks the customer sockets of a closed engagement again
// once the token's grace is over, which closes them.
func (g *socketGuard) expireCustomers(ctx context.Context, engagementID int) {
	sockets := g.of(socketOwner{'c', engagementID})
	if len(sockets) == 0 {
		return
	}
	e, err := g.client.Engagement.Query().Where(engagement.ID(engagementID)).
		Select(engagement.FieldClosedAt).Only(ctx)
	if err != nil || e.ClosedAt == nil {
		if err != nil && ctx.Err() == nil {
			g.log.ErrorContext(ctx, "reading a closed engagement failed", "err", err)
		}
		return
	}
	// From the stored time, so an event heard late waits no longer.
	over := g.clock.At(e.ClosedAt.Add(auth.CustomerTokenGrace))
	go func() {
		select {
		case <-over:
			for _, s := range sockets {
				g.check(ctx, s)
			}
		case <-ctx.Done():
		}
	}()
}

// of returns the open sockets of p.
func (g *socketGuard) of(p socketOwner) []*guardedSocket {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Collect(maps.Keys(g.byOwner[p]))
}

// all returns every open socket.
func (g *socketGuard) all() []*guardedSocket {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Collect(maps.Keys(g.sockets))
}

// check authenticates a socket's credential again and closes the socket
// (4403, with the reason) when it fails or now names another role. It
// returns the error the socket was closed for.
func (g *socketGuard) check(ctx context.Context, s *guardedSocket) *apperr.Error {
	if e := g.recheck(ctx, s); e != nil {
		if !e.Code.ServerSide() {
			s.end(e.Message)
		}
		return e
	}
	return nil
}

// recheck is check without closing the socket.
func (g *socketGuard) recheck(ctx context.Context, s *guardedSocket) *apperr.Error {
	v, err := g.auth.Authenticate(ctx, s.credential)
	if err == nil && v != nil && v.Role != s.viewer.Role {
		err = apperr.New(apperr.Unauthenticated, "your role changed to %s: connect again", v.Role)
	}
	if err == nil || ctx.Err() != nil {
		return nil // valid, or the operation asking is over anyway
	}
	e := apperr.From(err)
	if e.Code.ServerSide() {
		// The database could not say; the next event or subscribe asks again.
		g.log.ErrorContext(ctx, "websocket credential check failed", "err", err)
	}
	return e
}

// end closes the socket with 4403 and the reason, once.
func (s *guardedSocket) end(reason string) {
	s.closeOnce.Do(func() { s.close(auth.CloseForbidden, auth.CloseReason(reason)) })
}

// watch registers a socket authenticated with credential as v until ctx
// (the connection's) ends, and closes it when its token expires.
func (g *socketGuard) watch(ctx context.Context, credential string, v *auth.Viewer, close live.CloseFunc) *guardedSocket {
	s := &guardedSocket{credential: credential, viewer: v, close: close, expiry: -1}
	p := ownerOf(v)
	g.mu.Lock()
	g.sockets[s] = struct{}{}
	if g.byOwner[p] == nil {
		g.byOwner[p] = map[*guardedSocket]struct{}{}
	}
	g.byOwner[p][s] = struct{}{}
	if !v.ExpiresAt.IsZero() {
		heap.Push(&g.expiries, s)
	}
	g.mu.Unlock()
	context.AfterFunc(ctx, func() {
		g.mu.Lock()
		delete(g.sockets, s)
		delete(g.byOwner[p], s)
		if len(g.byOwner[p]) == 0 {
			delete(g.byOwner, p)
		}
		if s.expiry >= 0 {
			heap.Remove(&g.expiries, s.expiry)
		}
		g.mu.Unlock()
	})
	if !v.ExpiresAt.IsZero() {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
	return s
}

// nextExpiry is the soonest expiry of an open socket's token.
func (g *socketGuard) nextExpiry() (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.expiries) > 0 {
		s := g.expiries[0]
		if _, open := g.sockets[s]; open {
			return s.viewer.ExpiresAt, true
		}
		heap.Pop(&g.expiries) // closed already
	}
	return time.Time{}, false
}

// expire closes the sockets whose token expired.
func (g *socketGuard) expire() {
	now := g.clock.Now()
	var due []*guardedSocket
	g.mu.Lock()
	for len(g.expiries) > 0 && !g.expiries[0].viewer.ExpiresAt.After(now) {
		s := heap.Pop(&g.expiries).(*guardedSocket)
		if _, open := g.sockets[s]; open {
			due = append(due, s)
		}
	}
	g.mu.Unlock()
	for _, s := range due {
		s.end("the token expired; log in again")
	}
}

// expiryHeap orders sockets by their token's expiry (container/heap).
type expiryHeap []*guardedSocket

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].viewer.ExpiresAt.Before(h[j].viewer.ExpiresAt) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].expiry, h[j].expiry = i, j
}
func (h *expiryHeap) Push(x any) {
	s := x.(*guardedSocket)
	s.expiry = len(*h)
	*h = append(*h, s)
}
func (h *expiryHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	s.expiry = -1
	return s
}

// open counts the open sockets of v's principal and returns the count
// with the most it may have.
func (g *socketGuard) open(v *auth.Viewer) (n, limit int) {
	p := ownerOf(v)
	limit = MaxSocketsPerAgent
	switch p.kind {
	case 'c':
		limit = MaxSocketsPerCustomer
	case 'k':
		limit = MaxSocketsPerAPIKey
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.byOwner[p]), limit
}

type guardedSocketKey struct{}

// checkOnSubscribe checks the socket's credential again before each
// subscription starts: a credential revoked since connection_init refuses
// the subscription (UNAUTHENTICATED) and closes the socket with 4403.
func (g *socketGuard) checkOnSubscribe(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	s, ok := ctx.Value(guardedSocketKey{}).(*guardedSocket)
	if !ok || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	e := g.recheck(auth.SystemContext(ctx), s)
	if e == nil {
		return next(ctx)
	}
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if sent {
			// Asked again once the error was written: now the socket closes.
			if !e.Code.ServerSide() {
				s.end(e.Message)
			}
			return nil
		}
		sent = true
		code, msg := apperr.Unauthenticated, e.Message
		if e.Code.ServerSide() {
			code, msg = e.Code, "could not check the credential: subscribe again"
		}
		return &graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": string(code)}}}}
	}
}
