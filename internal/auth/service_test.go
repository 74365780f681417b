package auth

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// An unknown email costs a bcrypt comparison at the configured cost, as a
// wrong password does, so response times do not tell which emails exist.
func TestLoginUnknownEmailCostsTheSame(t *testing.T) {
	client, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const cost = bcrypt.MinCost + 1
	s := &Service{Client: client, Writer: store.NewWriter(client, events.NewBus(false), true),
		Clock: clock.NewFake(time.Now()), TokenTTL: time.Hour, BcryptCost: cost,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Bootstrap(context.Background(), " Admin@Example.com ", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, email, password string }{
		{"unknown email", "nobody@example.com", "whatever password"},
		{"wrong password", "admin@example.com", "wrong password!!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := s.Login(context.Background(), tc.email, tc.password)
			if !apperr.Is(err, apperr.Unauthenticated) || err.Error() != errBadLogin.Error() {
				t.Fatalf("err = %v; want the same error for both", err)
			}
		})
	}
	if c, err := bcrypt.Cost(s.dummyHash); err != nil || c != cost {
		t.Fatalf("dummy hash cost %d (%v); want %d", c, err, cost)
	}
	if _, _, _, err := s.Login(context.Background(), "ADMIN@example.com", "correct horse battery"); err != nil {
		t.Fatalf("the bootstrapped admin's email is matched case-insensitively: %v", err)
	}
}
