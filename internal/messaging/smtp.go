package messaging

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPConfig says how to reach the mail server that sends email.
type SMTPConfig struct {
	// Addr is host:port.
	Addr     string
	Username string
	Password string
	// TLS is "starttls" (required), "opportunistic", "tls" (implicit TLS,
	// port 465 style) or "none".
	TLS string
	// Timeout bounds dialling and each SMTP exchange.
	Timeout time.Duration
	// HELO is the name given in HELO/EHLO; empty uses go-mail's default.
	HELO string
}

// SMTP sends email through an SMTP server (github.com/wneessen/go-mail).
type SMTP struct {
	cfg  SMTPConfig
	host string
	port int
}

// NewSMTP checks cfg and returns the provider.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("smtp port %q: %w", portStr, err)
	}
	switch cfg.TLS {
	case "starttls", "opportunistic", "tls", "none":
	default:
		return nil, fmt.Errorf("smtp TLS mode %q: use starttls, opportunistic, tls or none", cfg.TLS)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &SMTP{cfg: cfg, host: host, port: port}, nil
}

// Message builds the MIME message of m: what the customer receives.
func (s *SMTP) Message(m Outgoing) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return nil, Permanent(fmt.Errorf("from %q: %w", m.From, err))
	}
	if err := msg.To(m.To); err != nil {
		return nil, Permanent(fmt.Errorf("to %q: %w", m.To, err))
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(strings.Trim(m.MessageID, "<>"))
	}
	if m.InReplyTo != "" {
		msg.SetGenHeaderPreformatted(mail.HeaderInReplyTo, m.InReplyTo)
	}
	if len(m.References) > 0 {
		msg.SetGenHeaderPreformatted(mail.HeaderReferences, strings.Join(m.References, " "))
	}
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	return msg, nil
}

// Send delivers m over one SMTP session. A 5xx reply is permanent; a 4xx
// reply or a connection problem is worth retrying.
func (s *SMTP) Send(ctx context.Context, m Outgoing) (string, error) {
	msg, err := s.Message(m)
	if err != nil {
		return "", err
	}
	opts := []mail.Option{mail.WithPort(s.port), mail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(s.cfg.HELO))
	}
	c, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return "", Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*s.cfg.Timeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 {
			return "", Permanent(err)
		}
		return "", err
	}
	return m.MessageID, nil
}
