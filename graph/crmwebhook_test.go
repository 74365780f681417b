package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/messaging"
)

// crmReceiver is an external CRM behind a bad network: by request number
// it fails, hangs, or applies a change and then fails (so the change comes
// again); requests about records of a poisoned queue fail while poisoned.
// It keeps the highest version of each record it applied, dropping older
// ones, as the adapter's payload lets a receiver do.
type crmReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	n      int
	poison string
	// latest and status are the applied version and status per record.
	latest       map[string]int
	status       map[string]string
	seen         map[string]bool // record:version already applied once
	duplicates   int
	stale        int
	badSignature int
}

type crmChange struct {
	Event    int
	RecordID string
	Version  int
	Record   struct{ Status, QueueID string }
}

func (r *crmReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts, _ := strconv.ParseInt(req.Header.Get("X-Switchboard-Timestamp"), 10, 64)
	r.mu.Lock()
	r.n++
	n := r.n
	if req.Header.Get("X-Switchboard-Signature") != messaging.Sign(r.secret, ts, body) {
		r.badSignature++
		r.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ch crmChange
	if err := json.Unmarshal(body, &ch); err != nil {
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.Header.Get("Idempotency-Key") != "crm-record-"+ch.RecordID+"-v"+strconv.Itoa(ch.Version) {
		r.t.Errorf("Idempotency-Key %q for record %s version %d", req.Header.Get("Idempotency-Key"), ch.RecordID, ch.Version)
	}
	poisoned := r.poison != "" && ch.Record.QueueID == r.poison
	r.mu.Unlock()
	switch {
	case poisoned || n == 1:
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	case n == 2:
		<-req.Context().Done() // hangs until the adapter gives up on it
		return
	}
	r.mu.Lock()
	key := ch.RecordID + ":" + strconv.Itoa(ch.Version)
	switch {
	case r.seen[key]:
		r.duplicates++
	case ch.Version < r.latest[ch.RecordID]:
		r.stale++
	default:
		r.latest[ch.RecordID], r.status[ch.RecordID] = ch.Version, ch.Record.Status
	}
	r.seen[key] = true
	r.mu.Unlock()
	if n == 3 {
		// Applied, but the answer is lost: the adapter sends it again.
		http.Error(w, "lost answer", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// applied returns what the receiver holds of a record.
func (r *crmReceiver) applied(id string) (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latest[id], r.status[id]
}

// The external CRM adapter: every record change is POSTed, signed, with the
// record's version and the event number; failures, a hang and a lost
// answer are retried with backoff on the fake clock; the receiver ends with
// the latest version of every record. Changes the CRM keeps refusing are
// dead-lettered, and a redrive delivers them.
func TestCRMWebhookSurvivesABadNetwork(t *testing.T) {
	const secret = "crm shared secret"
	c := newCenter(t, func(cfg *app.Config) {
		cfg.CRMWebhookSecret, cfg.CRMWebhookTimeout = secret, 200*time.Millisecond
		cfg.DeliveryAttempts, cfg.DeliveryBackoff = 3, 10*time.Second
	})
	q := c.queue("Support", map[string]any{"acceptMode": "AUTO"})
	poison := c.queue("Poison", map[string]any{"acceptMode": "AUTO"})
	ann := c.agent("Ann", "", q, poison)
	rcv := &crmReceiver{t: t, secret: secret, poison: poison, latest: map[string]int{}, status: map[string]string{}, seen: map[string]bool{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	c.crmSettings(map[string]any{"attachToOpenRecord": true, "webhookURL": srv.URL})

	session := func(queue, phone string) string {
		t.Helper()
		id := c.customerSession("CHAT", queue, phone).ID
		c.settle()
		ann.finish(id)
		return id
	}
	first := session(q, "+15550400001")
	session(q, "+15550400001") // attached: version 2
	other := session(q, "+15550400002")
	recA, recB := c.record(first), c.record(other)
	recA = c.setRecordStatus(recA.ID, "SOLVED")
	bad := c.record(session(poison, "+15550400003"))

	// caughtUp polls, moving the fake clock on so that backoffs pass.
	caughtUp := func(recs ...record) func() bool {
		return func() bool {
			c.s.Clock.Advance(15 * time.Second)
			for _, r := range recs {
				if v, st := rcv.applied(r.ID); v != r.Version || st != r.Status {
					return false
				}
			}
			return true
		}
	}
	eventually(t, "the CRM holds the latest version of every record", caughtUp(recA, recB))

	type deliveries struct {
		CrmDeliveries struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					RecordID, Attempts int
					LastError          string
					DeadLetteredAt     *time.Time
				}
			}
		}
	}
	dead := `{ crmDeliveries(where: {deadLetteredAtNotNil: true}) { totalCount edges { node { recordID attempts lastError deadLetteredAt } } } }`
	eventually(t, "the poisoned record's changes are dead-lettered", func() bool {
		c.s.Clock.Advance(15 * time.Second)
		return do[deliveries](t, c.s.Admin, dead, nil).CrmDeliveries.TotalCount > 0
	})
	// Once nothing waits for another attempt, the change whose answer was
	// lost has come twice.
	eventually(t, "no delivery waits", func() bool {
		c.s.Clock.Advance(15 * time.Second)
		return do[deliveries](t, c.s.Admin, `{ crmDeliveries(where: {nextAttemptAtNotNil: true}) { totalCount } }`, nil).CrmDeliveries.TotalCount == 0
	})
	rcv.mu.Lock()
	if rcv.duplicates == 0 || rcv.badSignature != 0 {
		t.Errorf("receiver saw %d duplicates, %d bad signatures; want the lost answer's change again, no bad signature", rcv.duplicates, rcv.badSignature)
	}
	rcv.mu.Unlock()
	for _, e := range do[deliveries](t, c.s.Admin, dead, nil).CrmDeliveries.Edges {
		if strconv.Itoa(e.Node.RecordID) != bad.ID || e.Node.Attempts != 3 || e.Node.LastError == "" {
			t.Fatalf("dead letter %+v; want record %s after 3 attempts", e.Node, bad.ID)
		}
	}
	if v, _ := rcv.applied(bad.ID); v != 0 {
		t.Fatalf("the poisoned record was applied at version %d", v)
	}
	rcv.mu.Lock()
	rcv.poison = ""
	rcv.mu.Unlock()
	var redrive struct{ RedriveCRMDeliveries struct{ Requeued int } }
	c.must(c.s.Admin, `mutation { redriveCRMDeliveries { requeued } }`, nil, &redrive)
	if redrive.RedriveCRMDeliveries.Requeued == 0 {
		t.Fatal("redrive requeued nothing")
	}
	eventually(t, "the redriven record reaches the CRM", caughtUp(recA, recB, bad))
}
