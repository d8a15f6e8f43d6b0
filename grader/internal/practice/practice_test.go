package practice

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/hints"
	"github.com/microkata/microkata/grader/internal/history"
	"github.com/microkata/microkata/grader/internal/result"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is an output the loop writes and the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeGrader answers with the solution state the test sets: a fixed code
// is "solved" (every test passes), otherwise TestAdd fails.
type fakeGrader struct {
	mu     sync.Mutex
	fixed  bool
	broken bool // does not compile
	calls  []string
}

func (g *fakeGrader) set(fixed, broken bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fixed, g.broken = fixed, broken
}

func (g *fakeGrader) grade(ctx context.Context, hidden, bench bool) (*result.Run, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	kind := "visible"
	if hidden {
		kind = "full"
	}
	g.calls = append(g.calls, kind)
	row := result.Kata{Name: "k", Status: result.Failing}
	if g.broken {
		row.BuildFailed = true
		row.BuildOutput = []string{"# example.com/katas/k", "katas/k/k.go:7:2: undefined: x"}
		row.Tests = []result.Test{{Name: "TestAdd", Reason: "did not run"}}
		row.VisibleTotal = 1
		return &result.Run{Katas: []result.Kata{row}}, nil
	}
	row.Tests = []result.Test{{Name: "TestAdd", Passed: g.fixed, Reason: reasonIf(!g.fixed, "Add(2, 3) = -1, want 5")}, {Name: "TestDiv", Passed: true}}
	row.VisibleTotal, row.VisiblePassed = 2, 1
	if g.fixed {
		row.VisiblePassed = 2
	}
	if hidden {
		row.Tests = append(row.Tests, result.Test{Name: "TestHiddenZero", Hidden: true, Category: "boundary", Passed: g.fixed, Reason: reasonIf(!g.fixed, "Add(0, 0) = 1, want 0")})
		row.HiddenTotal, row.HiddenPassed = 1, 0
		if g.fixed {
			row.HiddenPassed = 1
			row.Status = result.Passing
			row.Score = 100
			if bench {
				row.Bench = &result.Bench{NsRatio: 1.02, AllocsRatio: 1}
			}
		}
	}
	if !hidden && g.fixed {
		row.Status = result.Passing
	}
	return &result.Run{Katas: []result.Kata{row}}, nil
}

func reasonIf(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

type harness struct {
	cfg     Config
	clock   *fakeClock
	ticks   chan time.Time
	changes chan struct{}
	keys    chan byte
	out     *syncBuffer
	g       *fakeGrader
	store   *history.Store
	done    chan Outcome
	err     error
}

func newHarness(t *testing.T, tty bool, budget time.Duration) *harness {
	t.Helper()
	h := &harness{
		clock: &fakeClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}, ticks: make(chan time.Time),
		changes: make(chan struct{}), keys: make(chan byte), out: &syncBuffer{}, g: &fakeGrader{},
		store: history.Open(t.TempDir()), done: make(chan Outcome, 1),
	}
	h.cfg = Config{Kata: "k", Title: "Kata", Difficulty: "easy", File: "katas/k/k.go", Budget: budget,
		Mode: ModePractice, Hints: []hints.Hint{{Title: "one", Body: "first"}, {Title: "two", Body: "second"}},
		Grade: h.g.grade, Bench: true, Store: h.store, Changes: h.changes, WatchKind: "a test", Keys: h.keys,
		Out: h.out, TTY: tty, Width: 100, Now: h.clock.Now, Ticks: h.ticks, GoVersion: "go1.26.8"}
	return h
}

func (h *harness) start(t *testing.T) {
	go func() {
		out, err := Run(context.Background(), h.cfg)
		h.err = err
		h.done <- out
	}()
}

// waitFor waits (in real time, briefly) until the output holds want.
func (h *harness) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the output never showed %q; it is:\n%s", want, h.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) end(t *testing.T) Outcome {
	t.Helper()
	select {
	case out := <-h.done:
		require.NoError(t, h.err)
		return out
	case <-time.After(5 * time.Second):
		t.Fatalf("the session did not end; output:\n%s", h.out.String())
	}
	return Outcome{}
}

func (h *harness) events(t *testing.T) []history.Event {
	t.Helper()
	evs, warnings, err := h.store.Read()
	require.NoError(t, err)
	require.Empty(t, warnings)
	return evs
}

func kinds(evs []history.Event) string {
	var k []string
	for _, e := range evs {
		s := e.Kind
		if e.Kind == history.End {
			s += ":" + e.Result
		}
		k = append(k, s)
	}
	return strings.Join(k, " ")
}

