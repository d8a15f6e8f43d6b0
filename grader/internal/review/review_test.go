package review

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/history"
)

// day0 is the first day of the test sequences (2026-12-01, in UTC).
var day0 = DayOf(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC), time.UTC)

// at is hour o'clock UTC on day0+day.
func at(day, hour int) time.Time {
	return time.Date(2026, 12, 1+day, hour, 0, 0, 0, time.UTC)
}

// attempt kinds, each on day0+day: started at 10:00 with a budget of one
// hour, ended at 10:30 after 30 minutes (unless the kind says otherwise).
func attempt(day int, result string, mod func(*history.Attempt)) history.Attempt {
	a := history.Attempt{Kata: "lru", Start: at(day, 10), End: at(day, 10).Add(30 * time.Minute),
		Budget: time.Hour, Result: result, Elapsed: 30 * time.Minute}
	if mod != nil {
		mod(&a)
	}
	return a
}

func clean(day int) history.Attempt { return attempt(day, history.Solved, nil) }
func hinted(day int) history.Attempt {
	return attempt(day, history.Solved, func(a *history.Attempt) { a.Hints = 2 })
}
func overBudget(day int) history.Attempt {
	return attempt(day, history.Solved, func(a *history.Attempt) { a.Elapsed = 61 * time.Minute })
}
func untimed(day int) history.Attempt {
	return attempt(day, history.Solved, func(a *history.Attempt) { a.Budget = 0 })
}
func timedOut(day int) history.Attempt {
	return attempt(day, history.TimedOut, func(a *history.Attempt) { a.Elapsed = time.Hour })
}
func abandoned(day int) history.Attempt { return attempt(day, history.Abandoned, nil) }
func noEnd(day int) history.Attempt {
	return attempt(day, "", func(a *history.Attempt) { a.End, a.Elapsed = time.Time{}, 0 })
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    history.Attempt
		want Outcome
	}{
		{"clean", clean(0), CleanSolve},
		{"exactly the budget", attempt(0, history.Solved, func(a *history.Attempt) { a.Elapsed = time.Hour }), CleanSolve},
		{"hints", hinted(0), Solve},
		{"over budget", overBudget(0), Solve},
		{"untimed", untimed(0), Solve},
		{"timed out", timedOut(0), Fail},
		{"abandoned", abandoned(0), Fail},
		{"no end", noEnd(0), Fail},
	} {
		assert.Equal(t, tc.want, OutcomeOf(tc.a), tc.name)
	}
}

func TestIntervalDoublesUpToMax(t *testing.T) {
	// Each clean solve on its due day doubles the interval, 1 to 64 days,
	// and then it stays at 64.
	var s Schedule
	day := 0
	for i, want := range []int{1, 2, 4, 8, 16, 32, 64, 64, 64} {
		s = s.Next(clean(day), time.UTC)
		require.Equal(t, Schedule{Practised: true, Interval: want, From: day0 + Day(day)}, s, "clean solve %d on day %d", i+1, day)
		day += want
	}
}

