package app

import (
	"net/http"
	"net/http/pprof"
)

// mountPprof serves Go's profiler under /debug/pprof/ (Config.Pprof):
// switchboard bench -cpuprofile takes the server's CPU profile there.
func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
