package messaging

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/ent/delivery"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
)

// Handler serves the providers' endpoints, for API keys with scope
// MESSAGING:
//
//	POST /messaging/sms     an inbound SMS: form fields From, To, Body (Twilio's names) or JSON {"from","to","body"}
//	POST /messaging/email   an inbound email: the raw RFC 5322 message as the body; ?to= adds the envelope recipient
//	POST /messaging/status  a delivery status: JSON or form {"id" | "providerMessageID", "status", "error"}
type Handler struct {
	Receiver Receiver
	Outbox   *Outbox
	// MaxBytes bounds a request body (an email with its attachments).
	MaxBytes int64
	Log      *slog.Logger
}

// Routes mounts the endpoints on mux, behind authenticate (which puts the
// viewer in the context).
func (h *Handler) Routes(mux *http.ServeMux, authenticate func(http.Handler) http.Handler) {
	mux.Handle("POST /messaging/sms", authenticate(h.guard(h.sms)))
	mux.Handle("POST /messaging/email", authenticate(h.guard(h.email)))
	mux.Handle("POST /messaging/status", authenticate(h.guard(h.status)))
}

func (h *Handler) guard(next func(w http.ResponseWriter, r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := auth.FromContext(r.Context())
		switch {
		case v == nil:
			writeJSONError(w, apperr.New(apperr.Unauthenticated, "send an API key with scope MESSAGING as Authorization: Bearer <key>"))
			return
		case !v.HasScope(enum.ScopeMessaging):
			writeJSONError(w, apperr.New(apperr.Forbidden, "this endpoint needs an API key with scope MESSAGING"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max(h.MaxBytes, 1<<20))
		out, err := next(w, r)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				err = apperr.New(apperr.LimitExceeded, "the request body is larger than %d bytes", tooLarge.Limit)
			}
			e := apperr.From(err)
			if e.Code == apperr.Internal {
				h.Log.ErrorContext(r.Context(), "messaging endpoint", "path", r.URL.Path, "err", err)
			}
			writeJSONError(w, e)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// receivedJSON is the answer to an inbound message.
type receivedJSON struct {
	EngagementID string `json:"engagementID,omitempty"`
	MessageID    string `json:"messageID,omitempty"`
	Threaded     bool   `json:"threaded"`
	OptOut       string `json:"optOut,omitempty"`
}

func answer(r Received) receivedJSON {
	out := receivedJSON{Threaded: r.Threaded, OptOut: r.OptOut}
	if r.EngagementID != 0 {
		out.EngagementID = strconv.Itoa(r.EngagementID)
	}
	if r.MessageID != 0 {
		out.MessageID = strconv.Itoa(r.MessageID)
	}
	return out
}

// fields reads a JSON object or a form into lower-cased keys.
func fields(r *http.Request) (map[string]string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	out := map[string]string{}
	if ct == "application/json" {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, apperr.New(apperr.Validation, "the body is not a JSON object: %v", err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[strings.ToLower(k)] = s
			}
		}
		return out, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, apperr.New(apperr.Validation, "the body is not a form: %v", err)
	}
	for k := range r.PostForm {
		out[strings.ToLower(k)] = r.PostForm.Get(k)
	}
	return out, nil
}

func (h *Handler) sms(w http.ResponseWriter, r *http.Request) (any, error) {
	f, err := fields(r)
	if err != nil {
		return nil, err
	}
	got, err := h.Receiver.ReceiveMessage(r.Context(), Inbound{Channel: "SMS", From: f["from"], To: []string{f["to"]}, Body: f["body"]})
	if err != nil {
		return nil, err
	}
	return answer(got), nil
}

func (h *Handler) email(w http.ResponseWriter, r *http.Request) (any, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	e, err := ParseEmail(raw)
	if err != nil {
		return nil, apperr.New(apperr.Validation, "%v", err)
	}
	to := e.To
	if env := r.URL.Query().Get("to"); env != "" {
		to = append([]string{env}, to...)
	}
	in := Inbound{Channel: "EMAIL", From: e.From, To: to, Body: e.Text, Subject: e.Subject, HTML: e.HTML,
		MessageID: e.MessageID, ThreadIDs: append(e.InReplyTo, reversed(e.References)...), Refused: e.Refused}
	got, err := h.Receiver.ReceiveMessage(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return answer(got), nil
}

// reversed returns ids latest first: References lists the thread oldest first.
func reversed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) (any, error) {
	f, err := fields(r)
	if err != nil {
		return nil, err
	}
	d, err := h.Outbox.Report(r.Context(), StatusReport{DeliveryID: f["id"], ProviderMessageID: f["providermessageid"],
		Status: delivery.Status(f["status"]), Error: f["error"]})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": strconv.Itoa(d.ID), "status": string(d.Status)}, nil
}

// httpStatus maps an error code to the HTTP status of its answer.
var httpStatus = map[apperr.Code]int{
	apperr.Unauthenticated: http.StatusUnauthorized, apperr.Forbidden: http.StatusForbidden,
	apperr.NotFound: http.StatusNotFound, apperr.Validation: http.StatusBadRequest, apperr.Conflict: http.StatusConflict,
	apperr.LimitExceeded: http.StatusRequestEntityTooLarge, apperr.PreconditionFailed: http.StatusUnprocessableEntity,
	apperr.Internal: http.StatusInternalServerError, apperr.Unavailable: http.StatusServiceUnavailable,
}

func writeJSONError(w http.ResponseWriter, e *apperr.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus[e.Code])
	body := map[string]string{"code": string(e.Code), "message": e.Message}
	if e.Reason != "" {
		body["reason"] = e.Reason
	}
	_ = json.NewEncoder(w).Encode(body)
}