func TestPlan(t *testing.T) {
	type seq = []history.Attempt
	for _, tc := range []struct {
		name     string
		attempts seq
		interval int
		from     int // day of the attempt that set the interval
	}{
		{"first clean solve: 1 day", seq{clean(0)}, 1, 0},
		{"second on its due day: 2", seq{clean(0), clean(1)}, 2, 1},
		{"late clean solve still doubles", seq{clean(0), clean(1), clean(30)}, 4, 30},
		{"same day again: holds", seq{clean(0), clean(0)}, 1, 0},
		{"early: holds, counted from the new solve", seq{clean(0), clean(1), clean(2)}, 2, 2},
		{"early then on time", seq{clean(0), clean(1), clean(2), clean(4)}, 4, 4},
		{"hints reset to 1", seq{clean(0), clean(1), clean(3), hinted(7)}, 1, 7},
		{"over budget resets to 1", seq{clean(0), clean(1), overBudget(3)}, 1, 3},
		{"untimed resets to 1", seq{clean(0), clean(1), untimed(3)}, 1, 3},
		{"only a hinted solve: 1", seq{hinted(0)}, 1, 0},
		{"clean after a hinted solve doubles from 1", seq{hinted(0), clean(1)}, 2, 1},
		{"clean on the day of a hinted solve holds 1", seq{hinted(0), clean(0)}, 1, 0},
		{"timed out: now", seq{clean(0), clean(1), timedOut(3)}, 0, 3},
		{"abandoned: now", seq{clean(0), abandoned(1)}, 0, 1},
		{"no end: now, from its start", seq{clean(0), noEnd(1)}, 0, 1},
		{"clean after a failure starts at 1", seq{clean(0), clean(1), timedOut(3), clean(3)}, 1, 3},
		{"failures only", seq{timedOut(0), abandoned(1), noEnd(2)}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Plan(tc.attempts, time.UTC)
			assert.Equal(t, Schedule{Practised: true, Interval: tc.interval, From: day0 + Day(tc.from)}, got)
		})
	}
	assert.Equal(t, Schedule{}, Plan(nil, time.UTC), "no attempt: not practised")
}

func TestDueText(t *testing.T) {
	four := Schedule{Practised: true, Interval: 4, From: day0} // due 2026-12-05
	for _, tc := range []struct {
		s     Schedule
		today Day
		want  string
	}{
		{Schedule{}, day0, "new"},
		{Schedule{Practised: true, From: day0}, day0, "now"},
		{Schedule{Practised: true, From: day0}, day0 + 9, "now"},
		{four, day0, "in 4 days (2026-12-05)"},
		{four, day0 + 3, "tomorrow (2026-12-05)"},
		{four, day0 + 4, "today"},
		{four, day0 + 5, "now (due 2026-12-05)"},
		{four, day0 + 40, "now (due 2026-12-05)"},
	} {
		assert.Equal(t, tc.want, DueText(tc.s, tc.today), "schedule %+v on %s", tc.s, tc.today)
		assert.Equal(t, tc.s.Practised && tc.want[:3] == "now", tc.s.DueNow(tc.today), "DueNow for %q", tc.want)
		assert.Equal(t, tc.s.Practised && (tc.want[:3] == "now" || tc.want == "today"), tc.s.DueBy(tc.today), "DueBy for %q", tc.want)
	}
}

func TestDaysInTheZoneOfNow(t *testing.T) {
	end := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	shanghai := time.FixedZone("UTC+8", 8*3600)
	assert.Equal(t, "2026-12-01", DayOf(end, time.UTC).String())
	assert.Equal(t, "2026-12-02", DayOf(end, shanghai).String())
	assert.Equal(t, "2026-11-30", DayOf(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), time.FixedZone("UTC-5", -5*3600)).String())
	assert.Equal(t, "1969-12-31", DayOf(time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), time.UTC).String())

	// A solve at 23:30 UTC is due on the 2nd in UTC, on the 3rd at UTC+8.
	a := clean(0)
	a.End = end
	assert.Equal(t, "2026-12-02", Plan([]history.Attempt{a}, time.UTC).Due().String())
	assert.Equal(t, "2026-12-03", Plan([]history.Attempt{a}, shanghai).Due().String())
}

