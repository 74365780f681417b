package messaging

import (
	"context"
	"errors"
)

// Outgoing is one message handed to a provider.
type Outgoing struct {
	// ID is stable across attempts (the delivery's ID): providers and
	// receivers use it to recognise a retry of a message they already took.
	ID      string
	From    string
	To      string
	Subject string
	Body    string
	// Email only: our Message-ID and the thread it answers.
	MessageID  string
	InReplyTo  string
	References []string
}

// Provider hands messages of one channel to the outside world.
type Provider interface {
	// Send delivers m or fails; it returns the provider's id for m when
	// it has one. An error wrapped by Permanent is not retried.
	Send(ctx context.Context, m Outgoing) (providerID string, err error)
}

// PermanentError is a refusal that retrying will not change (an SMTP 5xx
// reply, an HTTP 4xx answer).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
