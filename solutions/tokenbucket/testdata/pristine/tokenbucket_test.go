package tokenbucket_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/tokenbucket"
)

// t0 is an arbitrary base time for the tests that pass times explicitly.
// Failure messages write times as t0+125ms.
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// tick is 1/64 s. Rates of 0.5, 1, 2, 4 and 8 tokens per second times a
// whole number of ticks give balances that float64 holds exactly, so the
// tests can compare them with ==.
const tick = 15625 * time.Microsecond

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// script drives a limiter with explicit times and records every call as
// Go code, so that a failure message shows the whole sequence that led to
// it: "l, _ := tokenbucket.New(8, 2); l.AllowN(t0, 1) = true; l.AllowN(t0, 1)".
type script struct {
	l     *tokenbucket.Limiter
	calls []string // the calls so far, each with its result
	last  string   // the latest call, without its result
}

// newScript is New that fails the test on error.
func newScript(t testing.TB, r tokenbucket.Limit, burst int) *script {
	t.Helper()
	call := fmt.Sprintf("tokenbucket.New(%s, %d)", limitText(r), burst)
	l, err := tokenbucket.New(r, burst)
	require.NoError(t, err, call)
	require.NotNil(t, l, "%s returned a nil limiter", call)
	return &script{l: l, calls: []string{"l, _ := " + call}}
}

func (s *script) record(call string, result any) {
	s.last = "l." + call
	s.calls = append(s.calls, fmt.Sprintf("%s = %v", s.last, result))
}

// String is the sequence of calls so far, the latest without its result:
// testify prints the expected and the actual result after it.
func (s *script) String() string {
	if s.last == "" {
		return s.calls[0]
	}
	return strings.Join(s.calls[:len(s.calls)-1], "; ") + "; " + s.last
}

func (s *script) AllowN(d time.Duration, n int) bool {
	ok := s.l.AllowN(at(d), n)
	s.record(fmt.Sprintf("AllowN(%s, %d)", timeText(d), n), ok)
	return ok
}

func (s *script) TokensAt(d time.Duration) float64 {
	tokens := s.l.TokensAt(at(d))
	s.record(fmt.Sprintf("TokensAt(%s)", timeText(d)), tokens)
	return tokens
}

// timeText writes t0 + d as the messages do: t0, t0+62.5ms, t0-1h.
func timeText(d time.Duration) string {
	switch {
	case d == 0:
		return "t0"
	case d < 0:
		return "t0-" + durText(-d)
	}
	return "t0+" + durText(d)
}

// durText is d.String() without trailing zero units: 1h, not 1h0m0s.
func durText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// limitText writes a limit as a Go expression.
func limitText(r tokenbucket.Limit) string {
	switch {
	case r == tokenbucket.Inf:
		return "tokenbucket.Inf"
	case math.IsNaN(float64(r)):
		return "tokenbucket.Limit(math.NaN())"
	case math.IsInf(float64(r), 0):
		return fmt.Sprintf("tokenbucket.Limit(math.Inf(%d))", int(math.Copysign(1, float64(r))))
	}
	return fmt.Sprint(float64(r))
}

// errText names an error by the sentinel it matches.
func errText(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{tokenbucket.ErrInvalidLimit, "ErrInvalidLimit"},
		{tokenbucket.ErrInvalidBurst, "ErrInvalidBurst"},
		{tokenbucket.ErrExceedsBurst, "ErrExceedsBurst"},
		{context.Canceled, "context.Canceled"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", err.Error())
}

// Rule 1 (and 3): invalid configurations are refused with a sentinel error
// and a nil limiter; valid ones, including 0 and 0, are kept as given.
func TestNewRejectsInvalidConfig(t *testing.T) {
	katatest.Guard(t)
	invalid := []struct {
		name  string
		r     tokenbucket.Limit
		burst int
		want  error
	}{
		{"NaN limit", tokenbucket.Limit(math.NaN()), 1, tokenbucket.ErrInvalidLimit},
		{"negative limit", -1, 1, tokenbucket.ErrInvalidLimit},
		{"minus infinity", tokenbucket.Limit(math.Inf(-1)), 1, tokenbucket.ErrInvalidLimit},
		{"negative burst", 1, -1, tokenbucket.ErrInvalidBurst},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			call := fmt.Sprintf("tokenbucket.New(%s, %d)", limitText(tc.r), tc.burst)
			var (
				l   *tokenbucket.Limiter
				err error
			)
			if p := catch(func() { l, err = tokenbucket.New(tc.r, tc.burst) }); p != nil {
				t.Fatalf("%s panicked: %v; want a nil limiter and an error matching %s", call, p, errText(tc.want))
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("%s returned the error %s, want one matching %s", call, errText(err), errText(tc.want))
			}
			if l != nil {
				t.Errorf("%s returned a limiter, want nil", call)
			}
		})
	}

	valid := []struct {
		name  string
		r     tokenbucket.Limit
		burst int
	}{
		{"zero limit and zero burst", 0, 0},
		{"zero limit", 0, 3},
		{"zero burst", 8, 0},
		{"infinite limit", tokenbucket.Inf, 0},
		{"ordinary", 0.5, 10},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			call := fmt.Sprintf("tokenbucket.New(%s, %d)", limitText(tc.r), tc.burst)
			l, err := tokenbucket.New(tc.r, tc.burst)
			require.NoError(t, err, call)
			require.NotNil(t, l, "%s returned a nil limiter", call)
			assert.Equal(t, tc.r, l.Limit(), "l, _ := %s; l.Limit()", call)
			assert.Equal(t, tc.burst, l.Burst(), "l, _ := %s; l.Burst()", call)
		})
	}
}

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// Rules 5 and 12: a new limiter holds burst tokens, whatever t is asked
// about, and hands out exactly that many at one instant.
func TestStartsFull(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 8, 3)
	for _, d := range []time.Duration{-time.Hour, 0, time.Hour} {
		assert.Equal(t, 3.0, s.TokensAt(d), "%v: a new limiter is full", s)
	}
	for range 3 {
		require.True(t, s.AllowN(0, 1), "%v: a new limiter is full", s)
	}
	assert.False(t, s.AllowN(0, 1), "%v: the burst of 3 is spent", s)
	assert.Equal(t, 0.0, s.TokensAt(0), "%v", s)
}

