//go:build microkata_hidden

package leakybucket_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/leakybucket"
	ref "github.com/microkata/microkata/solutions/leakybucket"
)

// hMs is n milliseconds.
func hMs(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// hNew is New that fails the test on error.
func hNew(t testing.TB, rate int, opts ...leakybucket.Option) *leakybucket.Limiter {
	t.Helper()
	l, err := leakybucket.New(rate, opts...)
	require.NoError(t, err, "New(%d, ...)", rate)
	require.NotNil(t, l, "New(%d, ...)", rate)
	return l
}

// hTakes calls Take once per entry of want and checks that each call both
// returns at, and returns as its permission time, want[i] after start.
// Call it inside a bubble.
func hTakes(t *testing.T, l *leakybucket.Limiter, start time.Time, want []time.Duration) {
	t.Helper()
	for i, w := range want {
		got := l.Take()
		require.Equal(t, w, time.Since(start), "Take %d of %d returned after", i+1, len(want))
		require.Equal(t, w, got.Sub(start), "Take %d of %d: permission time", i+1, len(want))
	}
}

// hAtOnce returns n zero durations followed by rest.
func hAtOnce(n int, rest ...time.Duration) []time.Duration {
	return append(make([]time.Duration, n), rest...)
}

// hResult is what a call started with hGo returned, and when.
type hResult struct {
	got   time.Time
	err   error
	after time.Duration // since the start passed to hGo
}

// hGo runs f on a new goroutine and returns the channel that receives its
// result. Call it inside a bubble.
func hGo(start time.Time, f func() (time.Time, error)) <-chan hResult {
	ch := make(chan hResult, 1)
	go func() {
		got, err := f()
		ch <- hResult{got, err, time.Since(start)}
	}()
	return ch
}

// hTake adapts Take to hGo.
func hTake(l *leakybucket.Limiter) func() (time.Time, error) {
	return func() (time.Time, error) { return l.Take(), nil }
}

// hTakeCtx adapts TakeContext to hGo.
func hTakeCtx(l *leakybucket.Limiter, ctx context.Context) func() (time.Time, error) {
	return func() (time.Time, error) { return l.TakeContext(ctx) }
}

// hRequireBlocked fails the test if the call behind ch has returned. It
// waits until every other goroutine of the bubble is blocked, so a caller
// started just before is surely waiting (and counted as a waiter).
func hRequireBlocked(t *testing.T, ch <-chan hResult, what string) {
	t.Helper()
	synctest.Wait()
	select {
	case r := <-ch:
		require.Failf(t, "returned too early", "%s returned (%v, %v) after %v, but it must still be blocked", what, r.got, r.err, r.after)
	default:
	}
}

// TestHiddenEveryOptionValidated: every option is validated, even one that a
// later option of the same kind overrides; New never panics (rules 1, 2).
//
// Category: config
func TestHiddenEveryOptionValidated(t *testing.T) {
	cases := []struct {
		name string
		rate int
		opts []leakybucket.Option
		want error
	}{
		{"negative slack overridden", 10, []leakybucket.Option{leakybucket.WithSlack(-1), leakybucket.WithSlack(2)}, leakybucket.ErrInvalidOption},
		{"negative queue bound overridden", 10, []leakybucket.Option{leakybucket.WithMaxQueue(-1), leakybucket.WithMaxQueue(3)}, leakybucket.ErrInvalidOption},
		{"Per(0) overridden", 10, []leakybucket.Option{leakybucket.Per(0), leakybucket.Per(time.Second)}, leakybucket.ErrInvalidRate},
		{"negative Per after a valid one", 10, []leakybucket.Option{leakybucket.Per(time.Minute), leakybucket.Per(-time.Nanosecond)}, leakybucket.ErrInvalidRate},
		{"most negative slack", 10, []leakybucket.Option{leakybucket.WithSlack(math.MinInt)}, leakybucket.ErrInvalidOption},
		{"most negative rate with valid options", math.MinInt, []leakybucket.Option{leakybucket.Per(time.Second), leakybucket.WithSlack(1)}, leakybucket.ErrInvalidRate},
		{"largest values", math.MaxInt, []leakybucket.Option{leakybucket.Per(math.MaxInt64), leakybucket.WithSlack(math.MaxInt), leakybucket.WithMaxQueue(math.MaxInt)}, nil},
		{"no options at all", 1, []leakybucket.Option{}, nil},
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

// TestHiddenLastOptionWins: among valid options, the last one of a kind
// wins (rule 2).
//
// Category: config
func TestHiddenLastOptionWins(t *testing.T) {
	t.Run("Per", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10, leakybucket.Per(time.Minute), leakybucket.Per(time.Second))
			hTakes(t, l, time.Now(), []time.Duration{0, hMs(100), hMs(200)})
		})
	})
	t.Run("WithSlack", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10, leakybucket.WithSlack(5), leakybucket.WithSlack(1))
			l.Take()
			time.Sleep(time.Hour)
			hTakes(t, l, time.Now(), hAtOnce(2, hMs(100)))
		})
	})
	t.Run("WithMaxQueue", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			bg := context.Background()
			wide := hNew(t, 10, leakybucket.WithMaxQueue(0), leakybucket.WithMaxQueue(1))
			start := time.Now()
			wide.Take()
			got, err := wide.TakeContext(bg)
			require.NoError(t, err, "WithMaxQueue(0), WithMaxQueue(1): a single caller may wait")
			assert.Equal(t, hMs(100), got.Sub(start))

			narrow := hNew(t, 10, leakybucket.WithMaxQueue(1), leakybucket.WithMaxQueue(0))
			narrow.Take()
			_, err = narrow.TakeContext(bg)
			assert.ErrorIs(t, err, leakybucket.ErrQueueFull, "WithMaxQueue(1), WithMaxQueue(0): no caller may wait")
		})
	})
}

