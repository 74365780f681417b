package app

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/webchat"
)

// Config is everything the server is told at start. Every field has a flag
// and an environment variable; the README lists them.
type Config struct {
	Addr        string
	DatabaseURL string
	// DirectURL is a session-mode connection to the same PostgreSQL
	// database for migrations, the leader lock and the event listener
	// (store.Options.Direct); Migrate is store.MigrateAuto or MigrateCheck.
	DirectURL      string
	Migrate        string
	AdminEmail     string
	AdminPassword  string
	Dev            bool
	AllowedOrigins []string
	// PublicURL is the server's base URL as browsers reach it, for the
	// web chat snippet (chatSnippet).
	PublicURL       string
	TokenTTL        time.Duration
	BcryptCost      int
	MaxBodyBytes    int64
	ComplexityLimit int
	TokenLimit      int
	MaxPageSize     int
	// MaxDepth and MaxFields bound a document's nesting and its fields
	// with fragments expanded; OperationTimeout bounds a query or mutation.
	MaxDepth         int
	MaxFields        int
	OperationTimeout time.Duration
	// BodyReadTimeout bounds reading a request's body.
	BodyReadTimeout time.Duration
	// WebsocketPingInterval, WebsocketPongTimeout and WebsocketWriteTimeout
	// keep websockets alive and drop the silent and the slow ones
	// (wsoperation.go, wstransport.go).
	WebsocketPingInterval time.Duration
	WebsocketPongTimeout  time.Duration
	WebsocketWriteTimeout time.Duration
	ShutdownTimeout       time.Duration
	// MissedRingsLimit and DisconnectGrace: see engine.Config.
	MissedRingsLimit int
	DisconnectGrace  time.Duration
	// CRMWebhookSecret and CRMWebhookTimeout: see crm.WebhookConfig.
	CRMWebhookSecret  string
	CRMWebhookTimeout time.Duration
	// SessionFilesDir is where session metadata files are written (C9);
	// empty writes none.
	SessionFilesDir string
	// MediaPriority orders channels competing for agents (R2).
	MediaPriority []enum.Channel
	// LogFormat is "text" or "json"; LogLevel the least level logged.
	// NewLogger builds the logger they describe.
	LogFormat string
	LogLevel  slog.Level
	// MetricsAddr, when set, serves /metrics on its own listener instead
	// of the API's.
	MetricsAddr string
	// Pprof serves Go's profiler (net/http/pprof) under /debug/pprof/
	// wherever /metrics is served; switchboard bench -cpuprofile uses it.
	Pprof bool
	// DigitalChannels enables SMS and email conversations (O1).
	DigitalChannels bool
	// SMTP sends email; an empty SMTP.Addr leaves email queued.
	SMTP messaging.SMTPConfig
	// SMSWebhook posts SMS; an empty URL leaves SMS queued.
	SMSWebhook messaging.SMSWebhookConfig
	// WriteGroup bounds the write actions one SQLite transaction takes
	// (store.Writer.SetGroupActions).
	WriteGroup int
	// DeliveryAttempts and DeliveryBackoff: see messaging.OutboxConfig.
	DeliveryAttempts int
	DeliveryBackoff  time.Duration

	// Set by tests and embedders, not by flags.
	Clock clock.Clock
	Log   *slog.Logger
	// WebChatLimits, when set, replaces webchat.DefaultLimits.
	WebChatLimits *webchat.Limits
	// WrapDriver, when set, wraps the database driver (tests count queries).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// option describes one setting: flag name, environment variable, default
// and meaning. The README's configuration table is this list.
type option struct {
	flag, env, def, usage string
	set                   func(c *Config, v string) error
}

func str(dst func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *dst(c) = v; return nil }
}

func integer(dst func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		*dst(c) = n
		return err
	}
}

