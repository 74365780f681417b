// Command switchboard runs the Switchboard contact-center server.
//
//	switchboard [flags]          serve GraphQL on -addr
//	switchboard demo [flags]     load the demo contact center into -db, then exit
//	switchboard bench [flags]    measure a server under load (see internal/bench)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/bench"
	"github.com/switchboard/switchboard/internal/demo"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("switchboard failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 && args[0] == "bench" {
		return bench.Main(ctx, args[1:], os.Stdout, os.Stderr)
	}
	cmd := "serve"
	if len(args) > 0 && (args[0] == "demo" || args[0] == "serve") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := app.LoadConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	cfg.Log = log
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

func serve(ctx context.Context, a *app.App) error {
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
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
