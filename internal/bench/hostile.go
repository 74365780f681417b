package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// Soak is what the soak phase (-soak) ran beside the agents' load: slow and
// silent clients and customers who flood their chat without reading it.
type Soak struct {
	// Phase is the load phase's name the soak repeats; its figures are in
	// Phases under "soak …".
	Phase string `json:"phase"`
	// SlowClients trickle an HTTP request body, a byte every 5 s;
	// SilentSockets open a websocket and never send connection_init. Each
	// reconnects when the server drops it; Dropped counts those drops.
	SlowClients   int   `json:"slowClients"`
	SilentSockets int   `json:"silentSockets"`
	Dropped       int64 `json:"dropped"`
	// Customers post maximal chat messages while never reading their
	// engagement's stream; Posted were stored, Refused were refused
	// (LIMIT_EXCEEDED: the chat's rate limit).
	Customers int   `json:"customers"`
	Posted    int64 `json:"posted"`
	Refused   int64 `json:"refused"`
}

// maxChatMessage is a chat message of the largest size the server takes
// (8 KiB, README "Inputs").
var maxChatMessage = strings.Repeat("soak ", 8<<10/5) + strings.Repeat(".", 8<<10%5)

// hostile are the soak's adversaries, running until stop.
type hostile struct {
	soak   Soak
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startHostile starts slow clients, silent sockets and flooding customers
// against s (their chats wait in a queue of their own, with no agent).
func startHostile(ctx context.Context, s *site, slow, customers int) (*hostile, error) {
	var queue struct {
		CreateQueue struct{ Queue struct{ ID string } }
	}
	if err := s.do(ctx, s.admin, "createQueue", `mutation($n: String!) {
		createQueue(input: {name: $n, channels: [CHAT], acceptMode: MANUAL}) { queue { id } } }`,
		map[string]any{"n": "soak " + s.run}, &queue); err != nil {
		return nil, err
	}
	tokens := make([]struct{ id, token string }, customers)
	for i := range tokens {
		var out struct {
			CreateEngagement struct {
				Engagement    struct{ ID string }
				CustomerToken string
			}
		}
		if err := s.do(ctx, s.integ, "createEngagement", `mutation($q: ID!) {
			createEngagement(input: {channel: CHAT, queueID: $q}) { engagement { id } customerToken } }`,
			map[string]any{"q": queue.CreateQueue.Queue.ID}, &out); err != nil {
			return nil, err
		}
		tokens[i].id, tokens[i].token = out.CreateEngagement.Engagement.ID, out.CreateEngagement.CustomerToken
	}
	ctx, cancel := context.WithCancel(ctx)
	h := &hostile{cancel: cancel, soak: Soak{SlowClients: slow - slow/2, SilentSockets: slow / 2, Customers: customers}}
	u, err := url.Parse(s.url)
	if err != nil {
		cancel()
		return nil, err
	}
	for range h.soak.SlowClients {
		h.loop(ctx, func(ctx context.Context) { h.trickle(ctx, u.Host) })
	}
	for range h.soak.SilentSockets {
		h.loop(ctx, func(ctx context.Context) { h.silent(ctx, s.url) })
	}
	for _, t := range tokens {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.flood(ctx, s, t.id, t.token)
		}()
	}
	return h, nil
}

// loop runs one adversary again each time the server drops it.
func (h *hostile) loop(ctx context.Context, once func(context.Context)) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for ctx.Err() == nil {
			once(ctx)
			if ctx.Err() == nil {
				atomic.AddInt64(&h.soak.Dropped, 1)
			}
		}
	}()
}

// stop ends the adversaries and returns what they did.
func (h *hostile) stop() Soak {
	h.cancel()
	h.wg.Wait()
	return h.soak
}

// trickle sends a request's headers, then its body a byte every 5 s, until
// the server closes the connection.
func (h *hostile) trickle(ctx context.Context, host string) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", host)
	if err != nil {
		sleep(ctx, time.Second)
		return
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", host)
	for ctx.Err() == nil {
		if !sleep(ctx, 5*time.Second) {
			return
		}
		if _, err := conn.Write([]byte(" ")); err != nil {
			return
		}
	}
}

// silent opens a websocket and says nothing until the server closes it.
func (h *hostile) silent(ctx context.Context, endpoint string) {
	conn, _, err := websocket.Dial(ctx, endpoint, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		sleep(ctx, time.Second)
		return
	}
	defer conn.CloseNow()
	_, _, _ = conn.Read(ctx) // returns when the server closes it
}

// flood subscribes to the customer's engagement without ever reading the
// socket again, and posts maximal messages as fast as the server takes them.
func (h *hostile) flood(ctx context.Context, s *site, id, token string) {
	conn, _, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil {
		defer conn.CloseNow()
		init, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + token}})
		sub, _ := json.Marshal(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
			"query": `subscription($id: ID!) { engagementEvents(id: $id, after: "0") { sequence topic details { ... on MessageCreated { body } } } }`, "variables": map[string]any{"id": id}}})
		if conn.Write(ctx, websocket.MessageText, init) == nil {
			_, _, _ = conn.Read(ctx) // connection_ack; nothing is read after it
			_ = conn.Write(ctx, websocket.MessageText, sub)
		}
	}
	c := s.client(token)
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		err := c.Run(rctx, `mutation($id: ID!, $b: String!) { postMessage(input: {engagementID: $id, body: $b}) { message { id } } }`,
			map[string]any{"id": id, "b": maxChatMessage}, nil)
		cancel()
		var gqlErrs gqlclient.Errors
		switch {
		case err == nil:
			atomic.AddInt64(&h.soak.Posted, 1)
		case errors.As(err, &gqlErrs) && gqlErrs[0].Extensions.Code == "LIMIT_EXCEEDED":
			atomic.AddInt64(&h.soak.Refused, 1)
			sleep(ctx, time.Duration(max(gqlErrs[0].Extensions.RetryAfter, 1))*time.Second)
		case ctx.Err() == nil:
			s.errs.add("soak postMessage", err)
			sleep(ctx, time.Second)
		}
	}
}

// sleep waits d or until ctx ends, and says whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
