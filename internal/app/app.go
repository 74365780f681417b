// Package app wires Switchboard together: the store, the services, the
// GraphQL handler and the HTTP routes. server.go and the tests build the
// same App.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/crm"
	"github.com/switchboard/switchboard/internal/engine"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/sessionfile"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/webchat"
	"github.com/switchboard/switchboard/web"
)

// App is a running Switchboard: services and the HTTP handler over them.
type App struct {
	Config Config
	Client *ent.Client
	Auth   *auth.Service
	Admin  *admin.Service
	Bus    *events.Bus
	Engine *engine.Engine
	Outbox *messaging.Outbox
	// CRMWebhook mirrors record changes to an external CRM.
	CRMWebhook *crm.Webhook
	// SessionFiles writes the session metadata files (C9).
	SessionFiles *sessionfile.Store
	// Writer runs every write transaction; /readyz asks it whether the
	// store takes writes.
	Writer *store.Writer
	// WebChat is the visitor's side of web chat.
	WebChat *webchat.Service
	Log     *slog.Logger
	metrics *metrics
	sockets *socketTracker
	guard   *socketGuard
	handler http.Handler
	// metricsHandler serves /metrics: on the API's mux, or on the
	// listener of -metrics-addr (MetricsHandler).
	metricsHandler http.Handler
	// stopShared ends, and shared waits for, what shares the log with other
	// instances on PostgreSQL: the log's follower and its listener.
	stopShared context.CancelFunc
	shared     sync.WaitGroup
}

