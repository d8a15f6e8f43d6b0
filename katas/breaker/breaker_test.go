package breaker_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/breaker"
)

// errBoom is the error of a failing request.
var errBoom = errors.New("test: boom")

// succeed and fail are requests: one returns (1, nil), the other (0, errBoom).
func succeed() (int, error) { return 1, nil }
func fail() (int, error)    { return 0, errBoom }

// stateName names a State by the kata's constants, so a message stays
// readable even when String is what is wrong.
func stateName(s breaker.State) string {
	switch s {
	case breaker.StateClosed:
		return "closed"
	case breaker.StateHalfOpen:
		return "half-open"
	case breaker.StateOpen:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// countsString prints Counts field by field, in decimal.
func countsString(c breaker.Counts) string {
	return fmt.Sprintf("{Requests:%d TotalSuccesses:%d TotalFailures:%d ConsecutiveSuccesses:%d ConsecutiveFailures:%d}",
		c.Requests, c.TotalSuccesses, c.TotalFailures, c.ConsecutiveSuccesses, c.ConsecutiveFailures)
}

// errName names an error by the sentinel it matches.
func errName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, breaker.ErrOpenState):
		return "ErrOpenState"
	case errors.Is(err, breaker.ErrTooManyRequests):
		return "ErrTooManyRequests"
	case err == errBoom:
		return "the request's error errBoom"
	}
	return fmt.Sprintf("%q", err.Error())
}

// doneName prints the done that Allow returned.
func doneName(done func(bool)) string {
	if done == nil {
		return "nil"
	}
	return "a done"
}

// wantState checks b.State(); after says what was called before it.
func wantState(t *testing.T, b *breaker.Breaker[int], want breaker.State, after string) bool {
	t.Helper()
	if got := b.State(); got != want {
		t.Errorf("%s: State() = %s, want %s", after, stateName(got), stateName(want))
		return false
	}
	return true
}

// wantCounts checks b.Counts(); after says what was called before it.
func wantCounts(t *testing.T, b *breaker.Breaker[int], want breaker.Counts, after string) bool {
	t.Helper()
	if got := b.Counts(); got != want {
		t.Errorf("%s: Counts() = %s, want %s", after, countsString(got), countsString(want))
		return false
	}
	return true
}

// wantResult checks what a call of Execute returned.
func wantResult(t *testing.T, call string, v int, err error, wantV int, wantErr error) bool {
	t.Helper()
	if v != wantV || !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
		t.Errorf("%s = (%d, %s), want (%d, %s)", call, v, errName(err), wantV, errName(wantErr))
		return false
	}
	return true
}

// change is one call of OnStateChange.
type change struct {
	name     string
	from, to breaker.State
}

// changes prints OnStateChange calls as name: from -> to.
func changes(cs []change) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%q: %s -> %s", c.name, stateName(c.from), stateName(c.to))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// changeLog records OnStateChange calls. Sequential tests may read it right
// after the call that caused a transition: its callbacks have returned by
// then (rule 15).
type changeLog struct {
	mu  sync.Mutex
	got []change
}

func (l *changeLog) record(name string, from, to breaker.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, change{name, from, to})
}

// want checks the calls recorded since the last check; during names the
// call that should have caused them.
func (l *changeLog) want(t *testing.T, during string, want ...change) bool {
	t.Helper()
	l.mu.Lock()
	got := l.got
	l.got = nil
	l.mu.Unlock()
	if changes(got) != changes(want) {
		t.Errorf("OnStateChange calls during %s: %s, want %s", during, changes(got), changes(want))
		return false
	}
	return true
}

// tripDefault makes six failing calls, which trip a breaker with the default
// ReadyToTrip; setup names the breaker's Settings in messages.
func tripDefault(t *testing.T, b *breaker.Breaker[int], setup string) {
	t.Helper()
	for i := range 6 {
		v, err := b.Execute(fail)
		if !wantResult(t, fmt.Sprintf("%s; Execute(fail) #%d of 6", setup, i+1), v, err, 0, errBoom) {
			t.FailNow()
		}
	}
	if !wantState(t, b, breaker.StateOpen, setup+"; 6× Execute(fail)") {
		t.FailNow()
	}
}

