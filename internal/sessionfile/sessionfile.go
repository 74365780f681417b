// Package sessionfile writes the session metadata file (SPEC C9): one JSON
// document per session, written to a directory as soon as the session is
// over (CLOSED after its wrap-up or post-session part, or ABANDONED). The
// document is built from the engagement and its event log, so it can be
// rebuilt at any time and comes out the same; it is written atomically
// (temporary file, fsync, rename), so a reader never sees half of one.
package sessionfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/crmrecord"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/event"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// FormatVersion is the version of the document's format.
const FormatVersion = 1

// Document is the session metadata file. IDs are strings, as in the API.
type Document struct {
	Version      int            `json:"version"`
	EngagementID string         `json:"engagementID"`
	Channel      string         `json:"channel"`
	Direction    string         `json:"direction"`
	SessionType  string         `json:"sessionType"`
	State        string         `json:"state"`
	Queue        *Ref           `json:"queue"`
	MenuPath     string         `json:"menuPath"`
	Language     string         `json:"language"`
	Customer     *Ref           `json:"customer"`
	Started      time.Time      `json:"startedAt"`
	Connected    *time.Time     `json:"connectedAt"`
	Ended        *time.Time     `json:"endedAt"`
	Closed       *time.Time     `json:"closedAt"`
	Durations    Durations      `json:"durations"`
	Participants []Participant  `json:"participants"`
	Transfers    []Transfer     `json:"transfers"`
	Dispositions []string       `json:"dispositions"`
	Parameters   map[string]any `json:"dataParameters"`
	PostSession  *PostSession   `json:"postSession"`
	CRMRecordID  *string        `json:"crmRecordID"`
	Timeline     []Step         `json:"timeline"`
}

// Ref names an entity.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Durations are the session's times in milliseconds.
type Durations struct {
	WaitMs   int64 `json:"waitMs"`
	HandleMs int64 `json:"handleMs"`
	WrapUpMs int64 `json:"wrapUpMs"`
}

// Participant is an agent or virtual agent the session was with.
type Participant struct {
	Kind string `json:"kind"` // AGENT or VIRTUAL_AGENT
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Transfer is one transfer of the session, as it ended.
type Transfer struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	FromAgentID string `json:"fromAgentID,omitempty"`
	ToQueueID   string `json:"toQueueID,omitempty"`
	ToAgentID   string `json:"toAgentID,omitempty"`
}

// PostSession is the virtual agent's part.
type PostSession struct {
	VirtualAgentID string         `json:"virtualAgentID"`
	Status         string         `json:"status"`
	Reason         string         `json:"reason"`
	Result         map[string]any `json:"result"`
}

// Step is one state transition from the event log.
type Step struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
}

// Store builds, writes and reads the files of a directory.
type Store struct {
	Client *ent.Client
	Bus    *events.Bus
	// Dir is where the files go, one <engagement ID>.json per session;
	// empty turns session files off.
	Dir string
	Log *slog.Logger

	stop, done chan struct{}
	sub        *events.Subscriber
	// mu guards seen, the last event the writer handled, and moved,
	// closed whenever seen moves on (Sync waits on it).
	mu    sync.Mutex
	seen  int
	moved chan struct{}
}

// Path is the file of a session.
func (s *Store) Path(engagementID int) string {
	return filepath.Join(s.Dir, strconv.Itoa(engagementID)+".json")
}