func TestSolveWithHints(t *testing.T) {
	h := newHarness(t, true, 10*time.Minute)
	h.start(t)
	h.waitFor(t, "✗ TestAdd: Add(2, 3) = -1, want 5")
	assert.Contains(t, h.out.String(), "microkata practice: k — Kata (easy, 10:00 on the clock)")
	assert.Contains(t, h.out.String(), "keys: h hint · g grade now · r re-run · q quit")
	assert.Contains(t, h.out.String(), "k · 10:00 left · visible 1/2")

	h.keys <- 'h'
	h.waitFor(t, "hint 1 of 2: one\r\n  first")
	h.keys <- 'h'
	h.waitFor(t, "hint 2 of 2: two\r\n  second")
	h.keys <- 'h'
	h.waitFor(t, "no more hints: you have seen all 2")

	h.clock.Add(90 * time.Second)
	h.ticks <- time.Time{}
	h.waitFor(t, "k · 8:30 left")

	h.clock.Add(30 * time.Second)
	h.g.set(true, false)
	h.changes <- struct{}{}
	out := h.end(t)
	assert.Equal(t, history.Solved, out.Result)
	assert.Equal(t, 100, out.Score)
	assert.Equal(t, 2*time.Minute, out.Elapsed)
	assert.Contains(t, h.out.String(), "solved in 2:00 of 10:00, 2 hint(s); benchmarks against the reference: 1.02x ns/op, 1.00x allocs/op. Recorded.")
	assert.Equal(t, []string{"visible", "visible", "full"}, h.g.calls, "a save re-runs the visible tests; when they pass, everything runs once")

	evs := h.events(t)
	assert.Equal(t, "start run hint hint run run end:solved", kinds(evs))
	end := evs[len(evs)-1]
	assert.Equal(t, 2, end.Hints)
	assert.Equal(t, 120.0, end.Elapsed)
	assert.True(t, end.Graded)
	assert.Equal(t, 1, end.HiddenPassed)
	assert.Equal(t, 600.0, evs[0].Budget)
	a := history.Attempts(evs)
	require.Len(t, a, 1)
	assert.False(t, a[0].Clean(), "a solve with hints is not clean")
}

// The status block is redrawn in place: the cursor goes up over the block
// alone and clears below it; the header is never rewritten.
func TestRedrawOnlyTheBlock(t *testing.T) {
	h := newHarness(t, true, time.Minute)
	h.start(t)
	h.waitFor(t, "✗ TestAdd")
	h.ticks <- time.Time{}
	h.keys <- 'q'
	h.end(t)
	out := h.out.String()
	assert.NotContains(t, out, "\x1b[2J", "never clears the whole screen")
	assert.NotContains(t, out, "\x1b[H", "never homes the cursor")
	assert.Equal(t, 1, strings.Count(out, "microkata practice:"), "the header is printed once")
	assert.Contains(t, out, "\x1b[2F\x1b[J", "a two-line block is erased by going up two lines")
}

func TestQuitIsAbandoned(t *testing.T) {
	for _, key := range []byte{'q', 3} { // q and Ctrl-C in raw mode
		h := newHarness(t, true, time.Minute)
		h.start(t)
		h.waitFor(t, "✗ TestAdd")
		h.keys <- key
		out := h.end(t)
		assert.Equal(t, history.Abandoned, out.Result)
		assert.Contains(t, h.out.String(), "you quit: recorded as abandoned")
		assert.Equal(t, "start run end:abandoned", kinds(h.events(t)))
	}
}

func TestInterruptIsAbandoned(t *testing.T) {
	h := newHarness(t, false, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		out, err := Run(ctx, h.cfg)
		h.err = err
		h.done <- out
	}()
	h.waitFor(t, "✗ TestAdd")
	cancel()
	assert.Equal(t, history.Abandoned, h.end(t).Result)
	assert.Equal(t, "start run end:abandoned", kinds(h.events(t)))
}

func TestTimeUpOffersUntimed(t *testing.T) {
	h := newHarness(t, true, time.Minute)
	h.start(t)
	h.waitFor(t, "✗ TestAdd")
	h.clock.Add(time.Minute)
	h.ticks <- time.Time{}
	h.waitFor(t, "go on untimed? [y/N]")
	assert.Contains(t, h.out.String(), "time is up (1:00): not solved; recorded as timed out with score 0")
	h.keys <- 'y'
	h.waitFor(t, "untimed: this attempt does not count as a clean solve")
	h.clock.Add(5 * time.Minute)
	h.g.set(true, false)
	h.changes <- struct{}{}
	out := h.end(t)
	assert.Equal(t, history.Solved, out.Result)
	assert.Equal(t, 5*time.Minute, out.Elapsed, "the untimed attempt's own time")
	evs := h.events(t)
	assert.Equal(t, "start run end:timed-out start run run run end:solved", kinds(evs), "untimed: a run at once, then the save's visible and full runs")
	a := history.Attempts(evs)
	require.Len(t, a, 2)
	assert.Equal(t, history.TimedOut, a[0].Result)
	assert.Equal(t, time.Duration(0), a[1].Budget)
	assert.False(t, a[1].Clean(), "an untimed solve is not clean")
}

