package live

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/lifecycle"
)

// MaxQueuesPerSubscription bounds the queueIDs of one queueEvents
// subscription.
const MaxQueuesPerSubscription = 100

// QueueStats is a queue's live figures (GraphQL QueueStats).
type QueueStats struct {
	// Sequence is the last event taken into account.
	Sequence string     `json:"sequence"`
	Queue    *ent.Queue `json:"queue"`
	// Waiting counts engagements QUEUED or OFFERED in the queue.
	Waiting int `json:"waiting"`
	// LongestWaitSeconds is how long the oldest of them has waited.
	LongestWaitSeconds int `json:"longestWaitSeconds"`
	// AgentsAvailable counts member agents in state AVAILABLE.
	AgentsAvailable int `json:"agentsAvailable"`
	// AgentsBusy counts member agents holding an engagement that is
	// CONNECTED, in WRAP_UP, TRANSFERRING or PARKED.
	AgentsBusy int `json:"agentsBusy"`
}

// Engagement states that count as waiting, and as keeping an agent busy.
var (
	waitingStates = lifecycle.BeforeConnection
	busyStates    = lifecycle.WithAgent
)

// QueueEvents streams the figures of queues: one snapshot per queue at
// once, then a fresh one for each queue an event concerns (an event of the
// queue, or a state change of one of its agents). Snapshots of one queue
// are at least QueueStatsInterval apart; changes in between coalesce.
// Callers must be staff (the @auth directive checks it).
func (s *Service) QueueEvents(ctx context.Context, queueIDs []int) (<-chan *QueueStats, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(queueIDs)))
	switch {
	case len(ids) == 0:
		return nil, apperr.Invalid("queueIDs", "give at least one queue")
	case len(ids) > MaxQueuesPerSubscription:
		return nil, apperr.New(apperr.LimitExceeded, "at most %d queues per subscription", MaxQueuesPerSubscription).WithField("queueIDs")
	}
	if err := overWebsocket(ctx); err != nil {
		return nil, err
	}
	queues, err := s.Client.Queue.Query().Where(queue.IDIn(ids...)).All(auth.SystemContext(ctx))
	if err != nil {
		return nil, err
	}
	if len(queues) != len(ids) {
		return nil, apperr.New(apperr.NotFound, "no queue with one of these IDs").WithField("queueIDs")
	}
	out := make(chan *QueueStats)
	go func() {
		defer close(out)
		s.finish(ctx, "queueEvents", s.followQueues(ctx, queues, out))
	}()
	return out, nil
}

// queueWatch is the state of one queueEvents subscription.
type queueWatch struct {
	queues map[int]*ent.Queue
	// last is the newest event considered.
	last int
	// dirty are the queues whose figures may have changed since sent.
	dirty map[int]bool
	// agents changed state since the last snapshot; their queues are dirty.
	agents map[int]bool
}

