// Package review computes what `grader list` and `grader stats` show from
// the practice history (grader/internal/history): when each kata is due
// again, personal bests and medians, the trend of the last attempts as a
// sparkline, and the daily streak. Everything here is a pure function of
// the history and of "now"; the commands only read the history and print.
//
// # Days
//
// Due dates, "last practised" and the streak count calendar days in the
// time zone of the "now" passed in (the machine's local zone, or the
// offset of $MICROKATA_NOW when a test fixes it). An attempt belongs to
// the day it ended on, or the day it started on when it has no end event.
//
// # Spaced repetition
//
// Each kata has an interval in days, counted from the day of the attempt
// that set it; the kata is due again on that day plus the interval. The
// attempts of a kata, in the order they started, change it:
//
//   - A clean solve (solved within the time budget and without hints,
//     history.Attempt.Clean) doubles the interval: the first clean solve,
//     or the first after a failure, sets 1 day, then 2, 4, 8, 16, 32 and
//     at most MaxInterval (64) days. A clean solve before the kata was due
//     (the same day as the last one, say) keeps the interval, counted from
//     the new solve: solving a kata five times in one afternoon does not
//     put it off for a month.
//   - A solve that is not clean (hints used, over the budget, or untimed)
//     sets the interval back to 1 day.
//   - A timed-out or abandoned attempt, or one without an end event (the
//     grader was killed), makes the kata due now: interval 0.
//
// A kata is "new" until its first attempt; due "now" when its interval is
// 0 or its due day has passed; otherwise due "today" or in some days.
package review

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/microkata/microkata/grader/internal/history"
)

// MaxInterval is the longest interval between two practices of a kata, in
// days.
const MaxInterval = 64

// TrendLen is how many of a kata's last attempts its trend shows.
const TrendLen = 10

// Day is a calendar day: the number of days from 1970-01-01 to it.
type Day int

// DayOf is the calendar day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Date is the day at midnight UTC (for formatting).
func (d Day) Date() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String is the day as 2006-01-02.
func (d Day) String() string { return d.Date().Format(time.DateOnly) }

// Outcome is what an attempt means for the schedule.
type Outcome int

// Outcomes.
const (
	Fail       Outcome = iota // timed out, abandoned, or never ended
	Solve                     // solved, but with hints, over the budget or untimed
	CleanSolve                // solved within the budget without hints
)

// OutcomeOf classifies a.
func OutcomeOf(a history.Attempt) Outcome {
	switch {
	case a.Clean():
		return CleanSolve
	case a.Result == history.Solved:
		return Solve
	}
	return Fail
}

// When is the moment an attempt counts for: its end, or its start when it
// has no end event.
func When(a history.Attempt) time.Time {
	if a.End.IsZero() {
		return a.Start
	}
	return a.End
}

// Schedule is where a kata stands in the spaced repetition.
type Schedule struct {
	// Practised is false for a kata never attempted ("new").
	Practised bool
	// Interval is the number of days from From to the due day; 0 means
	// due now.
	Interval int
	// From is the day of the attempt that set Interval.
	From Day
}

// Due is the day the kata is due again (From when the interval is 0).
func (s Schedule) Due() Day { return s.From + Day(s.Interval) }

// DueNow reports a practised kata whose interval is 0 or whose due day is
// before today.
func (s Schedule) DueNow(today Day) bool {
	return s.Practised && (s.Interval == 0 || s.Due() < today)
}

// DueBy reports a practised kata that is due today or before: due now, or
// due today.
func (s Schedule) DueBy(today Day) bool {
	return s.Practised && s.Due() <= today
}

// Next is the schedule after attempt a, in loc's days (see the package
// comment for the rule).
func (s Schedule) Next(a history.Attempt, loc *time.Location) Schedule {
	day := DayOf(When(a), loc)
	next := Schedule{Practised: true, From: day}
	switch OutcomeOf(a) {
	case CleanSolve:
		switch {
		case !s.Practised || s.Interval == 0:
			next.Interval = 1
		case day < s.Due(): // early: the interval holds
			next.Interval = s.Interval
		default:
			next.Interval = min(2*s.Interval, MaxInterval)
		}
	case Solve:
		next.Interval = 1
	}
	return next
}

// Plan folds a kata's attempts, in start order, into its schedule.
func Plan(attempts []history.Attempt, loc *time.Location) Schedule {
	var s Schedule
	for _, a := range attempts {
		s = s.Next(a, loc)
	}
	return s
}

// Status of a kata in the practice history.
type Status string

// Statuses.
const (
	NotStarted Status = "not started" // no attempt
	Attempted  Status = "attempted"   // attempts, none solved
	Solved     Status = "solved"      // solved at least once, cleanly or not
)

// Point is one attempt of a trend.
type Point struct {
	Elapsed time.Duration
	Solved  bool
}

// Kata is one kata's practice, computed from its attempts.
type Kata struct {
	Name   string
	Status Status
	// Attempts counts every attempt, ended or not; Solves the solved
	// ones, CleanSolves those that were clean; Hints the hints shown
	// in all, in attempts and outside them.
	Attempts, Solves, CleanSolves, Hints int
	// Best and Median are over the solved attempts' elapsed times; 0
	// without a solve.
	Best, Median time.Duration
	// Practised is the time spent in the attempts that ended (one
	// without an end event has no elapsed time).
	Practised time.Duration
	// Last is when the kata was last practised (see When); zero when
	// never.
	Last     time.Time
	Schedule Schedule
	// Trend is the last TrendLen attempts, oldest first.
	Trend []Point
	// SolveDays are the days of the solved attempts, in start order.
	SolveDays []Day
}

