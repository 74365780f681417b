// Package demo loads a small contact center to try Switchboard with.
package demo

import (
	"context"
	"log/slog"

	"github.com/switchboard/switchboard/internal/admin"
)

// Load creates the demo data set.
func Load(ctx context.Context, s *admin.Service, log *slog.Logger) error {
	return nil
}
