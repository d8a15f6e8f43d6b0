package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/history"
	"github.com/microkata/microkata/grader/internal/i18n"
	"github.com/microkata/microkata/grader/internal/review"
)

// The commands list and stats read the practice history, compute with
// grader/internal/review and print. Days (due dates, "yesterday", the
// streak) are counted in the time zone of clockNow: the machine's local
// zone, or the offset written in $MICROKATA_NOW when a test fixes "now".

// dueRule is the line under the list that explains the DUE column (the
// rule is review's package comment).
const dueRule = "due: a clean solve (in budget, no hints) doubles the interval: 1, 2, 4 … 64 days (an early one keeps it); " +
	"other solves: 1 day; timed out or abandoned: now"

// practiceLog is what the history holds, read for list and stats.
type practiceLog struct {
	path    string
	events  []history.Event
	warns   []string
	now     time.Time
	summary *review.Summary
}

// readPractice reads the history in the state directory. Skipped lines (a
// torn last line) are warnings on stderr and never an error.
func readPractice(stderr io.Writer) (*practiceLog, error) {
	dir, err := history.DefaultDir()
	if err != nil {
		return nil, err
	}
	st := history.Open(dir)
	events, warns, err := st.Read()
	if err != nil {
		return nil, err
	}
	for _, w := range warns {
		fmt.Fprintf(stderr, "grader: warning: %s\n", w)
	}
	now := clockNow()
	return &practiceLog{path: st.Path(), events: events, warns: warns, now: now, summary: review.Summarize(events, now)}, nil
}

func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf      common
		jsonOut bool
	)
	katas, code, done := setup("list", `Lists every kata of the catalog with your practice: status, best solved
time, attempts, when you last practised it, and when it is due again.

When a kata is due: a clean solve (within the budget, without hints)
doubles its interval, 1, 2, 4 ... 64 days from that solve (a clean solve
before the kata was due keeps the interval); a solve with hints, over the
budget or untimed sets it back to 1 day; a timed-out or abandoned attempt
makes it due now.`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&jsonOut, "json", false, "print the rows as JSON")
	})
	if done {
		return code
	}
	p, err := readPractice(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	today := p.summary.Today
	rows := make([]review.Kata, len(katas))
	practised, due := 0, 0
	for i, k := range katas {
		rows[i] = p.summary.Kata(k.Name)
		if s := rows[i].Schedule; s.Practised {
			practised++
			if s.DueBy(today) {
				due++
			}
		}
	}
	if jsonOut {
		return writeJSON(stdout, stderr, listJSON{Now: p.now, History: p.path, Warnings: p.warns, Katas: listRows(rows, today)})
	}

	var b strings.Builder
	L := cf.language()
	fmt.Fprintf(&b, "%s\n\n", L.F("microkata list  %s: %d of %d katas practised, %d due", today, practised, len(katas), due))
	cells := [][]string{translate(L, "KATA", "STATUS", "BEST", "ATTEMPTS", "LAST PRACTISED", "DUE")}
	for _, k := range rows {
		best, last := "-", "-"
		if k.Solves > 0 {
			best = review.Clock(k.Best)
		}
		if !k.Last.IsZero() {
			last = review.AgoIn(L, review.DayOf(k.Last, p.now.Location()), today)
		}
		cells = append(cells, []string{k.Name, L.S(string(k.Status)), best, fmt.Sprint(k.Attempts), last, review.DueTextIn(L, k.Schedule, today)})
	}
	table(&b, cells, []bool{false, false, true, true, false, false})
	fmt.Fprintf(&b, "\n%s\n%s\n", L.S(dueRule), L.F("history: %s", p.path))
	io.WriteString(stdout, b.String())
	return exitOK
}

