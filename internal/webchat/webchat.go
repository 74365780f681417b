// Package webchat is the visitor's side of web chat (SPEC R1, A3; README
// "Web chat"): what the widget shows before a chat, startChat and the
// offline form, by the CHAT entry point's token; the rate limits of the
// customer side; the snippet an admin pastes into a company's pages.
package webchat

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/entrypoint"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/clock"
	"github.com/switchboard/switchboard/internal/engine"
	"github.com/switchboard/switchboard/internal/messaging"
)

// ReasonClosed is the reason of the PRECONDITION_FAILED error of a
// startChat outside opening hours or with no agent staffed;
// extensions.nextOpening (RFC 3339) says when it opens, when known.
const ReasonClosed = "CLOSED"

// DefaultConsentQuestion is asked when a post-session setting asks for
// consent without a question of its own.
const DefaultConsentQuestion = "May we ask you a few questions about this chat?"

// Bounds of what a visitor sends.
const (
	MaxMessageBytes  = 8 << 10 // as postMessage's chat limit
	maxNameBytes     = 200
	maxTextChars     = 200
	maxTextareaChars = 2000
	maxPageURLBytes  = 2048
	maxLanguageBytes = 35
)

// Service runs web chat's visitor side.
type Service struct {
	Client *ent.Client
	Engine *engine.Engine
	Clock  clock.Clock
	// PublicURL is the server's public base URL for the snippet; empty
	// uses the scheme and host of the admin's request.
	PublicURL string
	limits    *limiters
	typing    typingStates
}

// New returns the service with limits.
func New(client *ent.Client, eng *engine.Engine, clk clock.Clock, publicURL string, limits Limits) *Service {
	return &Service{Client: client, Engine: eng, Clock: clk, PublicURL: strings.TrimRight(publicURL, "/"), limits: newLimiters(limits)}
}

// Widget is what the widget shows before a chat.
type Widget struct {
	Title           string
	Open            bool
	NextOpening     *time.Time
	PreChatFields   []schema.PreChatField
	ConsentQuestion *string
}

// entryPoint returns the active CHAT entry point of a chat token.
func (s *Service) entryPoint(ctx context.Context, token string) (*ent.EntryPoint, error) {
	ep, err := s.Client.EntryPoint.Query().Where(entrypoint.ChatToken(token), entrypoint.ChannelEQ(enum.ChannelChat),
		entrypoint.Active(true)).Only(auth.SystemContext(ctx))
	if ent.IsNotFound(err) || token == "" {
		return nil, apperr.New(apperr.NotFound, "no active web chat has this token").WithField("token")
	}
	return ep, err
}

// openNow reports whether a chat may start now: within the opening hours
// and with an agent staffed for the default queue; when closed by the
// hours, the next opening.
func (s *Service) openNow(ctx context.Context, ep *ent.EntryPoint) (bool, *time.Time, error) {
	if ep.OpeningHours != nil {
		if open, next := ep.OpeningHours.Open(s.Clock.Now()); !open {
			if next.IsZero() {
				return false, nil, nil
			}
			next = next.UTC()
			return false, &next, nil
		}
	}
	staffed, err := s.Engine.Staffed(ctx, ep.DefaultQueueID)
	return staffed > 0, nil, err
}

// Widget returns what the widget of a chat token shows.
func (s *Service) Widget(ctx context.Context, token string) (*Widget, error) {
	ep, err := s.entryPoint(ctx, token)
	if err != nil {
		return nil, err
	}
	open, next, err := s.openNow(ctx, ep)
	if err != nil {
		return nil, err
	}
	w := &Widget{Title: ep.Name, Open: open, NextOpening: next, PreChatFields: ep.PreChatFields}
	if w.ConsentQuestion, err = s.consentQuestion(ctx, ep.DefaultQueueID); err != nil {
		return nil, err
	}
	return w, nil
}

