package app

import (
	"net/http"
	"strings"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/web"
)

// mountPlayground serves GraphiQL at /playground. Outside development mode
// the page is for admins: the browser asks for an admin's email and password
// (HTTP Basic), or a request may carry an admin's bearer token. The assets
// are public library files and need no check. Without assets the server
// still runs and says so.
func (a *App) mountPlayground(mux *http.ServeMux) {
	h, err := web.Playground("/graphql", "/graphql")
	if err != nil {
		a.Log.Warn("the playground is unavailable", "err", err)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "playground unavailable: "+err.Error(), http.StatusNotFound)
		})
	}
	page := h
	if !a.Config.Dev {
		page = a.adminOnly(h)
	}
	mux.Handle("/playground", page)
	mux.Handle("/playground/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/playground/assets/") {
			h.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	}))
}

// adminOnly lets through requests from an admin: a bearer token, or HTTP
// Basic credentials checked like login.
func (a *App) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		role := enum.Role("")
		if email, password, ok := r.BasicAuth(); ok {
			if ag, err := a.Auth.CheckPassword(ctx, email, password); err == nil {
				role = ag.Role
			}
		} else if v, err := a.Auth.Authenticate(ctx, r.Header.Get("Authorization")); err == nil && v != nil {
			role = v.Role
		}
		if role != enum.RoleAdmin {
			w.Header().Set("WWW-Authenticate", `Basic realm="Switchboard playground (admins)", charset="UTF-8"`)
			http.Error(w, "the playground is for admins: sign in with an admin's email and password", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