var options = []option{
	{"addr", "SWITCHBOARD_ADDR", "127.0.0.1:8080", "address to listen on", str(func(c *Config) *string { return &c.Addr })},
	{"db", "SWITCHBOARD_DB", "switchboard.db", "SQLite file (created on first start) or postgres:// URL", str(func(c *Config) *string { return &c.DatabaseURL })},
	{"db-direct", "SWITCHBOARD_DB_DIRECT", "", "PostgreSQL only: a direct (session-mode) postgres:// URL to the same database for migrations, the dispatcher's leader lock and the event listener, when -db goes through a transaction-mode pooler such as PgBouncer; empty uses -db", str(func(c *Config) *string { return &c.DirectURL })},
	{"migrate", "SWITCHBOARD_MIGRATE", "auto", "auto applies pending schema migrations at start; check refuses to start while any are pending (apply them with switchboard migrate)", func(c *Config, v string) error {
		if v != store.MigrateAuto && v != store.MigrateCheck {
			return fmt.Errorf("want auto or check")
		}
		c.Migrate = v
		return nil
	}},
	{"admin-email", "SWITCHBOARD_ADMIN_EMAIL", "admin@localhost", "email of the admin created on an empty database", str(func(c *Config) *string { return &c.AdminEmail })},
	{"admin-password", "SWITCHBOARD_ADMIN_PASSWORD", "", "password of that admin; empty generates one and logs it once", str(func(c *Config) *string { return &c.AdminPassword })},
	{"dev", "SWITCHBOARD_DEV", "false", "development mode: schema introspection open to all, and any role may sign in to the playground", func(c *Config, v string) (err error) { c.Dev, err = strconv.ParseBool(v); return err }},
	{"allowed-origins", "SWITCHBOARD_ALLOWED_ORIGINS", "", "comma-separated browser origins (host patterns such as `localhost:5173` or `*.example.com`) allowed to open websockets and to call /graphql over HTTP (CORS); same-origin is always allowed", func(c *Config, v string) error {
		c.AllowedOrigins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.AllowedOrigins = append(c.AllowedOrigins, o)
			}
		}
		return nil
	}},
	{"public-url", "SWITCHBOARD_PUBLIC_URL", "", "the server's base URL as browsers on the company's sites reach it (`https://chat.example.com`), used in the web chat snippet (chatSnippet); empty uses the scheme and host of the admin's request", func(c *Config, v string) error {
		v = strings.TrimRight(strings.TrimSpace(v), "/")
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q is not an http(s) base URL", v)
			}
		}
		c.PublicURL = v
		return nil
	}},
	{"token-ttl", "SWITCHBOARD_TOKEN_TTL", "12h", "lifetime of login tokens", func(c *Config, v string) (err error) { c.TokenTTL, err = time.ParseDuration(v); return err }},
	{"bcrypt-cost", "SWITCHBOARD_BCRYPT_COST", "12", "bcrypt work factor for passwords", integer(func(c *Config) *int { return &c.BcryptCost })},
	{"max-body-bytes", "SWITCHBOARD_MAX_BODY_BYTES", "1048576", "largest accepted request body", func(c *Config, v string) (err error) { c.MaxBodyBytes, err = strconv.ParseInt(v, 10, 64); return err }},
	{"complexity-limit", "SWITCHBOARD_COMPLEXITY_LIMIT", "50000", "largest accepted operation cost: each field 1, what a connection's edges or nodes select once per item (first/last, or -max-page-size when absent)", integer(func(c *Config) *int { return &c.ComplexityLimit })},
	{"max-depth", "SWITCHBOARD_MAX_DEPTH", "20", "deepest accepted nesting of fields, fragments expanded", integer(func(c *Config) *int { return &c.MaxDepth })},
	{"max-fields", "SWITCHBOARD_MAX_FIELDS", "5000", "most fields an operation may select once its fragment spreads are expanded (checked before validation)", integer(func(c *Config) *int { return &c.MaxFields })},
	{"body-read-timeout", "SWITCHBOARD_BODY_READ_TIMEOUT", "30s", "how long a client may take to send a request body (slow clients are cut off); headers have 10s", func(c *Config, v string) (err error) { c.BodyReadTimeout, err = time.ParseDuration(v); return err }},
	{"ws-ping-interval", "SWITCHBOARD_WS_PING_INTERVAL", "10s", "how often an idle websocket is pinged (graphql-transport-ws ping; graphql-ws \"ka\" and a websocket ping)", positiveDuration(func(c *Config) *time.Duration { return &c.WebsocketPingInterval })},
	{"ws-pong-timeout", "SWITCHBOARD_WS_PONG_TIMEOUT", "10s", "how long a websocket may take to answer a ping before it is closed (1008)", positiveDuration(func(c *Config) *time.Duration { return &c.WebsocketPongTimeout })},
	{"ws-write-timeout", "SWITCHBOARD_WS_WRITE_TIMEOUT", "10s", "how long writing one websocket frame may take before the connection is dropped (a client that stopped reading)", positiveDuration(func(c *Config) *time.Duration { return &c.WebsocketWriteTimeout })},
	{"operation-timeout", "SWITCHBOARD_OPERATION_TIMEOUT", "30s", "deadline of a query or mutation over HTTP; its work also stops when the client goes away", func(c *Config, v string) (err error) { c.OperationTimeout, err = time.ParseDuration(v); return err }},
	{"token-limit", "SWITCHBOARD_TOKEN_LIMIT", "5000", "largest number of tokens in a query document", integer(func(c *Config) *int { return &c.TokenLimit })},
	{"max-page-size", "SWITCHBOARD_MAX_PAGE_SIZE", "100", "largest first/last on connections", integer(func(c *Config) *int { return &c.MaxPageSize })},
	{"missed-rings", "SWITCHBOARD_MISSED_RINGS", "3", "rings an agent may miss in a row before it is set NOT_READY (MISSED); 0 disables", integer(func(c *Config) *int { return &c.MissedRingsLimit })},
	{"media-priority", "SWITCHBOARD_MEDIA_PRIORITY", "VOICE,VIDEO,CHAT,EMAIL,SMS", "comma-separated channels, first served first when engagements of several channels compete for agents", func(c *Config, v string) error {
		c.MediaPriority = nil
		for _, s := range strings.Split(v, ",") {
			var ch enum.Channel
			if err := ch.UnmarshalGQL(strings.TrimSpace(s)); err != nil {
				return err
			}
			if slices.Contains(c.MediaPriority, ch) {
				return fmt.Errorf("%s is listed twice", ch)
			}
			c.MediaPriority = append(c.MediaPriority, ch)
		}
		return nil
	}},
	{"session-files", "SWITCHBOARD_SESSION_FILES", "", "directory for the session metadata files (one JSON document per ended session, `Engagement.metadataFile`); empty writes none", str(func(c *Config) *string { return &c.SessionFilesDir })},
	{"disconnect-grace", "SWITCHBOARD_DISCONNECT_GRACE", "60s", "how long an agent may lose its connection before it is logged out and its chats requeued", func(c *Config, v string) (err error) { c.DisconnectGrace, err = time.ParseDuration(v); return err }},
	{"log-format", "SWITCHBOARD_LOG_FORMAT", "text", "log format: `text` (key=value) or `json` (one object a line)", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("%q is neither text nor json", v)
		}
		c.LogFormat = v
		return nil
	}},
	{"log-level", "SWITCHBOARD_LOG_LEVEL", "info", "least level logged: `debug`, `info`, `warn` or `error`", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{"metrics-addr", "SWITCHBOARD_METRICS_ADDR", "", "address of a separate listener for /metrics (Prometheus); empty serves it on -addr", str(func(c *Config) *string { return &c.MetricsAddr })},
	{"pprof", "SWITCHBOARD_PPROF", "false", "serve Go's profiler under /debug/pprof/ wherever /metrics is served (for load tests; it exposes the process's internals)", func(c *Config, v string) (err error) { c.Pprof, err = strconv.ParseBool(v); return err }},
	{"digital-channels", "SWITCHBOARD_DIGITAL_CHANNELS", "true", "SMS and email conversations: agents may start them (startOutbound) and the inbound endpoints take messages", func(c *Config, v string) (err error) { c.DigitalChannels, err = strconv.ParseBool(v); return err }},
	{"smtp-addr", "SWITCHBOARD_SMTP_ADDR", "", "host:port of the SMTP server that sends email; empty keeps outgoing email queued", str(func(c *Config) *string { return &c.SMTP.Addr })},
	{"smtp-username", "SWITCHBOARD_SMTP_USERNAME", "", "SMTP AUTH user name; empty sends without authentication", str(func(c *Config) *string { return &c.SMTP.Username })},
	{"smtp-password", "SWITCHBOARD_SMTP_PASSWORD", "", "SMTP AUTH password", str(func(c *Config) *string { return &c.SMTP.Password })},
	{"smtp-tls", "SWITCHBOARD_SMTP_TLS", "starttls", "starttls (required), opportunistic, tls (implicit, port 465) or none", str(func(c *Config) *string { return &c.SMTP.TLS })},
	{"smtp-timeout", "SWITCHBOARD_SMTP_TIMEOUT", "10s", "bound on dialling the SMTP server and on each SMTP exchange", func(c *Config, v string) (err error) { c.SMTP.Timeout, err = time.ParseDuration(v); return err }},
	{"sms-webhook-url", "SWITCHBOARD_SMS_WEBHOOK_URL", "", "URL of the SMS gateway that outgoing SMS are POSTed to (signed JSON); empty keeps outgoing SMS queued", str(func(c *Config) *string { return &c.SMSWebhook.URL })},
	{"sms-webhook-secret", "SWITCHBOARD_SMS_WEBHOOK_SECRET", "", "shared secret of the HMAC-SHA256 signature of each SMS webhook request", str(func(c *Config) *string { return &c.SMSWebhook.Secret })},
	{"sms-webhook-timeout", "SWITCHBOARD_SMS_WEBHOOK_TIMEOUT", "10s", "bound on each SMS webhook request", func(c *Config, v string) (err error) { c.SMSWebhook.Timeout, err = time.ParseDuration(v); return err }},
	{"crm-webhook-secret", "SWITCHBOARD_CRM_WEBHOOK_SECRET", "", "shared secret of the HMAC-SHA256 signature of each request to the external CRM's webhook (crmSettings.webhookURL)", str(func(c *Config) *string { return &c.CRMWebhookSecret })},
	{"crm-webhook-timeout", "SWITCHBOARD_CRM_WEBHOOK_TIMEOUT", "10s", "bound on each request to the external CRM's webhook", func(c *Config, v string) (err error) { c.CRMWebhookTimeout, err = time.ParseDuration(v); return err }},
	{"delivery-attempts", "SWITCHBOARD_DELIVERY_ATTEMPTS", "5", "hand-overs of a message to its provider (or of a record change to the CRM webhook) tried before it is dead-lettered", integer(func(c *Config) *int { return &c.DeliveryAttempts })},
	{"delivery-backoff", "SWITCHBOARD_DELIVERY_BACKOFF", "30s", "wait before the second attempt; doubled for each further one (at most 1h), jittered by ±50%", func(c *Config, v string) (err error) { c.DeliveryBackoff, err = time.ParseDuration(v); return err }},
	{"write-group", "SWITCHBOARD_WRITE_GROUP", strconv.Itoa(store.DefaultGroupActions), "SQLite only: most write actions (mutations, the dispatcher's passes) committed together in one transaction, each in its own savepoint; 1 commits each alone. A PostgreSQL server refuses any other value than the default: there each write commits alone", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err == nil && n < 1 {
			err = fmt.Errorf("%d is less than 1", n)
		}
		c.WriteGroup = n
		return err
	}},
	{"shutdown-timeout", "SWITCHBOARD_SHUTDOWN_TIMEOUT", "10s", "how long shutdown waits for requests to finish", func(c *Config, v string) (err error) { c.ShutdownTimeout, err = time.ParseDuration(v); return err }},
}