// Rule 6: tokens come back at the limit's rate, one per 1/r seconds.
func TestRefillsAtRate(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 8, 2) // one token per 125 ms
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{0, true},
		{0, false},                        // empty
		{62500 * time.Microsecond, false}, // half a token
		{125 * time.Millisecond, true},
		{125 * time.Millisecond, false},
		{375 * time.Millisecond, true}, // 250 ms later: two tokens
		{375 * time.Millisecond, true},
		{375 * time.Millisecond, false},
	}
	for _, step := range steps {
		assert.Equal(t, step.want, s.AllowN(step.at, 1), "%v", s)
	}
}

// Rule 6: however long the limiter is idle, it holds at most burst tokens.
func TestCapsAtBurst(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 8, 3)
	require.True(t, s.AllowN(0, 3), "%v: take the whole burst", s)
	later := 10 * time.Second // 80 tokens earned, 3 kept
	assert.Equal(t, 3.0, s.TokensAt(later), "%v: capped at the burst", s)
	for range 3 {
		require.True(t, s.AllowN(later, 1), "%v", s)
	}
	assert.False(t, s.AllowN(later, 1), "%v: the fourth request after 10 s idle, with burst 3", s)
}

// Rule 11: with a finite limit, a request for more than burst tokens can
// never be granted, and refusing it costs nothing.
func TestNMoreThanBurstNeverAllowed(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 8, 3)
	assert.False(t, s.AllowN(0, 4), "%v: n > burst, on a full bucket", s)
	assert.False(t, s.AllowN(time.Hour, 4), "%v: n > burst", s)
	assert.Equal(t, 3.0, s.TokensAt(time.Hour), "%v: the refusals took nothing", s)
	assert.True(t, s.AllowN(time.Hour, 3), "%v: n == burst on a full bucket", s)
}

// Rule 10: a request for no tokens (or fewer) is always granted and takes
// nothing, even from an empty bucket.
func TestAllowNNonPositive(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 1, 1)
	require.True(t, s.AllowN(0, 1), "%v", s)
	for _, n := range []int{0, -1, math.MinInt} {
		assert.True(t, s.AllowN(0, n), "%v: n <= 0 is always granted", s)
	}
	assert.Equal(t, 0.0, s.TokensAt(0), "%v: n <= 0 takes nothing", s)
	assert.Equal(t, 0.5, s.TokensAt(500*time.Millisecond), "%v: refill runs from t0", s)
}

// Rules 6 and 8: the balance is a float64 that keeps partial tokens, and a
// partial token is not enough for a request.
func TestTokensAreFractional(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 8, 1)
	require.True(t, s.AllowN(0, 1), "%v", s)
	assert.Equal(t, 0.125, s.TokensAt(tick), "%v: 8 tokens per second", s)
	assert.Equal(t, 0.5, s.TokensAt(4*tick), "%v: 8 tokens per second", s) // 62.5 ms
	assert.False(t, s.AllowN(4*tick, 1), "%v: half a token is not a token", s)
	assert.Equal(t, 0.5, s.TokensAt(4*tick), "%v: the refusal took nothing", s)
	assert.True(t, s.AllowN(8*tick, 1), "%v: a whole token at 125 ms", s)
	assert.Equal(t, 0.0, s.TokensAt(8*tick), "%v", s)
}