// TestHiddenZeroAndOneNanosecondInterval: with more than one permission per
// nanosecond the interval is 0 and every call goes at once; with exactly
// one, calls in a row are 1 ns apart (rules 3, 6).
//
// Category: boundary
func TestHiddenZeroAndOneNanosecondInterval(t *testing.T) {
	t.Run("I = 0", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 2_000_000_000)
			start := time.Now()
			for i := range 1000 {
				got := l.Take()
				require.Equal(t, time.Duration(0), time.Since(start), "Take %d returned after", i+1)
				require.Equal(t, time.Duration(0), got.Sub(start), "Take %d: permission time", i+1)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
			defer cancel()
			got, err := l.TakeContext(ctx)
			require.NoError(t, err, "TakeContext with I = 0 is granted at once, whatever the deadline")
			assert.Equal(t, time.Duration(0), got.Sub(start))
		})
	})
	t.Run("I = 1 ns", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 1_000_000_000)
			start := time.Now()
			want := make([]time.Duration, 1000)
			for i := range want {
				want[i] = time.Duration(i)
			}
			hTakes(t, l, start, want)
		})
	})
}

// TestHiddenIntervalTruncated: the interval is per / rate truncated to whole
// nanoseconds, not rounded (rule 3).
//
// Category: boundary
func TestHiddenIntervalTruncated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 3, leakybucket.Per(2*time.Second)) // 666666666.67 ns
		hTakes(t, l, time.Now(), []time.Duration{0, 666666666, 1333333332, 1999999998})
	})
}

// TestHiddenHugeValuesNoOverflow: slack × I and S + I may exceed an int64
// of nanoseconds; the slots still follow rule 5 (rules 3, 5).
//
// Category: boundary
func TestHiddenHugeValuesNoOverflow(t *testing.T) {
	t.Run("WithSlack(MaxInt)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10, leakybucket.WithSlack(math.MaxInt))
			l.Take()
			time.Sleep(time.Second) // 10 missed slots, all within the slack
			hTakes(t, l, time.Now(), hAtOnce(10, hMs(100), hMs(200)))
		})
	})
	t.Run("Per(MaxInt64)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 1, leakybucket.Per(math.MaxInt64)) // the next slot is 292 years away
			start := time.Now()
			hTakes(t, l, start, []time.Duration{0})
			ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
			defer cancel()
			_, err := l.TakeContext(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded, "TakeContext with a slot 292 years away and a 24 h deadline")
			assert.Equal(t, time.Duration(0), time.Since(start), "TakeContext returned after")
		})
	})
}

// TestHiddenMaxQueueZero: WithMaxQueue(0) refuses every TakeContext that
// would wait, takes nothing for it, and still grants calls whose slot has
// come; Take still waits (rules 2, 9, 11).
//
// Category: boundary
func TestHiddenMaxQueueZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithMaxQueue(0))
		bg := context.Background()
		start := time.Now()
		got, err := l.TakeContext(bg)
		require.NoError(t, err, "the first call is granted at once")
		assert.Equal(t, time.Duration(0), got.Sub(start))

		_, err = l.TakeContext(bg)
		require.ErrorIs(t, err, leakybucket.ErrQueueFull, "a TakeContext that would wait")
		assert.Equal(t, time.Duration(0), time.Since(start), "the refusal returned after")

		time.Sleep(hMs(100))
		got, err = l.TakeContext(bg)
		require.NoError(t, err, "a TakeContext one interval later is granted at once")
		assert.Equal(t, hMs(100), got.Sub(start), "the refused call took nothing")
		assert.Equal(t, hMs(100), time.Since(start))

		assert.Equal(t, hMs(200), l.Take().Sub(start), "Take is never refused")
		assert.Equal(t, hMs(200), time.Since(start), "Take returned after")
	})
}