// consentQuestion is the question of the post-session setting a chat of
// the queue falls under (its override, else the global CHAT one), when it
// is enabled and asks for consent.
func (s *Service) consentQuestion(ctx context.Context, queueID int) (*string, error) {
	ctx = auth.SystemContext(ctx)
	ps, err := s.Client.PostSessionSetting.Query().Where(postsessionsetting.QueueID(queueID)).Only(ctx)
	if ent.IsNotFound(err) {
		ps, err = s.Client.PostSessionSetting.Query().Where(postsessionsetting.QueueIDIsNil(), postsessionsetting.ChannelEQ(enum.ChannelChat)).Only(ctx)
	}
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !ps.Enabled || !ps.AskConsent || ps.VirtualAgentID == nil {
		return nil, nil
	}
	q := ps.ConsentQuestion
	if q == "" {
		q = DefaultConsentQuestion
	}
	return &q, nil
}

// Visitor is what a visitor says about itself (all optional).
type Visitor struct{ Name, Email, Phone string }

// Start is a startChat or leaveMessage request.
type Start struct {
	Token    string
	Visitor  Visitor
	Answers  map[string]string
	PageURL  string
	Language string
	// Message is leaveMessage's.
	Message string
}

// StartChat opens a CHAT engagement in the default queue of the token's
// entry point and returns it with its customer token.
func (s *Service) StartChat(ctx context.Context, in Start) (*ent.Engagement, string, error) {
	ep, err := s.entryPoint(ctx, in.Token)
	if err != nil {
		return nil, "", err
	}
	if d := s.limits.start.take(s.Clock.Now(), startKey(ctx, ep.ID)); d > 0 {
		return nil, "", exceeded("chats from this network", d)
	}
	vars, err := s.check(ep, &in)
	if err != nil {
		return nil, "", err
	}
	open, next, err := s.openNow(ctx, ep)
	if err != nil {
		return nil, "", err
	}
	if !open {
		e := apperr.New(apperr.PreconditionFailed, "the chat %q is closed now; leave a message instead", ep.Name).WithReason(ReasonClosed)
		if next != nil {
			e = e.WithExtension("nextOpening", next.Format(time.RFC3339))
		}
		return nil, "", e
	}
	eg, token, err := s.Engine.CreateEngagement(ctx, engine.NewEngagement{Channel: enum.ChannelChat, EntryPointID: ep.ID,
		Customer: contact(in.Visitor), FlowVariables: vars, Language: in.Language, ByCustomer: true})
	if err != nil {
		return nil, "", err
	}
	return eg, token, nil
}

func contact(v Visitor) *engine.Contact {
	return &engine.Contact{Name: v.Name, Email: v.Email, Phone: v.Phone}
}

// check validates a request against the entry point's pre-chat form and
// returns the engagement's flow variables: the answers and pageURL.
func (s *Service) check(ep *ent.EntryPoint, in *Start) (map[string]any, error) {
	in.Visitor.Name = strings.TrimSpace(in.Visitor.Name)
	if len(in.Visitor.Name) > maxNameBytes {
		return nil, apperr.Invalid("visitor.name", "at most %d bytes", maxNameBytes)
	}
	if in.Visitor.Email != "" {
		if _, err := answerValue(admin.FieldEmail, "visitor.email", in.Visitor.Email); err != nil {
			return nil, err
		}
	}
	if in.Visitor.Phone != "" {
		if _, err := answerValue(admin.FieldPhone, "visitor.phone", in.Visitor.Phone); err != nil {
			return nil, err
		}
	}
	if len(in.Language) > maxLanguageBytes || strings.ContainsAny(in.Language, " \t\r\n") {
		return nil, apperr.Invalid("language", "give a language tag such as en or de-CH")
	}
	vars := map[string]any{}
	if in.PageURL != "" {
		u, err := url.Parse(in.PageURL)
		if err != nil || len(in.PageURL) > maxPageURLBytes || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, apperr.Invalid("pageURL", "give the page's http(s) URL, at most %d bytes", maxPageURLBytes)
		}
		vars["pageURL"] = in.PageURL
	}
	fields := map[string]schema.PreChatField{}
	for _, f := range ep.PreChatFields {
		fields[f.Name] = f
	}
	for name, value := range in.Answers {
		f, ok := fields[name]
		if !ok {
			return nil, apperr.Invalid("answers", "%q is not a field of this chat's form", name)
		}
		v, err := answerValue(f.Type, "answers."+name, value)
		if err != nil {
			return nil, err
		}
		if v != "" {
			vars[name] = v
		}
	}
	for _, f := range ep.PreChatFields {
		if f.Required && vars[f.Name] == nil {
			return nil, apperr.Invalid("answers."+f.Name, "%q is required", f.Label)
		}
	}
	if len(vars) == 0 {
		vars = nil
	}
	return vars, nil
}

