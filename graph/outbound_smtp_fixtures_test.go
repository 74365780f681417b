package graph_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/switchboard/switchboard/internal/gqlclient"
)

// smtpStep is what the test SMTP server answers to one attempt at a
// recipient: an error at MAIL, RCPT or DATA, or acceptance (nil).
type smtpStep struct {
	at  string // "MAIL", "RCPT" or "DATA"
	err *smtp.SMTPError
}

// mailServer is a real SMTP server (github.com/emersion/go-smtp) in the
// test process. It answers each recipient's attempts from a schedule and
// keeps the messages it accepted.
type mailServer struct {
	addr     string
	mu       sync.Mutex
	schedule map[string][]smtpStep
	accepted []*mail.Message
	raw      [][]byte
}

func startMailServer(t *testing.T) *mailServer {
	t.Helper()
	m := &mailServer{schedule: map[string][]smtpStep{}}
	srv := smtp.NewServer(m)
	srv.Domain = "mx.test"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = l.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return m
}

// answer queues answers for the next attempts at rcpt.
func (m *mailServer) answer(rcpt string, steps ...smtpStep) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.schedule[rcpt] = append(m.schedule[rcpt], steps...)
}

// messages returns the accepted messages.
func (m *mailServer) messages() []*mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*mail.Message(nil), m.accepted...)
}

// NewSession implements smtp.Backend.
func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{srv: m}, nil }

type mailSession struct {
	srv  *mailServer
	rcpt string
	step smtpStep
}

func (s *mailSession) Reset()        { s.rcpt, s.step = "", smtpStep{} }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { return nil }

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	if steps := s.srv.schedule[to]; len(steps) > 0 {
		s.step, s.srv.schedule[to] = steps[0], steps[1:]
	}
	s.srv.mu.Unlock()
	s.rcpt = to
	if s.step.at == "MAIL" || s.step.at == "RCPT" {
		return s.step.err
	}
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.step.at == "DATA" {
		return s.step.err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errors.New("unparsable message")
	}
	s.srv.mu.Lock()
	s.srv.accepted = append(s.srv.accepted, msg)
	s.srv.raw = append(s.srv.raw, raw)
	s.srv.mu.Unlock()
	return nil
}

func smtpErr(code int, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

// deliveryEvent is a delivery.changed event's payload.
type deliveryEvent struct {
	status, errText string
	attempts        int
	deadLettered    bool
}

// awaitDelivery reads agentEvents until a delivery.changed event of
// delivery id satisfies ok, and returns it.
func awaitDelivery(t *testing.T, sub *gqlclient.Subscription, id string, ok func(deliveryEvent) bool) deliveryEvent {
	t.Helper()
	for {
		ev := nextEvent(t, sub, "agentEvents")
		if ev.Topic != "delivery.changed" || ev.Payload["deliveryID"] != id {
			continue
		}
		d := deliveryEvent{status: ev.Payload["status"].(string), attempts: int(ev.Payload["attempts"].(float64)),
			deadLettered: ev.Payload["deadLettered"] == true}
		d.errText, _ = ev.Payload["error"].(string)
		if ok(d) {
			return d
		}
	}
}

// header returns a header of m with folding undone.
func header(m *mail.Message, key string) string {
	return strings.Join(strings.Fields(m.Header.Get(key)), " ")
}

// body returns the decoded text body of a single-part message.
func body(t *testing.T, m *mail.Message) string {
	t.Helper()
	r := m.Body
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}