// TestHiddenNoInitialBurstEvenWithSlack: a new limiter has nothing banked,
// whatever its slack (rule 4).
//
// Category: behaviour
func TestHiddenNoInitialBurstEvenWithSlack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithSlack(10))
		hTakes(t, l, time.Now(), []time.Duration{0, hMs(100), hMs(200)})
	})
}

// TestHiddenSlackIsBankedOnce: after an idle period slack + 1 calls go at
// once, and then the rate resumes: the slack is not banked again on every
// call (rule 5; uber-go/ratelimit#119).
//
// Category: behaviour
func TestHiddenSlackIsBankedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, leakybucket.WithSlack(2))
		l.Take()
		time.Sleep(5 * time.Second)
		hTakes(t, l, time.Now(), hAtOnce(3, time.Second, 2*time.Second, 3*time.Second))
	})
}

// TestHiddenSlackCappedAfterLongIdle: however long the idle period, at most
// slack intervals are banked (rule 5).
//
// Category: behaviour
func TestHiddenSlackCappedAfterLongIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithSlack(3))
		l.Take()
		time.Sleep(time.Hour)
		hTakes(t, l, time.Now(), hAtOnce(4, hMs(100), hMs(200)))
	})
}

// TestHiddenShortIdleBanksOnlyMissedSlots: an idle period shorter than the
// slack banks only the slots it missed (rule 5).
//
// Category: behaviour
func TestHiddenShortIdleBanksOnlyMissedSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithSlack(10))
		start := time.Now()
		l.Take()
		time.Sleep(hMs(350)) // the slots at 100, 200 and 300 ms were missed
		hTakes(t, l, start, []time.Duration{hMs(350), hMs(350), hMs(350), hMs(400), hMs(500)})
	})
}

// TestHiddenSlackFollowsPer: slack is counted in intervals, so with Per it
// scales with the period, not with seconds (rules 3, 5).
//
// Category: behaviour
func TestHiddenSlackFollowsPer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 6, leakybucket.Per(time.Minute), leakybucket.WithSlack(2)) // I = 10 s
		l.Take()
		time.Sleep(time.Hour)
		hTakes(t, l, time.Now(), hAtOnce(3, 10*time.Second, 20*time.Second))
	})
}

// TestHiddenLateCallerNoCatchUp: with slack 0 a caller that comes late goes
// at once, and the next one waits a full interval after it: the missed
// slots are not made up (rule 5).
//
// Category: behaviour
func TestHiddenLateCallerNoCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10)
		start := time.Now()
		l.Take()
		time.Sleep(hMs(250))
		hTakes(t, l, start, []time.Duration{hMs(250), hMs(350), hMs(450)})
	})
}

// TestHiddenNoDrift: a caller that works for 30 ms after each permission
// still gets its permissions exactly one interval apart (rule 7).
//
// Category: behaviour
func TestHiddenNoDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10)
		start := time.Now()
		for i, want := range []time.Duration{0, hMs(100), hMs(200), hMs(300), hMs(400)} {
			got := l.Take()
			require.Equal(t, want, time.Since(start), "Take %d returned after", i+1)
			require.Equal(t, want, got.Sub(start), "Take %d: permission time", i+1)
			time.Sleep(hMs(30)) // work
		}
	})
}

