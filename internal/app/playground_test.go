package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/app"
)

// The playground page is static and public: it holds no data, and signs in
// through the login mutation. It tells the script whether only admins may
// sign in: outside development mode, where introspection is for admins.
func TestPlaygroundPage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dev        bool
		adminsOnly string
	}{
		{"production", false, `data-admins-only="true"`},
		{"development", true, `data-admins-only="false"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := apitest.Start(t, func(c *app.Config) { c.Dev = tc.dev })
			res, err := s.HTTP.Client().Get(s.HTTP.URL + "/playground")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			page, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != http.StatusOK || res.Header.Get("WWW-Authenticate") != "" {
				t.Fatalf("GET /playground: status %d, WWW-Authenticate %q; want 200 and no challenge",
					res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
			for _, want := range []string{`id="signin"`, `data-endpoint="/graphql"`, tc.adminsOnly} {
				if !strings.Contains(string(page), want) {
					t.Errorf("page lacks %s", want)
				}
			}
		})
	}
}
