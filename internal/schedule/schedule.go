// Package schedule decides whether a web chat entry point is open: weekly
// opening hours in an IANA time zone, with holidays closed all day
// (README, "Opening hours").
package schedule

import (
	"fmt"
	"time"
)

// Range is one opening range of a week day: from Open to Close, wall-clock
// times "HH:MM" in the schedule's time zone. A Close at or before Open runs
// overnight into the next day; Close "24:00" is midnight at the day's end.
type Range struct {
	Day   time.Weekday `json:"day"`
	Open  string       `json:"open"`
	Close string       `json:"close"`
}

// Hours is an entry point's schedule. Holidays are dates ("2006-01-02") in
// the time zone on which it is closed all day, including the part after
// midnight of the previous day's overnight range.
type Hours struct {
	TimeZone string   `json:"timeZone"`
	Weekly   []Range  `json:"weekly"`
	Holidays []string `json:"holidays,omitempty"`
}

// errUnimplemented is returned until the schedule is evaluated.
var errUnimplemented = fmt.Errorf("schedule: not evaluated yet")

// Validate checks the schedule.
func (h *Hours) Validate() error { return errUnimplemented }

// Open reports whether the schedule is open at t and, when closed, the next
// opening instant (zero when it never opens again within a year).
func (h *Hours) Open(t time.Time) (bool, time.Time) { return false, time.Time{} }
