package graph_test

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestEmailContentRules (O6): HTML is sanitised and stored beside the
// text; a multipart mail with Content-ID parts and one with an inline image
// over 15 KB keep only their text, with the reason on the message; a
// subject used in an earlier conversation with the customer is refused.
func TestEmailContentRules(t *testing.T) {
	c := newMessagingCenter(t)
	const boundary = "b1"
	multipart := func(from, subject string, parts ...string) string {
		var b strings.Builder
		b.WriteString("From: " + from + "\r\nTo: " + supportEmail + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\n")
		b.WriteString("Content-Type: multipart/related; boundary=" + boundary + "\r\n\r\n")
		for _, p := range parts {
			b.WriteString("--" + boundary + "\r\n" + p + "\r\n")
		}
		b.WriteString("--" + boundary + "--\r\n")
		return b.String()
	}
	text := "Content-Type: text/plain; charset=utf-8\r\n\r\nSee the picture"
	html := func(img string) string {
		return "Content-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"steal()\">See <b>the</b> picture</p><script>alert(1)</script>" + img
	}
	small := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 1000)))
	large := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 16*1024)))
	cidPart := "Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + small
	const messageQuery = `... on Engagement { messages { edges { node { body html refusedReason } } } }`
	for _, tc := range []struct {
		name, raw, refused, html string
	}{
		{name: "HTML sanitised", raw: multipart("a@example.org", "One", text, html(`<img src="data:image/png;base64,`+small+`">`)),
			html: `<p>See <b>the</b> picture</p>`},
		{name: "Content-ID part", raw: multipart("b@example.org", "Two", text, html(`<img src="cid:logo@x">`), cidPart), refused: "CONTENT_ID_PARTS"},
		{name: "inline image over 15 KB", raw: multipart("c@example.org", "Three", text, html(`<img src="data:image/png;base64,`+large+`">`)), refused: "INLINE_IMAGE_TOO_LARGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := c.post(t, "/messaging/email", "message/rfc822", tc.raw)
			if code != 200 {
				t.Fatalf("answered %d: %v", code, out)
			}
			msgs := node(t, c.s.Admin, out["engagementID"].(string), messageQuery)["messages"].(map[string]any)["edges"].([]any)
			m := msgs[0].(map[string]any)["node"].(map[string]any)
			if m["body"] != "See the picture" || m["refusedReason"] != tc.refused || m["html"] != tc.html {
				t.Errorf("stored %v; want the text, refusedReason %q, html %q", m, tc.refused, tc.html)
			}
		})
	}

	t.Run("subject used before", func(t *testing.T) {
		first := c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "d@example.org", "subject": "Welcome", "body": "x"}).StartOutbound
		do[any](t, c.agent, `mutation($id: ID!) { endEngagement(id: $id) { engagement { id } } }`, map[string]any{"id": first.Engagement.ID})
		do[any](t, c.agent, `mutation($id: ID!) { completeWrapUp(input: {engagementID: $id}) { engagement { id } } }`, map[string]any{"id": first.Engagement.ID})
		expectCodeReason(t, c.agent, "PRECONDITION_FAILED", "SUBJECT_ALREADY_USED", startOutboundMutation,
			map[string]any{"in": map[string]any{"channel": "EMAIL", "to": "d@example.org", "subject": "RE:  welcome ", "body": "x"}})
		c.start(t, c.agent, map[string]any{"channel": "EMAIL", "to": "d@example.org", "subject": "Welcome back", "body": "x"})
	})
}