// followQueues runs one queueEvents subscription until ctx ends. A
// subscriber the bus drops for falling behind subscribes again and sends
// every queue afresh: figures are state, nothing is lost by skipping.
func (s *Service) followQueues(ctx context.Context, queues []*ent.Queue, out chan<- *QueueStats) error {
	sys := auth.SystemContext(ctx)
	w := &queueWatch{queues: map[int]*ent.Queue{}, agents: map[int]bool{}}
	for _, q := range queues {
		w.queues[q.ID] = q
	}
	interval := s.QueueStatsInterval
	if interval <= 0 {
		interval = DefaultQueueStatsInterval
	}
	var sub *events.Subscriber
	defer func() { s.Bus.Unsubscribe(sub) }()
	resubscribe := func() error {
		if sub != nil {
			s.Bus.Unsubscribe(sub)
		}
		// Subscribe before reading, so no change falls in between.
		sub = s.Bus.Subscribe(events.Key{Kind: events.All}, events.BufferSize)
		last, err := events.Latest(sys, s.Client)
		w.last = max(w.last, last)
		w.dirty = map[int]bool{}
		for id := range w.queues {
			w.dirty[id] = true
		}
		return err
	}
	if err := resubscribe(); err != nil {
		return err
	}
	var next time.Time // the earliest wall-clock time of the next snapshots
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if len(w.dirty) > 0 || len(w.agents) > 0 {
			if wait := time.Until(next); wait > 0 {
				timer.Reset(wait)
			} else {
				if err := s.sendQueueStats(ctx, w, out); err != nil {
					return err
				}
				next = time.Now().Add(interval)
				continue
			}
		}
		select {
		case e := <-sub.C:
			w.consider(e)
		case <-sub.Dropped:
			if err := resubscribe(); err != nil {
				return err
			}
		case <-timer.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// chatSignals are topics that change no queue's figures: a snapshot's
// sequence stays that of the last event that could.
var chatSignals = map[string]bool{events.TypingChanged: true, events.MessageRead: true, events.QueuePosition: true}

// consider marks what event e may have changed.
func (w *queueWatch) consider(e *ent.Event) {
	if e.ID <= w.last || chatSignals[e.Topic] {
		return
	}
	w.last = e.ID
	if e.QueueID != nil && w.queues[*e.QueueID] != nil {
		w.dirty[*e.QueueID] = true
	}
	if e.Topic == events.AgentStateChanged && e.AgentID != nil {
		w.agents[*e.AgentID] = true
	}
}

// sendQueueStats computes and sends the figures of the dirty queues.
func (s *Service) sendQueueStats(ctx context.Context, w *queueWatch, out chan<- *QueueStats) error {
	sys := auth.SystemContext(ctx)
	if len(w.agents) > 0 {
		ids := make([]int, 0, len(w.queues))
		for id := range w.queues {
			ids = append(ids, id)
		}
		agents := make([]int, 0, len(w.agents))
		for id := range w.agents {
			agents = append(agents, id)
		}
		theirs, err := s.Client.Queue.Query().Where(queue.IDIn(ids...), queue.HasAgentsWith(agent.IDIn(agents...))).IDs(sys)
		if err != nil {
			return err
		}
		for _, id := range theirs {
			w.dirty[id] = true
		}
		clear(w.agents)
	}
	ids := make([]int, 0, len(w.dirty))
	for id := range w.dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		st, err := s.queueStats(sys, w.queues[id])
		if err != nil {
			return err
		}
		st.Sequence = strconv.Itoa(w.last)
		if !send(ctx, out, st) {
			return nil
		}
		delete(w.dirty, id)
	}
	return nil
}

// queueStats computes the figures of q now.
func (s *Service) queueStats(ctx context.Context, q *ent.Queue) (*QueueStats, error) {
	st := &QueueStats{Queue: q}
	waiting := s.Client.Engagement.Query().Where(engagement.QueueID(q.ID), engagement.StateIn(waitingStates...))
	var err error
	if st.Waiting, err = waiting.Clone().Count(ctx); err != nil {
		return nil, err
	}
	oldest, err := waiting.Where(engagement.QueuedAtNotNil()).Order(ent.Asc(engagement.FieldQueuedAt)).
		Select(engagement.FieldQueuedAt).First(ctx)
	switch {
	case err == nil:
		st.LongestWaitSeconds = max(0, int(s.Clock.Now().Sub(*oldest.QueuedAt)/time.Second))
	case !ent.IsNotFound(err):
		return nil, err
	}
	members := s.Client.Agent.Query().Where(agent.HasQueuesWith(queue.ID(q.ID)))
	if st.AgentsAvailable, err = members.Clone().Where(agent.StateEQ(agent.StateAvailable)).Count(ctx); err != nil {
		return nil, err
	}
	if st.AgentsBusy, err = members.Where(agent.HasEngagementsWith(engagement.StateIn(busyStates...))).Count(ctx); err != nil {
		return nil, err
	}
	return st, nil
}
