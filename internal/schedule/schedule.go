// Package schedule decides whether a web chat entry point is open: weekly
// opening hours in an IANA time zone, with holidays closed all day
// (README, "Opening hours").
package schedule

import (
	"fmt"
	"time"
	// The zone database is built in, so a server without /usr/share/zoneinfo
	// still knows every IANA zone.
	_ "time/tzdata"
)

// Range is one opening range of a week day: from Open to Close, wall-clock
// times "HH:MM" in the schedule's time zone. A Close at or before Open
// runs overnight into the next day (equal: 24 hours); Close "24:00" is
// midnight at the day's end.
type Range struct {
	Day   time.Weekday `json:"day"`
	Open  string       `json:"open"`
	Close string       `json:"close"`
}

// Hours is an entry point's schedule. Holidays are dates ("2006-01-02") in
// the time zone on which it is closed all day: an instant whose local date
// is a holiday is closed, including the part after midnight of the
// previous day's overnight range.
type Hours struct {
	TimeZone string   `json:"timeZone"`
	Weekly   []Range  `json:"weekly"`
	Holidays []string `json:"holidays,omitempty"`
}

// Bounds of a schedule.
const (
	MaxRanges   = 50
	MaxHolidays = 400
	// horizon is how far ahead the next opening is looked for.
	horizon = 400
)

// Validate checks the schedule: a known time zone, ranges with valid
// times, valid dates. The error names the offending part.
func (h *Hours) Validate() error {
	if _, err := h.location(); err != nil {
		return err
	}
	if len(h.Weekly) > MaxRanges {
		return fmt.Errorf("weekly: at most %d ranges", MaxRanges)
	}
	for i, r := range h.Weekly {
		if r.Day < time.Sunday || r.Day > time.Saturday {
			return fmt.Errorf("weekly[%d]: no week day %d", i, r.Day)
		}
		if _, err := minutes(r.Open, false); err != nil {
			return fmt.Errorf("weekly[%d].open: %w", i, err)
		}
		if _, err := minutes(r.Close, true); err != nil {
			return fmt.Errorf("weekly[%d].close: %w", i, err)
		}
	}
	if len(h.Holidays) > MaxHolidays {
		return fmt.Errorf("holidays: at most %d dates", MaxHolidays)
	}
	for i, d := range h.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return fmt.Errorf("holidays[%d]: %q is not a date YYYY-MM-DD", i, d)
		}
	}
	return nil
}

func (h *Hours) location() (*time.Location, error) {
	if h.TimeZone == "" || h.TimeZone == "Local" {
		return nil, fmt.Errorf("timeZone: give an IANA time zone such as Europe/Zurich")
	}
	loc, err := time.LoadLocation(h.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("timeZone: %q is not an IANA time zone", h.TimeZone)
	}
	return loc, nil
}

// minutes parses "HH:MM" into minutes after midnight; "24:00" only when
// allowed (a close).
func minutes(s string, allow24 bool) (int, error) {
	var hh, mm int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &hh, &mm); err != nil || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !allow24)) {
		return 0, fmt.Errorf("%q is not a time HH:MM from 00:00 to %s", s, map[bool]string{true: "24:00", false: "23:59"}[allow24])
	}
	return hh*60 + mm, nil
}

// Open reports whether the schedule is open at t and, when closed, the
// next opening instant (zero when it does not open within about a year).
// An invalid schedule is never open.
func (h *Hours) Open(t time.Time) (bool, time.Time) {
	loc, err := h.location()
	if err != nil || h.Validate() != nil {
		return false, time.Time{}
	}
	holidays := make(map[string]bool, len(h.Holidays))
	for _, d := range h.Holidays {
		holidays[d] = true
	}
	local := t.In(loc)
	y, m, d := local.Date()
	var next time.Time
	// Yesterday's overnight ranges may still be open today.
	for day := -1; day <= horizon; day++ {
		date := time.Date(y, m, d+day, 0, 0, 0, 0, loc)
		for _, r := range h.Weekly {
			if r.Day != date.Weekday() {
				continue
			}
			for _, p := range parts(date, r, loc) {
				if holidays[p.start.Format(time.DateOnly)] || !p.end.After(t) {
					continue
				}
				if !p.start.After(t) {
					return true, time.Time{}
				}
				if next.IsZero() || p.start.Before(next) {
					next = p.start
				}
			}
		}
		// Ranges start on their own day, so a later day cannot open sooner.
		if !next.IsZero() && date.After(next) {
			break
		}
	}
	return false, next
}

type span struct{ start, end time.Time }

// parts is the range r of date as instants, split at midnight so each part
// lies within one local date (the unit holidays close).
func parts(date time.Time, r Range, loc *time.Location) []span {
	open, _ := minutes(r.Open, false)
	end, _ := minutes(r.Close, true)
	y, m, d := date.Date()
	at := func(day, min int) time.Time { return time.Date(y, m, d+day, 0, min, 0, 0, loc) }
	midnight := at(1, 0)
	if end > open {
		return []span{{at(0, open), at(0, end)}}
	}
	return []span{{at(0, open), midnight}, {midnight, at(1, end)}}
}
