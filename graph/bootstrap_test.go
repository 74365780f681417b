package graph_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// TestAdminPasswordOnExistingDatabase: the admin password applies to an
// empty database only; given again, it is ignored with a warning, and the
// admin keeps the password it has.
func TestAdminPasswordOnExistingDatabase(t *testing.T) {
	logs := &syncBuffer{}
	s := apitest.Start(t, func(c *app.Config) { c.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	if strings.Contains(logs.String(), "is ignored") {
		t.Fatalf("warned on an empty database:\n%s", logs)
	}
	apitest.Restart(t, s)
	if !strings.Contains(logs.String(), `level=WARN msg="the admin password given (-admin-password or SWITCHBOARD_ADMIN_PASSWORD) is ignored`) {
		t.Fatalf("no warning for the ignored password:\n%s", logs)
	}
	s.Login(t, apitest.AdminEmail, apitest.AdminPassword)
}