// Review computes a kata's practice from its attempts (in start order, as
// history.Attempts returns them) and the hints shown outside attempts.
func Review(name string, attempts []history.Attempt, looseHints int, loc *time.Location) Kata {
	k := Kata{Name: name, Status: NotStarted, Attempts: len(attempts), Hints: looseHints}
	var solved []time.Duration
	for _, a := range attempts {
		k.Hints += a.Hints
		k.Practised += a.Elapsed
		if w := When(a); w.After(k.Last) {
			k.Last = w
		}
		if a.Result == history.Solved {
			k.Solves++
			solved = append(solved, a.Elapsed)
			k.SolveDays = append(k.SolveDays, DayOf(When(a), loc))
			if a.Clean() {
				k.CleanSolves++
			}
		}
	}
	if len(attempts) > 0 {
		k.Status = Attempted
	}
	if len(solved) > 0 {
		k.Status = Solved
		k.Best = slices.Min(solved)
		k.Median = Median(solved)
	}
	k.Schedule = Plan(attempts, loc)
	for _, a := range attempts[max(0, len(attempts)-TrendLen):] {
		k.Trend = append(k.Trend, Point{Elapsed: a.Elapsed, Solved: a.Result == history.Solved})
	}
	return k
}

// Summary is the practice of every kata in a history.
type Summary struct {
	// Today is the day of "now".
	Today Day
	katas map[string]Kata
}

// Summarize folds a history's events into each kata's practice, with days
// in now's time zone.
func Summarize(events []history.Event, now time.Time) *Summary {
	loc := now.Location()
	byKata := map[string][]history.Attempt{}
	for _, a := range history.Attempts(events) {
		byKata[a.Kata] = append(byKata[a.Kata], a)
	}
	loose := map[string]int{}
	for _, e := range events {
		if e.Kind == history.Hint && e.Attempt == "" {
			loose[e.Kata]++
		}
	}
	s := &Summary{Today: DayOf(now, loc), katas: map[string]Kata{}}
	for name, attempts := range byKata {
		s.katas[name] = Review(name, attempts, loose[name], loc)
	}
	return s
}

// Kata is the named kata's practice: NotStarted when the history has no
// attempt of it.
func (s *Summary) Kata(name string) Kata {
	if k, ok := s.katas[name]; ok {
		return k
	}
	return Kata{Name: name, Status: NotStarted}
}

// Names are the katas the history has attempts of, sorted.
func (s *Summary) Names() []string {
	names := make([]string, 0, len(s.katas))
	for n := range s.katas {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Overall sums up the practice of some katas.
type Overall struct {
	// Streak is the number of days in a row, ending today or yesterday,
	// with at least one solve; StreakFrom is its first day.
	Streak     int
	StreakFrom Day
	Attempts   int
	Solves     int
	Practised  time.Duration
}

// Totals sums up katas as of today.
func Totals(katas []Kata, today Day) Overall {
	var o Overall
	var days []Day
	for _, k := range katas {
		o.Attempts += k.Attempts
		o.Solves += k.Solves
		o.Practised += k.Practised
		days = append(days, k.SolveDays...)
	}
	o.Streak, o.StreakFrom = Streak(days, today)
	return o
}

// Streak counts the days in a row, ending today (or yesterday, when today
// has no solve yet), that are among days, and returns the first of them.
// It is 0 when neither today nor yesterday is.
func Streak(days []Day, today Day) (n int, from Day) {
	set := map[Day]bool{}
	for _, d := range days {
		set[d] = true
	}
	end := today
	if !set[end] {
		end--
	}
	for d := end; set[d]; d-- {
		n, from = n+1, d
	}
	return n, from
}

// Median is the middle of ds, or the mean of the two middle values for an
// even count; 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return s[m-1] + (s[m]-s[m-1])/2
}

// Spark are the sparkline's levels, fastest first; Unsolved marks an
// attempt that was not solved.
const (
	Spark    = "▁▂▃▄▅▆▇█"
	Unsolved = '×'
)

// Sparkline draws points as one character each: a solved attempt as a bar
// from ▁ (the fastest of the solved points) to █ (the slowest), scaled
// linearly and rounded; an unsolved attempt as ×. When every solved point
// took the same time (one solve, say) they are all ▄.
func Sparkline(points []Point) string {
	levels := []rune(Spark)
	lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
	for _, p := range points {
		if p.Solved {
			lo, hi = min(lo, p.Elapsed), max(hi, p.Elapsed)
		}
	}
	out := make([]rune, 0, len(points))
	for _, p := range points {
		switch {
		case !p.Solved:
			out = append(out, Unsolved)
		case hi == lo:
			out = append(out, levels[3])
		default:
			i := math.Round(float64(p.Elapsed-lo) * float64(len(levels)-1) / float64(hi-lo))
			out = append(out, levels[int(i)])
		}
	}
	return string(out)
}