// TestHiddenReturnsPermissionTime: a call that blocked returns its slot; a
// call granted at once, including a slack grant whose slot is in the past,
// returns the time of the call (rule 6).
//
// Category: behaviour
func TestHiddenReturnsPermissionTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithSlack(2))
		start := time.Now()
		check := func(what string, got time.Time, want time.Duration) {
			t.Helper()
			assert.Equal(t, want, time.Since(start), "%s returned after", what)
			assert.Equal(t, want, got.Sub(start), "%s: permission time", what)
			assert.True(t, got.Equal(time.Now()), "%s: permission time %v, now %v", what, got, time.Now())
		}
		check("first Take", l.Take(), 0)
		check("second Take (blocked)", l.Take(), hMs(100))
		time.Sleep(time.Second) // now 1.1 s; slots 900 ms and 1 s are in the past
		check("first slack grant", l.Take(), 1100*time.Millisecond)
		check("second slack grant", l.Take(), 1100*time.Millisecond)
		check("third grant (slot now)", l.Take(), 1100*time.Millisecond)
		check("Take after the burst (blocked)", l.Take(), 1200*time.Millisecond)
		time.Sleep(hMs(50))
		got, err := l.TakeContext(context.Background())
		require.NoError(t, err)
		check("TakeContext (blocked)", got, 1300*time.Millisecond)
		time.Sleep(hMs(150))
		got, err = l.TakeContext(context.Background())
		require.NoError(t, err)
		check("TakeContext (at once)", got, 1450*time.Millisecond)
	})
}

// TestHiddenTakeContextAlreadyDone: a TakeContext whose ctx is already done
// returns ctx.Err() at once, even when its slot has come, and takes nothing
// (rule 10).
//
// Category: timing
func TestHiddenTakeContextAlreadyDone(t *testing.T) {
	t.Run("cancelled, slot free", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10)
			start := time.Now()
			l.Take()
			time.Sleep(hMs(100))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := l.TakeContext(ctx)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, hMs(100), time.Since(start), "TakeContext returned after")
			hTakes(t, l, start, []time.Duration{hMs(100), hMs(200)})
		})
	})
	t.Run("cancelled, slot in the future", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10)
			start := time.Now()
			l.Take()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := l.TakeContext(ctx)
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, time.Duration(0), time.Since(start), "TakeContext returned after")
			hTakes(t, l, start, []time.Duration{hMs(100), hMs(200)})
		})
	})
	t.Run("past its deadline, fresh limiter", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			time.Sleep(2 * time.Second)
			start := time.Now()
			_, err := l.TakeContext(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, time.Duration(0), time.Since(start), "TakeContext returned after")
			time.Sleep(hMs(30))
			hTakes(t, l, start, []time.Duration{hMs(30), hMs(130)})
		})
	})
}

// TestHiddenTakeContextDeadlineFailsFast: a TakeContext whose slot is not
// strictly before its deadline fails at once and takes nothing; one whose
// slot comes first waits for it; a deadline never refuses a slot that has
// already come (rules 12, 14).
//
// Category: timing
func TestHiddenTakeContextDeadlineFailsFast(t *testing.T) {
	cases := []struct {
		timeout time.Duration
		ok      bool
	}{
		{hMs(100), false},
		{hMs(500), false}, // the slot is exactly at the deadline
		{hMs(500) + time.Nanosecond, true},
		{time.Hour, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint("timeout ", tc.timeout), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, 2) // I = 500 ms
				start := time.Now()
				l.Take()
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				got, err := l.TakeContext(ctx) // slot at 500 ms
				if !tc.ok {
					require.ErrorIs(t, err, context.DeadlineExceeded)
					assert.Equal(t, time.Duration(0), time.Since(start), "TakeContext returned after")
					hTakes(t, l, start, []time.Duration{hMs(500), hMs(1000)})
					return
				}
				require.NoError(t, err)
				assert.Equal(t, hMs(500), got.Sub(start), "permission time")
				assert.Equal(t, hMs(500), time.Since(start), "TakeContext returned after")
				hTakes(t, l, start, []time.Duration{hMs(1000)})
			})
		})
	}
	t.Run("slot already come", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 2)
			start := time.Now()
			l.Take()
			time.Sleep(hMs(500))
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			defer cancel()
			got, err := l.TakeContext(ctx)
			require.NoError(t, err, "a deadline shorter than the interval does not refuse a slot that has come")
			assert.Equal(t, hMs(500), got.Sub(start), "permission time")
			assert.Equal(t, hMs(500), time.Since(start), "TakeContext returned after")
		})
	})
}

// The tests below have more than one caller, or a caller blocked while its
// context is cancelled, so they use a real-time watchdog: a solution that
// sleeps while holding its lock stops virtual time (a goroutine waiting for
// a sync.Mutex is not durably blocked), and only the watchdog's panic can
// end such a test. They stay last in the file.

// hLockHeld is the watchdogs' explanation.
const hLockHeld = "virtual time stopped while a caller was waiting for its slot: does Take or TakeContext sleep (or wait for ctx) while holding the limiter's lock?"

