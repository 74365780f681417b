// Command switchboard runs the Switchboard contact-center server.
//
//	switchboard [serve] [flags]  serve GraphQL on -addr
//	switchboard demo [flags]     load the demo contact center into -db, then exit
//	switchboard migrate [flags]  apply the pending schema migrations to -db, then exit
//	switchboard bench [flags]    measure a server under load (see internal/bench)
//	switchboard version          print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/bench"
	"github.com/switchboard/switchboard/internal/demo"
	"github.com/switchboard/switchboard/internal/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usage is what -h, help and a mistyped command print.
const usage = `usage:
  switchboard [serve] [flags]   serve GraphQL on -addr (the default command)
  switchboard demo [flags]      load the demo contact center into -db, then exit
  switchboard migrate [flags]   apply the pending schema migrations to -db, then exit
  switchboard bench [flags]     measure a server under load (switchboard bench -h)
  switchboard version           print the version
  switchboard help              print this text

flags of serve, demo and migrate (each also read from its environment variable):
`

// run runs one command and returns the process's exit code: 0, 1 when the
// command failed, 2 for a command line that is not understood.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("switchboard "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve", "demo", "migrate":
	case "version":
		fmt.Fprintln(stdout, version())
		return 0
	case "help":
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	case "bench":
		if err := bench.Main(ctx, args, stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "switchboard bench:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n\n", cmd)
		fs.Usage()
		return 2
	}
	cfg, err := app.ParseConfig(fs, args, os.Getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		// The flag package has printed the error and the usage.
		return 2
	}
	log := cfg.NewLogger(stderr)
	// Libraries logging through the standard log package (gqlgen's
	// websocket upgrade failures) go through the same handler.
	slog.SetDefault(log)
	if err := start(ctx, cmd, cfg, log); err != nil {
		log.Error("switchboard failed", "err", err)
		return 1
	}
	return 0
}

// start opens the app and runs cmd (serve or demo) on it, or migrates the
// database (migrate).
func start(ctx context.Context, cmd string, cfg app.Config, log *slog.Logger) error {
	cfg.Log = log
	if cmd == "migrate" {
		applied, err := store.Migrate(ctx, cfg.DatabaseURL, cfg.DirectURL, log)
		if err == nil && len(applied) == 0 {
			log.Info("the database is up to date")
		}
		return err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if cmd == "demo" {
		return demo.Load(ctx, a.Admin, log)
	}
	return serve(ctx, a)
}

// version names the build: the module version (a tag when installed with
// go install, "(devel)" for a source tree), the commit when the build
// recorded it, and the Go release.
func version() string {
	v := "switchboard (devel)"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = "switchboard " + info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value
			}
		}
	}
	return v + " " + runtime.Version()
}

func serve(ctx context.Context, a *app.App) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	// Bodies and responses have their own per-request deadlines (the
	// handler sets them, sparing websockets); headers and idle keep-alive
	// connections are bounded here.
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	if a.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.Config.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := &http.Server{Handler: a.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
		a.Log.Info("metrics are served apart", "metrics", "http://"+mln.Addr().String()+"/metrics")
	}
	base := "http://" + ln.Addr().String()
	a.Log.Info("switchboard is serving",
		"graphql", base+"/graphql",
		"websocket", "ws://"+ln.Addr().String()+"/graphql",
		"playground", base+"/playground",
		"database", a.Config.DatabaseURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	a.Shutdown(shutCtx)
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
