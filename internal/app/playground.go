package app

import (
	"net/http"

	"github.com/switchboard/switchboard/web"
)

// mountPlayground serves GraphiQL at /playground. The page itself is static
// and holds nothing secret: it signs in with an email and password through
// the login mutation and then sends that bearer token with every request,
// so what the playground may see is what the API grants the token (outside
// development mode introspection is for admins, and the page refuses other
// roles). Without assets the server still runs and says so.
func (a *App) mountPlayground(mux *http.ServeMux) {
	h, err := web.Playground("/graphql", "/graphql", !a.Config.Dev)
	if err != nil {
		a.Log.Warn("the playground is unavailable", "err", err)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "playground unavailable: "+err.Error(), http.StatusNotFound)
		})
	}
	mux.Handle("/playground", h)
	mux.Handle("/playground/", h)
}
