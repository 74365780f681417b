package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/live"
)

// wsOperation is one operation (subscription, or a query or mutation)
// running on a connection. It is the live.Operation of its context.
type wsOperation struct {
	c      *wsConn
	id     string
	ctx    context.Context
	cancel context.CancelFunc

	claimed   atomic.Bool
	ready     chan struct{} // closed once responses is set
	responses graphql.ResponseHandler
	respCtx   context.Context

	mu     sync.Mutex
	errs   gqlerror.List
	done   bool
	silent bool // stopped (graphql-ws) or replaced: its end sends nothing
}

// subscribe starts the operation id, unless the socket runs
// MaxSubscriptions already.
func (c *wsConn) subscribe(id string, payload json.RawMessage) {
	c.mu.Lock()
	if len(c.ops) >= MaxSubscriptions {
		c.mu.Unlock()
		c.sendError(id, apperr.New(apperr.LimitExceeded, "at most %d subscriptions may run on one websocket", MaxSubscriptions))
		return
	}
	ctx, cancel := context.WithCancel(c.initCtx)
	o := &wsOperation{c: c, id: id, cancel: cancel, ready: make(chan struct{})}
	o.ctx = live.WithOperation(ctx, o)
	c.ops[id] = o
	c.mu.Unlock()
	go o.run(payload)
}

// stop ends the operation id; silent (graphql-ws) sends no complete for it.
func (c *wsConn) stop(id string, silent bool) {
	c.mu.Lock()
	o := c.ops[id]
	if o != nil && silent {
		delete(c.ops, id)
	}
	c.mu.Unlock()
	if o == nil {
		return
	}
	o.mu.Lock()
	o.silent = o.silent || silent
	o.mu.Unlock()
	o.cancel()
}

// run executes the operation. A subscription whose stream claimed it
// (live.Operation) is then delivered by that stream's goroutine; any other
// operation's responses are sent from here.
func (o *wsOperation) run(payload json.RawMessage) {
	c := o.c
	defer func() {
		if r := recover(); r != nil {
			o.Fail(&gqlerror.Error{Message: fmt.Sprint("internal error: ", r), Extensions: map[string]any{"code": string(apperr.Internal)}})
			o.finish()
		}
	}()
	start := graphql.Now()
	ctx := graphql.StartOperationTrace(o.ctx)
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		o.Fail(&gqlerror.Error{Message: "invalid json", Extensions: map[string]any{"code": string(apperr.Validation)}})
		o.finish()
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	params.Headers = c.headers
	rc, err := c.exec.CreateOperationContext(ctx, params)
	if err != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), err)
		if errcode.GetErrorKind(err) == errcode.KindProtocol {
			o.mu.Lock()
			o.errs = append(o.errs, resp.Errors...)
			o.mu.Unlock()
		} else {
			o.sendResponse(&graphql.Response{Errors: err})
		}
		o.finish()
		return
	}
	responses, rctx := c.exec.DispatchOperation(graphql.WithOperationContext(ctx, rc), rc)
	o.responses, o.respCtx = responses, rctx
	close(o.ready)
	if o.claimed.Load() {
		return
	}
	for {
		resp := responses(rctx)
		if resp == nil {
			break
		}
		if !o.sendResponse(resp) {
			c.closeWith(closeTooSlow, events.ErrTooSlow.Error(), false)
			break
		}
	}
	o.finish()
}

// Claim lets the stream deliver the operation's responses (live.Operation).
func (o *wsOperation) Claim() bool { return o.claimed.CompareAndSwap(false, true) }

// Emit builds the response of the event the stream just sent and queues
// it; after the stream's channel closed, it ends the operation.
func (o *wsOperation) Emit() bool {
	<-o.ready
	resp := o.responses(o.respCtx)
	if resp == nil {
		o.finish()
		return true
	}
	return o.sendResponse(resp)
}

// Fail records an error the operation ends with (live.Operation).
func (o *wsOperation) Fail(err *gqlerror.Error) {
	o.mu.Lock()
	o.errs = append(o.errs, err)
	o.mu.Unlock()
}