// Rules 16d and 17: Wait returns at once while tokens last, then at exactly
// the instant the next token is earned.
func TestWaitBlocksUntilDue(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		start := time.Now()
		calls := "l, _ := tokenbucket.New(8, 1)"
		for _, want := range []time.Duration{0, 125 * time.Millisecond, 250 * time.Millisecond} {
			calls += fmt.Sprintf("; at %v: l.Wait(ctx)", time.Since(start))
			err := l.Wait(context.Background())
			require.NoError(t, err, calls)
			assert.Equal(t, want, time.Since(start), "%s returned at (virtual time since New)", calls)
		}
	})
}

// Rule 18: a Wait whose context is cancelled returns the context's error at
// the moment of cancellation.
func TestWaitHonoursCancel(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		require.True(t, l.Allow(), "l, _ := tokenbucket.New(8, 1); l.Allow()")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		err = l.Wait(ctx) // due at 125 ms
		const call = "l, _ := tokenbucket.New(8, 1); l.Allow(); l.Wait(ctx) with ctx cancelled 30ms later"
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s returned %s, want context.Canceled", call, errText(err))
		}
		assert.Equal(t, 30*time.Millisecond, time.Since(start), "%s returned after", call)
	})
}

// Rule 13: with limit Inf everything is granted at once, whatever n and
// burst, and nothing is taken.
func TestInfAllowsEverything(t *testing.T) {
	katatest.Guard(t)
	t.Run("AllowN", func(t *testing.T) {
		s := newScript(t, tokenbucket.Inf, 0)
		for range 3 {
			require.True(t, s.AllowN(0, 1), "%v", s)
		}
		assert.True(t, s.AllowN(0, 1_000_000), "%v", s)
		assert.Equal(t, 0.0, s.TokensAt(0), "%v: with limit Inf, TokensAt is Burst()", s)
	})
	t.Run("WaitN", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(tokenbucket.Inf, 0)
			require.NoError(t, err, "tokenbucket.New(tokenbucket.Inf, 0)")
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(tokenbucket.Inf, 0); l.WaitN(ctx, 1000000) with a 1h timeout"
			if err := l.WaitN(ctx, 1_000_000); err != nil {
				t.Errorf("%s returned %s, want nil", call, errText(err))
			}
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
		})
	})
}

// Rule 20: concurrent requests at one instant share the tokens exactly; run
// it with -race.
func TestConcurrentAllowN(t *testing.T) {
	katatest.Guard(t)
	for round := range 20 {
		l, err := tokenbucket.New(8, 7)
		require.NoError(t, err, "tokenbucket.New(8, 7)")
		var granted atomic.Int64
		katatest.Hammer(50, 1, func(g, _ int) {
			if g%5 == 0 {
				l.TokensAt(t0) // readers race with the writers
			}
			if l.AllowN(t0, 1) {
				granted.Add(1)
			}
		})
		require.Equal(t, int64(7), granted.Load(),
			"round %d: l, _ := tokenbucket.New(8, 7), then 50 goroutines call l.AllowN(t0, 1) at once: how many were granted", round)
		assert.Equal(t, 0.0, l.TokensAt(t0), "round %d: l, _ := tokenbucket.New(8, 7), 50 concurrent l.AllowN(t0, 1), then l.TokensAt(t0)", round)
	}
}

// BenchmarkAllowN measures contended AllowN calls at one fixed time on a
// tiny bucket, so that nearly all of them are refusals.
func BenchmarkAllowN(b *testing.B) {
	l := newBench(b, 1, 1)
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.AllowN(now, 1)
		}
	})
}

// newBench is New that stops the benchmark on error.
func newBench(b *testing.B, r tokenbucket.Limit, burst int) *tokenbucket.Limiter {
	b.Helper()
	l, err := tokenbucket.New(r, burst)
	if err != nil || l == nil {
		b.Fatalf("tokenbucket.New(%v, %d) = %v, %v", r, burst, l, err)
	}
	return l
}

// BenchmarkAllowNGranted measures AllowN calls that are all granted.
func BenchmarkAllowNGranted(b *testing.B) {
	l := newBench(b, 1, math.MaxInt32)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if !l.AllowN(now, 1) {
			b.Fatal("AllowN refused a request on a bucket of MaxInt32 tokens")
		}
	}
}

// BenchmarkAllow measures Allow with the real clock.
func BenchmarkAllow(b *testing.B) {
	l := newBench(b, 1e9, 1<<30)
	b.ReportAllocs()
	for b.Loop() {
		l.Allow()
	}
}

// BenchmarkWaitNoDelay measures Wait when a token is always available: it
// must neither sleep nor create a timer nor allocate. (x/time/rate uses
// New(Limit(b.N), b.N); with b.Loop the count is not known in advance, so
// the bucket is simply too large and too fast to run dry.)
func BenchmarkWaitNoDelay(b *testing.B) {
	l := newBench(b, 1e9, 1<<30)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
