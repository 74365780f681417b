package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several instances on one PostgreSQL database run one dispatcher between
// them. The leader holds a session-level advisory lock on a connection of
// its own (outside the pool), pinged every second; the lock goes with the
// connection, so a leader that dies, or whose connection the server drops,
// lets another take over within about two seconds. Every takeover raises an
// epoch, and every write of the dispatcher checks it (Fence): a leader that
// was paused or cut off and has not noticed yet fails instead of racing the
// new one.

// leaderLock is the advisory lock key space of the dispatcher's leadership;
// the key within it is the schema's (hashtext(current_schema())), so
// deployments in different schemas of one database each have a leader.
const leaderLock int32 = 0x5342_4c44

// leadPing is how often the leader proves its connection alive, and how
// often the others try for the lock.
const leadPing = time.Second

// leaderIdle is how long the lock's connection may stay silent before
// PostgreSQL ends it (PostgreSQL 14 and later).
const leaderIdle = 3 * leadPing

// ErrNotLeader says a dispatcher write was refused: another instance leads
// now (a newer epoch).
var ErrNotLeader = errors.New("another instance leads the dispatcher now")

// Lead runs lead(ctx, epoch) while this instance holds the dispatcher's
// leadership, until ctx ends: it waits for the lock, raises the epoch, runs
// lead, and cancels lead's context when the lock's connection fails (then it
// tries again). lead must return when its context ends.
func Lead(ctx context.Context, dsn string, log *slog.Logger, lead func(ctx context.Context, epoch int64)) {
	for ctx.Err() == nil {
		err := leadOnce(ctx, dsn, log, lead)
		if err != nil && ctx.Err() == nil {
			log.Warn("dispatcher leadership: lost or unavailable; trying again", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(leadPing):
		}
	}
}

func leadOnce(ctx context.Context, dsn string, log *slog.Logger, lead func(ctx context.Context, epoch int64)) error {
	cfg, err := PostgresConfig(dsn)
	if err != nil {
		return err
	}
	dial, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(dial, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext(current_schema()))", leaderLock).Scan(&got); err != nil {
			return err
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(leadPing):
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS switchboard_leader (id integer PRIMARY KEY, epoch bigint NOT NULL)`); err != nil {
		return err
	}
	// A leader that is frozen (SIGSTOP, a long GC pause, a VM paused) keeps
	// its connection open but stops pinging: PostgreSQL ends the idle
	// session after leaderIdle, which releases the lock for another. When
	// the old leader wakes up, its next ping fails and the epoch fences
	// whatever it writes before it notices.
	if _, err := conn.Exec(ctx, fmt.Sprintf("SET idle_session_timeout = '%dms'", leaderIdle.Milliseconds())); err != nil {
		return err
	}
	var epoch int64
	err = conn.QueryRow(ctx, `INSERT INTO switchboard_leader (id, epoch) VALUES (1, 1)
		ON CONFLICT (id) DO UPDATE SET epoch = switchboard_leader.epoch + 1 RETURNING epoch`).Scan(&epoch)
	if err != nil {
		return err
	}
	log.Info("this instance leads the dispatcher", "epoch", epoch)
	leading, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leading, epoch)
	}()
	defer func() { stop(); <-done }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(leadPing):
		}
		ping, cancel := context.WithTimeout(ctx, leadPing)
		err := conn.Ping(ping)
		cancel()
		if err != nil {
			return fmt.Errorf("leader connection: %w", err)
		}
	}
}

// Fence fails with ErrNotLeader unless epoch is still the dispatcher's
// epoch. It holds a share lock on the epoch until tx ends, so a takeover
// waits for the write to finish, and the old leader's next write fails.
func Fence(ctx context.Context, tx *Tx, epoch int64) error {
	rows, err := tx.QueryContext(ctx, "SELECT epoch FROM switchboard_leader WHERE id = 1 FOR SHARE")
	if err != nil {
		return err
	}
	defer rows.Close()
	var now sql.NullInt64
	if rows.Next() {
		if err := rows.Scan(&now); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if now.Int64 != epoch {
		return ErrNotLeader
	}
	return nil
}
