package graph_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/sessionfile"
)

// C9: a chat that is transferred, wrapped up with a disposition and handed
// to a survey bot gets one metadata file when its post-session part ends.
// The writer puts it in the directory after the commit; the API serves the
// same bytes; rebuilding it from the engagement and its event log gives
// the same bytes again; and it matches the golden file (IDs masked).
func TestSessionMetadataFileGolden(t *testing.T) {
	c := newCenter(t)
	q := c.queue("Web chat", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q)
	ben := c.agent("Ben", "", q)
	reason := createNode(t, c.s.Admin, "wrapUpReason", "wrapUpReason", map[string]any{"code": "RESOLVED", "label": "Resolved"})
	survey := c.virtualAgent("Survey bot", "CHAT")
	c.postSessionSetting(map[string]any{"channel": "CHAT", "enabled": true, "virtualAgentID": survey.id, "recordIn": "METADATA",
		"dataParameters": []map[string]any{{"name": "survey", "value": "csat"}, {"name": "queue", "field": "queueName"}}})
	ben.setState("NOT_READY", "")

	chat := c.createWith(map[string]any{"channel": "CHAT", "queueID": q, "language": "en", "customer": map[string]any{"name": "Carla"}})
	c.settle()
	metadata := `query($id: ID!) { node(id: $id) { ... on Engagement { metadataFile } } }`
	expectError(t, c.s.Admin, "PRECONDITION_FAILED", "SESSION_NOT_OVER", metadata, map[string]any{"id": chat.ID})
	c.advance(30 * time.Second)
	c.postAsCustomer(chat.CustomerToken, chat.ID, 1)
	ben.setState("AVAILABLE", "")
	_, state := ann.transfer(chat.ID, "", ben.id)
	ben.accept(ben.ring().ID)
	if state != "PENDING" {
		t.Fatalf("transfer %s", state)
	}
	c.must(ann.Client, `mutation($in: CompleteWrapUpInput!) { completeWrapUp(input: $in) { engagement { id } } }`,
		map[string]any{"in": map[string]any{"engagementID": chat.ID}}, nil)
	c.advance(2 * time.Minute)
	ben.end(chat.ID)
	c.advance(15 * time.Second)
	ben.wrapUp(chat.ID, reason)
	survey.take(chat.ID)
	c.postAsCustomerBody(chat.CustomerToken, chat.ID, "very satisfied")
	survey.end(chat.ID, map[string]any{"satisfaction": "very satisfied"})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.s.App.SessionFiles.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	path := c.s.App.SessionFiles.Path(intID(t, chat.ID))
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the writer wrote no file: %v", err)
	}
	var out struct{ Node struct{ MetadataFile string } }
	c.must(c.s.Admin, metadata, map[string]any{"id": chat.ID}, &out)
	if out.Node.MetadataFile != string(written) {
		t.Fatalf("the API serves\n%s\nthe file is\n%s", out.Node.MetadataFile, written)
	}
	doc, err := sessionfile.Build(ctx, c.s.App.Client, intID(t, chat.ID))
	if err != nil {
		t.Fatal(err)
	}
	rebuilt, err := sessionfile.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rebuilt, written) {
		t.Fatalf("rebuilt from the event log\n%s\nwritten\n%s", rebuilt, written)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".session-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	masked := regexp.MustCompile(`"[0-9]+"`).ReplaceAll(written, []byte(`"<id>"`))
	masked = regexp.MustCompile(`(AGENT|API_KEY) [0-9]+`).ReplaceAll(masked, []byte(`$1 <id>`))
	golden := filepath.Join("testdata", "session_metadata.golden.json")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, masked, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(masked, want) {
		t.Fatalf("metadata file\n%s\nwant (%s)\n%s", masked, golden, want)
	}

	// An abandoned session has its file too.
	gone := c.create("CHAT", c.queue("Nobody", nil))
	c.hangUp(gone)
	c.must(c.s.Admin, metadata, map[string]any{"id": gone}, &out)
	if !bytes.Contains([]byte(out.Node.MetadataFile), []byte(`"state": "ABANDONED"`)) {
		t.Fatalf("abandoned session file %s", out.Node.MetadataFile)
	}
}