// answerValue checks one answer by its field type and returns it trimmed
// (an email address in its normal form).
func answerValue(typ, field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	switch typ {
	case admin.FieldEmail:
		if strings.ContainsAny(v, "\r\n") {
			return "", apperr.Invalid(field, "must not contain line breaks")
		}
		normal, err := messaging.NormalizeEmail(field, v)
		if err != nil {
			return "", err
		}
		if !strings.EqualFold(normal, v) {
			return "", apperr.Invalid(field, "give the bare address: %s", normal)
		}
		return normal, nil
	case admin.FieldPhone:
		normal, err := messaging.NormalizePhone(field, v)
		if err != nil {
			return "", err
		}
		if normal != v {
			return "", apperr.Invalid(field, "give the number in E.164 form: %s", normal)
		}
		return normal, nil
	case admin.FieldTextarea:
		if utf8.RuneCountInString(v) > maxTextareaChars {
			return "", apperr.Invalid(field, "at most %d characters", maxTextareaChars)
		}
	default:
		if utf8.RuneCountInString(v) > maxTextChars || strings.ContainsAny(v, "\r\n") {
			return "", apperr.Invalid(field, "one line of at most %d characters", maxTextChars)
		}
	}
	return v, nil
}

// LeaveMessage turns the offline form into an engagement (see the
// leaveMessage mutation): an inbound email to the offline email entry
// point when the visitor gives an address and one is set, else a queued
// CHAT engagement carrying the message.
func (s *Service) LeaveMessage(ctx context.Context, in Start) error {
	ep, err := s.entryPoint(ctx, in.Token)
	if err != nil {
		return err
	}
	if d := s.limits.start.take(s.Clock.Now(), startKey(ctx, ep.ID)); d > 0 {
		return exceeded("messages from this network", d)
	}
	if strings.TrimSpace(in.Message) == "" {
		return apperr.Invalid("message", "write a message")
	}
	if len(in.Message) > MaxMessageBytes {
		// As postMessage answers a chat message over its limit.
		return apperr.New(apperr.LimitExceeded, "a message has at most %d bytes", MaxMessageBytes).WithField("message")
	}
	if !utf8.ValidString(in.Message) {
		return apperr.Invalid("message", "not valid UTF-8")
	}
	vars, err := s.check(ep, &in)
	if err != nil {
		return err
	}
	if in.Visitor.Email != "" && ep.OfflineEmailEntryPointID != nil {
		return s.offlineEmail(ctx, ep, in, vars)
	}
	if vars == nil {
		vars = map[string]any{}
	}
	vars["offline"] = "true"
	// The engagement is the customer's (its actor), its first message the
	// visitor's text, in one transaction.
	// The visitor has left: nobody follows the engagement, so its customer
	// token is not handed out.
	_, _, err = s.Engine.CreateEngagement(ctx, engine.NewEngagement{Channel: enum.ChannelChat, EntryPointID: ep.ID,
		Customer: contact(in.Visitor), FlowVariables: vars, Language: in.Language, ByCustomer: true, FirstMessage: in.Message})
	return err
}

