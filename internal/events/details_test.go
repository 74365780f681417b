package events

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/offer"
	"github.com/switchboard/switchboard/ent/schema/enum"
)

// Every Details type stores as a JSON object and reads back as itself.
func TestDetailsRoundTrip(t *testing.T) {
	seven := 7
	cases := []Details{
		OfferCreatedDetails{OfferID: 1, EngagementID: 2, Channel: enum.ChannelChat, Direction: enum.DirectionInbound,
			Deadline: time.Date(2026, 1, 5, 9, 0, 30, 0, time.UTC), Queue: &EventQueue{ID: 3, Name: "Support"},
			Customer: &EventCustomer{ID: 4, Name: "Carla", Emails: []string{"c@example.com"}}, FlowVariables: map[string]any{"order": "A-17"},
			TransferID: &seven},
		OfferEndedDetails{OfferID: 1, State: offer.StateRescinded, Reason: "AGENT_NOT_READY"},
		TransferChangedDetails{SenderWrapUp: "COMPLETED"},
		NoteAddedDetails{NoteID: 9},
	}
	for _, d := range cases {
		m, err := payloadMap(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DetailsOf(&ent.Event{Topic: d.Topic(), Payload: m})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%s: read back %#v; want %#v", d.Topic(), got, d)
		}
	}
	// IDs are strings in the stored object, as GraphQL shows IDs.
	m, _ := payloadMap(OfferEndedDetails{OfferID: 12, State: offer.StateAccepted})
	if m["offerID"] != "12" {
		t.Fatalf("offerID stored as %#v", m["offerID"])
	}
	if d, err := DetailsOf(&ent.Event{Topic: "test.other"}); d != nil || err != nil {
		t.Fatalf("a topic without a type: %v, %v", d, err)
	}
}

// The README's topic table lists exactly the topics with a Details type,
// and for each exactly the keys of its JSON.
func TestReadmeTopicTableMatchesTypes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "| topic | sent to | payload |\n")
	if !ok {
		t.Fatal("README has no topic table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	row := regexp.MustCompile("(?m)^\\| `([a-z_.]+)` \\|[^|]*\\| (.*) \\|$")
	key := regexp.MustCompile("`([a-z][A-Za-z]*)[^`]*`")
	documented := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		var keys []string
		for _, k := range key.FindAllStringSubmatch(m[2], -1) {
			keys = append(keys, k[1])
		}
		slices.Sort(keys)
		documented[m[1]] = keys
	}
	for _, d := range DetailsTypes {
		var keys []string
		typ := reflect.TypeOf(d)
		for i := range typ.NumField() {
			keys = append(keys, strings.Split(typ.Field(i).Tag.Get("json"), ",")[0])
		}
		slices.Sort(keys)
		got, ok := documented[d.Topic()]
		if !ok {
			t.Errorf("README's topic table lacks %s", d.Topic())
			continue
		}
		if !slices.Equal(got, keys) {
			t.Errorf("README lists %s with %v; its type has %v", d.Topic(), got, keys)
		}
		delete(documented, d.Topic())
	}
	for topic := range documented {
		t.Errorf("README lists topic %s, which has no Details type", topic)
	}
}