// TestHiddenCancelGivesSlotBack: a waiter cancelled before its slot, with
// no later slot given out, gives its slot back: the next caller gets it
// (rule 13).
//
// Category: timing
func TestHiddenCancelGivesSlotBack(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1)
		start := time.Now()
		l.Take()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(hMs(500), cancel)
		_, err := l.TakeContext(ctx) // slot at 1 s
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, hMs(500), time.Since(start), "TakeContext returned after")
		hTakes(t, l, start, []time.Duration{time.Second, 2 * time.Second})
	})
}

// TestHiddenCancelGiveBackOrder: a cancelled waiter gives its slot back
// only if every slot given out after it has been given back; otherwise the
// later waiters keep their slots (rule 13).
//
// Category: timing
func TestHiddenCancelGiveBackOrder(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	type waiter struct {
		done   <-chan hResult
		cancel context.CancelFunc
	}
	// setup takes the slot at 0 on a 1/s limiter and queues two
	// TakeContext callers, with slots at 1 s and 2 s.
	setup := func(t *testing.T) (*leakybucket.Limiter, time.Time, waiter, waiter) {
		l := hNew(t, 1)
		start := time.Now()
		l.Take()
		var ws [2]waiter
		for i := range ws {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			ws[i] = waiter{hGo(start, hTakeCtx(l, ctx)), cancel}
			hRequireBlocked(t, ws[i].done, fmt.Sprintf("waiter %d", i+1))
		}
		return l, start, ws[0], ws[1]
	}
	t.Run("older cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, start, older, newer := setup(t)
			time.Sleep(hMs(500))
			older.cancel()
			r := <-older.done
			require.ErrorIs(t, r.err, context.Canceled)
			assert.Equal(t, hMs(500), r.after, "the older waiter returned after")
			hTakes(t, l, start, []time.Duration{3 * time.Second})
			r = <-newer.done
			require.NoError(t, r.err, "the newer waiter keeps its slot")
			assert.Equal(t, 2*time.Second, r.got.Sub(start))
		})
	})
	t.Run("newer cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, start, older, newer := setup(t)
			time.Sleep(hMs(500))
			newer.cancel()
			r := <-newer.done
			require.ErrorIs(t, r.err, context.Canceled)
			assert.Equal(t, hMs(500), r.after, "the newer waiter returned after")
			hTakes(t, l, start, []time.Duration{2 * time.Second})
			r = <-older.done
			require.NoError(t, r.err, "the older waiter keeps its slot")
			assert.Equal(t, time.Second, r.got.Sub(start))
		})
	})
	t.Run("newer then older cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, start, older, newer := setup(t)
			time.Sleep(hMs(500))
			newer.cancel()
			require.ErrorIs(t, (<-newer.done).err, context.Canceled)
			time.Sleep(hMs(250))
			older.cancel()
			require.ErrorIs(t, (<-older.done).err, context.Canceled)
			hTakes(t, l, start, []time.Duration{time.Second, 2 * time.Second})
		})
	})
}

// TestHiddenMaxQueue: with WithMaxQueue(3), callers granted at once do not
// count; three may wait; the fourth waiter is refused at once and takes
// nothing; when a waiter returns, a new caller may wait again (rule 11).
//
// Category: timing
func TestHiddenMaxQueue(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, leakybucket.WithMaxQueue(3))
		bg := context.Background()
		start := time.Now()
		first, err := l.TakeContext(bg)
		require.NoError(t, err, "the first call")
		require.Equal(t, time.Duration(0), first.Sub(start), "the first call is granted at once")
		var waiting [3]<-chan hResult
		for i := range waiting {
			waiting[i] = hGo(start, hTakeCtx(l, bg))
			hRequireBlocked(t, waiting[i], fmt.Sprintf("caller %d", i+2))
		}
		_, err = l.TakeContext(bg)
		require.ErrorIs(t, err, leakybucket.ErrQueueFull, "the fifth caller, with three waiting")
		assert.Equal(t, time.Duration(0), time.Since(start), "the refusal returned after")

		r := <-waiting[0]
		require.NoError(t, r.err, "waiter 1")
		assert.Equal(t, time.Second, r.after, "waiter 1 returned after")
		// Two are still waiting: one more may join them, at the slot after
		// the last one (the refusal took nothing), and then the queue is
		// full again.
		joined := hGo(start, hTakeCtx(l, bg))
		hRequireBlocked(t, joined, "a caller after waiter 1 returned")
		_, err = l.TakeContext(bg)
		require.ErrorIs(t, err, leakybucket.ErrQueueFull, "with three waiting again")

		for i, done := range []<-chan hResult{waiting[1], waiting[2], joined} {
			want := time.Duration(i+2) * time.Second
			r := <-done
			require.NoError(t, r.err, "waiter %d", i+2)
			assert.Equal(t, want, r.after, "waiter %d returned after", i+2)
			assert.Equal(t, want, r.got.Sub(start), "waiter %d: permission time", i+2)
		}
	})
}

