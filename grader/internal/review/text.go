package review

import (
	"fmt"
	"time"

	"github.com/microkata/microkata/grader/internal/i18n"
)

// Ago says when day was, seen from today: "today", "yesterday", "3 days
// ago" within a week, else the date.
func Ago(day, today Day) string { return AgoIn(i18n.English, day, today) }

// AgoIn is Ago in l.
func AgoIn(l i18n.Lang, day, today Day) string {
	switch n := today - day; {
	case n == 0:
		return l.S("today")
	case n == 1:
		return l.S("yesterday")
	case n > 1 && n < 7:
		return l.F("%d days ago", n)
	}
	return day.String()
}

// DueText says when a kata is due, seen from today: "new" (never
// attempted), "now" (interval 0), "now (due 2026-12-01)" (overdue),
// "today", "tomorrow (2026-12-06)", "in 4 days (2026-12-09)".
func DueText(s Schedule, today Day) string { return DueTextIn(i18n.English, s, today) }

// DueTextIn is DueText in l.
func DueTextIn(l i18n.Lang, s Schedule, today Day) string {
	switch due := s.Due(); {
	case !s.Practised:
		return l.S("new")
	case s.Interval == 0:
		return l.S("now")
	case due < today:
		return l.F("now (due %s)", due)
	case due == today:
		return l.S("today")
	case due == today+1:
		return l.F("tomorrow (%s)", due)
	default:
		return l.F("in %d days (%s)", due-today, due)
	}
}

// Clock is d as minutes and seconds, mm:ss, rounded to the second; past
// an hour the minutes go on (75:00).
func Clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// Span is a total time: "45s", "12m 05s", "3h 07m".
func Span(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	m := (s + 30) / 60 // to the nearest minute
	return fmt.Sprintf("%dh %02dm", m/60, m%60)
}
