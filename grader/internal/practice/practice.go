// Package practice is the timed practice loop: it watches a kata's folder,
// re-runs the visible tests on every save, redraws one status block with the
// time left, runs the hidden tests once the visible ones pass, hands out
// hints on request, and records every attempt in the learner's history.
//
// It runs tests only through the grader's one result model: a Grader func
// (in the command, grade.Grade) returns a result.Run, and this package only
// reads it.
package practice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/microkata/microkata/grader/internal/hints"
	"github.com/microkata/microkata/grader/internal/history"
	"github.com/microkata/microkata/grader/internal/i18n"
	"github.com/microkata/microkata/grader/internal/result"
)

// Grader runs the tests of the kata: the visible ones alone, or every test
// (hidden, race, leaks) and, with bench, the benchmarks of a passing kata.
type Grader func(ctx context.Context, hidden, bench bool) (*result.Run, error)

// Modes of an attempt.
const (
	ModePractice = "practice"
	ModeRandom   = "random" // an interview simulation: the task only, no hints
)

// Config is one practice session.
type Config struct {
	// Kata is the kata's name; Title, Difficulty and Files (the learner's
	// non-test files, hashed into the history) describe it.
	Kata, Title, Difficulty string
	// File is the file the learner edits, shown in the header.
	File  string
	Files func() []string
	// Budget is the time budget; 0 is untimed.
	Budget time.Duration
	// Mode is ModePractice or ModeRandom.
	Mode string
	// Hints are the kata's hints; none in ModeRandom.
	Hints []hints.Hint
	// Grade runs the tests; Bench asks for benchmarks in the final grade.
	Grade Grader
	Bench bool
	// Store is the history.
	Store *history.Store
	// Changes signals a save (a Watcher's); WatchKind names the watcher.
	Changes   <-chan struct{}
	WatchKind string
	// Keys are the keys the learner presses (nil: none). On a terminal
	// they come from raw mode; otherwise from standard input, a byte each.
	Keys <-chan byte
	// Out is where everything is printed. TTY redraws the status block in
	// place with escape codes and offers to go on untimed when time is
	// up; otherwise every run prints one plain line. Width, on a
	// terminal, is its width; Color turns on colour.
	Out   io.Writer
	TTY   bool
	Width int
	Color bool
	// Now is the clock and Ticks its ticks (the countdown is redrawn and
	// the budget checked on each); nil means time.Now and a one-second
	// ticker. Tests inject both.
	Now   func() time.Time
	Ticks <-chan time.Time
	// GoVersion is recorded in the history.
	GoVersion string
	// Lang is the language of the loop's own words.
	Lang i18n.Lang
}

// Outcome is how a session ended.
type Outcome struct {
	// Result is history.Solved, TimedOut or Abandoned (of the last attempt,
	// when the learner went on untimed).
	Result  string
	Score   int
	Elapsed time.Duration
}

// run kinds.
const (
	visibleRun = iota
	fullRun
)

// runResult is what one Grader call gave.
type runResult struct {
	gen     int
	kind    int
	run     *result.Run
	err     error
	elapsed time.Duration
}

type session struct {
	cfg      Config
	now      func() time.Time
	attempt  string
	start    time.Time
	budget   time.Duration
	hintsOut int // hints shown in this attempt

	// the last results
	visible, full *result.Kata
	lastErr       string
	lastRun       time.Duration
	running       string // "" when idle, else what runs
	note          string // one line under the status (solved, time up, ...)

	drawn int // lines of the status block on screen (TTY)
}