// offlineEmail files the offline form as an inbound email from the
// visitor to the offline email entry point.
func (s *Service) offlineEmail(ctx context.Context, ep *ent.EntryPoint, in Start, vars map[string]any) error {
	mail, err := s.Client.EntryPoint.Get(auth.SystemContext(ctx), *ep.OfflineEmailEntryPointID)
	if err != nil {
		return err
	}
	var body strings.Builder
	body.WriteString(in.Message)
	body.WriteString("\n\n-- \nLeft on the web chat " + strconv.Quote(ep.Name))
	if in.Visitor.Name != "" {
		body.WriteString(" by " + in.Visitor.Name)
	}
	if in.Visitor.Phone != "" {
		body.WriteString(", phone " + in.Visitor.Phone)
	}
	for _, f := range ep.PreChatFields {
		if v, ok := vars[f.Name]; ok {
			fmt.Fprintf(&body, "\n%s: %v", f.Label, v)
		}
	}
	if u, ok := vars["pageURL"]; ok {
		fmt.Fprintf(&body, "\nPage: %v", u)
	}
	_, err = s.Engine.ReceiveMessage(auth.Acting(auth.SystemContext(ctx), ActorOfflineForm), messaging.Inbound{
		Channel: string(enum.ChannelEmail), From: in.Visitor.Email, To: []string{mail.Address},
		Subject: "Message left on the web chat " + ep.Name, Body: body.String()})
	return err
}

// ActorOfflineForm is the system reason of an offline message filed as an
// inbound email.
const ActorOfflineForm = "WEB_CHAT_OFFLINE_FORM"

// AllowMessage takes a token of the customer token's message limit; other
// callers pass.
func (s *Service) AllowMessage(ctx context.Context) error {
	v := auth.FromContext(ctx)
	if !v.IsCustomer() {
		return nil
	}
	if d := s.limits.message.take(s.Clock.Now(), strconv.Itoa(v.EngagementID)); d > 0 {
		return exceeded("messages", d)
	}
	return nil
}

// sideKey names the caller's side of an engagement's chat for a limit: the
// customer (of this engagement; a customer token of another one is
// refused here, so it cannot drain or read this engagement's state) or
// the calling agent.
func sideKey(ctx context.Context, id int) (string, error) {
	v := auth.FromContext(ctx)
	switch {
	case v.IsCustomer() && v.EngagementID != id:
		return "", apperr.New(apperr.Forbidden, "engagement %d is not yours", id).WithReason(engine.ReasonNotOwner)
	case v.IsCustomer():
		return fmt.Sprintf("%d c", id), nil
	case v.IsAgent():
		return fmt.Sprintf("%d a%d", id, v.AgentID), nil
	}
	return "", apperr.New(apperr.Forbidden, "typing and read receipts are for the chat's customer and agent")
}

// SetTyping rate-limits and records a typing change (engine.SetTyping); a
// repeat of the side's last recorded state within TypingRepeat is
// absorbed.
func (s *Service) SetTyping(ctx context.Context, id int, typing bool) error {
	now := s.Clock.Now()
	key, err := sideKey(ctx, id)
	if err != nil {
		return err
	}
	if d := s.limits.typing.take(now, key); d > 0 {
		return exceeded("typing changes", d)
	}
	if s.typing.repeat(now, key, typing) {
		return nil
	}
	if _, err := s.Engine.SetTyping(ctx, id, typing); err != nil {
		return err
	}
	s.typing.record(now, key, typing)
	return nil
}

// MarkRead rate-limits and records a read receipt (engine.MarkRead).
func (s *Service) MarkRead(ctx context.Context, id, messageID int) error {
	key, err := sideKey(ctx, id)
	if err != nil {
		return err
	}
	if d := s.limits.read.take(s.Clock.Now(), key); d > 0 {
		return exceeded("read receipts", d)
	}
	return s.Engine.MarkRead(ctx, id, messageID)
}

// Snippet returns the one tag to paste for a CHAT entry point.
func (s *Service) Snippet(ctx context.Context, entryPointID int) (string, error) {
	ep, err := s.Client.EntryPoint.Get(ctx, entryPointID)
	if err != nil {
		return "", err
	}
	if ep.Channel != enum.ChannelChat || ep.ChatToken == "" {
		return "", apperr.Invalid("entryPointID", "entry point %q is %s; snippets are for CHAT entry points", ep.Name, ep.Channel)
	}
	base := s.PublicURL
	if base == "" {
		base = auth.RequestBase(ctx)
	}
	if base == "" {
		return "", apperr.New(apperr.PreconditionFailed, "the server's public URL is unknown: start it with -public-url")
	}
	return fmt.Sprintf(`<script src="%s/widget.js" data-switchboard-token="%s" async></script>`,
		html.EscapeString(base), html.EscapeString(ep.ChatToken)), nil
}
