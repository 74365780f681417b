package engine

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/store"
)

// The row applied computes from a conditional update is the row SQLite
// holds after it, field by field, through sets, adds and clears.
func TestAppliedEqualsTheRowReadBack(t *testing.T) {
	ctx := context.Background()
	client, err := store.Open(ctx, filepath.Join(t.TempDir(), "apply.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	eg := client.Engagement.Create().SetChannel(enum.ChannelChat).SetQueuedAt(now).SetCreatedAt(now).
		SetFlowVariables(map[string]any{"order": "A-1"}).SetBotSummary("refund").SaveX(ctx)
	agentID := client.Agent.Create().SetName("Ann").SetEmail("ann@example.com").SaveX(ctx).ID
	steps := []struct {
		to  engagement.State
		set func(m *ent.EngagementMutation)
	}{
		{engagement.StateOffered, nil},
		{engagement.StateConnected, func(m *ent.EngagementMutation) {
			m.SetAgentID(agentID)
			m.SetConnectedAt(now.Add(2 * time.Second))
			m.SetTimerStartedAt(now.Add(2 * time.Second))
			m.AddWaitMs(2000)
			m.ClearReleasedByID()
			m.SetFrontOfQueue(false)
		}},
		{engagement.StateWrapUp, func(m *ent.EngagementMutation) {
			m.AddHandleMs(90_000)
			m.ResetTimerStartedAt()
			m.SetTimerStartedAt(now.Add(92 * time.Second))
			m.SetEndedAt(now.Add(92 * time.Second))
			m.SetWrapUpDeadline(now.Add(152 * time.Second))
			m.SetFlowVariables(map[string]any{"order": "A-1", "refunded": true})
		}},
		{engagement.StateClosed, func(m *ent.EngagementMutation) {
			m.ClearTimerStartedAt()
			m.ClearWrapUpDeadline()
			m.AddWrapUpMs(5000)
			m.SetClosedAt(now.Add(97 * time.Second))
		}},
	}
	for _, step := range steps {
		tx, err := client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		u := tx.Engagement.Update().Where(engagement.ID(eg.ID), engagement.Version(eg.Version), engagement.StateEQ(eg.State)).
			SetState(step.to).AddVersion(1)
		if step.set != nil {
			step.set(u.Mutation())
		}
		if n := u.SaveX(ctx); n != 1 {
			t.Fatalf("%s: %d rows updated", step.to, n)
		}
		got, ok := applied(eg, u.Mutation())
		if !ok {
			t.Fatalf("%s: applied could not apply the mutation", step.to)
		}
		want := tx.Engagement.GetX(ctx, eg.ID)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		sameRow(t, string(step.to), got, want)
		eg = want.Unwrap()
	}
}

// sameRow compares the exported fields of two engagements, times by
// instant.
func sameRow(t *testing.T, step string, got, want *ent.Engagement) {
	t.Helper()
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range g.NumField() {
		f := g.Type().Field(i)
		if !f.IsExported() || f.Name == "Edges" {
			continue
		}
		a, b := g.Field(i).Interface(), w.Field(i).Interface()
		switch a := a.(type) {
		case time.Time:
			if !a.Equal(b.(time.Time)) {
				t.Errorf("%s: %s = %v; the row has %v", step, f.Name, a, b)
			}
			continue
		case *time.Time:
			b := b.(*time.Time)
			if (a == nil) != (b == nil) || (a != nil && !a.Equal(*b)) {
				t.Errorf("%s: %s = %v; the row has %v", step, f.Name, a, b)
			}
			continue
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %s = %#v; the row has %#v", step, f.Name, a, b)
		}
	}
}