// New opens the store (migrating it), creates the first admin on an empty
// database, and builds the handler.
func New(ctx context.Context, cfg Config) (*App, error) {
	def := Defaults()
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	// Zero values take the defaults, so embedders set only what they need.
	cfg.TokenTTL = cmp.Or(cfg.TokenTTL, def.TokenTTL)
	cfg.BcryptCost = cmp.Or(cfg.BcryptCost, def.BcryptCost)
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, def.MaxBodyBytes)
	cfg.ComplexityLimit = cmp.Or(cfg.ComplexityLimit, def.ComplexityLimit)
	cfg.TokenLimit = cmp.Or(cfg.TokenLimit, def.TokenLimit)
	cfg.MaxPageSize = cmp.Or(cfg.MaxPageSize, def.MaxPageSize)
	cfg.MaxDepth = cmp.Or(cfg.MaxDepth, def.MaxDepth)
	cfg.MaxFields = cmp.Or(cfg.MaxFields, def.MaxFields)
	cfg.OperationTimeout = cmp.Or(cfg.OperationTimeout, def.OperationTimeout)
	cfg.BodyReadTimeout = cmp.Or(cfg.BodyReadTimeout, def.BodyReadTimeout)
	cfg.DatabaseURL = cmp.Or(cfg.DatabaseURL, def.DatabaseURL)
	cfg.WebsocketPingInterval = cmp.Or(cfg.WebsocketPingInterval, def.WebsocketPingInterval)
	cfg.WebsocketPongTimeout = cmp.Or(cfg.WebsocketPongTimeout, def.WebsocketPongTimeout)
	cfg.WebsocketWriteTimeout = cmp.Or(cfg.WebsocketWriteTimeout, def.WebsocketWriteTimeout)
	if store.IsPostgres(cfg.DatabaseURL) && cfg.WriteGroup != 0 && cfg.WriteGroup != def.WriteGroup {
		// Several writers commit concurrently there: nothing would act on it.
		return nil, fmt.Errorf("-write-group applies to SQLite only: on PostgreSQL each write commits alone")
	}
	sockets := newSocketTracker()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg, sockets)
	client, err := store.OpenWith(ctx, cfg.DatabaseURL, store.Options{Wrap: func(drv dialect.Driver) dialect.Driver {
		if cfg.WrapDriver != nil {
			drv = cfg.WrapDriver(drv)
		}
		return m.timeTransactions(drv)
	}, Migrate: cfg.Migrate, Direct: cfg.DirectURL, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	auth.InstallPolicies(client)
	engine.RememberAgents(client)
	reg.MustRegister(newStateCollector(client, cfg.Clock, cfg.Log))
	a := &App{Config: cfg, Client: client, Log: cfg.Log, sockets: sockets, metrics: m,
		metricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn)})}
	postgres := store.IsPostgres(cfg.DatabaseURL)
	a.Bus = events.NewBus(postgres)
	a.Bus.OnCommit(m.rings.commit)
	// One write path for everything: the engine, configuration, auth and
	// the outbox (store.Writer).
	writer := store.NewWriter(client, a.Bus, !postgres)
	writer.SetGroupActions(cmp.Or(cfg.WriteGroup, def.WriteGroup))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_write_queue",
		Help: "Write actions waiting for the single SQLite writer (0 on PostgreSQL).",
	}, func() float64 { return float64(writer.Queued()) }))
	a.Writer = writer
	a.Auth = &auth.Service{Client: client, Writer: writer, Clock: cfg.Clock, TokenTTL: cfg.TokenTTL, BcryptCost: cfg.BcryptCost, Log: cfg.Log}
	if !postgres {
		// One writer: a revocation is published before its write returns,
		// so HTTP requests may take their login token from a cache it
		// empties. Instances on PostgreSQL hear each other's revocations
		// only as they follow the log, so they read every token.
		a.Auth.CacheTokens(a.Bus)
	}
	a.Admin = &admin.Service{Client: client, Writer: writer, Auth: a.Auth}
	ids, err := messaging.LoadMessageIDs(auth.SystemContext(ctx), client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("load the Message-ID key: %w", err)
	}
	a.Engine = engine.New(engine.Config{Client: client, Bus: a.Bus, Writer: writer, Clock: cfg.Clock, Log: cfg.Log,
		MissedRingsLimit: cfg.MissedRingsLimit, DisconnectGrace: cfg.DisconnectGrace, MediaPriority: cfg.MediaPriority,
		Messaging: engine.Messaging{DigitalChannels: cfg.DigitalChannels, MessageIDs: ids}, Lead: a.leadership(postgres)})
	a.CRMWebhook = crm.NewWebhook(crm.WebhookConfig{Client: client, Writer: writer, Bus: a.Bus, Clock: cfg.Clock, Log: cfg.Log,
		Secret: cfg.CRMWebhookSecret, Timeout: cfg.CRMWebhookTimeout, MaxAttempts: cfg.DeliveryAttempts, Backoff: cfg.DeliveryBackoff})
	limits := webchat.DefaultLimits
	if cfg.WebChatLimits != nil {
		limits = *cfg.WebChatLimits
	}
	a.WebChat = webchat.New(client, a.Engine, cfg.Clock, cfg.PublicURL, limits)
	a.SessionFiles = &sessionfile.Store{Client: client, Bus: a.Bus, Dir: cfg.SessionFilesDir, Log: cfg.Log}
	if a.Outbox, err = newOutbox(cfg, writer); err != nil {
		client.Close()
		return nil, err
	}
	if err := a.Auth.Bootstrap(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		client.Close()
		return nil, fmt.Errorf("create first admin: %w", err)
	}
	if _, err := a.Admin.CRMSetting(auth.SystemContext(ctx)); err != nil {
		client.Close()
		return nil, fmt.Errorf("create CRM settings: %w", err)
	}
	// Databases from before queues stored their menu path get it here,
	// before anything is served, so no read ever has to write it.
	if err := a.Admin.FillMenuPaths(auth.SystemContext(ctx)); err != nil {
		client.Close()
		return nil, fmt.Errorf("fill queue menu paths: %w", err)
	}
	a.guard = newSocketGuard(client, a.Auth, a.Bus, cfg.Clock, cfg.Log)
	a.handler = a.routes()
	a.guard.start()
	if postgres {
		a.shareLog(cmp.Or(cfg.DirectURL, cfg.DatabaseURL))
	}
	a.Engine.Start()
	a.Outbox.Start()
	a.SessionFiles.Start()
	a.CRMWebhook.Start()
	return a, nil
}

// leadership is how this instance takes its turn at running the dispatcher:
// always on SQLite; on PostgreSQL while it holds the leader lock
// (store.Lead).
func (a *App) leadership(postgres bool) func(context.Context, func(context.Context, int64)) {
	if !postgres {
		return nil
	}
	dsn := cmp.Or(a.Config.DirectURL, a.Config.DatabaseURL)
	return func(ctx context.Context, lead func(context.Context, int64)) { store.Lead(ctx, dsn, a.Log, lead) }
}