// Run runs a practice session until the kata passes, time is up (and the
// learner does not go on untimed), the learner quits, or ctx ends.
func Run(ctx context.Context, cfg Config) (Outcome, error) {
	s := &session{cfg: cfg, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	ticks := cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ticks = t.C
	}
	if err := s.begin(cfg.Budget); err != nil {
		return Outcome{}, err
	}
	s.header()

	results := make(chan runResult, 1)
	gen := 0
	var cancelRun context.CancelFunc = func() {}
	defer func() { cancelRun() }()
	startRun := func(kind int, bench bool) {
		cancelRun()
		gen++
		var rctx context.Context
		rctx, cancelRun = context.WithCancel(ctx)
		s.running = cfg.Lang.S("visible tests")
		if kind == fullRun {
			s.running = cfg.Lang.S("every test, hidden ones too")
		}
		g, began := gen, time.Now() // the run's own duration is real time, whatever the budget's clock

		go func() {
			run, err := cfg.Grade(rctx, kind == fullRun, bench)
			select {
			case results <- runResult{gen: g, kind: kind, run: run, err: err, elapsed: time.Since(began)}:
			case <-rctx.Done():
			}
		}()
		s.draw()
	}
	startRun(visibleRun, false)

	for {
		select {
		case <-ctx.Done():
			return s.finish(history.Abandoned, cfg.Lang.S("stopped (interrupted): recorded as abandoned"))
		case _, ok := <-cfg.Changes:
			if ok {
				startRun(visibleRun, false)
			}
		case k, ok := <-cfg.Keys:
			if !ok {
				cfg.Keys = nil
				continue
			}
			switch k {
			case 'h', 'H':
				s.hint()
			case 'g', 'G':
				startRun(fullRun, false)
			case 'r', 'R':
				startRun(visibleRun, false)
			case 'q', 'Q', 3, 4: // q, Ctrl-C, Ctrl-D
				return s.finish(history.Abandoned, cfg.Lang.S("you quit: recorded as abandoned"))
			}
		case r := <-results:
			if r.gen != gen {
				continue // a save came in while it ran: its result is stale
			}
			s.running = ""
			s.took(r)
			switch {
			case r.err != nil:
			case r.kind == visibleRun && s.visible != nil && allPassed(s.visible) && !s.visible.BuildFailed:
				s.draw()
				startRun(fullRun, cfg.Bench)
				continue
			case r.kind == fullRun && s.full != nil && s.full.Status == result.Passing:
				return s.finish(history.Solved, "")
			}
			s.draw()
		case <-ticks:
			if s.budget > 0 && s.left() <= 0 {
				out, more, err := s.timeUp(ctx)
				if !more || err != nil {
					return out, err
				}
				startRun(visibleRun, false)
				continue
			}
			if cfg.TTY {
				s.draw()
			}
		}
	}
}

// begin records the start of an attempt.
func (s *session) begin(budget time.Duration) error {
	s.start, s.budget, s.hintsOut = s.now(), budget, 0
	s.attempt = fmt.Sprintf("%s-%d", s.cfg.Kata, s.start.UnixNano())
	return s.cfg.Store.Append(history.Event{Time: s.start, Kind: history.Start, Kata: s.cfg.Kata, Attempt: s.attempt,
		Budget: budget.Seconds(), Mode: s.cfg.Mode, GoVersion: s.cfg.GoVersion})
}

func (s *session) left() time.Duration { return s.budget - s.now().Sub(s.start) }

// took folds a run's result into the session and records it.
func (s *session) took(r runResult) {
	s.lastRun = r.elapsed
	if r.err != nil {
		s.lastErr = s.cfg.Lang.S("the tests could not run: ") + r.err.Error()
		return
	}
	s.lastErr = ""
	if r.run == nil || len(r.run.Katas) != 1 {
		s.lastErr = "the grader returned no result"
		return
	}
	row := r.run.Katas[0]
	if r.kind == fullRun {
		s.full = &row
	} else {
		s.visible = &row
		if !allPassed(&row) {
			s.full = nil // stale: the code changed and fails again
		}
	}
	e := history.Event{Time: s.now(), Kind: history.Run, Kata: s.cfg.Kata, Attempt: s.attempt,
		Elapsed: r.elapsed.Seconds(), VisiblePassed: row.VisiblePassed, VisibleTotal: row.VisibleTotal,
		HiddenPassed: row.HiddenPassed, HiddenTotal: row.HiddenTotal, Graded: r.kind == fullRun,
		Score: row.Score, SolutionHash: s.hash(), GoVersion: s.cfg.GoVersion}
	if err := s.cfg.Store.Append(e); err != nil {
		s.lastErr = err.Error()
	}
}

// hint shows the next hint and records it.
func (s *session) hint() {
	switch {
	case s.cfg.Mode == ModeRandom:
		s.message(s.cfg.Lang.S("no hints in an interview simulation"))
		return
	case len(s.cfg.Hints) == 0:
		s.message(s.cfg.Lang.S("this kata has no hints"))
		return
	case s.hintsOut >= len(s.cfg.Hints):
		s.message(s.cfg.Lang.F("no more hints: you have seen all %d", len(s.cfg.Hints)))
		return
	}
	s.hintsOut++
	h := s.cfg.Hints[s.hintsOut-1]
	if err := s.cfg.Store.Append(history.Event{Time: s.now(), Kind: history.Hint, Kata: s.cfg.Kata,
		Attempt: s.attempt, Hint: s.hintsOut}); err != nil {
		s.message(err.Error())
	}
	s.message(Format(s.cfg.Lang, h, s.hintsOut, len(s.cfg.Hints)))
}

