package tokenbucket_test

import (
	"context"
	"math"
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
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// tick is 1/64 s. Rates of 0.5, 1, 2, 4 and 8 tokens per second times a
// whole number of ticks give balances that float64 holds exactly, so the
// tests can compare them with ==.
const tick = 15625 * time.Microsecond

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newLimiter is New that fails the test on error.
func newLimiter(t testing.TB, r tokenbucket.Limit, burst int) *tokenbucket.Limiter {
	t.Helper()
	l, err := tokenbucket.New(r, burst)
	require.NoError(t, err, "New(%v, %d)", r, burst)
	require.NotNil(t, l, "New(%v, %d)", r, burst)
	return l
}

// Rule 1 (and 3): invalid configurations are refused with a sentinel error
// and a nil limiter; valid ones, including 0 and 0, are kept as given.
func TestNewRejectsInvalidConfig(t *testing.T) {
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
			l, err := tokenbucket.New(tc.r, tc.burst)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, l)
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
			l, err := tokenbucket.New(tc.r, tc.burst)
			require.NoError(t, err)
			require.NotNil(t, l)
			assert.Equal(t, tc.r, l.Limit(), "Limit()")
			assert.Equal(t, tc.burst, l.Burst(), "Burst()")
		})
	}
}

// Rules 5 and 12: a new limiter holds burst tokens, whatever t is asked
// about, and hands out exactly that many at one instant.
func TestStartsFull(t *testing.T) {
	l := newLimiter(t, 8, 3)
	for _, d := range []time.Duration{-time.Hour, 0, time.Hour} {
		assert.Equal(t, 3.0, l.TokensAt(at(d)), "TokensAt(t0%+v) before any request", d)
	}
	for i := range 3 {
		require.True(t, l.AllowN(t0, 1), "request %d of 3 at t0", i+1)
	}
	assert.False(t, l.AllowN(t0, 1), "fourth request at t0")
	assert.Equal(t, 0.0, l.TokensAt(t0))
}

// Rule 6: tokens come back at the limit's rate, one per 1/r seconds.
func TestRefillsAtRate(t *testing.T) {
	l := newLimiter(t, 8, 2) // one token per 125 ms
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
	for i, s := range steps {
		assert.Equal(t, s.want, l.AllowN(at(s.at), 1), "step %d: AllowN(t0+%v, 1)", i, s.at)
	}
}

// Rule 6: however long the limiter is idle, it holds at most burst tokens.
func TestCapsAtBurst(t *testing.T) {
	l := newLimiter(t, 8, 3)
	require.True(t, l.AllowN(t0, 3), "take the whole burst")
	later := at(10 * time.Second) // 80 tokens earned, 3 kept
	assert.Equal(t, 3.0, l.TokensAt(later))
	granted := 0
	for range 10 {
		if l.AllowN(later, 1) {
			granted++
		}
	}
	assert.Equal(t, 3, granted, "requests granted at one instant after 10 s idle")
}

// Rule 11: with a finite limit, a request for more than burst tokens can
// never be granted, and refusing it costs nothing.
func TestNMoreThanBurstNeverAllowed(t *testing.T) {
	l := newLimiter(t, 8, 3)
	assert.False(t, l.AllowN(t0, 4), "AllowN(t0, burst+1) on a full bucket")
	assert.False(t, l.AllowN(at(time.Hour), 4), "AllowN(t0+1h, burst+1)")
	assert.Equal(t, 3.0, l.TokensAt(at(time.Hour)), "the refusals took nothing")
	assert.True(t, l.AllowN(at(time.Hour), 3), "AllowN(t, burst) on a full bucket")
}

// Rule 10: a request for no tokens (or fewer) is always granted and takes
// nothing, even from an empty bucket.
func TestAllowNNonPositive(t *testing.T) {
	l := newLimiter(t, 1, 1)
	require.True(t, l.AllowN(t0, 1))
	for _, n := range []int{0, -1, math.MinInt} {
		assert.True(t, l.AllowN(t0, n), "AllowN(t0, %d) on an empty bucket", n)
	}
	assert.Equal(t, 0.0, l.TokensAt(t0))
	assert.Equal(t, 0.5, l.TokensAt(at(500*time.Millisecond)), "refill runs from t0")
}

