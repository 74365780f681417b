package app_test

import (
	"net/http"
	"testing"

	"github.com/switchboard/switchboard/internal/apitest"
)

func TestPlaygroundIsForAdmins(t *testing.T) {
	s := apitest.Start(t)
	apitest.Must(t, s.Admin, `mutation { createAgent(input: {name: "Ann", email: "ann@example.com"}, password: "ann-password-123") { agent { id } } }`, nil, nil)
	get := func(set func(*http.Request)) int {
		req, _ := http.NewRequest(http.MethodGet, s.HTTP.URL+"/playground", nil)
		set(req)
		res, err := s.HTTP.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"anonymous", func(*http.Request) {}, http.StatusUnauthorized},
		{"agent password", func(r *http.Request) { r.SetBasicAuth("ann@example.com", "ann-password-123") }, http.StatusUnauthorized},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(apitest.AdminEmail, "nope") }, http.StatusUnauthorized},
		{"admin password", func(r *http.Request) { r.SetBasicAuth(apitest.AdminEmail, apitest.AdminPassword) }, http.StatusOK},
		{"admin token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+s.Admin.Token) }, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.set); got != tc.want {
				t.Fatalf("GET /playground = %d, want %d", got, tc.want)
			}
		})
	}
}