// sendResponse queues a next (graphql-transport-ws) or data (graphql-ws)
// message; false when the connection is too far behind.
func (o *wsOperation) sendResponse(resp *graphql.Response) bool {
	o.mu.Lock()
	silent := o.silent
	o.mu.Unlock()
	if silent {
		return true // stopped: its id may be another operation's now
	}
	b, err := json.Marshal(resp)
	if err != nil {
		o.Fail(&gqlerror.Error{Message: "internal error: the response could not be encoded", Extensions: map[string]any{"code": string(apperr.Internal)}})
		return false
	}
	typ := "next"
	if o.c.legacy {
		typ = "data"
	}
	return o.c.queueFrame(frame(o.id, typ, b), true)
}

// finish ends the operation once: its id is free again, then complete (or
// error, with the errors recorded) is sent.
func (o *wsOperation) finish() {
	o.mu.Lock()
	if o.done {
		o.mu.Unlock()
		return
	}
	o.done = true
	errs, silent := o.errs, o.silent
	o.mu.Unlock()
	c := o.c
	c.mu.Lock()
	if c.ops[o.id] == o {
		delete(c.ops, o.id)
	}
	c.mu.Unlock()
	o.cancel()
	if silent {
		return
	}
	if len(errs) > 0 {
		b, _ := json.Marshal(errs)
		c.send(frame(o.id, "error", b))
		return
	}
	c.send(frame(o.id, "complete", nil))
}

// frame encodes a message with an id.
func frame(id, typ string, payload []byte) []byte {
	idJSON, _ := json.Marshal(id)
	out := make([]byte, 0, len(idJSON)+len(typ)+len(payload)+32)
	out = append(out, `{"id":`...)
	out = append(out, idJSON...)
	out = append(out, `,"type":"`...)
	out = append(out, typ...)
	out = append(out, '"')
	if payload != nil {
		out = append(out, `,"payload":`...)
		out = append(out, payload...)
	}
	return append(out, '}')
}

// startKeepAlive starts pinging an acknowledged connection: every
// Config.WebsocketPingInterval a ping message (graphql-transport-ws), or
// "ka" and a websocket ping (graphql-ws, whose clients answer no message);
// a connection whose pong does not come within Config.WebsocketPongTimeout
// closes with CloseNoPong. It runs on a timer, not a goroutine.
func (c *wsConn) startKeepAlive() {
	if c.legacy {
		c.send(kaFrame)
	}
	c.mu.Lock()
	if !c.ending {
		c.timer = time.AfterFunc(c.a.Config.WebsocketPingInterval, c.keepAlive)
	}
	c.mu.Unlock()
}

func (c *wsConn) keepAlive() {
	cfg := c.a.Config
	c.mu.Lock()
	if c.ending {
		c.mu.Unlock()
		return
	}
	if c.legacy {
		c.mu.Unlock()
		c.send(kaFrame)
		ctx, cancel := context.WithTimeout(c.ctx, cfg.WebsocketPongTimeout)
		err := c.ws.Ping(ctx)
		cancel()
		switch {
		case err == nil:
			c.mu.Lock()
			if !c.ending {
				c.timer.Reset(cfg.WebsocketPingInterval)
			}
			c.mu.Unlock()
		case errors.Is(err, context.DeadlineExceeded):
			c.closeWith(CloseNoPong, noPongReason(cfg.WebsocketPongTimeout), false)
		default:
			_ = c.ws.CloseNow()
		}
		return
	}
	defer c.mu.Unlock()
	switch {
	case c.checking && c.awaiting:
		c.mu.Unlock()
		c.closeWith(CloseNoPong, noPongReason(cfg.WebsocketPongTimeout), false)
		c.mu.Lock()
	case c.checking:
		c.checking = false
		c.timer.Reset(cfg.WebsocketPingInterval)
	default:
		c.checking, c.awaiting = true, true
		c.mu.Unlock()
		c.send(pingFrame)
		c.mu.Lock()
		if !c.ending {
			c.timer.Reset(cfg.WebsocketPongTimeout)
		}
	}
}

func noPongReason(d time.Duration) string { return fmt.Sprintf("no pong within %s", d) }
