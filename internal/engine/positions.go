package engine

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/store"
)

// Queue positions of waiting chats (README, "Queue position and expected
// wait") are pushed to the visitors as queue.position events. The
// dispatcher works them out after each round for the queues that events of
// the round touched (an engagement queued, offered, connected or ended
// there; an agent of the queue changing state; a configuration change), and
// appends, in one transaction, an event for each waiting chat whose
// position or estimate changed since the last one it was sent. A round
// with no change writes nothing. A queue's positions are sent at most once
// every PositionInterval: changes within it wait for its end and go
// together. A new leader (or a rebuilt view) starts with no memory, so
// each waiting chat hears its position once more.

// PositionInterval is the least time between two sendings of a queue's
// positions.
const PositionInterval = time.Second

// sentPosition is the last position told to a waiting chat.
type sentPosition struct {
	queueID, position int
	wait              *int
}

func (s sentPosition) same(p Position) bool {
	return s.queueID == p.QueueID && s.position == p.Position &&
		(s.wait == nil) == (p.WaitSeconds == nil) && (s.wait == nil || *s.wait == *p.WaitSeconds)
}

// silentTopics are events that change nothing the dispatcher routes by:
// chat signals and its own queue positions.
var silentTopics = map[string]bool{events.TypingChanged: true, events.MessageRead: true, events.QueuePosition: true}

// markPositions notes the queues whose waiting chats may have moved.
func (d *dispatcher) markPositions(ev *ent.Event) {
	if ev.QueueID != nil {
		d.positionQueues[*ev.QueueID] = true
	}
	if ev.Topic == events.AgentStateChanged && ev.AgentID != nil {
		if a := d.view.Agents[*ev.AgentID]; a != nil {
			for _, q := range a.Queues {
				d.positionQueues[q] = true
			}
		}
	}
}

// pushPositions appends queue.position events for the waiting chats of
// the marked queues whose position or estimate changed.
func (d *dispatcher) pushPositions() {
	if len(d.positionQueues) == 0 {
		return
	}
	var changed []Position
	now := d.e.clock.Now()
	sent := map[int]bool{}
	for _, qid := range slices.Sorted(maps.Keys(d.positionQueues)) {
		if last, ok := d.positionsSent[qid]; ok && now.Before(last.Add(PositionInterval)) {
			d.schedule(timer{at: last.Add(PositionInterval), kind: timerPositions, id: qid})
			continue
		}
		delete(d.positionQueues, qid)
		line, err := d.e.waitingLine(d.ctx, qid, enum.ChannelChat)
		if err != nil {
			d.retry("queue positions", err)
			return
		}
		waiting := map[int]bool{}
		for _, p := range line {
			waiting[p.EngagementID] = true
			if s, ok := d.sentPositions[p.EngagementID]; !ok || !s.same(p) {
				changed = append(changed, p)
				sent[qid] = true
			}
		}
		for id, s := range d.sentPositions {
			if s.queueID == qid && !waiting[id] {
				delete(d.sentPositions, id)
			}
		}
	}
	if len(changed) == 0 {
		return
	}
	// Positions are not urgent: they wait behind others' writes.
	err := d.e.write(store.NotUrgent(d.ctx), func(ctx context.Context, w *writer) error {
		for _, p := range changed {
			// No QueueID: the event concerns the chat, not the queue's
			// figures (queueEvents would refresh for each).
			if err := w.emit(ctx, events.Event{EngagementID: p.EngagementID,
				Payload: events.QueuePositionDetails{Position: p.Position, ExpectedWaitSeconds: p.WaitSeconds}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		d.retry("queue positions", err)
		return
	}
	for _, p := range changed {
		d.sentPositions[p.EngagementID] = sentPosition{queueID: p.QueueID, position: p.Position, wait: p.WaitSeconds}
	}
	for qid := range sent {
		d.positionsSent[qid] = now
	}
}
