package messaging

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Headers of the SMS webhook request.
const (
	// HeaderTimestamp carries the Unix time the request was signed at.
	HeaderTimestamp = "X-Switchboard-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, under the shared
	// secret, of the timestamp, a dot and the raw body.
	HeaderSignature = "X-Switchboard-Signature"
	// HeaderIdempotencyKey is the same on every attempt of one message.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// SMSWebhookConfig says where SMS are posted.
type SMSWebhookConfig struct {
	URL    string
	Secret string
	// Timeout bounds each request.
	Timeout time.Duration
	// Now signs requests; the wall clock when nil.
	Now func() time.Time
}

// SMSWebhook hands SMS to a gateway by HTTP POST of a signed JSON body.
type SMSWebhook struct {
	cfg    SMSWebhookConfig
	client *http.Client
}

// SMSRequest is the JSON body posted for each SMS.
type SMSRequest struct {
	ID   string `json:"id"`
	From string `json:"from"`
	To   string `json:"to"`
	Body string `json:"body"`
}

// NewSMSWebhook returns the provider.
func NewSMSWebhook(cfg SMSWebhookConfig) *SMSWebhook {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SMSWebhook{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}}
}

// Sign returns the signature header value of body at timestamp ts.
func Sign(secret string, ts int64, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(h, "%d.", ts)
	h.Write(body)
	return "v1=" + hex.EncodeToString(h.Sum(nil))
}

// Send posts m. A 2xx answer is success (its JSON "id", if any, is the
// provider's id); 408, 429 and 5xx answers and transport errors are
// retried; other answers are permanent.
func (p *SMSWebhook) Send(ctx context.Context, m Outgoing) (string, error) {
	body, err := json.Marshal(SMSRequest{ID: m.ID, From: m.From, To: m.To, Body: m.Body})
	if err != nil {
		return "", Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", Permanent(err)
	}
	ts := p.cfg.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(p.cfg.Secret, ts, body))
	req.Header.Set(HeaderIdempotencyKey, m.ID)
	res, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		var out struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(answer, &out)
		return out.ID, nil
	case res.StatusCode == http.StatusRequestTimeout || res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return "", fmt.Errorf("sms gateway answered %s: %s", res.Status, bytes.TrimSpace(answer))
	default:
		return "", Permanent(fmt.Errorf("sms gateway refused the message: %s: %s", res.Status, bytes.TrimSpace(answer)))
	}
}