// Rules 6 and 8: the balance is a float64 that keeps partial tokens, and a
// partial token is not enough for a request.
func TestTokensAreFractional(t *testing.T) {
	l := newLimiter(t, 8, 1)
	require.True(t, l.AllowN(t0, 1))
	assert.Equal(t, 0.125, l.TokensAt(at(tick)))
	assert.Equal(t, 0.5, l.TokensAt(at(4*tick))) // 62.5 ms
	assert.False(t, l.AllowN(at(4*tick), 1), "half a token is not a token")
	assert.Equal(t, 0.5, l.TokensAt(at(4*tick)), "the refusal took nothing")
	assert.True(t, l.AllowN(at(8*tick), 1), "a whole token at 125 ms")
	assert.Equal(t, 0.0, l.TokensAt(at(8*tick)))
}

// Rules 16d and 17: Wait returns at once while tokens last, then at exactly
// the instant the next token is earned.
func TestWaitBlocksUntilDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 8, 1)
		start := time.Now()
		for i, want := range []time.Duration{0, 125 * time.Millisecond, 250 * time.Millisecond} {
			require.NoError(t, l.Wait(context.Background()), "Wait %d", i)
			assert.Equal(t, want, time.Since(start), "Wait %d returned after", i)
		}
	})
}

// Rule 18: a Wait whose context is cancelled returns the context's error at
// the moment of cancellation.
func TestWaitHonoursCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 8, 1)
		require.True(t, l.Allow(), "take the only token")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(30*time.Millisecond, cancel)
		start := time.Now()
		err := l.Wait(ctx) // due at 125 ms
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 30*time.Millisecond, time.Since(start), "Wait returned after")
	})
}

// Rule 13: with limit Inf everything is granted at once, whatever n and
// burst, and nothing is taken.
func TestInfAllowsEverything(t *testing.T) {
	t.Run("AllowN", func(t *testing.T) {
		l := newLimiter(t, tokenbucket.Inf, 0)
		for i := range 1000 {
			require.True(t, l.AllowN(t0, 1), "request %d", i)
		}
		assert.True(t, l.AllowN(t0, 1_000_000), "AllowN(t0, 1e6)")
		assert.Equal(t, 0.0, l.TokensAt(t0), "TokensAt is Burst()")
	})
	t.Run("WaitN", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLimiter(t, tokenbucket.Inf, 0)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			require.NoError(t, l.WaitN(ctx, 1_000_000))
			assert.Equal(t, time.Duration(0), time.Since(start), "WaitN returned after")
		})
	})
}

// Rule 20: concurrent requests at one instant share the tokens exactly; run
// it with -race.
func TestConcurrentAllowN(t *testing.T) {
	for round := range 20 {
		l := newLimiter(t, 8, 7)
		var granted atomic.Int64
		katatest.Hammer(50, 1, func(g, _ int) {
			if g%5 == 0 {
				l.TokensAt(t0) // readers race with the writers
			}
			if l.AllowN(t0, 1) {
				granted.Add(1)
			}
		})
		require.Equal(t, int64(7), granted.Load(), "round %d: requests granted from a burst of 7", round)
		assert.Equal(t, 0.0, l.TokensAt(t0), "round %d", round)
	}
}

// BenchmarkAllowN measures contended AllowN calls at one fixed time on a
// tiny bucket, so that nearly all of them are refusals.
func BenchmarkAllowN(b *testing.B) {
	l := newLimiter(b, 1, 1)
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.AllowN(now, 1)
		}
	})
}

// BenchmarkAllowNGranted measures AllowN calls that are all granted.
func BenchmarkAllowNGranted(b *testing.B) {
	l := newLimiter(b, 1, math.MaxInt32)
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
	l := newLimiter(b, 1e9, 1<<30)
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
	l := newLimiter(b, 1e9, 1<<30)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
