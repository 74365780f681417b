package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/crmrecord"
	"github.com/switchboard/switchboard/ent/crmsetting"
	"github.com/switchboard/switchboard/ent/engagement"
	"github.com/switchboard/switchboard/ent/schema/enum"
	"github.com/switchboard/switchboard/internal/crm"
	"github.com/switchboard/switchboard/internal/events"
)

// The moments of a session at which the CRM rules (docs/rules.md C1–C6)
// are asked whether its record is due.
type crmMoment uint8

const (
	// momentAssigned: the session rang an agent, or was assigned to one.
	momentAssigned crmMoment = iota
	// momentConnected: the session connected to an agent.
	momentConnected
	// momentMessage: the customer sent a message.
	momentMessage
	// momentAbandoned: the customer left before reaching an agent.
	momentAbandoned
)

// The rules a crm_record.changed event names.
const (
	RuleCallAssigned         = "CALL_ASSIGNED"
	RuleCallConnected        = "CALL_CONNECTED"
	RuleChatConnected        = "CHAT_CONNECTED"
	RuleChatMessages         = "CHAT_CUSTOMER_MESSAGES"
	RuleSessionAssigned      = "SESSION_ASSIGNED"
	RuleAttachOpen           = "ATTACH_TO_OPEN_RECORD"
	RuleReopen               = "REOPEN_WITHIN_DAYS"
	RuleAbandonedCall        = "ABANDONED_CALL"
	RuleAbandonedCallOff     = "ABANDONED_CALL_OFF"
	RuleAbandonedChatAll     = "ABANDONED_CHAT_ALL"
	RuleAbandonedChatMin     = "ABANDONED_CHAT_MIN_MESSAGES"
	RuleAbandonedChatOff     = "ABANDONED_CHAT_OFF"
	RuleShortAbandonment     = "SHORT_ABANDONMENT"
	RuleTooFewMessages       = "TOO_FEW_MESSAGES"
	RuleStatusSet            = "STATUS_SET"
	RulePostSessionResult    = "POST_SESSION_RESULT"
	actionCreated            = "CREATED"
	actionAttached           = "ATTACHED"
	actionReopened           = "REOPENED"
	actionSkipped            = "SKIPPED"
	actionUpdated            = "UPDATED"
	crmPlatformDefaultStatus = crmrecord.StatusOpen
)

// crmSettings returns the CRM settings, their defaults when none were saved.
func (w *writer) crmSettings(ctx context.Context) (*ent.CRMSetting, error) {
	cs, err := w.cachedCRMSettings(ctx)
	if err == nil && cs == nil {
		return &ent.CRMSetting{
			AttachToOpenRecord:            crmsetting.DefaultAttachToOpenRecord,
			ReopenWithinDays:              crmsetting.DefaultReopenWithinDays,
			DelayCallRecordUntilConnected: crmsetting.DefaultDelayCallRecordUntilConnected,
			ChatRecordMinMessages:         crmsetting.DefaultChatRecordMinMessages,
			AbandonedCallRecords:          crmsetting.DefaultAbandonedCallRecords,
			AbandonedChatRecords:          crmsetting.DefaultAbandonedChatRecords,
			AbandonedChatMinMessages:      crmsetting.DefaultAbandonedChatMinMessages,
			ShortAbandonSeconds:           crmsetting.DefaultShortAbandonSeconds,
			TitleTemplate:                 crmsetting.DefaultTitleTemplate,
			SessionTypeTags:               crmsetting.DefaultSessionTypeTags,
		}, nil
	}
	return cs, err
}