// TestHiddenQueueCountsOnlyWaiters: callers that were refused, or that
// were cancelled while waiting, no longer count against the queue bound
// (rule 11).
//
// Category: timing
func TestHiddenQueueCountsOnlyWaiters(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()

		short, cancelShort := context.WithTimeout(context.Background(), hMs(50))
		defer cancelShort()
		_, err := l.TakeContext(short)
		require.ErrorIs(t, err, context.DeadlineExceeded, "a deadline before the slot")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := hGo(start, hTakeCtx(l, ctx))
		hRequireBlocked(t, first, "the waiter")
		_, err = l.TakeContext(context.Background())
		require.ErrorIs(t, err, leakybucket.ErrQueueFull, "with one waiting")
		time.Sleep(hMs(30))
		cancel()
		require.ErrorIs(t, (<-first).err, context.Canceled)

		got, err := l.TakeContext(context.Background())
		require.NoError(t, err, "the cancelled waiter left the queue")
		assert.Equal(t, hMs(100), got.Sub(start), "the cancelled waiter's slot was given back")
		assert.Equal(t, hMs(100), time.Since(start))
	})
}

// TestHiddenQueueFullBeatsDeadline: when the queue is full and the
// deadline is also too early, the error is ErrQueueFull (rule 12).
//
// Category: timing
func TestHiddenQueueFullBeatsDeadline(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()
		waiter := hGo(start, hTake(l))
		hRequireBlocked(t, waiter, "Take")
		ctx, cancel := context.WithTimeout(context.Background(), hMs(150)) // slot would be 200 ms
		defer cancel()
		_, err := l.TakeContext(ctx)
		require.ErrorIs(t, err, leakybucket.ErrQueueFull)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Duration(0), time.Since(start), "TakeContext returned after")
		assert.Equal(t, hMs(100), (<-waiter).after)
	})
}

// TestHiddenTakeCountsButIsNeverRefused: a blocked Take fills the queue,
// so TakeContext is refused, but a second Take still waits for the next
// slot; a new caller gets its slot while others wait (rules 8, 9, 11).
//
// Category: timing
func TestHiddenTakeCountsButIsNeverRefused(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()
		first := hGo(start, hTake(l))
		hRequireBlocked(t, first, "the first Take")
		_, err := l.TakeContext(context.Background())
		require.ErrorIs(t, err, leakybucket.ErrQueueFull, "a blocked Take counts as a waiter")
		second := hGo(start, hTake(l))
		hRequireBlocked(t, second, "the second Take")
		assert.Equal(t, time.Duration(0), time.Since(start))
		hTakes(t, l, start, []time.Duration{hMs(300)})
		assert.Equal(t, hMs(100), (<-first).after, "the first Take returned after")
		assert.Equal(t, hMs(200), (<-second).after, "the second Take returned after")
	})
}

// TestHiddenNoLeakAfterCancel: cancelled waiters each return with their
// context's error at the moment of cancellation, and leave nothing running:
// the bubble must end with no goroutine left (rule 13).
//
// Category: timing
func TestHiddenNoLeakAfterCancel(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const waiters = 8
		l := hNew(t, 1)
		start := time.Now()
		l.Take()
		var dones []<-chan hResult
		// Waiter i has the slot at i+1 seconds and is cancelled at
		// (waiters-i) × 100 ms: newest first, so each gives its slot back.
		for i := range waiters {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(time.Duration(waiters-i)*hMs(100), cancel)
			dones = append(dones, hGo(start, hTakeCtx(l, ctx)))
			hRequireBlocked(t, dones[i], fmt.Sprintf("waiter %d", i+1))
		}
		for i, done := range dones {
			r := <-done
			require.ErrorIs(t, r.err, context.Canceled, "waiter %d", i+1)
			assert.Equal(t, time.Duration(waiters-i)*hMs(100), r.after, "waiter %d returned after", i+1)
		}
		hTakes(t, l, start, []time.Duration{time.Second, 2 * time.Second})
		// The bubble ends here: a goroutine the limiter left behind, still
		// blocked, makes synctest.Test fail.
	})
}

// hPacer is the API shared by the learner's limiter and the reference.
type hPacer interface {
	Take() time.Time
	TakeContext(ctx context.Context) (time.Time, error)
}