func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var (
		cf      common
		jsonOut bool
	)
	katas, code, done := setup("stats", `Prints your practice statistics for the named katas (default: all that you
have attempted): best and median solved time, attempts, solves, hints, the
trend of the last 10 attempts, and overall your streak (days in a row with a
solve, ending today or yesterday) and totals.`, args, stdout, stderr, &cf, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&jsonOut, "json", false, "print the statistics as JSON")
	})
	if done {
		return code
	}
	p, err := readPractice(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	named := someNamed(katas)
	rows := statsKatas(p.summary, katas, !named)
	today := p.summary.Today
	all := review.Totals(rows, today)
	if jsonOut {
		return writeJSON(stdout, stderr, statsJSON(p, rows, all))
	}

	var b strings.Builder
	L := cf.language()
	fmt.Fprintf(&b, "%s\n\n", L.F("microkata stats  %s", today))
	if len(rows) == 0 {
		fmt.Fprintf(&b, "%s\n%s\n", L.S("no attempts yet: `grader practice <kata>` starts one"), L.F("history: %s", p.path))
		io.WriteString(stdout, b.String())
		return exitOK
	}
	cells := [][]string{translate(L, "KATA", "BEST", "MEDIAN", "ATTEMPTS", "SOLVED", "HINTS", "TREND")}
	for _, k := range rows {
		best, median := "-", "-"
		if k.Solves > 0 {
			best, median = review.Clock(k.Best), review.Clock(k.Median)
		}
		cells = append(cells, []string{k.Name, best, median, fmt.Sprint(k.Attempts), fmt.Sprint(k.Solves), fmt.Sprint(k.Hints), review.Sparkline(k.Trend)})
	}
	table(&b, cells, []bool{false, true, true, true, true, true, false})
	if named {
		var idle []string
		for _, k := range katas {
			if p.summary.Kata(k.Name).Attempts == 0 {
				idle = append(idle, k.Name)
			}
		}
		if len(idle) > 0 {
			fmt.Fprintln(&b, L.F("not attempted yet: %s", strings.Join(idle, ", ")))
		}
	}
	streak := L.S("none yet: solve a kata today to start one")
	if all.Streak > 0 {
		streak = fmt.Sprintf("%d %s (since %s)", all.Streak, plural(all.Streak, "day", "days"), all.StreakFrom)
		if L == i18n.Chinese {
			streak = L.F("%d day(s) (since %s)", all.Streak, all.StreakFrom)
		}
	}
	total := fmt.Sprintf("total   %d %s, %d solved, %s practised", all.Attempts, plural(all.Attempts, "attempt", "attempts"), all.Solves, review.Span(all.Practised))
	if L == i18n.Chinese {
		total = L.F("total   %d attempt(s), %d solved, %s practised", all.Attempts, all.Solves, review.Span(all.Practised))
	}
	fmt.Fprintf(&b, "\n%s\n%s\n", L.F("streak  %s", streak), total)
	fmt.Fprintf(&b, "\n%s\n%s\n", L.F("trend: the last %d attempts, oldest first: %c fastest … %c slowest solve, %c not solved",
		review.TrendLen, []rune(review.Spark)[0], []rune(review.Spark)[len([]rune(review.Spark))-1], review.Unsolved), L.F("history: %s", p.path))
	io.WriteString(stdout, b.String())
	return exitOK
}

// someNamed reports whether katas are some of the catalog's (named on the
// command line) rather than all of them.
func someNamed(katas []*catalog.Kata) bool {
	entries, err := catalog.ReadEntries(katas[0].Root)
	return err != nil || len(entries) != len(katas)
}

// statsKatas are the selected katas that have attempts, in catalog order,
// followed with others by the katas the history has but the catalog no
// longer lists, sorted by name.
func statsKatas(s *review.Summary, katas []*catalog.Kata, others bool) []review.Kata {
	var rows []review.Kata
	listed := map[string]bool{}
	for _, k := range katas {
		listed[k.Name] = true
		if r := s.Kata(k.Name); r.Attempts > 0 {
			rows = append(rows, r)
		}
	}
	if !others {
		return rows
	}
	for _, name := range s.Names() {
		if !listed[name] {
			rows = append(rows, s.Kata(name))
		}
	}
	return rows
}

