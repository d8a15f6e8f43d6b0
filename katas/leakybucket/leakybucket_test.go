package leakybucket_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/leakybucket"
)

// ms is shorthand for n milliseconds.
func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// newLimiter is New that fails the test on error.
func newLimiter(t testing.TB, rate int, opts ...leakybucket.Option) *leakybucket.Limiter {
	t.Helper()
	l, err := leakybucket.New(rate, opts...)
	require.NoError(t, err, "New(%d, ...)", rate)
	require.NotNil(t, l, "New(%d, ...)", rate)
	return l
}

// takeAll calls Take once per entry of want and checks, after each call,
// that it returned exactly want[i] after start. Call it inside a bubble.
func takeAll(t *testing.T, l *leakybucket.Limiter, start time.Time, want []time.Duration) {
	t.Helper()
	for i, w := range want {
		l.Take()
		require.Equal(t, w, time.Since(start), "Take %d of %d returned after", i+1, len(want))
	}
}

// Rule 1: invalid configurations are refused with a sentinel error and a
// nil limiter, never with a panic; rule 2: zero slack and a zero queue
// bound are valid.
func TestNewRejectsInvalidConfig(t *testing.T) {
	cases := []struct {
		name string
		rate int
		opts []leakybucket.Option
		want error // nil: valid
	}{
		{"rate 0", 0, nil, leakybucket.ErrInvalidRate},
		{"negative rate", -5, nil, leakybucket.ErrInvalidRate},
		{"Per(0)", 10, []leakybucket.Option{leakybucket.Per(0)}, leakybucket.ErrInvalidRate},
		{"negative Per", 10, []leakybucket.Option{leakybucket.Per(-time.Second)}, leakybucket.ErrInvalidRate},
		{"negative slack", 10, []leakybucket.Option{leakybucket.WithSlack(-1)}, leakybucket.ErrInvalidOption},
		{"negative queue bound", 10, []leakybucket.Option{leakybucket.WithMaxQueue(-1)}, leakybucket.ErrInvalidOption},
		{"defaults", 1, nil, nil},
		{"every option", 10, []leakybucket.Option{leakybucket.Per(time.Minute), leakybucket.WithSlack(3), leakybucket.WithMaxQueue(5)}, nil},
		{"zero slack and zero queue bound", 10, []leakybucket.Option{leakybucket.WithSlack(0), leakybucket.WithMaxQueue(0)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				l   *leakybucket.Limiter
				err error
			)
			require.NotPanics(t, func() { l, err = leakybucket.New(tc.rate, tc.opts...) }, "New must not panic")
			if tc.want == nil {
				require.NoError(t, err)
				assert.NotNil(t, l)
				return
			}
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, l)
		})
	}
}

// Rules 4-6: the first Take on a new limiter returns at once, and the next
// ones exactly one interval apart.
func TestFirstTakeImmediateThenSpaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 10) // I = 100 ms
		start := time.Now()
		takeAll(t, l, start, []time.Duration{0, ms(100), ms(200), ms(300)})
	})
}

// Rule 3: the interval is per / rate, truncated to whole nanoseconds.
func TestPerOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 7, leakybucket.Per(time.Minute)) // I = 8.571428571 s
		start := time.Now()
		takeAll(t, l, start, []time.Duration{0, 8571428571, 17142857142})
	})
}

// Rules 2 and 5: without WithSlack nothing is banked while idle; a late
// caller goes at once and the pace resumes from its call.
func TestNoSlackByDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 10)
		l.Take()
		time.Sleep(2 * time.Second)
		start := time.Now()
		takeAll(t, l, start, []time.Duration{0, ms(100), ms(200), ms(300)})
	})
}

// Rule 5: after an idle period, WithSlack(n) lets n + 1 calls through at
// once, then the pace resumes.
func TestSlackAfterIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 10, leakybucket.WithSlack(10))
		l.Take()
		time.Sleep(2 * time.Second) // 20 intervals idle, 10 may be banked
		start := time.Now()
		want := make([]time.Duration, 11, 14)
		want = append(want, ms(100), ms(200), ms(300))
		takeAll(t, l, start, want)
	})
}

// Rule 14: a TakeContext that is not cancelled waits for its slot, like
// Take, and returns it with a nil error.
func TestTakeContextWaitsForSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 4) // I = 250 ms
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		for i, want := range []time.Duration{0, ms(250), ms(500)} {
			got, err := l.TakeContext(ctx)
			require.NoError(t, err, "TakeContext %d", i+1)
			assert.Equal(t, want, got.Sub(start), "TakeContext %d: permission time", i+1)
			assert.Equal(t, want, time.Since(start), "TakeContext %d returned after", i+1)
		}
	})
}

// The tests below have a caller blocked while something else happens, so
// they use a real-time watchdog: a solution that sleeps while holding its
// lock stops virtual time, and only the watchdog's panic can end such a
// test. They stay last in the file.

// lockHeld is the watchdogs' explanation.
const lockHeld = "virtual time stopped while a caller was waiting for its slot: does Take or TakeContext sleep while holding the limiter's lock?"

// Rule 13: a waiter whose context is cancelled returns the context's error
// at the instant of cancellation, not at its slot.
func TestTakeContextHonoursCancel(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(t, 10)
		l.Take()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(ms(30), cancel)
		start := time.Now()
		_, err := l.TakeContext(ctx) // slot at 100 ms
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, ms(30), time.Since(start), "TakeContext returned after")
	})
}

// Rule 8: concurrent callers get distinct slots, one interval apart, and
// none of them sleeps while holding a lock the others need. Run it with
// -race.
func TestConcurrentTakesAreSpaced(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers = 10
		l := newLimiter(t, 10)
		start := time.Now()
		var (
			mu  sync.Mutex
			got []time.Duration
			wg  sync.WaitGroup
		)
		for range callers {
			wg.Go(func() {
				l.Take()
				mu.Lock()
				defer mu.Unlock()
				got = append(got, time.Since(start))
			})
		}
		wg.Wait()
		want := make([]time.Duration, callers)
		for i := range want {
			want[i] = time.Duration(i) * ms(100)
		}
		slices.Sort(got)
		assert.Equal(t, want, got, "return times of %d concurrent Takes, sorted", callers)
	})
}

// BenchmarkTake measures a Take that never sleeps: with 10^9 permissions
// per second the interval is 1 ns, shorter than a call.
func BenchmarkTake(b *testing.B) {
	l := newLimiter(b, 1_000_000_000)
	b.ReportAllocs()
	for b.Loop() {
		l.Take()
	}
}

// BenchmarkTakeParallel measures the same limiter under contention. It must
// not collapse: callers that wait for the lock must not also sleep.
func BenchmarkTakeParallel(b *testing.B) {
	l := newLimiter(b, 1_000_000_000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Take()
		}
	})
}

// BenchmarkTakeContext measures TakeContext on a permission granted at
// once: it must neither create a timer nor allocate.
func BenchmarkTakeContext(b *testing.B) {
	l := newLimiter(b, 1_000_000_000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.TakeContext(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
