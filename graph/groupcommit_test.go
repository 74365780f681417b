package graph_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/switchboard/switchboard/internal/apitest"
	"github.com/switchboard/switchboard/internal/store"
)

// Concurrent mutations on SQLite share transactions (docs/rules.md W7): a
// mutation the database refuses (an email already taken) answers CONFLICT
// and rolls back alone, and every other mutation of its transaction is
// stored and answers success. The writer is held until all of them wait
// for it, so that they commit in groups.
func TestConcurrentMutationsFailAlone(t *testing.T) {
	s := apitest.Start(t)
	const create = `mutation($in: CreateAgentInput!) { createAgent(input: $in) { agent { email } } }`
	createAgent(t, s, map[string]any{"name": "Taken", "email": "taken@example.com"})
	const innocent, guilty = 40, 12

	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.App.Writer.Do(context.Background(), func(context.Context, *store.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held

	codes := make([]string, innocent+guilty)
	var wg sync.WaitGroup
	for i := range codes {
		email := "taken@example.com"
		if i < innocent {
			email = fmt.Sprintf("agent%d@example.com", i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Admin.Do(context.Background(), create, map[string]any{"in": map[string]any{"name": "A", "email": email}})
			switch {
			case err != nil:
				codes[i] = "TRANSPORT: " + err.Error()
			case len(res.Errors) > 0:
				codes[i] = res.Errors[0].Extensions.Code
			}
		}()
	}
	// Every mutation waits for the writer (a condition, polled).
	for deadline := time.Now().Add(10 * time.Second); s.App.Writer.Queued() < len(codes); {
		if time.Now().After(deadline) {
			t.Fatalf("%d mutations wait for the writer, want %d", s.App.Writer.Queued(), len(codes))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	for i, code := range codes {
		if want := map[bool]string{true: "", false: "CONFLICT"}[i < innocent]; code != want {
			t.Fatalf("mutation %d answered %q, want %q (innocent ones succeed, the taken email is refused)", i, code, want)
		}
	}
	out := do[struct {
		Agents struct {
			Edges []struct{ Node struct{ Email string } }
		}
	}](t, s.Admin, `{ agents(first: 100) { edges { node { email } } } }`, nil)
	var listed []string
	for _, e := range out.Agents.Edges {
		listed = append(listed, e.Node.Email)
	}
	sort.Strings(listed)
	if len(listed) != innocent+2 { // and the admin and Taken
		t.Fatalf("stored agents %v, want the %d new ones, the admin and Taken", listed, innocent)
	}
}