// Rules 1, 5, 9 and 11: with the default ReadyToTrip the sixth consecutive
// failure, not the fifth, opens the breaker, and opening starts a new
// generation with zero Counts.
func TestDefaultTripsOnSixthConsecutiveFailure(t *testing.T) {
	katatest.Guard(t)
	b := breaker.New[int](breaker.Settings{})
	for i := range 5 {
		v, err := b.Execute(fail)
		if !wantResult(t, fmt.Sprintf("New(Settings{}); Execute(fail) #%d", i+1), v, err, 0, errBoom) {
			return
		}
	}
	const five = "New(Settings{}); 5× Execute(fail)"
	wantState(t, b, breaker.StateClosed, five)
	wantCounts(t, b, breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}, five)

	v, err := b.Execute(fail)
	if !wantResult(t, five+"; Execute(fail) #6", v, err, 0, errBoom) {
		return
	}
	const six = "New(Settings{}); 6× Execute(fail)"
	wantState(t, b, breaker.StateOpen, six)
	wantCounts(t, b, breaker.Counts{}, six+" (the new, open generation)")
}

// Rule 5: a success resets ConsecutiveFailures (so the default ReadyToTrip
// does not trip) while the totals keep counting.
func TestSuccessResetsConsecutiveFailures(t *testing.T) {
	katatest.Guard(t)
	b := breaker.New[int](breaker.Settings{})
	for i := range 5 {
		v, err := b.Execute(fail)
		if !wantResult(t, fmt.Sprintf("New(Settings{}); Execute(fail) #%d", i+1), v, err, 0, errBoom) {
			return
		}
	}
	const five = "New(Settings{}); 5× Execute(fail)"
	v, err := b.Execute(succeed)
	if !wantResult(t, five+"; Execute(succeed)", v, err, 1, nil) {
		return
	}
	const fiveOne = five + "; Execute(succeed)"
	wantCounts(t, b, breaker.Counts{Requests: 6, TotalSuccesses: 1, TotalFailures: 5, ConsecutiveSuccesses: 1}, fiveOne)
	for i := range 5 {
		v, err := b.Execute(fail)
		if !wantResult(t, fmt.Sprintf("%s; Execute(fail) #%d", fiveOne, i+1), v, err, 0, errBoom) {
			return
		}
	}
	const all = fiveOne + "; 5× Execute(fail)"
	wantState(t, b, breaker.StateClosed, all)
	wantCounts(t, b, breaker.Counts{Requests: 11, TotalSuccesses: 1, TotalFailures: 10, ConsecutiveFailures: 5}, all)
}

// Rules 6 and 12: an open breaker fails fast: Execute returns the zero value
// and ErrOpenState without running the request.
func TestOpenRejectsWithoutCalling(t *testing.T) {
	katatest.Guard(t)
	const setup = "New(Settings{Timeout: time.Hour})"
	b := breaker.New[int](breaker.Settings{Timeout: time.Hour})
	tripDefault(t, b, setup)
	calls := 0
	for i := range 3 {
		v, err := b.Execute(func() (int, error) { calls++; return 42, nil })
		wantResult(t, fmt.Sprintf("%s; 6× Execute(fail); Execute(req returning 42) #%d while open", setup, i+1), v, err, 0, breaker.ErrOpenState)
	}
	if calls != 0 {
		t.Errorf("%s; 6× Execute(fail); 3× Execute(req) while open: req ran %d times, want 0", setup, calls)
	}
	wantState(t, b, breaker.StateOpen, setup+"; 6× Execute(fail); 3 rejected calls")
}

// Rules 12, 14 and 15: with the default Timeout (60 s) the breaker is
// half-open 61 s after it tripped, and one successful probe (MaxRequests
// defaults to 1) closes it. Each transition is reported once, in order, by
// the time the call that caused it returns.
func TestHalfOpenAfterTimeoutThenCloses(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log changeLog
		const setup = `New(Settings{Name: "payments", OnStateChange: record})`
		b := breaker.New[int](breaker.Settings{Name: "payments", OnStateChange: log.record})
		tripDefault(t, b, setup)
		log.want(t, setup+"; 6× Execute(fail)", change{"payments", breaker.StateClosed, breaker.StateOpen})

		time.Sleep(61 * time.Second)
		const later = setup + "; 6× Execute(fail) at 0s; State() at 61s"
		if !wantState(t, b, breaker.StateHalfOpen, setup+"; 6× Execute(fail) at 0s; at 61s") {
			return
		}
		log.want(t, later, change{"payments", breaker.StateOpen, breaker.StateHalfOpen})

		v, err := b.Execute(succeed)
		if !wantResult(t, later+"; the probe Execute(succeed)", v, err, 1, nil) {
			return
		}
		wantState(t, b, breaker.StateClosed, later+"; Execute(succeed)")
		log.want(t, later+"; the probe Execute(succeed)", change{"payments", breaker.StateHalfOpen, breaker.StateClosed})
	})
}