func TestTimeUpWithoutTerminalEnds(t *testing.T) {
	h := newHarness(t, false, time.Minute)
	h.start(t)
	h.waitFor(t, "✗ TestAdd")
	h.clock.Add(61 * time.Second)
	h.ticks <- time.Time{}
	out := h.end(t)
	assert.Equal(t, history.TimedOut, out.Result)
	assert.NotContains(t, h.out.String(), "go on untimed", "no offer without a terminal")
	assert.NotContains(t, h.out.String(), "\x1b[", "no escape codes without a terminal")
	assert.Equal(t, []string{"visible", "full"}, h.g.calls, "time up grades everything for the score")
}

// Without a terminal, each finished run is one plain line.
func TestPlainLines(t *testing.T) {
	h := newHarness(t, false, 0)
	h.start(t)
	h.waitFor(t, "✗ TestAdd")
	h.g.set(false, true)
	h.changes <- struct{}{}
	h.waitFor(t, "✗ does not compile: katas/k/k.go:7: undefined: x")
	h.g.set(true, false)
	h.changes <- struct{}{}
	h.end(t)
	lines := strings.Split(strings.TrimSpace(h.out.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 5)
	assert.Equal(t, "microkata practice: k — Kata (easy, untimed)", lines[0])
	assert.Regexp(t, `^k · untimed 0:00 · visible 1/2 · last run \d+\.\ds \| ✗ TestAdd: Add\(2, 3\) = -1, want 5$`, lines[3])
	assert.Regexp(t, `^k · untimed 0:00 · visible 0/1 · last run \d+\.\ds \| ✗ does not compile: katas/k/k.go:7: undefined: x$`, lines[4])
	assert.Contains(t, lines[len(lines)-1], "solved in 0:00, 0 hint(s)")
	assert.NotContains(t, h.out.String(), "\x1b[")
	assert.NotContains(t, h.out.String(), "keys:", "no keys without a terminal")
}

// A hidden test that fails after the visible ones pass is shown by name,
// category and message.
func TestHiddenFailureShown(t *testing.T) {
	h := newHarness(t, false, 0)
	// Visible tests pass, a hidden one does not.
	h.cfg.Grade = func(ctx context.Context, hidden, bench bool) (*result.Run, error) {
		row := result.Kata{Name: "k", Status: result.Failing, VisiblePassed: 1, VisibleTotal: 1,
			Tests: []result.Test{{Name: "TestAdd", Passed: true}}}
		if hidden {
			row.Tests = append(row.Tests, result.Test{Name: "TestHiddenZero", Hidden: true, Category: "boundary", Reason: "Add(0, 0) = 1, want 0"})
			row.HiddenTotal = 1
		} else {
			row.Status = result.Passing
		}
		return &result.Run{Katas: []result.Kata{row}}, nil
	}
	h.start(t)
	h.waitFor(t, "hidden 0/1")
	h.waitFor(t, "✗ TestHiddenZero [hidden: boundary]: Add(0, 0) = 1, want 0")
	h.keys <- 'q'
	h.end(t)
}

func TestRandomModeHasNoHints(t *testing.T) {
	h := newHarness(t, true, time.Minute)
	h.cfg.Mode, h.cfg.Hints = ModeRandom, nil
	h.start(t)
	h.waitFor(t, "✗ TestAdd")
	assert.Contains(t, h.out.String(), "microkata interview simulation: k — Kata")
	h.keys <- 'h'
	h.waitFor(t, "no hints in an interview simulation")
	h.keys <- 'q'
	h.end(t)
	assert.Equal(t, ModeRandom, h.events(t)[0].Mode)
}

func TestCompileError(t *testing.T) {
	for _, tc := range []struct {
		out  []string
		want string
	}{
		{[]string{"# example.com/k", "katas/k/k.go:12:5: undefined: x", "katas/k/k.go:13:1: more"}, "katas/k/k.go:12: undefined: x"},
		{[]string{"./k.go:3:1: syntax error"}, "k.go:3: syntax error"},
		{[]string{"# example.com/k", "go: something else"}, "go: something else"},
		{nil, "(no compiler output)"},
	} {
		assert.Equal(t, tc.want, CompileError(tc.out), "%q", tc.out)
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 61 * time.Second: "1:01",
		45 * time.Minute: "45:00", 75 * time.Minute: "1:15:00", 1499 * time.Millisecond: "0:01"} {
		assert.Equal(t, want, clock(d), "%v", d)
	}
}