// Build builds the document of a session from the engagement and its event
// log.
func Build(ctx context.Context, client *ent.Client, id int) (*Document, error) {
	ctx = auth.SystemContext(ctx)
	eg, err := client.Engagement.Query().Where(engagement.ID(id)).WithQueue().WithCustomer().WithDispositions().
		WithVirtualAgent().Only(ctx)
	if err != nil {
		return nil, err
	}
	d := &Document{Version: FormatVersion, EngagementID: strconv.Itoa(eg.ID), Channel: string(eg.Channel),
		Direction: string(eg.Direction), SessionType: string(eg.SessionType), State: string(eg.State),
		MenuPath: eg.MenuPath, Language: eg.Language, Started: eg.CreatedAt.UTC(),
		Connected: utc(eg.ConnectedAt), Ended: utc(eg.EndedAt), Closed: utc(eg.ClosedAt),
		Durations:    Durations{WaitMs: eg.WaitMs, HandleMs: eg.HandleMs, WrapUpMs: eg.WrapUpMs},
		Participants: []Participant{}, Transfers: []Transfer{}, Dispositions: []string{}, Timeline: []Step{}}
	if q := eg.Edges.Queue; q != nil {
		d.Queue = &Ref{ID: strconv.Itoa(q.ID), Name: q.Name}
	}
	if c := eg.Edges.Customer; c != nil {
		d.Customer = &Ref{ID: strconv.Itoa(c.ID), Name: c.Name}
	}
	for _, r := range eg.Edges.Dispositions {
		d.Dispositions = append(d.Dispositions, r.Code)
	}
	if ri := eg.PostSessionRecordIn; ri != nil && (*ri == engagement.PostSessionRecordInMetadata || *ri == engagement.PostSessionRecordInBoth) {
		d.Parameters = eg.PostSessionParameters
	}
	if eg.PostSessionStatus != nil {
		d.PostSession = &PostSession{VirtualAgentID: strconv.Itoa(deref(eg.VirtualAgentID)), Status: string(*eg.PostSessionStatus),
			Reason: eg.PostSessionReason, Result: eg.PostSessionResult}
	}
	rec, err := client.Engagement.QueryRecords(eg).Order(ent.Desc(crmrecord.FieldID)).First(ctx)
	switch {
	case err == nil:
		rid := strconv.Itoa(rec.ID)
		d.CRMRecordID = &rid
	case !ent.IsNotFound(err):
		return nil, err
	}
	if err := fromLog(ctx, client, eg, d); err != nil {
		return nil, err
	}
	return d, nil
}

