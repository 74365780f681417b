package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/gqlclient"
)

// agentPassword is every generated agent's password.
const agentPassword = "bench-agent-password"

// requestTimeout bounds every request of the generator.
const requestTimeout = 30 * time.Second

// site is a server the generator drives: its endpoint, an admin client and
// an integration client (API key with scope ENGAGEMENTS).
type site struct {
	url   string
	http  *http.Client
	admin *gqlclient.Client
	integ *gqlclient.Client
	errs  *errorCounts
	// run makes names and emails unique, so runs can share a database.
	run string
	// spread are the endpoints the agents are spread over (-targets):
	// instances of one deployment; empty means url alone.
	spread []string
}

func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4096
	t.MaxIdleConnsPerHost = 4096
	t.IdleConnTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}

// openSite logs in as the admin and creates the integration's API key.
func openSite(ctx context.Context, url, email, password string, errs *errorCounts) (*site, error) {
	s := &site{url: url, http: newHTTPClient(), errs: errs, run: fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffff)}
	token, err := s.login(ctx, email, password)
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	s.admin = s.client(token)
	var key struct{ CreateAPIKey struct{ Secret string } }
	if err := s.do(ctx, s.admin, "createAPIKey", `mutation($n: String!) { createAPIKey(input: {name: $n, scopes: [ENGAGEMENTS]}) { secret } }`,
		map[string]any{"n": "bench " + s.run}, &key); err != nil {
		return nil, err
	}
	s.integ = s.client(key.CreateAPIKey.Secret)
	return s, nil
}

func (s *site) client(token string) *gqlclient.Client {
	return &gqlclient.Client{URL: s.url, Token: token, HTTP: s.http}
}

// do runs one operation with the generator's timeout, counting a failure
// by its code.
func (s *site) do(ctx context.Context, c *gqlclient.Client, op, query string, vars map[string]any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	return s.errs.add(op, c.Run(ctx, query, vars, out))
}

func (s *site) login(ctx context.Context, email, password string) (string, error) {
	var out struct{ Login struct{ Token string } }
	err := s.do(ctx, s.client(""), "login", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password}, &out)
	return out.Login.Token, err
}

// createQueues creates one MANUAL queue per channel of the mix.
func (s *site) createQueues(ctx context.Context, channels []ChannelWeight) (map[enum.Channel]string, error) {
	ids := map[enum.Channel]string{}
	for _, cw := range channels {
		if _, ok := ids[cw.Channel]; ok {
			continue
		}
		var out struct {
			CreateQueue struct{ Queue struct{ ID string } }
		}
		err := s.do(ctx, s.admin, "createQueue", `mutation($n: String!, $c: Channel!) {
			createQueue(input: {name: $n, channels: [$c], acceptMode: MANUAL, ringTimeoutSeconds: 120}) { queue { id } } }`,
			map[string]any{"n": fmt.Sprintf("bench %s %s", s.run, cw.Channel), "c": cw.Channel}, &out)
		if err != nil {
			return nil, err
		}
		ids[cw.Channel] = out.CreateQueue.Queue.ID
	}
	return ids, nil
}

// createAgents creates n agents, members of queues, and logs them in.
func (s *site) createAgents(ctx context.Context, group string, n, workers int, queues []string) ([]*simAgent, error) {
	agents := make([]*simAgent, n)
	err := forEach(ctx, n, workers, func(i int) error {
		email := fmt.Sprintf("%s-%s-%d@bench.example", group, s.run, i)
		var out struct {
			CreateAgent struct{ Agent struct{ ID string } }
		}
		err := s.do(ctx, s.admin, "createAgent", `mutation($n: String!, $e: String!, $q: [ID!], $p: String) {
			createAgent(input: {name: $n, email: $e, queueIDs: $q}, password: $p) { agent { id } } }`,
			map[string]any{"n": fmt.Sprintf("Bench %s %d", group, i), "e": email, "q": queues, "p": agentPassword}, &out)
		if err != nil {
			return err
		}
		token, err := s.login(ctx, email, agentPassword)
		if err != nil {
			return err
		}
		c := s.client(token)
		if len(s.spread) > 0 {
			c.URL = s.spread[i%len(s.spread)]
		}
		agents[i] = &simAgent{site: s, id: out.CreateAgent.Agent.ID, c: c, available: make(chan struct{})}
		return nil
	})
	return agents, err
}

// forEach runs fn(0..n-1) on workers goroutines; it stops at the first
// error and returns it.
func forEach(ctx context.Context, n, workers int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