// recordOf returns the CRM record eg is logged to, nil before it has one.
func (w *writer) recordOf(ctx context.Context, eg *ent.Engagement) (*ent.CRMRecord, error) {
	// From the engagement's side, where the join table's index on
	// engagement_id answers it (ent/migrate/joinindexes.go), and its id
	// first: most sessions have no record yet when asked (a chat's ring, a
	// call's first ring), and the id alone spares building and scanning
	// every column (switchboard bench profile).
	id, err := w.Engagement.QueryRecords(eg).Order(ent.Desc(crmrecord.FieldID)).FirstID(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return w.CRMRecord.Get(ctx, id)
}

// logSession applies the CRM rules to eg at moment m (C2–C6) and returns
// the record eg is logged to, nil when it has none (yet). A session is
// logged once: later moments find its record and leave it.
func (w *writer) logSession(ctx context.Context, eg *ent.Engagement, m crmMoment) (*ent.CRMRecord, error) {
	r, err := w.recordOf(ctx, eg)
	if r != nil || err != nil {
		return r, err
	}
	cs, err := w.crmSettings(ctx)
	if err != nil {
		return nil, err
	}
	rule, skip := crmRule(cs, eg, m)
	switch {
	case rule == "":
		return nil, nil
	case skip:
		return nil, w.emitRecord(ctx, eg, nil, actionSkipped, rule)
	}
	return w.attachOrCreate(ctx, cs, eg, rule)
}

// crmRule says which rule logs eg at moment m: "" when none is due yet,
// skip when the rule decides it gets no record.
func crmRule(cs *ent.CRMSetting, eg *ent.Engagement, m crmMoment) (rule string, skip bool) {
	call := eg.Channel.Call()
	if m == momentAbandoned {
		if call {
			if cs.AbandonedCallRecords {
				return RuleAbandonedCall, false
			}
			return RuleAbandonedCallOff, true
		}
		if eg.Channel != enum.ChannelChat {
			return "", false
		}
		short := time.Duration(eg.WaitMs)*time.Millisecond < time.Duration(cs.ShortAbandonSeconds)*time.Second
		switch cs.AbandonedChatRecords {
		case crmsetting.AbandonedChatRecordsAll:
			return RuleAbandonedChatAll, false
		case crmsetting.AbandonedChatRecordsMinMessages:
			switch {
			case short:
				return RuleShortAbandonment, true
			case eg.CustomerMessages < cs.AbandonedChatMinMessages:
				return RuleTooFewMessages, true
			}
			return RuleAbandonedChatMin, false
		}
		if short {
			return RuleShortAbandonment, true
		}
		return RuleAbandonedChatOff, true
	}
	switch {
	case call && m == momentAssigned && !cs.DelayCallRecordUntilConnected:
		return RuleCallAssigned, false
	case call && m == momentConnected && cs.DelayCallRecordUntilConnected:
		return RuleCallConnected, false
	case call && m == momentConnected:
		// Assigned and connected at once (AUTO queues), or connected
		// without a ring of its own.
		return RuleCallAssigned, false
	case eg.Channel == enum.ChannelChat:
		if eg.ConnectedAt == nil || m == momentAssigned || eg.CustomerMessages < cs.ChatRecordMinMessages {
			return "", false
		}
		if cs.ChatRecordMinMessages > 0 {
			return RuleChatMessages, false
		}
		return RuleChatConnected, false
	case !call && m == momentConnected:
		return RuleSessionAssigned, false
	}
	return "", false
}

// attachOrCreate logs eg to the last open record of its customer in its
// leaf queue (C2, when enabled), else to one closed fewer than N days ago,
// reopened (C2), else to a new record; rule is what made it due.
func (w *writer) attachOrCreate(ctx context.Context, cs *ent.CRMSetting, eg *ent.Engagement, rule string) (*ent.CRMRecord, error) {
	if eg.CustomerID != 0 && eg.QueueID != 0 {
		if cs.AttachToOpenRecord {
			r, err := w.CRMRecord.Query().Where(crmrecord.CustomerID(eg.CustomerID), crmrecord.QueueID(eg.QueueID),
				crmrecord.StatusNEQ(crmrecord.StatusClosed)).
				Order(ent.Desc(crmrecord.FieldUpdatedAt), ent.Desc(crmrecord.FieldID)).First(ctx)
			switch {
			case err == nil:
				r, err = r.Update().AddEngagementIDs(eg.ID).AddVersion(1).SetUpdatedAt(w.now).Save(ctx)
				if err != nil {
					return nil, err
				}
				return r, w.emitRecord(ctx, eg, r, actionAttached, RuleAttachOpen)
			case !ent.IsNotFound(err):
				return nil, err
			}
		}
		if cs.ReopenWithinDays > 0 {
			since := w.now.Add(-time.Duration(cs.ReopenWithinDays) * 24 * time.Hour)
			r, err := w.CRMRecord.Query().Where(crmrecord.CustomerID(eg.CustomerID), crmrecord.QueueID(eg.QueueID),
				crmrecord.StatusEQ(crmrecord.StatusClosed), crmrecord.ClosedAtGT(since)).
				Order(ent.Desc(crmrecord.FieldClosedAt), ent.Desc(crmrecord.FieldID)).First(ctx)
			switch {
			case err == nil:
				r, err = r.Update().AddEngagementIDs(eg.ID).AddVersion(1).SetUpdatedAt(w.now).
					SetStatus(crmPlatformDefaultStatus).ClearClosedAt().Save(ctx)
				if err != nil {
					return nil, err
				}
				return r, w.emitRecord(ctx, eg, r, actionReopened, RuleReopen)
			case !ent.IsNotFound(err):
				return nil, err
			}
		}
	}
	title, err := w.recordTitle(ctx, cs, eg)
	if err != nil {
		return nil, err
	}
	create := w.CRMRecord.Create().SetTitle(title).SetTags(crm.Tags(cs.SessionTypeTags, cs.PlatformTag, eg.SessionType)).
		SetMetadata(map[string]any{"sessionType": string(eg.SessionType), "channel": string(eg.Channel)}).
		AddEngagementIDs(eg.ID).SetCreatedAt(w.now).SetUpdatedAt(w.now)
	if eg.QueueID != 0 {
		create.SetQueueID(eg.QueueID)
	}
	if eg.CustomerID != 0 {
		create.SetCustomerID(eg.CustomerID)
	}
	r, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	return r, w.emitRecord(ctx, eg, r, actionCreated, rule)
}

// recordTitle renders the title template for eg (C7).
func (w *writer) recordTitle(ctx context.Context, cs *ent.CRMSetting, eg *ent.Engagement) (string, error) {
	s := crm.Session{Type: eg.SessionType, ID: strconv.Itoa(eg.ID), MenuPath: eg.MenuPath, Language: eg.Language, Started: eg.CreatedAt}
	if eg.EntryPointID != 0 {
		ep, err := w.EntryPoint.Get(ctx, eg.EntryPointID)
		if err != nil {
			return "", err
		}
		if ep.Channel == enum.ChannelVoice || ep.Channel == enum.ChannelSMS {
			s.PhoneNumber = ep.Address
		}
	}
	title := crm.Title(cs.TitleTemplate, s)
	if len(title) > 500 {
		title = title[:500]
	}
	return title, nil
}

// emitRecord records what the rules did with eg's record; its agent hears
// it (record pop, C1).
func (w *writer) emitRecord(ctx context.Context, eg *ent.Engagement, r *ent.CRMRecord, action, rule string) error {
	d := events.CRMRecordChangedDetails{Action: action, Rule: rule}
	if r != nil {
		d.RecordID, d.Title, d.Status, d.Version = &r.ID, r.Title, r.Status, r.Version
	}
	ev := events.Event{Payload: d}
	if eg != nil {
		ev.EngagementID, ev.AgentID, ev.QueueID = eg.ID, deref(eg.AgentID), eg.QueueID
	}
	return w.emit(ctx, ev)
}

// eventRecord is the record pop of a ring or an assignment.
func eventRecord(r *ent.CRMRecord) *events.EventRecord {
	if r == nil {
		return nil
	}
	return &events.EventRecord{ID: r.ID, Title: r.Title, Status: r.Status}
}

// SetCRMRecordStatus changes a record's status (staff, or a CRM
// integration); CLOSED stamps closedAt, from which the reopen window of C2
// counts.
func (e *Engine) SetCRMRecordStatus(ctx context.Context, id int, status crmrecord.Status) (*ent.CRMRecord, error) {
	var out *ent.CRMRecord
	err := e.write(ctx, func(ctx context.Context, w *writer) error {
		r, err := w.CRMRecord.Get(ctx, id)
		if err != nil {
			return err
		}
		if r.Status == status {
			out = r
			return nil
		}
		u := r.Update().SetStatus(status).AddVersion(1).SetUpdatedAt(w.now)
		if status == crmrecord.StatusClosed {
			u.SetClosedAt(w.now)
		} else {
			u.ClearClosedAt()
		}
		if out, err = u.Save(ctx); err != nil {
			return err
		}
		// The engagement last logged to it hears of the change.
		last, err := out.QueryEngagements().Order(ent.Desc(engagement.FieldID)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		return w.emitRecord(ctx, last, out, actionUpdated, RuleStatusSet)
	})
	return unwrapped(out, err)
}
