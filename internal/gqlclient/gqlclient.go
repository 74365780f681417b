// Package gqlclient is Switchboard's own GraphQL client: queries and
// mutations over HTTP, subscriptions over websocket (graphql-transport-ws).
// Tests, the load generator and tools use it.
package gqlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error is one GraphQL error.
type Error struct {
	Message    string   `json:"message"`
	Path       []any    `json:"path,omitempty"`
	Extensions ErrorExt `json:"extensions"`
}

// ErrorExt carries Switchboard's error classification.
type ErrorExt struct {
	Code   string `json:"code"`
	Reason string `json:"reason,omitempty"`
	Field  string `json:"field,omitempty"`
	// RetryAfter is the seconds to wait before trying again, when given.
	RetryAfter int `json:"retryAfter,omitempty"`
	// NextOpening is when a closed web chat opens (RFC 3339), when known.
	NextOpening string `json:"nextOpening,omitempty"`
}

// Errors is the error list of a response.
type Errors []Error

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = fmt.Sprintf("%s (%s)", err.Message, err.Extensions.Code)
	}
	return strings.Join(msgs, "; ")
}

// Response is a GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors Errors          `json:"errors"`
}

// Client talks to one endpoint with one credential.
type Client struct {
	URL   string // http(s)://host/graphql
	Token string
	HTTP  *http.Client
}

// Do sends a query or mutation and returns the whole response.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out Response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode response (HTTP %d): %w", res.StatusCode, err)
	}
	return &out, nil
}

// Run sends a query or mutation, fails on any GraphQL error, and decodes
// data into out (when not nil).
func (c *Client) Run(ctx context.Context, query string, vars map[string]any, out any) error {
	res, err := c.Do(ctx, query, vars)
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return res.Errors
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res.Data, out)
}
