package breaker_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/breaker"
)

// errBoom is the error of a failing request.
var errBoom = errors.New("test: boom")

// succeed and fail are requests: one returns (1, nil), the other (0, errBoom).
func succeed() (int, error) { return 1, nil }
func fail() (int, error)    { return 0, errBoom }

// change is one call of OnStateChange.
type change struct {
	Name     string
	From, To breaker.State
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

// take returns the calls recorded since the last take.
func (l *changeLog) take() []change {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// tripDefault makes six failing calls, which trip a breaker with the default
// ReadyToTrip.
func tripDefault(t *testing.T, b *breaker.Breaker[int]) {
	t.Helper()
	for i := range 6 {
		_, err := b.Execute(fail)
		require.ErrorIs(t, err, errBoom, "failure %d of 6", i+1)
	}
	require.Equal(t, breaker.StateOpen, b.State(), "state after six consecutive failures")
}

// Rules 1, 5, 9 and 11: with the default ReadyToTrip the sixth consecutive
// failure, not the fifth, opens the breaker, and opening starts a new
// generation with zero Counts.
func TestDefaultTripsOnSixthConsecutiveFailure(t *testing.T) {
	b := breaker.New[int](breaker.Settings{})
	for i := range 5 {
		v, err := b.Execute(fail)
		require.ErrorIs(t, err, errBoom, "failure %d", i+1)
		assert.Equal(t, 0, v, "failure %d: value", i+1)
	}
	assert.Equal(t, breaker.StateClosed, b.State(), "after 5 failures")
	assert.Equal(t, breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}, b.Counts(), "after 5 failures")

	_, err := b.Execute(fail)
	require.ErrorIs(t, err, errBoom, "failure 6")
	assert.Equal(t, breaker.StateOpen, b.State(), "after 6 failures")
	assert.Equal(t, breaker.Counts{}, b.Counts(), "Counts of the new (open) generation")
}

// Rule 5: a success resets ConsecutiveFailures (so the default ReadyToTrip
// does not trip) while the totals keep counting.
func TestSuccessResetsConsecutiveFailures(t *testing.T) {
	b := breaker.New[int](breaker.Settings{})
	for range 5 {
		_, err := b.Execute(fail)
		require.ErrorIs(t, err, errBoom)
	}
	v, err := b.Execute(succeed)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	assert.Equal(t, breaker.Counts{Requests: 6, TotalSuccesses: 1, TotalFailures: 5, ConsecutiveSuccesses: 1}, b.Counts(), "after 5 failures and a success")
	for range 5 {
		_, err := b.Execute(fail)
		require.ErrorIs(t, err, errBoom)
	}
	assert.Equal(t, breaker.StateClosed, b.State(), "5 failures, 1 success, 5 failures")
	assert.Equal(t, breaker.Counts{Requests: 11, TotalSuccesses: 1, TotalFailures: 10, ConsecutiveFailures: 5}, b.Counts())
}

// Rules 6 and 12: an open breaker fails fast: Execute returns the zero value
// and ErrOpenState without running the request.
func TestOpenRejectsWithoutCalling(t *testing.T) {
	b := breaker.New[int](breaker.Settings{Timeout: time.Hour})
	tripDefault(t, b)
	calls := 0
	for i := range 3 {
		v, err := b.Execute(func() (int, error) { calls++; return 42, nil })
		require.ErrorIs(t, err, breaker.ErrOpenState, "call %d while open", i+1)
		assert.Equal(t, 0, v, "call %d while open: value", i+1)
	}
	assert.Equal(t, 0, calls, "requests run while open")
	assert.Equal(t, breaker.StateOpen, b.State())
}

// Rules 12, 14 and 15: with the default Timeout (60 s) the breaker is
// half-open 61 s after it tripped, and one successful probe (MaxRequests
// defaults to 1) closes it. Each transition is reported once, in order, by
// the time the call that caused it returns.
func TestHalfOpenAfterTimeoutThenCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log changeLog
		b := breaker.New[int](breaker.Settings{Name: "payments", OnStateChange: log.record})
		tripDefault(t, b)
		assert.Equal(t, []change{{"payments", breaker.StateClosed, breaker.StateOpen}}, log.take(), "after the sixth failure")

		time.Sleep(61 * time.Second)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "61 s after the trip")
		assert.Equal(t, []change{{"payments", breaker.StateOpen, breaker.StateHalfOpen}}, log.take(), "after State() at 61 s")

		v, err := b.Execute(succeed)
		require.NoError(t, err, "the probe")
		assert.Equal(t, 1, v, "the probe's value")
		assert.Equal(t, breaker.StateClosed, b.State(), "after a successful probe")
		assert.Equal(t, []change{{"payments", breaker.StateHalfOpen, breaker.StateClosed}}, log.take(), "after the probe")
	})
}

// Rules 6 and 8: the two-step form. done(false) records a failure, so six
// of them trip the breaker; while it is open Allow returns a nil done and
// ErrOpenState.
func TestTwoStepAllow(t *testing.T) {
	b := breaker.New[int](breaker.Settings{Timeout: time.Hour})
	for i := range 6 {
		done, err := b.Allow()
		require.NoError(t, err, "Allow %d", i+1)
		require.NotNil(t, done, "Allow %d", i+1)
		if i == 5 {
			assert.Equal(t, breaker.Counts{Requests: 6, TotalFailures: 5, ConsecutiveFailures: 5}, b.Counts(), "admitted, not yet reported")
		}
		done(false)
	}
	assert.Equal(t, breaker.StateOpen, b.State(), "after six done(false)")

	done, err := b.Allow()
	assert.ErrorIs(t, err, breaker.ErrOpenState, "Allow while open")
	assert.Nil(t, done, "done of a rejected Allow")
}

// Rule 2: the names of the states.
func TestStateString(t *testing.T) {
	cases := []struct {
		s    breaker.State
		want string
	}{
		{breaker.StateClosed, "closed"},
		{breaker.StateHalfOpen, "half-open"},
		{breaker.StateOpen, "open"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.s.String())
	}
}

// Rules 2 and 3: Name returns Settings.Name, and a new breaker is closed with
// zero Counts.
func TestNewBreaker(t *testing.T) {
	b := breaker.New[string](breaker.Settings{Name: "inventory"})
	assert.Equal(t, "inventory", b.Name())
	assert.Equal(t, breaker.StateClosed, b.State())
	assert.Equal(t, breaker.Counts{}, b.Counts())
}

// Rule 16: concurrent calls lose no update (run with -race).
func TestConcurrentExecuteCountsExact(t *testing.T) {
	b := breaker.New[int](breaker.Settings{})
	var wrong atomic.Int64
	katatest.Hammer(8, 2000, func(g, i int) {
		if v, err := b.Execute(succeed); v != 1 || err != nil {
			wrong.Add(1)
		}
	})
	assert.Zero(t, wrong.Load(), "calls that did not return (1, nil)")
	assert.Equal(t, breaker.Counts{Requests: 16000, TotalSuccesses: 16000, ConsecutiveSuccesses: 16000}, b.Counts())
	assert.Equal(t, breaker.StateClosed, b.State())
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
		b.Fatalf("state after six failures: %v, want open", s)
	}
	req := func() (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cb.Execute(req); !errors.Is(err, breaker.ErrOpenState) {
			b.Fatalf("Execute while open: %v, want ErrOpenState", err)
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
