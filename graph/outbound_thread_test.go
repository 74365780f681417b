package graph_test

import (
	"strings"
	"testing"
)

// replyMail builds an inbound email as a mail client sends it.
func replyMail(from, subject, messageID, inReplyTo, references, text string) string {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\nTo: Support <" + supportEmail + ">\r\nSubject: " + subject + "\r\n")
	b.WriteString("Date: Mon, 5 Jan 2026 10:00:00 +0100\r\nMessage-ID: " + messageID + "\r\n")
	if inReplyTo != "" {
		b.WriteString("In-Reply-To: " + inReplyTo + "\r\n")
	}
	if references != "" {
		b.WriteString("References: " + references + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.WriteString(text + "\r\n")
	return b.String()
}

// TestEmailThreading: replies as Gmail, Outlook (In-Reply-To rewritten,
// References kept) and Apple Mail send them thread by our signed
// Message-IDs; a reply to a conversation that is over opens a new one
// linked to it, not to a later one; a reply from another sender is not
// threaded; the agent's answer carries the thread headers.
func TestEmailThreading(t *testing.T) {
	c, mx := emailCenter(t)
	s := c.s
	events := subscribe(t, s.Dial(t, c.agentToken), agentEventsQuery, map[string]any{"after": "0"})
	inbound := func(raw string) (string, bool, map[string]any) {
		t.Helper()
		code, out := c.post(t, "/messaging/email", "message/rfc822", raw)
		if code != 200 {
			t.Fatalf("inbound email answered %d: %v", code, out)
		}
		return out["engagementID"].(string), out["threaded"] == true, out
	}
	closeEngagement := func(id string) {
		t.Helper()
		do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": id})
		do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": id})
	}
	sent := func(deliveryID string) {
		t.Helper()
		if d := awaitDelivery(t, events, deliveryID, func(d deliveryEvent) bool { return d.status != "QUEUED" }); d.status != "SENT" {
			t.Fatalf("delivery %s: %+v", deliveryID, d)
		}
	}

	a := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "ada@example.org", "subject": "Your parcel", "body": "It is ready."}).StartOutbound
	sent(a.Message.Delivery.ID)
	ours := ourMessageID(t, c, a.Message.ID)

	// Gmail: In-Reply-To and References name our message.
	gmail := "<CAF=gmail123@mail.gmail.com>"
	eg, threaded, out := inbound(replyMail("Ada <ada@example.org>", "Re: Your parcel", gmail, ours, ours, "Thanks! When can I pick it up?"))
	if !threaded || eg != a.Engagement.ID {
		t.Fatalf("Gmail reply went to engagement %s (threaded %v); want %s", eg, threaded, a.Engagement.ID)
	}
	if again, _, dup := inbound(replyMail("Ada <ada@example.org>", "Re: Your parcel", gmail, ours, ours, "Thanks! When can I pick it up?")); again != eg || dup["messageID"] != out["messageID"] {
		t.Errorf("a redelivered email made message %v; want %v", dup["messageID"], out["messageID"])
	}
	reply := do[struct {
		PostMessage struct {
			Message struct {
				ID, Subject string
				Delivery    struct{ ID string }
			}
		}
	}](t, c.agent, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "From 9 to 5."}) { message { id subject delivery { id } } } }`,
		map[string]any{"id": a.Engagement.ID})
	sent(reply.PostMessage.Message.Delivery.ID)
	m := mx.messages()[len(mx.messages())-1]
	ours2 := ourMessageID(t, c, reply.PostMessage.Message.ID)
	for key, want := range map[string]string{
		"Subject": "Re: Your parcel", "Message-ID": ours2, "In-Reply-To": gmail, "References": ours + " " + gmail,
		"From": "<" + supportEmail + ">", "To": "<ada@example.org>",
	} {
		if h := header(m, key); h != want {
			t.Errorf("agent's reply %s: %q; want %q", key, h, want)
		}
	}
	if b := strings.TrimSpace(body(t, m)); b != "From 9 to 5." {
		t.Errorf("agent's reply body %q", b)
	}
	closeEngagement(a.Engagement.ID)

	// A second conversation, also over.
	b := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "ada@example.org", "subject": "Your invoice", "body": "Attached."}).StartOutbound
	sent(b.Message.Delivery.ID)
	closeEngagement(b.Engagement.ID)

	// Outlook answers the first conversation: its In-Reply-To names its own
	// copy, References keeps ours. A new engagement, linked to the first.
	do[any](t, c.agent, `mutation { setAgentState(state: AVAILABLE) { agent { state } } }`, nil)
	outlook := "<AM6PR01MB5234ABCD@AM6PR01MB5234.eurprd01.prod.outlook.com>"
	cID, threaded, _ := inbound(replyMail("Ada <ada@example.org>", "AW: Your parcel", outlook, "<AM6PR01MB0000@outlook.com>", ours+" "+gmail+" "+ours2, "Is it still there?"))
	if threaded || cID == a.Engagement.ID || cID == b.Engagement.ID {
		t.Fatalf("Outlook reply to an ended conversation: engagement %s threaded %v; want a new one", cID, threaded)
	}
	syncEngine(t, s)
	got := node(t, c.agent, cID, `... on Engagement { state direction channel agent { id } previous { id } messages { edges { node { body sender } } } }`)
	if got["direction"] != "INBOUND" || got["state"] != "CONNECTED" || got["previous"].(map[string]any)["id"] != a.Engagement.ID ||
		got["agent"].(map[string]any)["id"] != c.agentID {
		t.Fatalf("Outlook reply opened %s; want an inbound engagement assigned to the agent (R6), continuing %s", jsonString(got), a.Engagement.ID)
	}

	// Apple Mail answers the agent's answer in it: threads.
	answer := do[struct {
		PostMessage struct {
			Message struct {
				ID       string
				Delivery struct{ ID string }
			}
		}
	}](t, c.agent, `mutation($id: ID!) { postMessage(input: {engagementID: $id, body: "Yes."}) { message { id delivery { id } } } }`, map[string]any{"id": cID})
	sent(answer.PostMessage.Message.Delivery.ID)
	ours3 := ourMessageID(t, c, answer.PostMessage.Message.ID)
	if h := header(mx.messages()[len(mx.messages())-1], "In-Reply-To"); h != outlook {
		t.Errorf("answer in the new conversation replies to %q; want %q", h, outlook)
	}
	apple := "<5F3C2E1A-9B7D-4C21-8E0F-1234567890AB@example.org>"
	if eg, threaded, _ := inbound(replyMail("Ada Lovelace <ada@example.org>", "Re: Your parcel", apple, ours3, outlook+"\r\n "+ours3, "Great, thanks")); !threaded || eg != cID {
		t.Errorf("Apple Mail reply went to %s (threaded %v); want %s", eg, threaded, cID)
	}

	// Someone else answering with our Message-ID is not Ada's conversation;
	// a made-up ID of ours does not verify.
	if eg, threaded, _ := inbound(replyMail("eve@example.net", "Re: Your parcel", "<e1@example.net>", ours3, ours3, "hi")); threaded || eg == cID {
		t.Errorf("a reply from another sender threaded into %s", eg)
	}
	forged := strings.Replace(ours3, ".", ".9", 1)
	if eg, threaded, _ := inbound(replyMail("mallory@example.net", "Re", "<m1@example.net>", forged, forged, "hi")); threaded || eg == cID {
		t.Errorf("a forged ID threaded into %s", eg)
	}
}