// shareLog starts what several instances on one PostgreSQL database need to
// hear each other: the event log's follower, which publishes every
// instance's events in sequence order, and the listener that wakes it on
// every commit (events/follow.go).
func (a *App) shareLog(dsn string) {
	ctx, cancel := context.WithCancel(auth.SystemContext(context.Background()))
	a.stopShared = cancel
	a.shared.Go(func() { a.Bus.Follow(ctx, a.Client, time.Second, a.Log) })
	a.shared.Go(func() { store.Listen(ctx, dsn, events.NotifyChannel, a.Bus.Poke, a.Log) })
}

// Handler serves every route: /metrics too unless Config.MetricsAddr is set.
func (a *App) Handler() http.Handler { return a.handler }

// MetricsHandler serves the Prometheus metrics (and the profiler with
// Config.Pprof), for the listener of Config.MetricsAddr.
func (a *App) MetricsHandler() http.Handler {
	if !a.Config.Pprof {
		return a.metricsHandler
	}
	mux := http.NewServeMux()
	mountPprof(mux)
	mux.Handle("/", a.metricsHandler)
	return mux
}

// Shutdown tells websocket clients to reconnect elsewhere (close code 1012,
// "service restart", which clients retry) before the HTTP server drains.
func (a *App) Shutdown(ctx context.Context) {
	a.sockets.closeAll(1012, "server restarting")
}

// Close stops the dispatcher and releases the store.
func (a *App) Close() error {
	a.CRMWebhook.Stop()
	a.SessionFiles.Stop()
	a.Outbox.Stop()
	a.Engine.Stop()
	a.guard.close()
	if a.stopShared != nil {
		a.stopShared()
		a.shared.Wait()
	}
	return a.Client.Close()
}

// routes builds the HTTP mux.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	gql := a.graphqlHandler()
	mux.Handle("/graphql", cors(a.Config.AllowedOrigins, limitBody(a.Config.MaxBodyBytes, withDeadline(a.Config.OperationTimeout, a.Auth.Middleware(gql)))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(auth.SystemContext(r.Context()), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx, a.Client); err != nil {
			a.Log.Warn("readiness check failed", "err", err)
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if err := a.Writer.Ready(ctx); err != nil {
			// A full disk or an I/O error: reads may work, writes do not.
			a.Log.Warn("readiness check failed: the store takes no writes", "err", err)
			http.Error(w, "database takes no writes", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if a.Config.MetricsAddr == "" {
		mux.Handle("GET /metrics", a.metricsHandler)
		if a.Config.Pprof {
			mountPprof(mux)
		}
	}
	(&messaging.Handler{Receiver: a.Engine, Outbox: a.Outbox, MaxBytes: max(a.Config.MaxBodyBytes, 25<<20), Log: a.Log}).
		Routes(mux, a.Auth.Middleware)
	a.mountPlayground(mux)
	// The chat widget a company's site loads with the snippet (chatSnippet).
	mux.Handle("GET /widget.js", web.Widget())
	return boundSlowClients(a.Config.BodyReadTimeout, a.Config.OperationTimeout+responseWriteTime, mux)
}

// responseWriteTime is what an HTTP request's deadline allows, beyond
// its operation's, to write the response.
const responseWriteTime = 10 * time.Second

// newOutbox builds the delivery worker with the providers the
// configuration names.
func newOutbox(cfg Config, w *store.Writer) (*messaging.Outbox, error) {
	providers := map[enum.Channel]messaging.Provider{}
	// An attempt takes at most a few provider timeouts; after the lease a
	// crashed attempt is tried again.
	lease := time.Duration(0)
	if cfg.SMTP.Addr != "" {
		p, err := messaging.NewSMTP(cfg.SMTP)
		if err != nil {
			return nil, err
		}
		providers[enum.ChannelEmail] = p
		lease = max(lease, 4*cfg.SMTP.Timeout)
	}
	if cfg.SMSWebhook.URL != "" {
		hook := cfg.SMSWebhook
		hook.Now = cfg.Clock.Now
		providers[enum.ChannelSMS] = messaging.NewSMSWebhook(hook)
		lease = max(lease, 4*cfg.SMSWebhook.Timeout)
	}
	lease = max(lease, time.Second)
	return messaging.NewOutbox(messaging.OutboxConfig{Client: w.Client, Bus: w.Bus, Writer: w, Clock: cfg.Clock, Log: cfg.Log,
		Providers: providers, MaxAttempts: cfg.DeliveryAttempts, Backoff: cfg.DeliveryBackoff, Lease: lease}), nil
}
