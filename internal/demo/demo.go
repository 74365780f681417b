// Package demo loads a small contact center to try Switchboard with: a
// queue tree, agents with different capacity profiles and licenses, entry
// points on every channel, wrap-up reasons, a survey bot and templates.
package demo

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/agent"
	"github.com/switchboard/switchboard/ent/postsessionsetting"
	"github.com/switchboard/switchboard/ent/queue"
	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/store"
)

// Password is the password of every demo agent.
const Password = "switchboard demo"

// Agents are the emails of the demo agents; the first marks the demo as
// loaded.
var Agents = []string{
	"sam@switchboard.demo", "alice@switchboard.demo", "bob@switchboard.demo",
	"carol@switchboard.demo", "dave@switchboard.demo",
}

// Load creates the demo data set in one transaction: all of it or, on any
// error, none. When the demo agents exist already it changes nothing.
func Load(ctx context.Context, s *admin.Service, log *slog.Logger) error {
	ctx = auth.SystemContext(ctx)
	var d *loaded
	err := s.Writer.Do(ctx, func(ctx context.Context, tx *store.Tx) error {
		exists, err := tx.Agent.Query().Where(agent.EmailEQ(Agents[0])).Exist(ctx)
		if err != nil || exists {
			return err
		}
		d = &loaded{s: s, queues: map[string]int{}, profiles: map[string]int{}}
		return d.load(ctx)
	})
	if err != nil {
		return fmt.Errorf("load demo data (nothing was written): %w", err)
	}
	if d == nil {
		log.Info("demo data is already loaded; nothing changed", "agents", Agents, "password", Password)
		return nil
	}
	for _, a := range d.agents {
		log.Info("demo agent", "email", a.Email, "role", a.Role, "license", a.License)
	}
	log.Info("demo agents share one password", "password", Password)
	for _, ep := range d.entryPoints {
		if ep.Channel == enum.ChannelChat {
			log.Info("demo web chat entry point", "name", ep.Name, "token", ep.ChatToken)
		} else {
			log.Info("demo entry point", "name", ep.Name, "channel", ep.Channel, "address", ep.Address)
		}
	}
	log.Info("demo data loaded", "queues", len(d.queues), "agents", len(d.agents), "entryPoints", len(d.entryPoints))
	return nil
}

// loaded collects what load created, by name for the references between them.
type loaded struct {
	s           *admin.Service
	queues      map[string]int
	profiles    map[string]int
	agents      []*ent.Agent
	entryPoints []*ent.EntryPoint
}

func ptr[T any](v T) *T { return &v }

func (d *loaded) load(ctx context.Context) error {
	for _, step := range []func(context.Context) error{
		d.capacityProfiles, d.queueTree, d.wrapUpReasons, d.agentsWithQueues,
		d.entryPointsPerChannel, d.virtualAgent, d.templates, d.customers,
	} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *loaded) capacityProfiles(ctx context.Context) error {
	for _, in := range []ent.CreateCapacityProfileInput{
		{Name: "Voice only", Voice: ptr(1), Video: ptr(0), Chat: ptr(0), Email: ptr(0), Sms: ptr(0), OutboundMax: ptr(0)},
		{Name: "Blended", Voice: ptr(1), Video: ptr(1), Chat: ptr(3), Email: ptr(5), Sms: ptr(5), OutboundMax: ptr(2)},
		{Name: "Digital", Voice: ptr(0), Video: ptr(0), Chat: ptr(5), Email: ptr(10), Sms: ptr(10), OutboundMax: ptr(5)},
	} {
		p, err := d.s.CreateCapacityProfile(ctx, in)
		if err != nil {
			return fmt.Errorf("capacity profile %q: %w", in.Name, err)
		}
		d.profiles[in.Name] = p.ID
	}
	return nil
}

// queueTree creates Support → Billing / Technical, and Sales.
func (d *loaded) queueTree(ctx context.Context) error {
	all := []enum.Channel{enum.ChannelVoice, enum.ChannelChat, enum.ChannelEmail, enum.ChannelSMS}
	for _, q := range []struct {
		parent string
		in     ent.CreateQueueInput
	}{
		{"", ent.CreateQueueInput{Name: "Support", Priority: ptr(10)}},
		{"Support", ent.CreateQueueInput{Name: "Billing", Channels: []enum.Channel{enum.ChannelVoice, enum.ChannelChat, enum.ChannelEmail},
			DispositionsRequired: ptr(true), WrapUpLimitSeconds: ptr(120)}},
		{"Support", ent.CreateQueueInput{Name: "Technical", Channels: []enum.Channel{enum.ChannelVoice, enum.ChannelChat, enum.ChannelSMS},
			RingTimeoutSeconds: ptr(30)}},
		{"", ent.CreateQueueInput{Name: "Sales", Channels: all, Priority: ptr(20), AcceptMode: ptr(queue.AcceptModeAuto)}},
	} {
		if q.parent != "" {
			q.in.ParentID = ptr(d.queues[q.parent])
		}
		created, err := d.s.CreateQueue(ctx, q.in)
		if err != nil {
			return fmt.Errorf("queue %q: %w", q.in.Name, err)
		}
		d.queues[q.in.Name] = created.ID
	}
	return nil
}