func TestStreak(t *testing.T) {
	today := day0 + 10
	for _, tc := range []struct {
		name string
		days []Day
		n    int
		from Day
	}{
		{"none", nil, 0, 0},
		{"today only", []Day{today}, 1, today},
		{"yesterday only: still on", []Day{today - 1}, 1, today - 1},
		{"two days ago: broken", []Day{today - 2}, 0, 0},
		{"three in a row to today", []Day{today - 2, today, today - 1}, 3, today - 2},
		{"three in a row to yesterday", []Day{today - 3, today - 2, today - 1}, 3, today - 3},
		{"a gap ends it", []Day{today - 5, today - 4, today - 2, today - 1, today}, 3, today - 2},
		{"a gap before yesterday", []Day{today - 3, today - 1}, 1, today - 1},
		{"several solves a day count once", []Day{today, today, today - 1, today - 1}, 2, today - 1},
		{"a future day is not counted", []Day{today + 1}, 0, 0},
	} {
		n, from := Streak(tc.days, today)
		assert.Equal(t, tc.n, n, tc.name)
		assert.Equal(t, tc.from, from, tc.name)
	}
}

func TestMedian(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{7 * s}, 7 * s},
		{[]time.Duration{3 * s, 1 * s, 2 * s}, 2 * s},
		{[]time.Duration{4 * s, 1 * s, 3 * s, 2 * s}, 2500 * time.Millisecond},
		{[]time.Duration{5 * s, 5 * s}, 5 * s},
		{[]time.Duration{90 * s, 10 * s, 40 * s, 20 * s, 30 * s}, 30 * s},
	} {
		in := fmt.Sprint(tc.in)
		assert.Equal(t, tc.want, Median(tc.in), "Median(%s)", in)
		assert.Equal(t, in, fmt.Sprint(tc.in), "Median must not reorder its argument")
	}
}

func TestSparkline(t *testing.T) {
	m := time.Minute
	solved := func(ds ...time.Duration) []Point {
		var ps []Point
		for _, d := range ds {
			ps = append(ps, Point{Elapsed: d, Solved: true})
		}
		return ps
	}
	miss := Point{Elapsed: 60 * m}
	for _, tc := range []struct {
		name   string
		points []Point
		want   string
	}{
		{"none", nil, ""},
		{"one attempt", solved(20 * m), "▄"},
		{"all equal", solved(5*m, 5*m, 5*m), "▄▄▄"},
		{"every level", solved(10*m, 20*m, 30*m, 40*m, 50*m, 60*m, 70*m, 80*m), "▁▂▃▄▅▆▇█"},
		{"getting faster", solved(40*m, 30*m, 20*m, 12*m), "█▆▃▁"},
		{"rounded to the nearest level", solved(0, 35*m, 70*m), "▁▅█"},
		{"unsolved is ×, whatever its time", append([]Point{miss}, solved(30*m, 45*m)...), "×▁█"},
		{"unsolved does not stretch the scale", []Point{{Elapsed: time.Second}, {Elapsed: 10 * m, Solved: true}, {Elapsed: 20 * m, Solved: true}}, "×▁█"},
		{"only unsolved", []Point{miss, {}}, "××"},
		{"unsolved and one solve", []Point{miss, {Elapsed: 9 * m, Solved: true}}, "×▄"},
	} {
		assert.Equal(t, tc.want, Sparkline(tc.points), tc.name)
	}
}

