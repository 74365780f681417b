package graph_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/gqlclient"
	"github.com/switchboard/switchboard/internal/messaging"
)

// emailCenter is a messaging center whose email goes to a real SMTP server
// in the test process; retries wait 1 minute, doubling, 3 attempts at most.
func emailCenter(t *testing.T) (*messagingCenter, *mailServer) {
	t.Helper()
	mx := startMailServer(t)
	c := newMessagingCenter(t, func(cfg *app.Config) {
		cfg.SMTP = messaging.SMTPConfig{Addr: mx.addr, TLS: "none", Timeout: 5 * time.Second}
		cfg.DeliveryBackoff = time.Minute
		cfg.DeliveryAttempts = 3
	})
	return c, mx
}

// ourMessageID is the Message-ID the server gives message id sent from
// the support address.
func ourMessageID(t *testing.T, c *messagingCenter, id string) string {
	t.Helper()
	ids, err := messaging.LoadMessageIDs(auth.SystemContext(context.Background()), c.s.App.Client)
	if err != nil {
		t.Fatal(err)
	}
	return ids.For(intID(t, id), supportEmail)
}

// TestEmailDelivery: the customer receives exactly the MIME message the
// agent wrote; 421 and 451 answers are retried after a backoff, a 550 and
// exhausted attempts dead-letter the delivery (visible, retried by hand),
// and no message is accepted twice.
func TestEmailDelivery(t *testing.T) {
	c, mx := emailCenter(t)
	events := subscribe(t, c.s.Dial(t, c.agentToken), agentEventsQuery, map[string]any{"after": "0"})
	mx.answer("ada@example.org", smtpStep{"RCPT", smtpErr(421, "too busy, try later")}, smtpStep{"DATA", smtpErr(451, "greylisted")})
	mx.answer("bob@example.org", smtpStep{"RCPT", smtpErr(550, "no such user")})
	mx.answer("cy@example.org", smtpStep{"DATA", smtpErr(451, "full")}, smtpStep{"DATA", smtpErr(451, "full")}, smtpStep{"DATA", smtpErr(451, "full")})

	ada := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "Ada <ada@example.org>", "subject": "Your parcel",
		"body": "Hello Ada,\nyour parcel is ready.\n-- Ann"}).StartOutbound
	id := ada.Message.Delivery.ID
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.attempts == 1 }); d.status != "QUEUED" || !strings.Contains(d.errText, "421") {
		t.Fatalf("after a 421: %+v; want QUEUED with the error", d)
	}
	c.s.Clock.Advance(90 * time.Second) // the first backoff: 1 minute ±50%
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.attempts == 2 }); d.status != "QUEUED" || !strings.Contains(d.errText, "451") {
		t.Fatalf("after a 451: %+v; want QUEUED with the error", d)
	}
	c.s.Clock.Advance(3 * time.Minute) // the second: 2 minutes ±50%
	if d := awaitDelivery(t, events, id, func(d deliveryEvent) bool { return d.status != "QUEUED" }); d.status != "SENT" || d.attempts != 3 {
		t.Fatalf("third attempt: %+v; want SENT", d)
	}
	got := mx.messages()
	if len(got) != 1 {
		t.Fatalf("the server accepted %d messages; want 1", len(got))
	}
	m := got[0]
	for key, want := range map[string]string{
		"From": "<" + supportEmail + ">", "To": "<ada@example.org>", "Subject": "Your parcel",
		"Message-ID": ourMessageID(t, c, ada.Message.ID), "In-Reply-To": "", "References": "",
	} {
		if h := header(m, key); h != want {
			t.Errorf("%s: %q; want %q", key, h, want)
		}
	}
	if b := strings.TrimSpace(body(t, m)); b != "Hello Ada,\nyour parcel is ready.\n-- Ann" {
		t.Errorf("body %q", b)
	}

	bob := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "bob@example.org", "subject": "Hi", "body": "Hi Bob"}).StartOutbound
	if d := awaitDelivery(t, events, bob.Message.Delivery.ID, func(d deliveryEvent) bool { return d.attempts == 1 }); d.status != "FAILED" || !d.deadLettered || !strings.Contains(d.errText, "550") {
		t.Fatalf("after a 550: %+v; want FAILED and dead-lettered at once", d)
	}
	do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": bob.Engagement.ID})
	cy := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "cy@example.org", "subject": "Hi", "body": "Hi Cy"}).StartOutbound
	awaitDelivery(t, events, cy.Message.Delivery.ID, func(d deliveryEvent) bool { return d.attempts == 1 })
	c.s.Clock.Advance(90 * time.Second)
	awaitDelivery(t, events, cy.Message.Delivery.ID, func(d deliveryEvent) bool { return d.attempts == 2 })
	c.s.Clock.Advance(3 * time.Minute)
	if d := awaitDelivery(t, events, cy.Message.Delivery.ID, func(d deliveryEvent) bool { return d.attempts == 3 }); d.status != "FAILED" || !d.deadLettered {
		t.Fatalf("after 3 attempts: %+v; want dead-lettered", d)
	}

	dead := do[struct {
		Deliveries struct {
			TotalCount int
			Edges      []struct {
				Node struct{ ID, ToAddress, LastError string }
			}
		}
	}](t, c.s.Admin, `{ deliveries(where: {deadLetteredAtNotNil: true}, orderBy: [{field: CREATED_AT}]) { totalCount edges { node { id toAddress lastError } } } }`, nil)
	if dead.Deliveries.TotalCount != 2 || dead.Deliveries.Edges[0].Node.ToAddress != "bob@example.org" || dead.Deliveries.Edges[1].Node.ToAddress != "cy@example.org" {
		t.Fatalf("dead letters %+v; want bob's and cy's", dead.Deliveries)
	}
	// An agent sees its own deliveries; retrying is for staff and providers.
	if d := node(t, c.agent, bob.Message.Delivery.ID, `... on Delivery { status }`); d["status"] != "FAILED" {
		t.Errorf("the agent sees bob's delivery as %v", d)
	}
	const retry = `mutation($id: ID!) { retryDelivery(id: $id) { delivery { id status attempts } } }`
	expectCodeReason(t, c.agent, "FORBIDDEN", "", retry, map[string]any{"id": bob.Message.Delivery.ID})
	expectCodeReason(t, c.s.Admin, "PRECONDITION_FAILED", "NOT_FAILED", retry, map[string]any{"id": id})
	do[any](t, c.s.Admin, retry, map[string]any{"id": bob.Message.Delivery.ID})
	if d := awaitDelivery(t, events, bob.Message.Delivery.ID, func(d deliveryEvent) bool { return d.status != "QUEUED" }); d.status != "SENT" {
		t.Fatalf("retried by hand: %+v; want SENT", d)
	}
	byRcpt := map[string]int{}
	for _, m := range mx.messages() {
		byRcpt[header(m, "To")+" "+header(m, "Message-ID")]++
	}
	if len(byRcpt) != 2 || len(mx.messages()) != 2 {
		t.Errorf("accepted %v; want ada's and bob's message once each", byRcpt)
	}
}

// expectCodeReason runs an operation that must fail with code and reason.
func expectCodeReason(t *testing.T, cl *gqlclient.Client, code, reason, query string, vars map[string]any) {
	t.Helper()
	if e := apitest.ExpectCode(t, cl, code, query, vars); e.Extensions.Reason != reason {
		t.Errorf("%s: reason %q (%s); want %q", code, e.Extensions.Reason, e.Message, reason)
	}
}
