package graph

import (
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent/schema"
	"github.com/switchboard/switchboard/graph/model"
	"github.com/switchboard/switchboard/internal/admin"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/schedule"
	"github.com/switchboard/switchboard/internal/webchat"
)

// weekdays maps the schema's Weekday onto time.Weekday.
var weekdays = map[model.Weekday]time.Weekday{
	model.WeekdaySunday: time.Sunday, model.WeekdayMonday: time.Monday, model.WeekdayTuesday: time.Tuesday,
	model.WeekdayWednesday: time.Wednesday, model.WeekdayThursday: time.Thursday, model.WeekdayFriday: time.Friday,
	model.WeekdaySaturday: time.Saturday,
}

func openingHours(h *schedule.Hours) *model.OpeningHours {
	if h == nil {
		return nil
	}
	out := &model.OpeningHours{TimeZone: h.TimeZone, Holidays: h.Holidays}
	if out.Holidays == nil {
		out.Holidays = []string{}
	}
	for _, r := range h.Weekly {
		out.Weekly = append(out.Weekly, &model.OpeningRange{Day: model.Weekday(strings.ToUpper(r.Day.String())), Open: r.Open, Close: r.Close})
	}
	if out.Weekly == nil {
		out.Weekly = []*model.OpeningRange{}
	}
	return out
}

func preChatFields(fs []schema.PreChatField) []*model.PreChatField {
	out := make([]*model.PreChatField, len(fs))
	for i, f := range fs {
		out[i] = &model.PreChatField{Name: f.Name, Label: f.Label, Type: model.PreChatFieldType(f.Type), Required: f.Required}
	}
	return out
}

func chatSettings(in model.ChatSettingsInput) (admin.ChatSettings, error) {
	s := admin.ChatSettings{OfflineEmailEntryPointID: in.OfflineEmailEntryPointID, PreChatFields: []schema.PreChatField{}}
	if h := in.OpeningHours; h != nil {
		s.Hours = &schedule.Hours{TimeZone: h.TimeZone, Holidays: h.Holidays, Weekly: []schedule.Range{}}
		for i, r := range h.Weekly {
			day, ok := weekdays[r.Day]
			if !ok {
				return s, apperr.Invalid("openingHours", "weekly[%d]: no week day %s", i, r.Day)
			}
			s.Hours.Weekly = append(s.Hours.Weekly, schedule.Range{Day: day, Open: r.Open, Close: r.Close})
		}
	}
	for _, f := range in.PreChatFields {
		s.PreChatFields = append(s.PreChatFields, schema.PreChatField{Name: f.Name, Label: f.Label, Type: string(f.Type), Required: f.Required})
	}
	return s, nil
}

func visitorStart(token string, v *model.ChatVisitorInput, answers []*model.PreChatAnswerInput, pageURL, language *string) (webchat.Start, error) {
	in := webchat.Start{Token: token, PageURL: deref(pageURL), Language: deref(language)}
	if v != nil {
		in.Visitor = webchat.Visitor{Name: deref(v.Name), Email: deref(v.Email), Phone: deref(v.Phone)}
	}
	if len(answers) > 0 {
		in.Answers = make(map[string]string, len(answers))
		for _, a := range answers {
			if _, dup := in.Answers[a.Name]; dup {
				return in, apperr.Invalid("answers", "%q is answered twice", a.Name)
			}
			in.Answers[a.Name] = a.Value
		}
	}
	return in, nil
}
