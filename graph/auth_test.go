package graph_test

import (
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestAuthentication(t *testing.T) {
	s := apitest.Start(t)
	anon := s.Client("")
	apitest.ExpectCode(t, anon, "UNAUTHENTICATED", `{ queues { totalCount } }`, nil)
	apitest.ExpectCode(t, anon, "UNAUTHENTICATED", `mutation { login(email: "admin@example.com", password: "wrong password!") { token } }`, nil)
	apitest.ExpectCode(t, s.Client("sbt_forged"), "UNAUTHENTICATED", `{ me { id } }`, nil)

	var me struct{ Me struct{ Email, Role string } }
	apitest.Must(t, s.Admin, `{ me { email role } }`, nil, &me)
	if me.Me.Email != apitest.AdminEmail || me.Me.Role != "ADMIN" {
		t.Fatalf("me = %+v", me.Me)
	}
}
