package messaging

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/microcosm-cc/bluemonday"
)

// MaxInlineImage is the largest inline image an email may carry (O6); the
// limit is fixed.
const MaxInlineImage = 15 * 1024

// Reasons recorded on an inbound message whose parts were refused (O6).
const (
	RefusedContentID   = "CONTENT_ID_PARTS"
	RefusedInlineImage = "INLINE_IMAGE_TOO_LARGE"
)

// Email is an inbound email, parsed.
type Email struct {
	From       string
	To         []string
	Subject    string
	Text       string
	HTML       string // sanitised; empty when refused or absent
	MessageID  string
	InReplyTo  []string
	References []string
	// Refused names why the HTML and parts were dropped (the text is kept).
	Refused string
}

// ParseEmail parses a raw RFC 5322 message (github.com/jhillyerd/enmime/v2:
// MIME, charsets, encoded words). Multipart mails with Content-ID parts and
// inline images over MaxInlineImage are refused: only their text is kept,
// with the reason. HTML is sanitised (bluemonday's UGC policy).
func ParseEmail(raw []byte) (*Email, error) {
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not a MIME message: %w", err)
	}
	from, err := env.AddressList("From")
	if err != nil || len(from) == 0 {
		return nil, fmt.Errorf("the message has no valid From address")
	}
	e := &Email{
		From: from[0].Address, Subject: strings.TrimSpace(env.GetHeader("Subject")),
		Text: strings.TrimSpace(env.Text), MessageID: strings.TrimSpace(env.GetHeader("Message-ID")),
		InReplyTo: ParseIDList(env.GetHeader("In-Reply-To")), References: ParseIDList(env.GetHeader("References")),
	}
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		if list, err := env.AddressList(key); err == nil {
			for _, a := range list {
				e.To = append(e.To, a.Address)
			}
		}
	}
	switch {
	case hasContentID(env.Root):
		e.Refused = RefusedContentID
	case largeInlineImage(env):
		e.Refused = RefusedInlineImage
	case env.HTML != "":
		e.HTML = bluemonday.UGCPolicy().Sanitize(env.HTML)
	}
	return e, nil
}

// hasContentID reports whether a part of a multipart message has a
// Content-ID header (O6 refuses those).
func hasContentID(p *enmime.Part) bool {
	if p == nil {
		return false
	}
	if p.ContentID != "" && p.Parent != nil {
		return true
	}
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		if hasContentID(c) {
			return true
		}
	}
	return false
}

// dataImage finds inline images embedded in HTML as data: URIs.
var dataImage = regexp.MustCompile(`(?i)src\s*=\s*["']?data:image/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]+)`)

// largeInlineImage reports an inline image over MaxInlineImage: an inline
// image part, or a data: URI in the HTML.
func largeInlineImage(env *enmime.Envelope) bool {
	for _, p := range env.Inlines {
		if strings.HasPrefix(p.ContentType, "image/") && len(p.Content) > MaxInlineImage {
			return true
		}
	}
	for _, m := range dataImage.FindAllStringSubmatch(env.HTML, -1) {
		n, err := io.Copy(io.Discard, base64.NewDecoder(base64.StdEncoding, strings.NewReader(strings.Join(strings.Fields(m[1]), ""))))
		if err != nil || n > MaxInlineImage {
			return true
		}
	}
	return false
}

// Opt-out keywords of SMS (the usual carrier set), matched on the whole
// message, case-insensitively.
var (
	stopWords  = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "STOPP"}
	startWords = []string{"START", "UNSTOP", "YES", "SUBSCRIBE"}
)

// Keyword returns "STOP" or "START" when an SMS body is an opt-out or
// opt-in keyword, else "".
func Keyword(body string) (kind, word string) {
	w := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!"))
	for _, s := range stopWords {
		if w == s {
			return "STOP", w
		}
	}
	for _, s := range startWords {
		if w == s {
			return "START", w
		}
	}
	return "", ""
}

// Inbound is a message from a customer, as a provider delivered it.
type Inbound struct {
	Channel string // "SMS" or "EMAIL"
	From    string
	// To are the addresses it was sent to; the first that is an active
	// entry point of the channel receives it.
	To      []string
	Body    string
	Subject string
	HTML    string
	// MessageID and ThreadIDs (In-Reply-To, then References) are email's.
	MessageID string
	ThreadIDs []string
	Refused   string
}

// Received says what became of an inbound message.
type Received struct {
	EngagementID int
	MessageID    int
	// Threaded: it joined an open conversation; otherwise a new engagement
	// was created (linked to the previous one, when there is one).
	Threaded bool
	// OptOut is STOP or START when the SMS was such a keyword.
	OptOut string
}

// Receiver files inbound messages into conversations (the engine).
type Receiver interface {
	ReceiveMessage(ctx context.Context, in Inbound) (Received, error)
}