// Rules 6 and 8: the two-step form. done(false) records a failure, so six
// of them trip the breaker; while it is open Allow returns a nil done and
// ErrOpenState.
func TestTwoStepAllow(t *testing.T) {
	katatest.Guard(t)
	const setup = "New(Settings{Timeout: time.Hour})"
	b := breaker.New[int](breaker.Settings{Timeout: time.Hour})
	for i := range 6 {
		done, err := b.Allow()
		if err != nil || done == nil {
			t.Fatalf("%s; %d× (Allow(), done(false)); Allow() = (%s, %s), want (a done, nil)", setup, i, doneName(done), errName(err))
		}
		if i == 5 {
			wantCounts(t, b, breaker.Counts{Requests: 6, TotalFailures: 5, ConsecutiveFailures: 5},
				setup+"; 5× (Allow(), done(false)); Allow() (admitted, not yet reported)")
		}
		done(false)
	}
	wantState(t, b, breaker.StateOpen, setup+"; 6× (Allow(), done(false))")

	done, err := b.Allow()
	if done != nil || !errors.Is(err, breaker.ErrOpenState) {
		t.Errorf("%s; 6× (Allow(), done(false)); Allow() while open = (%s, %s), want (nil, ErrOpenState)", setup, doneName(done), errName(err))
	}
}

// Rule 2: the names of the states.
func TestStateString(t *testing.T) {
	cases := []struct {
		name string
		s    breaker.State
		want string
	}{
		{"StateClosed", breaker.StateClosed, "closed"},
		{"StateHalfOpen", breaker.StateHalfOpen, "half-open"},
		{"StateOpen", breaker.StateOpen, "open"},
	}
	for _, tc := range cases {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%s.String() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Rules 2 and 3: Name returns Settings.Name, and a new breaker is closed with
// zero Counts.
func TestNewBreaker(t *testing.T) {
	katatest.Guard(t)
	const setup = `New(Settings{Name: "inventory"})`
	b := breaker.New[string](breaker.Settings{Name: "inventory"})
	if got := b.Name(); got != "inventory" {
		t.Errorf("%s; Name() = %q, want %q", setup, got, "inventory")
	}
	if got := b.State(); got != breaker.StateClosed {
		t.Errorf("%s; State() = %s, want closed", setup, stateName(got))
	}
	if got := b.Counts(); got != (breaker.Counts{}) {
		t.Errorf("%s; Counts() = %s, want %s", setup, countsString(got), countsString(breaker.Counts{}))
	}
}

// Rule 16: concurrent calls lose no update (run with -race).
func TestConcurrentExecuteCountsExact(t *testing.T) {
	katatest.Guard(t)
	b := breaker.New[int](breaker.Settings{})
	var wrong atomic.Int64
	katatest.Hammer(8, 2000, func(g, i int) {
		if v, err := b.Execute(succeed); v != 1 || err != nil {
			wrong.Add(1)
		}
	})
	const setup = "New(Settings{}); Execute(succeed) 2000 times on each of 8 goroutines at once"
	if n := wrong.Load(); n != 0 {
		t.Errorf("%s: %d calls did not return (1, nil)", setup, n)
	}
	wantCounts(t, b, breaker.Counts{Requests: 16000, TotalSuccesses: 16000, ConsecutiveSuccesses: 16000}, setup)
	wantState(t, b, breaker.StateClosed, setup)
}

// BenchmarkExecuteClosedSuccess measures the common path: a closed breaker
// admits a request that succeeds.
func BenchmarkExecuteClosedSuccess(b *testing.B) {
	cb := breaker.New[int](breaker.Settings{})
	req := func() (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cb.Execute(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteOpenReject measures failing fast: an open breaker rejects
// the request.
func BenchmarkExecuteOpenReject(b *testing.B) {
	cb := breaker.New[int](breaker.Settings{Timeout: time.Hour})
	for range 6 {
		cb.Execute(fail)
	}
	if s := cb.State(); s != breaker.StateOpen {
		b.Fatalf("New(Settings{Timeout: time.Hour}); 6× Execute(fail); State() = %s, want open", stateName(s))
	}
	req := func() (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cb.Execute(req); !errors.Is(err, breaker.ErrOpenState) {
			b.Fatalf("Execute while open: %s, want ErrOpenState", errName(err))
		}
	}
}

// BenchmarkExecuteParallel measures successful requests from all
// processors at once on one breaker.
func BenchmarkExecuteParallel(b *testing.B) {
	cb := breaker.New[int](breaker.Settings{})
	req := func() (int, error) { return 1, nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			cb.Execute(req)
		}
	})
}

// BenchmarkAllowDone measures the two-step form: Allow, then done(true).
func BenchmarkAllowDone(b *testing.B) {
	cb := breaker.New[int](breaker.Settings{})
	b.ReportAllocs()
	for b.Loop() {
		done, err := cb.Allow()
		if err != nil {
			b.Fatal(err)
		}
		done(true)
	}
}