// hDiffConfig is one limiter configuration of the differential test. Its
// interval is a multiple of 8 ns, so that the script's times are exact.
type hDiffConfig struct {
	name     string
	interval time.Duration
	learner  func() (hPacer, error)
	ref      func() (hPacer, error)
}

// hErrName names the error a call returned, for comparing the learner's
// package with the reference.
func hErrName(err error, queueFull error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, queueFull):
		return "ErrQueueFull"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	default:
		return "other: " + err.Error()
	}
}

// hScript runs steps random calls from seed on p inside the current bubble
// and returns what happened, one line per call, in step order. I is the
// limiter's interval. Foreground calls (Take, TakeContext with or without a
// deadline, idle sleeps of k × I/4) run on the test goroutine; background
// callers (Take, TakeContext that may be cancelled) run on their own. Every
// call starts at a multiple of I/4 after the first step and every
// cancellation comes at a distinct odd multiple of I/8, so no two events
// that could be ordered either way share an instant.
func hScript(p hPacer, queueFull error, seed uint64, steps int, I time.Duration) []string {
	rng := rand.New(rand.NewPCG(seed, 0x1eaf))
	quarter, eighth := I/4, I/8
	start := time.Now()
	out := make([]string, steps)
	var wg sync.WaitGroup
	cancelAt := map[time.Duration]bool{}
	line := func(what string, called time.Duration, got time.Time, err error) string {
		var at string
		if err == nil {
			at = fmt.Sprintf(" at +%v", got.Sub(start))
		}
		return fmt.Sprintf("%s called at +%v: returned after +%v: %s%s", what, called, time.Since(start), hErrName(err, queueFull), at)
	}
	for i := range steps {
		synctest.Wait() // background callers due now have returned
		called := time.Since(start)
		switch op := rng.IntN(20); {
		case op < 5:
			out[i] = line("Take", called, p.Take(), nil)
		case op < 9:
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			what := "TakeContext"
			if k := rng.IntN(13); k > 0 {
				ctx, cancel = context.WithTimeout(ctx, time.Duration(k)*quarter)
				what = fmt.Sprintf("TakeContext(deadline +%d×I/4)", k)
			}
			got, err := p.TakeContext(ctx)
			cancel()
			out[i] = line(what, called, got, err)
		case op < 13:
			ctx, cancel := context.WithCancel(context.Background())
			what := "background TakeContext"
			if rng.IntN(4) > 0 {
				for j := rng.IntN(12); ; j++ {
					at := called + time.Duration(2*j+1)*eighth
					if !cancelAt[at] {
						cancelAt[at] = true
						time.AfterFunc(at-called, cancel)
						what = fmt.Sprintf("background TakeContext(cancel +%d×I/8)", 2*j+1)
						break
					}
				}
			}
			wg.Go(func() {
				defer cancel()
				got, err := p.TakeContext(ctx)
				out[i] = line(what, called, got, err)
			})
		case op < 15:
			wg.Go(func() { out[i] = line("background Take", called, p.Take(), nil) })
		default:
			k := rng.IntN(13)
			if rng.IntN(8) == 0 {
				k = 40 + rng.IntN(40) // a long idle period, beyond the slack
			}
			time.Sleep(time.Duration(k) * quarter)
			out[i] = fmt.Sprintf("sleep %d×I/4 at +%v", k, called)
		}
	}
	wg.Wait()
	return out
}