// Format renders hint n of total for the terminal, in l.
func Format(l i18n.Lang, h hints.Hint, n, total int) string {
	title := l.F("hint %d of %d", n, total)
	if h.Title != "" {
		title += ": " + h.Title
	}
	return title + "\n" + indent(h.Body, "  ")
}

// timeUp ends a timed attempt: it grades everything for the score, records
// a timed-out attempt, and on a terminal offers to go on untimed. more
// reports that the learner goes on.
func (s *session) timeUp(ctx context.Context) (out Outcome, more bool, err error) {
	s.running = s.cfg.Lang.S("every test, for the score")
	s.note = s.cfg.Lang.S("time is up")
	s.draw()
	if run, err := s.cfg.Grade(ctx, true, false); err == nil && run != nil && len(run.Katas) == 1 {
		row := run.Katas[0]
		s.full = &row
		if row.Status == result.Passing {
			// Solved in the last second: a solve, over budget by nothing.
			s.running = ""
			out, err := s.finish(history.Solved, "")
			return out, false, err
		}
	}
	s.running = ""
	out, err = s.finish(history.TimedOut, "")
	if err != nil || !s.cfg.TTY || s.cfg.Keys == nil || ctx.Err() != nil {
		return out, false, err
	}
	s.print(s.cfg.Lang.S("go on untimed? [y/N] "))
	select {
	case k := <-s.cfg.Keys:
		s.print(string(rune(k)) + "\n")
		if k != 'y' && k != 'Y' {
			return out, false, nil
		}
	case <-ctx.Done():
		return out, false, nil
	}
	s.note, s.full, s.drawn = s.cfg.Lang.S("untimed: this attempt does not count as a clean solve"), nil, 0
	if err := s.begin(0); err != nil {
		return out, false, err
	}
	return out, true, nil
}

// finish records the end of the attempt and prints its summary.
func (s *session) finish(res, why string) (Outcome, error) {
	elapsed := s.now().Sub(s.start)
	row := s.full
	if row == nil {
		row = s.visible
	}
	e := history.Event{Time: s.now(), Kind: history.End, Kata: s.cfg.Kata, Attempt: s.attempt, Result: res,
		Elapsed: elapsed.Seconds(), Hints: s.hintsOut, SolutionHash: s.hash(), GoVersion: s.cfg.GoVersion}
	score := 0
	if row != nil {
		e.VisiblePassed, e.VisibleTotal = row.VisiblePassed, row.VisibleTotal
		e.HiddenPassed, e.HiddenTotal, e.Graded = row.HiddenPassed, row.HiddenTotal, s.full != nil
		e.Score, score = row.Score, row.Score
	}
	err := s.cfg.Store.Append(e)
	s.note = ""
	s.draw()
	// The summary stays whole on a terminal too: it is the last word.
	s.print(summary(s.cfg.Lang, res, why, elapsed, s.budget, s.hintsOut, row, s.full) + "\n")
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Result: res, Score: score, Elapsed: elapsed}, nil
}

func summary(L i18n.Lang, res, why string, elapsed, budget time.Duration, hintsUsed int, row, full *result.Kata) string {
	switch res {
	case history.Solved:
		s := L.F("solved in %s", clock(elapsed))
		if budget > 0 {
			s += L.F(" of %s", clock(budget))
		}
		s += L.F(", %d hint(s)", hintsUsed)
		if full != nil && full.Bench != nil && full.Bench.Error == "" {
			s += L.F("; benchmarks against the reference: %.2fx ns/op, %.2fx allocs/op", full.Bench.NsRatio, full.Bench.AllocsRatio)
		}
		return s + L.S(". Recorded.")
	case history.TimedOut:
		score := 0
		if row != nil {
			score = row.Score
		}
		return L.F("time is up (%s): not solved; recorded as timed out with score %d", clock(budget), score)
	}
	return why
}

// message prints text above the status block and redraws the block.
func (s *session) message(text string) {
	s.clear()
	s.print(text + "\n")
	s.draw()
}

// header prints what is practised, where, and the keys.
func (s *session) header() {
	c := s.cfg
	L := c.Lang
	budget := L.S("untimed")
	if s.budget > 0 {
		budget = L.F("%s on the clock", clock(s.budget))
	}
	title := c.Kata
	if c.Title != "" {
		title += " — " + c.Title
	}
	head := "microkata practice: %s (%s, %s)"
	if c.Mode == ModeRandom {
		head = "microkata interview simulation: %s (%s, %s)"
	}
	lines := []string{
		L.F(head, title, L.S(c.Difficulty), budget),
		L.F("edit %s; every save re-runs the visible tests with -race (watching with %s)", c.File, c.WatchKind),
	}
	if c.TTY {
		lines = append(lines, L.S("keys: h hint · g grade now · r re-run · q quit"))
	}
	s.print(strings.Join(lines, "\n") + "\n\n")
}