// fromLog adds what the event log tells: the transitions, the agents who
// had the session, its transfers.
func fromLog(ctx context.Context, client *ent.Client, eg *ent.Engagement, d *Document) error {
	evs, err := client.Event.Query().Where(event.EngagementID(eg.ID),
		event.TopicIn(events.EngagementStateChanged, events.TransferChanged)).Order(ent.Asc(event.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	var agents []int
	transfers := map[string]int{}
	for _, e := range evs {
		det, err := events.DetailsOf(e)
		if err != nil {
			return err
		}
		switch det := det.(type) {
		case events.EngagementStateChangedDetails:
			d.Timeline = append(d.Timeline, Step{At: e.CreatedAt.UTC(), From: string(det.From), To: string(det.To), Reason: det.Reason, Actor: actor(e)})
			if det.To == engagement.StateConnected && e.AgentID != nil && !seen[*e.AgentID] {
				seen[*e.AgentID] = true
				agents = append(agents, *e.AgentID)
			}
		case events.TransferChangedDetails:
			if det.TransferID == nil || det.State == nil {
				continue
			}
			t := Transfer{ID: strconv.Itoa(*det.TransferID), State: string(*det.State), FromAgentID: idOf(det.FromAgentID),
				ToQueueID: idOf(det.ToQueueID), ToAgentID: idOf(det.ToAgentID)}
			if i, ok := transfers[t.ID]; ok {
				d.Transfers[i] = t
				continue
			}
			transfers[t.ID] = len(d.Transfers)
			d.Transfers = append(d.Transfers, t)
		}
	}
	for _, id := range agents {
		a, err := client.Agent.Get(ctx, id)
		if err != nil {
			return err
		}
		d.Participants = append(d.Participants, Participant{Kind: "AGENT", ID: strconv.Itoa(a.ID), Name: a.Name})
	}
	if va := eg.Edges.VirtualAgent; va != nil {
		d.Participants = append(d.Participants, Participant{Kind: "VIRTUAL_AGENT", ID: strconv.Itoa(va.ID), Name: va.Name})
	}
	return nil
}

func actor(e *ent.Event) string {
	switch e.ActorKind {
	case event.ActorKindAGENT:
		return "AGENT " + strconv.Itoa(deref(e.ActorID))
	case event.ActorKindAPI_KEY:
		return "API_KEY " + strconv.Itoa(deref(e.ActorAPIKeyID))
	case event.ActorKindSYSTEM:
		return "SYSTEM " + e.ActorReason
	}
	return string(e.ActorKind)
}

// Marshal is the file's bytes: indented JSON and a final newline.
func Marshal(d *Document) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Write builds the document of a session and writes it atomically: a
// temporary file in the same directory, synced, then renamed over the
// file, and the directory synced.
func (s *Store) Write(ctx context.Context, id int) error {
	d, err := Build(ctx, s.Client, id)
	if err != nil {
		return err
	}
	b, err := Marshal(d)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".session-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up a failure
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.Path(id)); err != nil {
		return err
	}
	dir, err := os.Open(s.Dir)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// Read returns the file of a session, writing it first when the session is
// over and the file is not there yet (the writer may not have reached it).
// A session not over has no file yet: PRECONDITION_FAILED, reason
// SESSION_NOT_OVER.
func (s *Store) Read(ctx context.Context, eg *ent.Engagement) ([]byte, error) {
	if s == nil || s.Dir == "" {
		return nil, apperr.New(apperr.PreconditionFailed, "session metadata files are off (-session-files)").WithReason("SESSION_FILES_OFF")
	}
	if !lifecycle.Is(eg.State, lifecycle.Terminal) {
		return nil, apperr.New(apperr.PreconditionFailed, "engagement %d is %s; its metadata file is written when it is over", eg.ID, eg.State).
			WithReason("SESSION_NOT_OVER")
	}
	b, err := os.ReadFile(s.Path(eg.ID))
	if errors.Is(err, os.ErrNotExist) {
		if err := s.Write(ctx, eg.ID); err != nil {
			return nil, err
		}
		b, err = os.ReadFile(s.Path(eg.ID))
	}
	return b, err
}

// Start runs the writer: every session that ends gets its file once the
// transaction that ended it has committed.
func (s *Store) Start() {
	if s.Dir == "" {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	s.moved = make(chan struct{})
	s.sub = s.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
	go s.run()
}

// Stop stops the writer and waits for a write in flight.
func (s *Store) Stop() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.Bus.Unsubscribe(s.sub)
	s.stop = nil
}

func (s *Store) run() {
	defer close(s.done)
	ctx := auth.SystemContext(context.Background())
	for {
		select {
		case <-s.stop:
			return
		case <-s.sub.Dropped:
			// Fell behind: a session whose file is missing is written when
			// it is read (Read); resubscribe for the next ones.
			s.Log.Warn("session files: the writer fell behind; missing files are written when read")
			s.Bus.Unsubscribe(s.sub)
			s.sub = s.Bus.Subscribe(events.Key{Kind: events.All}, 1024)
		case e := <-s.sub.C:
			s.handle(ctx, e)
			s.mu.Lock()
			s.seen = max(s.seen, e.ID)
			close(s.moved)
			s.moved = make(chan struct{})
			s.mu.Unlock()
		}
	}
}

// handle writes the file of the session an event ends.
func (s *Store) handle(ctx context.Context, e *ent.Event) {
	if e.Topic != events.EngagementStateChanged || e.EngagementID == nil {
		return
	}
	if to, _ := e.Payload["to"].(string); !lifecycle.Is(engagement.State(to), lifecycle.Terminal) {
		return
	}
	if err := s.Write(ctx, *e.EngagementID); err != nil {
		s.Log.Error("session files: writing", "engagement", *e.EngagementID, "err", fmt.Sprint(err))
	}
}

// Sync waits until the writer has handled every event committed before
// the call: the files of sessions ended by then are written.
func (s *Store) Sync(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	latest, err := events.Latest(auth.SystemContext(ctx), s.Client)
	if err != nil {
		return err
	}
	for {
		s.mu.Lock()
		seen, moved := s.seen, s.moved
		s.mu.Unlock()
		if seen >= latest {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func idOf(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