// TestHiddenDifferential drives the learner's limiter and the reference
// through the same 2,000 random calls (Take and TakeContext, in the
// foreground and in the background, with deadlines, cancellations and idle
// periods) under four configurations, each run in its own bubble, and
// requires identical timelines: the same errors, permission times and
// return times (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	const stepsPer = 500
	configs := []hDiffConfig{
		{"New(10)", 100 * time.Millisecond,
			func() (hPacer, error) { return leakybucket.New(10) },
			func() (hPacer, error) { return ref.New(10) }},
		{"New(10, WithSlack(3), WithMaxQueue(4))", 100 * time.Millisecond,
			func() (hPacer, error) {
				return leakybucket.New(10, leakybucket.WithSlack(3), leakybucket.WithMaxQueue(4))
			},
			func() (hPacer, error) { return ref.New(10, ref.WithSlack(3), ref.WithMaxQueue(4)) }},
		{"New(6, Per(time.Minute), WithSlack(1), WithMaxQueue(2))", 10 * time.Second,
			func() (hPacer, error) {
				return leakybucket.New(6, leakybucket.Per(time.Minute), leakybucket.WithSlack(1), leakybucket.WithMaxQueue(2))
			},
			func() (hPacer, error) {
				return ref.New(6, ref.Per(time.Minute), ref.WithSlack(1), ref.WithMaxQueue(2))
			}},
		{"New(4, WithSlack(2), WithMaxQueue(0))", 250 * time.Millisecond,
			func() (hPacer, error) {
				return leakybucket.New(4, leakybucket.WithSlack(2), leakybucket.WithMaxQueue(0))
			},
			func() (hPacer, error) { return ref.New(4, ref.WithSlack(2), ref.WithMaxQueue(0)) }},
	}
	for ci, cfg := range configs {
		seed := uint64(100 + ci)
		var got, want []string
		synctest.Test(t, func(t *testing.T) {
			p, err := cfg.learner()
			require.NoError(t, err, cfg.name)
			got = hScript(p, leakybucket.ErrQueueFull, seed, stepsPer, cfg.interval)
		})
		synctest.Test(t, func(t *testing.T) {
			p, err := cfg.ref()
			require.NoError(t, err, cfg.name)
			want = hScript(p, ref.ErrQueueFull, seed, stepsPer, cfg.interval)
		})
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s, seed %d, step %d:\n learner:   %s\n reference: %s", cfg.name, seed, i, got[i], want[i])
			}
		}
	}
}

// TestHiddenConcurrentTakesStrictlySpaced: 50 concurrent callers, half of
// them with TakeContext, get 50 distinct slots exactly one interval apart,
// and each returns at its slot (rule 8; run with -race).
//
// Category: concurrency
func TestHiddenConcurrentTakesStrictlySpaced(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers = 50
		l := hNew(t, 100) // I = 10 ms
		start := time.Now()
		var (
			mu      sync.Mutex
			slots   []time.Duration
			returns []time.Duration
			errs    []error
			wg      sync.WaitGroup
		)
		for g := range callers {
			wg.Go(func() {
				var (
					got time.Time
					err error
				)
				if g%2 == 0 {
					got = l.Take()
				} else {
					got, err = l.TakeContext(context.Background())
				}
				mu.Lock()
				defer mu.Unlock()
				slots = append(slots, got.Sub(start))
				returns = append(returns, time.Since(start))
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		require.Empty(t, errs, "errors from TakeContext")
		want := make([]time.Duration, callers)
		for i := range want {
			want[i] = time.Duration(i) * hMs(10)
		}
		slices.Sort(slots)
		slices.Sort(returns)
		assert.Equal(t, want, slots, "permission times, sorted")
		assert.Equal(t, want, returns, "return times, sorted")
	})
}

// TestHiddenConcurrentSlackBurst: after a long idle period, 20 concurrent
// callers on WithSlack(3) get exactly 4 permissions at once and the rest
// one interval apart (rules 5, 8).
//
// Category: concurrency
func TestHiddenConcurrentSlackBurst(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers = 20
		l := hNew(t, 10, leakybucket.WithSlack(3))
		l.Take()
		time.Sleep(time.Hour)
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
		for i := 4; i < callers; i++ {
			want[i] = time.Duration(i-3) * hMs(100)
		}
		slices.Sort(got)
		assert.Equal(t, want, got, "return times, sorted")
	})
}

// TestHiddenConcurrentQueueBound: 30 concurrent TakeContext callers on a
// limiter whose slot is taken and WithMaxQueue(5): exactly 5 wait and get
// the next 5 slots, exactly 25 are refused at once (rules 8, 11; run with
// -race).
//
// Category: concurrency
func TestHiddenConcurrentQueueBound(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers, bound = 30, 5
		l := hNew(t, 10, leakybucket.WithMaxQueue(bound))
		start := time.Now()
		l.Take()
		var (
			mu      sync.Mutex
			granted []time.Duration
			refused []time.Duration
			other   []error
			wg      sync.WaitGroup
		)
		for range callers {
			wg.Go(func() {
				got, err := l.TakeContext(context.Background())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					granted = append(granted, got.Sub(start))
				case errors.Is(err, leakybucket.ErrQueueFull):
					refused = append(refused, time.Since(start))
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		require.Empty(t, other, "unexpected errors")
		slices.Sort(granted)
		assert.Equal(t, []time.Duration{hMs(100), hMs(200), hMs(300), hMs(400), hMs(500)}, granted, "permission times of the callers that waited")
		assert.Equal(t, make([]time.Duration, callers-bound), refused, "return times of the refused callers")
	})
}
