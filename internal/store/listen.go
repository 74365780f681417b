package store

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerName is the application_name of the listener's session.
const ListenerName = "switchboard-listener"

// listenWait bounds one wait for a notification; the connection is then
// opened again, which also proves it alive.
const listenWait = 30 * time.Second

// Listen calls heard for every notification on a PostgreSQL channel, and
// after every (re)connect, until ctx ends. It keeps its own connection
// (outside the pool, and direct: a transaction-mode pooler cannot hold a
// LISTEN), reconnecting within about two seconds, with jitter, when it
// drops.
func Listen(ctx context.Context, dsn, channel string, heard func(), log *slog.Logger) {
	for ctx.Err() == nil {
		err := listenOnce(ctx, dsn, channel, heard)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Warn("event listener: connection lost; reconnecting", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(200+rand.IntN(1800)) * time.Millisecond):
		}
	}
}

func listenOnce(ctx context.Context, dsn, channel string, heard func()) error {
	dial, cancel := context.WithTimeout(ctx, 5*time.Second)
	cfg, err := PostgresConfig(dsn)
	if err != nil {
		cancel()
		return err
	}
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(dial, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	heard() // catch up with what was committed while not listening
	for {
		wait, cancel := context.WithTimeout(ctx, listenWait)
		_, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil {
			if ctx.Err() == nil && wait.Err() != nil {
				return nil // quiet for a while: start over on a fresh connection
			}
			return err
		}
		heard()
	}
}
