package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// agentEventsQuery subscribes to the caller's events from the beginning of
// its history, so nothing committed before the subscription is live is
// missed.
const agentEventsQuery = `subscription { agentEvents(after: "0") { sequence topic engagementID payload } }`

// simAgent is one simulated agent: a login, a websocket with its
// agentEvents subscription, and a goroutine per engagement it handles.
type simAgent struct {
	site *site
	id   string
	c    *gqlclient.Client
	conn *gqlclient.Conn
	sub  *gqlclient.Subscription
	// available is closed when the stream shows the agent AVAILABLE, which
	// also proves the subscription is live.
	available chan struct{}
	once      sync.Once
	// closing is set before the generator closes the connection on purpose.
	closing atomic.Bool
	wg      sync.WaitGroup
}

// agentEvent is one agentEvents result.
type agentEvent struct {
	AgentEvents struct {
		Sequence     string
		Topic        string
		EngagementID string
		Payload      struct {
			OfferID    json.Number `json:"offerID"`
			TransferID json.Number `json:"transferID"`
			To         string      `json:"to"`
		}
	}
}

// handler is what an agent does with its engagements; the tracker of a run
// implements it.
type handler interface {
	// rang records a ring (or an assignment without one) seen at t.
	rang(engagementID string, t time.Time, assigned bool)
	// finished records a completed lifecycle.
	finished(engagementID string)
	// failed records a lifecycle that cannot complete.
	failed(engagementID string)
}

// connect opens the agent's websocket, subscribes to its events and goes
// AVAILABLE; it returns when the stream confirms it.
func (a *simAgent) connect(ctx context.Context, h handler, think time.Duration) error {
	dctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	conn, err := gqlclient.Dial(dctx, a.c.URL, a.c.Token)
	if err != nil {
		return a.site.errs.add("dial", err)
	}
	a.conn = conn
	if a.sub, err = conn.Subscribe(dctx, agentEventsQuery, nil, 256); err != nil {
		return a.site.errs.add("subscribe", err)
	}
	a.wg.Add(1)
	go a.listen(ctx, h, think)
	if err := a.site.do(ctx, a.c, "setAgentState", `mutation { setAgentState(state: AVAILABLE) { agent { id } } }`, nil, nil); err != nil {
		return err
	}
	select {
	case <-a.available:
		return nil
	case <-dctx.Done():
		a.site.errs.count("TIMEOUT", "agent stream did not show AVAILABLE")
		return fmt.Errorf("agent %s: the event stream did not confirm AVAILABLE within %s", a.id, requestTimeout)
	}
}

// listen reads the agent's events until the connection ends.
func (a *simAgent) listen(ctx context.Context, h handler, think time.Duration) {
	defer a.wg.Done()
	for res := range a.sub.C {
		now := time.Now()
		if len(res.Errors) > 0 {
			a.site.errs.add("agentEvents", res.Errors)
			continue
		}
		var ev agentEvent
		if err := json.Unmarshal(res.Data, &ev); err != nil {
			a.site.errs.count("PROTOCOL", "agentEvents: "+err.Error())
			continue
		}
		p, engagementID := ev.AgentEvents.Payload, ev.AgentEvents.EngagementID
		switch ev.AgentEvents.Topic {
		case "agent.state_changed":
			if p.To == "AVAILABLE" {
				a.once.Do(func() { close(a.available) })
			}
		case "offer.created":
			if p.TransferID != "" {
				continue // the generator makes no transfers
			}
			h.rang(engagementID, now, false)
			a.wg.Add(1)
			go a.handle(ctx, h, think, p.OfferID.String(), engagementID)
		case "engagement.assigned":
			h.rang(engagementID, now, true)
			a.wg.Add(1)
			go a.handle(ctx, h, 0, "", engagementID)
		}
	}
	if !a.closing.Load() && ctx.Err() == nil {
		msg := "agentEvents ended"
		if a.sub.Err != nil {
			msg += ": " + a.sub.Err.Error()
		} else if err := a.conn.Err(); err != nil {
			msg += ": " + err.Error()
		}
		a.site.errs.count("STREAM_CLOSED", msg)
	}
}

// handle takes one engagement through its lifecycle: accept the ring
// (after think), end the conversation, complete the wrap-up.
func (a *simAgent) handle(ctx context.Context, h handler, think time.Duration, offerID, engagementID string) {
	defer a.wg.Done()
	if think > 0 {
		select {
		case <-time.After(think):
		case <-ctx.Done():
			h.failed(engagementID)
			return
		}
	}
	steps := []struct {
		op, query string
		vars      map[string]any
	}{
		{"acceptOffer", `mutation($o: ID!) { acceptOffer(id: $o) { engagement { id } } }`, map[string]any{"o": offerID}},
		{"endEngagement", `mutation($e: ID!) { endEngagement(id: $e) { engagement { id } } }`, map[string]any{"e": engagementID}},
		{"completeWrapUp", `mutation($e: ID!) { completeWrapUp(input: {engagementID: $e}) { engagement { id } } }`, map[string]any{"e": engagementID}},
	}
	if offerID == "" {
		steps = steps[1:] // assigned without a ring
	}
	for _, s := range steps {
		if err := a.site.do(ctx, a.c, s.op, s.query, s.vars, nil); err != nil {
			h.failed(engagementID)
			return
		}
	}
	h.finished(engagementID)
}

// close ends the agent's connection and waits for its goroutines.
func (a *simAgent) close() {
	a.closing.Store(true)
	if a.conn != nil {
		_ = a.conn.Close()
	}
	a.wg.Wait()
}