func TestReview(t *testing.T) {
	fast := attempt(3, history.Solved, func(a *history.Attempt) { a.Elapsed = 12 * time.Minute })
	as := []history.Attempt{timedOut(0), hinted(1), noEnd(2), fast, overBudget(4)}
	k := Review("lru", as, 2, time.UTC)
	assert.Equal(t, Solved, k.Status)
	assert.Equal(t, 5, k.Attempts)
	assert.Equal(t, 3, k.Solves)
	assert.Equal(t, 1, k.CleanSolves)
	assert.Equal(t, 4, k.Hints, "2 in the hinted attempt, 2 outside attempts")
	assert.Equal(t, 12*time.Minute, k.Best)
	assert.Equal(t, 30*time.Minute, k.Median, "median of 12, 30 and 61 minutes")
	assert.Equal(t, (60+30+12+61)*time.Minute, k.Practised, "the attempt without an end adds nothing")
	assert.Equal(t, as[4].End, k.Last)
	assert.Equal(t, Schedule{Practised: true, Interval: 1, From: day0 + 4}, k.Schedule)
	assert.Equal(t, []Day{day0 + 1, day0 + 3, day0 + 4}, k.SolveDays)
	assert.Equal(t, "×▄×▁█", Sparkline(k.Trend), "30 minutes between 12 and 61 is ▄")

	k = Review("lru", []history.Attempt{noEnd(5)}, 0, time.UTC)
	assert.Equal(t, Attempted, k.Status)
	assert.Equal(t, at(5, 10), k.Last, "no end: last practised when it started")
	assert.Zero(t, k.Best)

	var many []history.Attempt
	for i := range 13 {
		many = append(many, attempt(i, history.Solved, func(a *history.Attempt) { a.Elapsed = time.Duration(i+1) * time.Minute }))
	}
	k = Review("lru", many, 0, time.UTC)
	require.Len(t, k.Trend, TrendLen)
	assert.Equal(t, 4*time.Minute, k.Trend[0].Elapsed, "the last 10 of 13 attempts, oldest first")
	assert.Equal(t, "▁▂▃▃▄▅▆▆▇█", Sparkline(k.Trend), "4 to 13 minutes")
}

func TestSummarize(t *testing.T) {
	ev := func(h int, kind, kata, id string, mod func(*history.Event)) history.Event {
		e := history.Event{Time: at(0, h), Kind: kind, Kata: kata, Attempt: id}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	events := []history.Event{
		ev(9, history.Hint, "lru", "", func(e *history.Event) { e.Hint = 1 }),
		ev(10, history.Start, "lru", "a1", func(e *history.Event) { e.Budget = 3600 }),
		ev(11, history.End, "lru", "a1", func(e *history.Event) { e.Result, e.Elapsed = history.Solved, 1800 }),
		ev(12, history.Start, "breaker", "b1", func(e *history.Event) { e.Budget = 3600 }),
	}
	now := at(1, 8)
	s := Summarize(events, now)
	assert.Equal(t, day0+1, s.Today)
	assert.Equal(t, []string{"breaker", "lru"}, s.Names())
	lru := s.Kata("lru")
	assert.Equal(t, 1, lru.CleanSolves)
	assert.Equal(t, 1, lru.Hints, "a hint outside an attempt counts for the kata")
	assert.Equal(t, "today", DueText(lru.Schedule, s.Today))
	assert.Equal(t, "now", DueText(s.Kata("breaker").Schedule, s.Today))
	assert.Equal(t, Kata{Name: "heartbeat", Status: NotStarted}, s.Kata("heartbeat"))

	o := Totals([]Kata{lru, s.Kata("breaker"), s.Kata("heartbeat")}, s.Today)
	assert.Equal(t, Overall{Streak: 1, StreakFrom: day0, Attempts: 2, Solves: 1, Practised: 30 * time.Minute}, o)
}

func TestText(t *testing.T) {
	today := day0 + 30
	for d, want := range map[Day]string{today: "today", today - 1: "yesterday", today - 2: "2 days ago",
		today - 6: "6 days ago", today - 7: "2026-12-24", today + 1: "2027-01-01"} {
		assert.Equal(t, want, Ago(d, today))
	}
	s, m := time.Second, time.Minute
	for d, want := range map[time.Duration]string{0: "00:00", 59*s + 600*time.Millisecond: "01:00",
		4*m + 5*s: "04:05", 75 * m: "75:00"} {
		assert.Equal(t, want, Clock(d), "Clock(%v)", d)
	}
	for d, want := range map[time.Duration]string{0: "0s", 45 * s: "45s", 12*m + 5*s: "12m 05s",
		3*time.Hour + 7*m + 20*s: "3h 07m", 59*m + 59*s + 600*time.Millisecond: "1h 00m"} {
		assert.Equal(t, want, Span(d), "Span(%v)", d)
	}
}
