package schedule

import (
	"strings"
	"testing"
	"time"
)

func at(t *testing.T, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func check(t *testing.T, h *Hours, now time.Time, wantOpen bool, wantNext time.Time) {
	t.Helper()
	open, next := h.Open(now)
	if open != wantOpen || !next.Equal(wantNext) {
		t.Errorf("at %s: open %v next %s; want %v next %s", now, open, next, wantOpen, wantNext)
	}
}

func TestWeekdays(t *testing.T) {
	const z = "Europe/Zurich"
	h := &Hours{TimeZone: z}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Weekly = append(h.Weekly, Range{Day: d, Open: "09:00", Close: "17:30"})
	}
	// 2026-12-07 is a Monday.
	check(t, h, at(t, z, "2026-12-07 08:59"), false, at(t, z, "2026-12-07 09:00"))
	check(t, h, at(t, z, "2026-12-07 09:00"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-07 17:29"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-07 17:30"), false, at(t, z, "2026-12-08 09:00"))
	// Friday evening: next Monday.
	check(t, h, at(t, z, "2026-12-11 18:00"), false, at(t, z, "2026-12-14 09:00"))
	// The same instant seen from another zone gives the same answer.
	check(t, h, at(t, z, "2026-12-07 09:00").In(time.UTC), true, time.Time{})
}

func TestHolidays(t *testing.T) {
	const z = "Europe/Zurich"
	h := &Hours{TimeZone: z, Holidays: []string{"2026-12-25", "2026-12-28"}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		h.Weekly = append(h.Weekly, Range{Day: d, Open: "08:00", Close: "20:00"})
	}
	// Friday 25th closed; 28th (Monday) closed; open on the weekend between.
	check(t, h, at(t, z, "2026-12-24 21:00"), false, at(t, z, "2026-12-26 08:00"))
	check(t, h, at(t, z, "2026-12-25 12:00"), false, at(t, z, "2026-12-26 08:00"))
	check(t, h, at(t, z, "2026-12-27 20:00"), false, at(t, z, "2026-12-29 08:00"))
}

func TestOvernight(t *testing.T) {
	const z = "America/New_York"
	// Friday 22:00 to Saturday 02:00, and a whole Sunday.
	h := &Hours{TimeZone: z, Weekly: []Range{
		{Day: time.Friday, Open: "22:00", Close: "02:00"},
		{Day: time.Sunday, Open: "00:00", Close: "24:00"},
	}}
	check(t, h, at(t, z, "2026-12-11 21:59"), false, at(t, z, "2026-12-11 22:00"))
	check(t, h, at(t, z, "2026-12-11 23:30"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-12 01:59"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-12 02:00"), false, at(t, z, "2026-12-13 00:00"))
	check(t, h, at(t, z, "2026-12-13 23:59"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-14 00:00"), false, at(t, z, "2026-12-18 22:00"))
	// A holiday on Saturday closes the part after midnight.
	h.Holidays = []string{"2026-12-12"}
	check(t, h, at(t, z, "2026-12-11 23:30"), true, time.Time{})
	check(t, h, at(t, z, "2026-12-12 00:30"), false, at(t, z, "2026-12-13 00:00"))
}

func TestDST(t *testing.T) {
	const z = "Europe/Zurich"
	// Every day 09:00-17:00 and an overnight Saturday 22:00-06:00.
	h := &Hours{TimeZone: z, Weekly: []Range{{Day: time.Saturday, Open: "22:00", Close: "06:00"}}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		h.Weekly = append(h.Weekly, Range{Day: d, Open: "09:00", Close: "17:00"})
	}
	// Clocks go forward on Sunday 2027-03-28 at 02:00 (UTC+1 → UTC+2):
	// 09:00 local is 07:00 UTC, a day earlier it was 08:00 UTC.
	check(t, h, time.Date(2027, 3, 27, 7, 59, 0, 0, time.UTC), false, time.Date(2027, 3, 27, 8, 0, 0, 0, time.UTC))
	check(t, h, time.Date(2027, 3, 28, 6, 59, 0, 0, time.UTC), false, time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC))
	// The short night: 22:00 CET (21:00 UTC) to 06:00 CEST (04:00 UTC), 7 hours.
	check(t, h, time.Date(2027, 3, 28, 3, 59, 0, 0, time.UTC), true, time.Time{})
	check(t, h, time.Date(2027, 3, 28, 4, 0, 0, 0, time.UTC), false, time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC))
	// Clocks go back on Sunday 2026-10-25 at 03:00 (UTC+2 → UTC+1): the
	// night lasts 9 hours, 20:00 UTC to 05:00 UTC.
	check(t, h, time.Date(2026, 10, 24, 19, 59, 0, 0, time.UTC), false, time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC))
	check(t, h, time.Date(2026, 10, 25, 4, 59, 0, 0, time.UTC), true, time.Time{})
	check(t, h, time.Date(2026, 10, 25, 5, 0, 0, 0, time.UTC), false, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC))
}

// A range that closes when it opens runs 24 hours, into the next day.
func TestFullDayOvernight(t *testing.T) {
	h := &Hours{TimeZone: "UTC", Weekly: []Range{{Day: time.Monday, Open: "09:00", Close: "09:00"}}}
	check(t, h, time.Date(2026, 12, 7, 8, 59, 0, 0, time.UTC), false, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	check(t, h, time.Date(2026, 12, 8, 8, 59, 0, 0, time.UTC), true, time.Time{})
	check(t, h, time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC), false, time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC))
}

func TestNeverOpens(t *testing.T) {
	h := &Hours{TimeZone: "UTC"}
	check(t, h, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), false, time.Time{})
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		h    Hours
		want string
	}{
		{Hours{TimeZone: "Mars/Olympus"}, "not an IANA time zone"},
		{Hours{}, "timeZone"},
		{Hours{TimeZone: "UTC", Weekly: []Range{{Day: 1, Open: "9:00", Close: "17:00"}}}, "weekly[0].open"},
		{Hours{TimeZone: "UTC", Weekly: []Range{{Day: 1, Open: "24:00", Close: "17:00"}}}, "weekly[0].open"},
		{Hours{TimeZone: "UTC", Weekly: []Range{{Day: 1, Open: "09:00", Close: "17:60"}}}, "weekly[0].close"},
		{Hours{TimeZone: "UTC", Weekly: []Range{{Day: 7, Open: "09:00", Close: "10:00"}}}, "no week day"},
		{Hours{TimeZone: "UTC", Holidays: []string{"2026-02-30"}}, "holidays[0]"},
	} {
		err := c.h.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want an error with %q", c.h, err, c.want)
		}
	}
	ok := Hours{TimeZone: "Asia/Kolkata", Weekly: []Range{{Day: 0, Open: "00:00", Close: "24:00"}}, Holidays: []string{"2027-01-26"}}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}