// table writes rows as columns two spaces apart, each as wide as its
// widest cell in terminal columns (right-aligned where right says), without trailing
// spaces.
func table(b *strings.Builder, rows [][]string, right []bool) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], i18n.Width(c))
		}
	}
	for _, r := range rows {
		var l strings.Builder
		for i, c := range r {
			if i > 0 {
				l.WriteString("  ")
			}
			l.WriteString(i18n.Pad(c, widths[i], right[i]))
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	return exitOK
}

// listJSON is `grader list --json`.
type listJSON struct {
	Now      time.Time `json:"now"`
	History  string    `json:"history"`
	Warnings []string  `json:"warnings,omitempty"`
	Katas    []listRow `json:"katas"`
}

type listRow struct {
	Kata          string     `json:"kata"`
	Status        string     `json:"status"`
	BestSeconds   float64    `json:"bestSeconds,omitempty"`
	Attempts      int        `json:"attempts"`
	Solves        int        `json:"solves"`
	CleanSolves   int        `json:"cleanSolves"`
	LastPractised *time.Time `json:"lastPractised,omitempty"`
	// IntervalDays, Due (YYYY-MM-DD) and DueNow are absent for a kata
	// never attempted.
	IntervalDays *int   `json:"intervalDays,omitempty"`
	Due          string `json:"due,omitempty"`
	DueNow       bool   `json:"dueNow,omitempty"`
}

func listRows(katas []review.Kata, today review.Day) []listRow {
	rows := make([]listRow, len(katas))
	for i, k := range katas {
		r := listRow{Kata: k.Name, Status: string(k.Status), Attempts: k.Attempts, Solves: k.Solves, CleanSolves: k.CleanSolves}
		if k.Solves > 0 {
			r.BestSeconds = k.Best.Seconds()
		}
		if !k.Last.IsZero() {
			r.LastPractised = &k.Last
		}
		if s := k.Schedule; s.Practised {
			r.IntervalDays, r.Due, r.DueNow = &s.Interval, s.Due().String(), s.DueNow(today)
		}
		rows[i] = r
	}
	return rows
}

// statsOut is `grader stats --json`.
type statsOut struct {
	Now              time.Time  `json:"now"`
	History          string     `json:"history"`
	Warnings         []string   `json:"warnings,omitempty"`
	Katas            []statsRow `json:"katas"`
	StreakDays       int        `json:"streakDays"`
	StreakFrom       string     `json:"streakFrom,omitempty"`
	Attempts         int        `json:"attempts"`
	Solves           int        `json:"solves"`
	PractisedSeconds float64    `json:"practisedSeconds"`
}

type statsRow struct {
	Kata          string       `json:"kata"`
	BestSeconds   float64      `json:"bestSeconds,omitempty"`
	MedianSeconds float64      `json:"medianSeconds,omitempty"`
	Attempts      int          `json:"attempts"`
	Solves        int          `json:"solves"`
	CleanSolves   int          `json:"cleanSolves"`
	Hints         int          `json:"hints"`
	Trend         []trendPoint `json:"trend"`
	Sparkline     string       `json:"sparkline"`
}

type trendPoint struct {
	ElapsedSeconds float64 `json:"elapsedSeconds"`
	Solved         bool    `json:"solved"`
}

func statsJSON(p *practiceLog, katas []review.Kata, all review.Overall) statsOut {
	out := statsOut{Now: p.now, History: p.path, Warnings: p.warns, Katas: []statsRow{}, StreakDays: all.Streak,
		Attempts: all.Attempts, Solves: all.Solves, PractisedSeconds: all.Practised.Seconds()}
	if all.Streak > 0 {
		out.StreakFrom = all.StreakFrom.String()
	}
	for _, k := range katas {
		r := statsRow{Kata: k.Name, Attempts: k.Attempts, Solves: k.Solves, CleanSolves: k.CleanSolves, Hints: k.Hints,
			Sparkline: review.Sparkline(k.Trend)}
		if k.Solves > 0 {
			r.BestSeconds, r.MedianSeconds = k.Best.Seconds(), k.Median.Seconds()
		}
		for _, t := range k.Trend {
			r.Trend = append(r.Trend, trendPoint{ElapsedSeconds: t.Elapsed.Seconds(), Solved: t.Solved})
		}
		out.Katas = append(out.Katas, r)
	}
	return out
}

// translate returns the words in l.
func translate(l i18n.Lang, words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = l.S(w)
	}
	return out
}