func (d *loaded) wrapUpReasons(ctx context.Context) error {
	billing := []int{d.queues["Billing"]}
	for _, in := range []ent.CreateWrapUpReasonInput{
		{Code: "RESOLVED", Label: "Resolved"},
		{Code: "CALLBACK_REQUESTED", Label: "Callback requested"},
		{Code: "ESCALATED", Label: "Escalated to second level"},
		{Code: "REFUND_ISSUED", Label: "Refund issued", QueueIDs: billing},
		{Code: "INVOICE_EXPLAINED", Label: "Invoice explained", QueueIDs: billing},
	} {
		if _, err := d.s.CreateWrapUpReason(ctx, in); err != nil {
			return fmt.Errorf("wrap-up reason %s: %w", in.Code, err)
		}
	}
	return nil
}

func (d *loaded) agentsWithQueues(ctx context.Context) error {
	for i, a := range []struct {
		name    string
		role    enum.Role
		license agent.License
		profile string
		skills  []string
		queues  []string
	}{
		{"Sam Supervisor", enum.RoleSupervisor, agent.LicensePremium, "Blended", []string{"en"}, []string{"Billing", "Technical", "Sales"}},
		{"Alice Adams", enum.RoleAgent, agent.LicensePremium, "Blended", []string{"en", "de"}, []string{"Billing", "Technical"}},
		{"Bob Brown", enum.RoleAgent, agent.LicenseStandard, "Voice only", []string{"en"}, []string{"Technical"}},
		{"Carol Chen", enum.RoleAgent, agent.LicensePremium, "Digital", []string{"en", "zh"}, []string{"Billing", "Sales"}},
		{"Dave Diaz", enum.RoleAgent, agent.LicenseStandard, "Blended", []string{"en", "es"}, []string{"Sales"}},
	} {
		in := ent.CreateAgentInput{
			Name: a.name, Email: Agents[i], Role: ptr(a.role), License: ptr(a.license),
			Skills: a.skills, CapacityProfileID: ptr(d.profiles[a.profile]),
		}
		for _, q := range a.queues {
			in.QueueIDs = append(in.QueueIDs, d.queues[q])
		}
		created, err := d.s.CreateAgent(ctx, in, ptr(Password))
		if err != nil {
			return fmt.Errorf("agent %s: %w", in.Email, err)
		}
		d.agents = append(d.agents, created)
	}
	return nil
}

func (d *loaded) entryPointsPerChannel(ctx context.Context) error {
	for _, in := range []ent.CreateEntryPointInput{
		{Name: "Support hotline", Channel: enum.ChannelVoice, Address: ptr("+14155550100"), DefaultQueueID: d.queues["Technical"]},
		{Name: "Sales line", Channel: enum.ChannelVoice, Address: ptr("+14155550101"), DefaultQueueID: d.queues["Sales"]},
		{Name: "Website chat", Channel: enum.ChannelChat, DefaultQueueID: d.queues["Billing"]},
		{Name: "Support texts", Channel: enum.ChannelSMS, Address: ptr("+14155550102"), DefaultQueueID: d.queues["Technical"]},
		{Name: "Billing mailbox", Channel: enum.ChannelEmail, Address: ptr("billing@switchboard.demo"), DefaultQueueID: d.queues["Billing"]},
	} {
		ep, err := d.s.CreateEntryPoint(ctx, in)
		if err != nil {
			return fmt.Errorf("entry point %q: %w", in.Name, err)
		}
		d.entryPoints = append(d.entryPoints, ep)
	}
	return nil
}

// virtualAgent creates a survey bot and hands ended web chats to it.
func (d *loaded) virtualAgent(ctx context.Context) error {
	bot, err := d.s.CreateVirtualAgent(ctx, ent.CreateVirtualAgentInput{
		Name: "Survey bot", Channels: []enum.Channel{enum.ChannelChat, enum.ChannelVoice},
	})
	if err != nil {
		return fmt.Errorf("virtual agent: %w", err)
	}
	_, err = d.s.CreatePostSessionSetting(ctx, ent.CreatePostSessionSettingInput{
		Channel: enum.ChannelChat, Enabled: ptr(true), VirtualAgentID: &bot.ID, AskConsent: ptr(true),
		SessionTypes:   []enum.SessionType{enum.SessionInboundWebChat},
		DataParameters: []schema.DataParameter{{Name: "survey", Value: "csat"}, {Name: "language", Field: "language"}},
		RecordIn:       ptr(postsessionsetting.RecordInBoth),
	})
	if err != nil {
		return fmt.Errorf("post-session setting: %w", err)
	}
	return nil
}

func (d *loaded) templates(ctx context.Context) error {
	for _, in := range []ent.CreateTemplateInput{
		{Name: "Invoice follow-up", Channel: enum.ChannelEmail, Subject: ptr("About your invoice"),
			Body: "Hello,\n\nthank you for contacting us about your invoice. ..."},
		{Name: "Appointment reminder", Channel: enum.ChannelSMS, Body: "Reminder: our technician visits you tomorrow between 9 and 12."},
		{Name: "Chat greeting", Channel: enum.ChannelChat, Body: "Hi! How can I help you today?"},
	} {
		if _, err := d.s.CreateTemplate(ctx, in); err != nil {
			return fmt.Errorf("template %q: %w", in.Name, err)
		}
	}
	return nil
}

func (d *loaded) customers(ctx context.Context) error {
	for _, in := range []ent.CreateCustomerInput{
		{Name: ptr("Grace Hopper"), Phones: []string{"+14155550123"}, Emails: []string{"grace@example.com"}},
		{Name: ptr("Alan Turing"), Emails: []string{"alan@example.com"}, ExternalIds: map[string]any{"crm": "C-1001"}},
	} {
		if _, err := d.s.CreateCustomer(ctx, in); err != nil {
			return fmt.Errorf("customer %q: %w", *in.Name, err)
		}
	}
	return nil
}
