// Package messaging carries SMS and email between Switchboard and the
// outside world: address normalisation, message templates, signed email
// Message-IDs, the Provider interface with its SMTP and SMS-webhook
// implementations, the outbox worker that delivers queued messages after
// their transaction commits, and the parsing of inbound messages.
package messaging

import (
	"net/mail"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
)

// NormalizePhone returns a phone number given with its country code
// (+49 30 1234567, 0049…) in E.164 form (+49301234567), or a VALIDATION
// error on field.
func NormalizePhone(field, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !strings.HasPrefix(s, "+") {
		return "", apperr.Invalid(field, "give the number with its country code, such as +4930123456 (got %q)", raw)
	}
	n, err := phonenumbers.Parse(s, "ZZ")
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return "", apperr.Invalid(field, "%q is not a phone number", raw)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// NormalizeEmail returns the bare, lower-cased address of raw (which may be
// "Name <addr>"), or a VALIDATION error on field.
func NormalizeEmail(field, raw string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(raw))
	if err != nil || !strings.Contains(a.Address, "@") {
		return "", apperr.Invalid(field, "%q is not an email address", raw)
	}
	return strings.ToLower(a.Address), nil
}

// NormalizeAddress normalises a customer address of an SMS or EMAIL channel.
func NormalizeAddress(ch enum.Channel, field, raw string) (string, error) {
	switch ch {
	case enum.ChannelSMS:
		return NormalizePhone(field, raw)
	case enum.ChannelEmail:
		return NormalizeEmail(field, raw)
	}
	return "", apperr.Invalid("channel", "outbound conversations are SMS or EMAIL, not %s", ch)
}
