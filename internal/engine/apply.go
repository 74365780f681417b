package engine

import (
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/switchboard/switchboard/ent"
)

// engagementFields maps a column of engagements to the index of its field
// in ent.Engagement ("queue_id" -> QueueID).
var engagementFields = sync.OnceValue(func() map[string]int {
	t := reflect.TypeFor[ent.Engagement]()
	out := map[string]int{}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Name != "Edges" {
			out[strings.ToLower(f.Name)] = i
		}
	}
	return out
})

// applied returns eg as a conditional update made with m left it, without
// reading the row back: the update matched eg's id, state and version, so
// the row was eg with m's sets, adds and clears applied (updated_at
// included: ent's builder put it into m). The second result is false when m
// holds something this cannot apply; the caller reads the row then.
func applied(eg *ent.Engagement, m *ent.EngagementMutation) (*ent.Engagement, bool) {
	next := *eg
	next.Edges = ent.EngagementEdges{}
	v := reflect.ValueOf(&next).Elem()
	index := engagementFields()
	field := func(column string) (reflect.Value, bool) {
		i, ok := index[strings.ReplaceAll(column, "_", "")]
		if !ok {
			return reflect.Value{}, false
		}
		return v.Field(i), true
	}
	for _, name := range m.Fields() {
		f, ok := field(name)
		val, set := m.Field(name)
		if !ok || !set {
			return nil, false
		}
		if t, isTime := val.(time.Time); isTime {
			val = t.Round(0) // as read back: no monotonic reading
		}
		rv := reflect.ValueOf(val)
		switch {
		case rv.Type().AssignableTo(f.Type()):
			f.Set(rv)
		case f.Kind() == reflect.Pointer && rv.Type().AssignableTo(f.Type().Elem()):
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(rv)
			f.Set(p)
		default:
			return nil, false
		}
	}
	for _, name := range m.AddedFields() {
		f, ok := field(name)
		val, added := m.AddedField(name)
		if !ok || !added {
			return nil, false
		}
		rv := reflect.ValueOf(val)
		switch {
		case f.CanInt() && rv.CanInt():
			f.SetInt(f.Int() + rv.Int())
		default:
			return nil, false
		}
	}
	for _, name := range m.ClearedFields() {
		f, ok := field(name)
		if !ok {
			return nil, false
		}
		f.SetZero()
	}
	return &next, true
}