// block is the status block's lines.
func (s *session) block() []string {
	var l []string
	L := s.cfg.Lang
	head := s.cfg.Kata
	if s.budget > 0 {
		left := s.left()
		if left < 0 {
			left = 0
		}
		head += " · " + L.F("%s left", clock(left))
	} else {
		head += " · " + L.F("untimed %s", clock(s.now().Sub(s.start)))
	}
	if v := s.visible; v != nil {
		head += " · " + L.F("visible %d/%d", v.VisiblePassed, v.VisibleTotal)
	}
	if f := s.full; f != nil {
		head += " · " + L.F("hidden %d/%d", f.HiddenPassed, f.HiddenTotal)
	}
	if s.lastRun > 0 {
		head += " · " + L.F("last run %.1fs", s.lastRun.Seconds())
	}
	if s.running != "" {
		head += " · " + L.F("running %s…", s.running)
	}
	l = append(l, head)
	switch {
	case s.lastErr != "":
		l = append(l, "✗ "+s.lastErr)
	case s.full != nil && s.full.Status != result.Passing:
		l = append(l, failures(L, s.full)...)
	case s.visible != nil:
		l = append(l, failures(L, s.visible)...)
	}
	if s.note != "" {
		l = append(l, s.note)
	}
	return l
}

// failures describes a row's first failure: a compile error, the first
// failing test (hidden ones by name, category and message), or a race or
// leak.
func failures(L i18n.Lang, k *result.Kata) []string {
	if k.BuildFailed {
		return []string{L.S("✗ does not compile: ") + CompileError(k.BuildOutput)}
	}
	for _, t := range k.Tests {
		if t.Passed {
			continue
		}
		name := t.Name
		if t.Hidden {
			name += " [" + L.S("hidden") + ": " + t.Category + "]"
		}
		return []string{"✗ " + name + ": " + t.Reason}
	}
	for _, n := range k.Imports {
		return []string{L.S("✗ not allowed: ") + n}
	}
	if k.Race || k.Leak {
		for _, n := range k.Notes {
			return []string{"✗ " + n}
		}
	}
	if k.HiddenTotal == 0 {
		return []string{L.S("✓ every visible test passes")}
	}
	return []string{L.S("✓ every test passes")}
}

var compileRE = regexp.MustCompile(`^(?:\./)?(\S+\.go):(\d+)(?::\d+)?: (.*)$`)

// CompileError returns the first compiler error of a build's output as
// "file:line: message", or the first line when none looks like one.
func CompileError(lines []string) string {
	for _, l := range lines {
		if m := compileRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			return m[1] + ":" + m[2] + ": " + m[3]
		}
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return "(no compiler output)"
}

// draw prints the status block: in place on a terminal, as one plain line
// for each finished run otherwise.
func (s *session) draw() {
	lines := s.block()
	if !s.cfg.TTY {
		if s.running == "" {
			s.print(strings.Join(lines, " | ") + "\n")
		}
		return
	}
	s.clear()
	for i, l := range lines {
		if s.cfg.Width > 1 {
			l = i18n.Cut(l, s.cfg.Width-1)
		}
		if i == 0 && s.cfg.Color {
			l = "\x1b[1m" + l + "\x1b[0m"
		}
		s.print(l + "\n")
	}
	s.drawn = len(lines)
}

// clear erases the status block on a terminal: up to its first line, then
// to the end of the screen. Nothing above it is touched.
func (s *session) clear() {
	if s.cfg.TTY && s.drawn > 0 {
		s.print(fmt.Sprintf("\x1b[%dF\x1b[J", s.drawn))
		s.drawn = 0
	}
}

// print writes text; on a terminal in raw mode a newline needs a carriage
// return too.
func (s *session) print(text string) {
	if s.cfg.TTY {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	io.WriteString(s.cfg.Out, text)
}

// hash is the SHA-256 of the learner's files, in name order.
func (s *session) hash() string {
	if s.cfg.Files == nil {
		return ""
	}
	files := s.cfg.Files()
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func allPassed(k *result.Kata) bool {
	if k == nil || len(k.Tests) == 0 {
		return false
	}
	for _, t := range k.Tests {
		if !t.Passed {
			return false
		}
	}
	return true
}

// clock formats d as m:ss, or h:mm:ss from an hour.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

func indent(s, pre string) string {
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}