// NewLogger returns the logger that LogFormat and LogLevel describe,
// writing to w.
func (c Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Defaults returns the configuration with every default applied.
func Defaults() Config {
	var c Config
	for _, o := range options {
		if err := o.set(&c, o.def); err != nil {
			panic(fmt.Sprintf("default of -%s: %v", o.flag, err))
		}
	}
	return c
}

// LoadConfig reads flags, falling back to environment variables, then defaults.
func LoadConfig(args []string, getenv func(string) string) (Config, error) {
	return ParseConfig(flag.NewFlagSet("switchboard", flag.ContinueOnError), args, getenv)
}

// ParseConfig is LoadConfig on a flag set the caller made, so that it
// chooses the usage text, the output and what an error does.
func ParseConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Defaults()
	for _, o := range options {
		def := o.def
		if v := getenv(o.env); v != "" {
			def = v
		}
		if err := o.set(&c, def); err != nil {
			return c, fmt.Errorf("%s=%q: %w", o.env, def, err)
		}
		usage := fmt.Sprintf("%s (env %s, default %q)", o.usage, o.env, o.def)
		set := func(v string) error { return o.set(&c, v) }
		if o.def == "true" || o.def == "false" {
			fs.BoolFunc(o.flag, usage, set)
		} else {
			fs.Func(o.flag, usage, set)
		}
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, nil
}

// ConfigTable renders the options as the README's Markdown table.
func ConfigTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, o := range options {
		def := "`" + o.def + "`"
		if o.def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `-%s` | `%s` | %s | %s |\n", o.flag, o.env, def, o.usage)
	}
	return b.String()
}

// positiveDuration parses a duration that must be above zero.
func positiveDuration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = fmt.Errorf("must be positive")
		}
		*field(c) = d
		return err
	}
}
