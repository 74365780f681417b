package app

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/switchboard/switchboard/internal/apperr"
)

// corsAllowedHeaders are the request headers a browser page on an allowed
// origin may send: the credential, the body type, and those Apollo Client
// adds.
const corsAllowedHeaders = "Authorization, Content-Type, Accept, apollo-require-preflight, " +
	"apollographql-client-name, apollographql-client-version, x-apollo-operation-name"

// cors lets browser pages on the origins of -allowed-origins (host
// patterns, as for websockets) call the GraphQL endpoint over HTTP. An
// allowed origin is echoed, never "*", and no credentials mode is granted:
// Switchboard authenticates with bearer tokens, not cookies. A preflight
// from any other origin is refused with 403 and no CORS headers, so the
// browser does not send the request; same-origin requests need none.
func cors(patterns []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || r.Header.Get("Upgrade") != "" {
			// Websocket origins are checked by the websocket accept.
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := originAllowed(origin, r.Host, patterns)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		if !allowed {
			writeError(w, http.StatusForbidden, apperr.New(apperr.Forbidden, "origin %s is not in -allowed-origins", origin))
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", corsAllowedHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// originAllowed reports whether origin is the request's own, or its host
// matches one of patterns (path.Match, case-insensitive, as coder/websocket
// matches websocket origins).
func originAllowed(origin, host string, patterns []string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, p := range patterns {
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); err == nil && ok {
			return true
		}
	}
	return false
}
