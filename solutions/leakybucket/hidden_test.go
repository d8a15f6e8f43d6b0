//go:build microkata_hidden

package leakybucket_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/leakybucket"
	ref "github.com/microkata/microkata/solutions/leakybucket"
)

// Every failure message names the calls that led to it, with virtual
// times as offsets from the first call ("+100ms"), what came back and what
// was expected: a learner sees only the test's name, category and message.

// hMs is n milliseconds.
func hMs(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// hErrName names an error by the sentinel it matches.
func hErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, leakybucket.ErrInvalidRate):
		return "ErrInvalidRate"
	case errors.Is(err, leakybucket.ErrInvalidOption):
		return "ErrInvalidOption"
	case errors.Is(err, leakybucket.ErrQueueFull):
		return "ErrQueueFull"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hLimiterName prints the limiter that New returned.
func hLimiterName(l *leakybucket.Limiter) string {
	if l == nil {
		return "nil"
	}
	return "a limiter"
}

// hOff prints a permission time as an offset from start.
func hOff(start, t time.Time) string {
	if t.IsZero() {
		return "the zero Time"
	}
	if d := t.Sub(start); d < 0 {
		return d.String()
	}
	return "+" + t.Sub(start).String()
}

// hNew is New that fails the test on error; call is the New call as Go.
func hNew(t testing.TB, call string, rate int, opts ...leakybucket.Option) *leakybucket.Limiter {
	t.Helper()
	l, err := leakybucket.New(rate, opts...)
	if err != nil || l == nil {
		t.Fatalf("%s = (%s, %s), want (a limiter, nil)", call, hLimiterName(l), hErrName(err))
	}
	return l
}

// hTakes calls Take once per entry of want and checks that each call both
// returns at, and returns as its permission time, want[i] after start;
// setup describes the limiter and the calls before. Call it inside a
// bubble.
func hTakes(t *testing.T, l *leakybucket.Limiter, start time.Time, setup string, want []time.Duration) {
	t.Helper()
	for i, w := range want {
		called := time.Since(start)
		got := l.Take()
		back := time.Since(start)
		if back != w || got.IsZero() || got.Sub(start) != w {
			t.Fatalf("%s; Take() #%d of %d, called at +%v, = %s and returned at +%v, want +%v for both",
				setup, i+1, len(want), called, hOff(start, got), back, w)
		}
	}
}

// hWantTakeContext checks what a TakeContext returned and when: want is
// the permission time (offset from start) for a nil error.
func hWantTakeContext(t *testing.T, call string, start time.Time, got time.Time, err error, wantErr error, want time.Duration) bool {
	t.Helper()
	back := time.Since(start)
	switch {
	case wantErr == nil && (err != nil || got.IsZero() || got.Sub(start) != want || back != want):
		t.Errorf("%s = (%s, %s), returned at +%v; want (+%v, nil), returned at +%v", call, hOff(start, got), hErrName(err), back, want, want)
		return false
	case wantErr != nil && (!errors.Is(err, wantErr) || back != want):
		t.Errorf("%s = (%s, %s), returned at +%v; want %s, returned at +%v", call, hOff(start, got), hErrName(err), back, hErrName(wantErr), want)
		return false
	}
	return true
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

// show prints a result.
func (r hResult) show(start time.Time) string {
	return fmt.Sprintf("(%s, %s) at +%v", hOff(start, r.got), hErrName(r.err), r.after)
}

// hGo runs f on a new goroutine tracked by wg and returns the channel that
// receives its result. Call it inside a bubble, whose function defers
// wg.Wait() first: a test that fails early then still lets its callers
// return (at their slots, or when their contexts are cancelled) instead of
// leaving them blocked when the bubble ends, which would hide the failure
// behind synctest's deadlock panic.
func hGo(wg *sync.WaitGroup, start time.Time, f func() (time.Time, error)) <-chan hResult {
	ch := make(chan hResult, 1)
	wg.Go(func() {
		got, err := f()
		ch <- hResult{got, err, time.Since(start)}
	})
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
func hRequireBlocked(t *testing.T, ch <-chan hResult, start time.Time, what string) {
	t.Helper()
	synctest.Wait()
	select {
	case r := <-ch:
		t.Fatalf("%s returned %s, want it still blocked, waiting for its slot", what, r.show(start))
	default:
	}
}

// hWant checks a result received from hGo: a nil wantErr means a
// permission at want (returned then too); otherwise the error, returned at
// want.
func hWant(t *testing.T, what string, start time.Time, r hResult, wantErr error, want time.Duration) bool {
	t.Helper()
	ok := r.after == want
	if wantErr == nil {
		ok = ok && r.err == nil && !r.got.IsZero() && r.got.Sub(start) == want
	} else {
		ok = ok && errors.Is(r.err, wantErr)
	}
	if !ok {
		w := fmt.Sprintf("(+%v, nil) at +%v", want, want)
		if wantErr != nil {
			w = fmt.Sprintf("%s at +%v", hErrName(wantErr), want)
		}
		t.Errorf("%s returned %s, want %s", what, r.show(start), w)
	}
	return ok
}

// TestHiddenEveryOptionValidated: every option is validated, even one that a
// later option of the same kind overrides; New never panics (rules 1, 2).
//
// Category: config
func TestHiddenEveryOptionValidated(t *testing.T) {
	cases := []struct {
		call string
		rate int
		opts []leakybucket.Option
		want error
	}{
		{"New(10, WithSlack(-1), WithSlack(2))", 10, []leakybucket.Option{leakybucket.WithSlack(-1), leakybucket.WithSlack(2)}, leakybucket.ErrInvalidOption},
		{"New(10, WithMaxQueue(-1), WithMaxQueue(3))", 10, []leakybucket.Option{leakybucket.WithMaxQueue(-1), leakybucket.WithMaxQueue(3)}, leakybucket.ErrInvalidOption},
		{"New(10, Per(0), Per(time.Second))", 10, []leakybucket.Option{leakybucket.Per(0), leakybucket.Per(time.Second)}, leakybucket.ErrInvalidRate},
		{"New(10, Per(time.Minute), Per(-1))", 10, []leakybucket.Option{leakybucket.Per(time.Minute), leakybucket.Per(-time.Nanosecond)}, leakybucket.ErrInvalidRate},
		{"New(10, WithSlack(math.MinInt))", 10, []leakybucket.Option{leakybucket.WithSlack(math.MinInt)}, leakybucket.ErrInvalidOption},
		{"New(math.MinInt, Per(time.Second), WithSlack(1))", math.MinInt, []leakybucket.Option{leakybucket.Per(time.Second), leakybucket.WithSlack(1)}, leakybucket.ErrInvalidRate},
		{"New(math.MaxInt, Per(math.MaxInt64), WithSlack(math.MaxInt), WithMaxQueue(math.MaxInt))", math.MaxInt, []leakybucket.Option{leakybucket.Per(math.MaxInt64), leakybucket.WithSlack(math.MaxInt), leakybucket.WithMaxQueue(math.MaxInt)}, nil},
		{"New(1, []Option{}...)", 1, []leakybucket.Option{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			var (
				l   *leakybucket.Limiter
				err error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						if r == "not implemented" {
							panic(r) // the untouched stub: the grader reports "not started"
						}
						t.Fatalf("%s panicked: %v", tc.call, r)
					}
				}()
				l, err = leakybucket.New(tc.rate, tc.opts...)
			}()
			if tc.want == nil {
				if err != nil || l == nil {
					t.Errorf("%s = (%s, %s), want (a limiter, nil)", tc.call, hLimiterName(l), hErrName(err))
				}
				return
			}
			if l != nil || !errors.Is(err, tc.want) {
				t.Errorf("%s = (%s, %s), want (nil, %s)", tc.call, hLimiterName(l), hErrName(err), hErrName(tc.want))
			}
		})
	}
}

// TestHiddenLastOptionWins: among valid options, the last one of a kind
// wins, a zero value included (rule 2).
//
// Category: config
func TestHiddenLastOptionWins(t *testing.T) {
	katatest.Guard(t)
	t.Run("Per", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(10, Per(time.Minute), Per(time.Second))"
			l := hNew(t, call, 10, leakybucket.Per(time.Minute), leakybucket.Per(time.Second))
			hTakes(t, l, time.Now(), "l := "+call, []time.Duration{0, hMs(100), hMs(200)})
		})
	})
	t.Run("WithSlack", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(10, WithSlack(5), WithSlack(1))"
			l := hNew(t, call, 10, leakybucket.WithSlack(5), leakybucket.WithSlack(1))
			l.Take()
			time.Sleep(time.Hour)
			hTakes(t, l, time.Now(), "l := "+call+"; Take(); idle for 1h, then (times from here)", hAtOnce(2, hMs(100)))
		})
	})
	t.Run("WithSlack(0) last", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(10, WithSlack(3), WithSlack(0))"
			l := hNew(t, call, 10, leakybucket.WithSlack(3), leakybucket.WithSlack(0))
			l.Take()
			time.Sleep(time.Hour)
			hTakes(t, l, time.Now(), "l := "+call+"; Take(); idle for 1h, then (times from here; slack 0: nothing banked)", []time.Duration{0, hMs(100), hMs(200)})
		})
	})
	t.Run("WithMaxQueue", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			bg := context.Background()
			const wideCall = "New(10, WithMaxQueue(0), WithMaxQueue(1))"
			wide := hNew(t, wideCall, 10, leakybucket.WithMaxQueue(0), leakybucket.WithMaxQueue(1))
			start := time.Now()
			wide.Take()
			got, err := wide.TakeContext(bg)
			hWantTakeContext(t, "l := "+wideCall+"; Take() at +0s; TakeContext(ctx) at +0s (a single caller may wait)", start, got, err, nil, hMs(100))

			const narrowCall = "New(10, WithMaxQueue(1), WithMaxQueue(0))"
			narrow := hNew(t, narrowCall, 10, leakybucket.WithMaxQueue(1), leakybucket.WithMaxQueue(0))
			start = time.Now()
			narrow.Take()
			got, err = narrow.TakeContext(bg)
			hWantTakeContext(t, "l := "+narrowCall+"; Take() at +0s; TakeContext(ctx) at +0s (no caller may wait)", start, got, err, leakybucket.ErrQueueFull, 0)
		})
	})
}

// TestHiddenZeroAndOneNanosecondInterval: with more than one permission per
// nanosecond the interval is 0 and every call goes at once; with exactly
// one, calls in a row are 1 ns apart (rules 3, 6).
//
// Category: boundary
func TestHiddenZeroAndOneNanosecondInterval(t *testing.T) {
	katatest.Guard(t)
	t.Run("I = 0", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(2_000_000_000) (I = 0)"
			l := hNew(t, call, 2_000_000_000)
			start := time.Now()
			for i := range 1000 {
				got := l.Take()
				if back := time.Since(start); back != 0 || got.IsZero() || got.Sub(start) != 0 {
					t.Fatalf("l := %s; Take() #%d at +0s = %s, returned at +%v; want +0s for both", call, i+1, hOff(start, got), back)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
			defer cancel()
			got, err := l.TakeContext(ctx)
			hWantTakeContext(t, "l := "+call+"; 1000× Take() at +0s; TakeContext(ctx with a 1ns deadline) at +0s", start, got, err, nil, 0)
		})
	})
	t.Run("I = 1 ns", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "New(1_000_000_000)", 1_000_000_000)
			start := time.Now()
			want := make([]time.Duration, 1000)
			for i := range want {
				want[i] = time.Duration(i)
			}
			hTakes(t, l, start, "l := New(1_000_000_000) (I = 1ns); Take() in a row", want)
		})
	})
}

// TestHiddenIntervalTruncated: the interval is per / rate truncated to whole
// nanoseconds, not rounded (rule 3).
//
// Category: boundary
func TestHiddenIntervalTruncated(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(3, Per(2*time.Second))"
		l := hNew(t, call, 3, leakybucket.Per(2*time.Second)) // 666666666.67 ns
		hTakes(t, l, time.Now(), "l := "+call+" (I = 666666666ns, truncated)", []time.Duration{0, 666666666, 1333333332, 1999999998})
	})
}

// TestHiddenHugeValuesNoOverflow: slack × I and S + I may exceed an int64
// of nanoseconds; the slots still follow rule 5 (rules 3, 5).
//
// Category: boundary
func TestHiddenHugeValuesNoOverflow(t *testing.T) {
	katatest.Guard(t)
	t.Run("WithSlack(MaxInt)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(10, WithSlack(math.MaxInt))"
			l := hNew(t, call, 10, leakybucket.WithSlack(math.MaxInt))
			l.Take()
			time.Sleep(time.Second) // 10 missed slots, all within the slack
			hTakes(t, l, time.Now(), "l := "+call+"; Take(); idle for 1s, then (times from here)", hAtOnce(10, hMs(100), hMs(200)))
		})
	})
	t.Run("Per(MaxInt64)", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const call = "New(1, Per(math.MaxInt64))"
			l := hNew(t, call, 1, leakybucket.Per(math.MaxInt64)) // the next slot is 292 years away
			start := time.Now()
			hTakes(t, l, start, "l := "+call, []time.Duration{0})
			ctx, cancel := context.WithTimeout(context.Background(), 24*time.Hour)
			defer cancel()
			got, err := l.TakeContext(ctx)
			hWantTakeContext(t, "l := "+call+"; Take() at +0s; TakeContext(ctx with a 24h deadline) at +0s (its slot is 292 years away)", start, got, err, context.DeadlineExceeded, 0)
		})
	})
}

// TestHiddenMaxQueueZero: WithMaxQueue(0) refuses every TakeContext that
// would wait, takes nothing for it, and still grants calls whose slot has
// come; Take still waits (rules 2, 9, 11).
//
// Category: boundary
func TestHiddenMaxQueueZero(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "l := New(10, WithMaxQueue(0))"
		l := hNew(t, call, 10, leakybucket.WithMaxQueue(0))
		bg := context.Background()
		start := time.Now()
		got, err := l.TakeContext(bg)
		if !hWantTakeContext(t, call+"; TakeContext(ctx) at +0s (the first call)", start, got, err, nil, 0) {
			return
		}
		got, err = l.TakeContext(bg)
		if !hWantTakeContext(t, call+"; TakeContext(ctx) at +0s; TakeContext(ctx) at +0s (it would wait)", start, got, err, leakybucket.ErrQueueFull, 0) {
			return
		}
		const refused = call + "; TakeContext(ctx) ×2 at +0s (the second refused)"
		time.Sleep(hMs(100))
		got, err = l.TakeContext(bg)
		if !hWantTakeContext(t, refused+"; TakeContext(ctx) at +100ms (its slot has come; the refusal took nothing)", start, got, err, nil, hMs(100)) {
			return
		}
		got = l.Take()
		if back := time.Since(start); got.IsZero() || got.Sub(start) != hMs(200) || back != hMs(200) {
			t.Errorf("%s; TakeContext(ctx) at +100ms; Take() at +100ms = %s, returned at +%v; want +200ms for both (Take is never refused)", refused, hOff(start, got), back)
		}
	})
}

// TestHiddenNoInitialBurstEvenWithSlack: a new limiter has nothing banked,
// whatever its slack (rule 4).
//
// Category: behaviour
func TestHiddenNoInitialBurstEvenWithSlack(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(10, WithSlack(10))"
		l := hNew(t, call, 10, leakybucket.WithSlack(10))
		hTakes(t, l, time.Now(), "l := "+call, []time.Duration{0, hMs(100), hMs(200)})
	})
}

// TestHiddenSlackIsBankedOnce: after an idle period slack + 1 calls go at
// once, and then the rate resumes: the slack is not banked again on every
// call (rule 5; uber-go/ratelimit#119).
//
// Category: behaviour
func TestHiddenSlackIsBankedOnce(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(1, WithSlack(2))"
		l := hNew(t, call, 1, leakybucket.WithSlack(2))
		l.Take()
		time.Sleep(5 * time.Second)
		hTakes(t, l, time.Now(), "l := "+call+"; Take(); idle for 5s, then (times from here)", hAtOnce(3, time.Second, 2*time.Second, 3*time.Second))
	})
}

// TestHiddenSlackCappedAfterLongIdle: however long the idle period, at most
// slack intervals are banked (rule 5).
//
// Category: behaviour
func TestHiddenSlackCappedAfterLongIdle(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(10, WithSlack(3))"
		l := hNew(t, call, 10, leakybucket.WithSlack(3))
		l.Take()
		time.Sleep(time.Hour)
		hTakes(t, l, time.Now(), "l := "+call+"; Take(); idle for 1h, then (times from here)", hAtOnce(4, hMs(100), hMs(200)))
	})
}

// TestHiddenShortIdleBanksOnlyMissedSlots: an idle period shorter than the
// slack banks only the slots it missed (rule 5).
//
// Category: behaviour
func TestHiddenShortIdleBanksOnlyMissedSlots(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(10, WithSlack(10))"
		l := hNew(t, call, 10, leakybucket.WithSlack(10))
		start := time.Now()
		l.Take()
		time.Sleep(hMs(350)) // the slots at 100, 200 and 300 ms were missed
		hTakes(t, l, start, "l := "+call+"; Take() at +0s; idle until +350ms", []time.Duration{hMs(350), hMs(350), hMs(350), hMs(400), hMs(500)})
	})
}

// TestHiddenSlackFollowsPer: slack is counted in intervals, so with Per it
// scales with the period, not with seconds (rules 3, 5).
//
// Category: behaviour
func TestHiddenSlackFollowsPer(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const call = "New(6, Per(time.Minute), WithSlack(2))"
		l := hNew(t, call, 6, leakybucket.Per(time.Minute), leakybucket.WithSlack(2)) // I = 10 s
		l.Take()
		time.Sleep(time.Hour)
		hTakes(t, l, time.Now(), "l := "+call+" (I = 10s); Take(); idle for 1h, then (times from here)", hAtOnce(3, 10*time.Second, 20*time.Second))
	})
}

// TestHiddenLateCallerNoCatchUp: with slack 0 a caller that comes late goes
// at once, and the next one waits a full interval after it: the missed
// slots are not made up (rule 5).
//
// Category: behaviour
func TestHiddenLateCallerNoCatchUp(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "New(10)", 10)
		start := time.Now()
		l.Take()
		time.Sleep(hMs(250))
		hTakes(t, l, start, "l := New(10); Take() at +0s; idle until +250ms", []time.Duration{hMs(250), hMs(350), hMs(450)})
	})
}

// TestHiddenNoDrift: a caller that works for 30 ms after each permission
// still gets its permissions exactly one interval apart (rule 7).
//
// Category: behaviour
func TestHiddenNoDrift(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "New(10)", 10)
		start := time.Now()
		for i, want := range []time.Duration{0, hMs(100), hMs(200), hMs(300), hMs(400)} {
			called := time.Since(start)
			got := l.Take()
			if back := time.Since(start); back != want || got.IsZero() || got.Sub(start) != want {
				t.Fatalf("l := New(10); Take() then 30ms of work, in a loop: Take() #%d, called at +%v, = %s and returned at +%v; want +%v for both",
					i+1, called, hOff(start, got), back, want)
			}
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
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "New(10, WithSlack(2))", 10, leakybucket.WithSlack(2))
		start := time.Now()
		calls := "l := New(10, WithSlack(2))"
		check := func(what string, called time.Duration, got time.Time, want time.Duration) {
			t.Helper()
			calls += fmt.Sprintf("; %s at +%v", what, called)
			back := time.Since(start)
			if back != want || got.IsZero() || got.Sub(start) != want || !got.Equal(time.Now()) {
				t.Fatalf("%s = %s, returned at +%v; want +%v for both", calls, hOff(start, got), back, want)
			}
		}
		at := func() time.Duration { return time.Since(start) }
		c := at()
		check("Take()", c, l.Take(), 0)
		c = at()
		check("Take() (blocks)", c, l.Take(), hMs(100))
		time.Sleep(time.Second) // now 1.1 s; slots 900 ms and 1 s are in the past
		c = at()
		check("Take() (a slack grant: its slot +900ms is past)", c, l.Take(), 1100*time.Millisecond)
		c = at()
		check("Take() (a slack grant: its slot +1s is past)", c, l.Take(), 1100*time.Millisecond)
		c = at()
		check("Take() (its slot is now)", c, l.Take(), 1100*time.Millisecond)
		c = at()
		check("Take() (blocks)", c, l.Take(), 1200*time.Millisecond)
		time.Sleep(hMs(50))
		c = at()
		got, err := l.TakeContext(context.Background())
		if err != nil {
			t.Fatalf("%s; TakeContext(ctx) at +%v returned %s, want nil", calls, c, hErrName(err))
		}
		check("TakeContext(ctx) (blocks)", c, got, 1300*time.Millisecond)
		time.Sleep(hMs(150))
		c = at()
		got, err = l.TakeContext(context.Background())
		if err != nil {
			t.Fatalf("%s; TakeContext(ctx) at +%v returned %s, want nil", calls, c, hErrName(err))
		}
		check("TakeContext(ctx) (its slot +1.4s is past)", c, got, 1450*time.Millisecond)
	})
}

// TestHiddenTakeContextAlreadyDone: a TakeContext whose ctx is already done
// returns ctx.Err() at once, even when its slot has come, and takes nothing
// (rule 10).
//
// Category: timing
func TestHiddenTakeContextAlreadyDone(t *testing.T) {
	katatest.Guard(t)
	t.Run("cancelled, slot free", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "New(10)", 10)
			start := time.Now()
			l.Take()
			time.Sleep(hMs(100))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			const call = "l := New(10); Take() at +0s; TakeContext(a cancelled ctx) at +100ms"
			got, err := l.TakeContext(ctx)
			if hWantTakeContext(t, call, start, got, err, context.Canceled, hMs(100)) {
				hTakes(t, l, start, call+" (took nothing)", []time.Duration{hMs(100), hMs(200)})
			}
		})
	})
	t.Run("cancelled, slot in the future", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "New(10)", 10)
			start := time.Now()
			l.Take()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			const call = "l := New(10); Take() at +0s; TakeContext(a cancelled ctx) at +0s"
			got, err := l.TakeContext(ctx)
			if hWantTakeContext(t, call, start, got, err, context.Canceled, 0) {
				hTakes(t, l, start, call+" (took nothing)", []time.Duration{hMs(100), hMs(200)})
			}
		})
	})
	t.Run("past its deadline, fresh limiter", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "New(10)", 10)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			time.Sleep(2 * time.Second)
			start := time.Now()
			const call = "l := New(10); TakeContext(ctx whose deadline passed 1s ago) at +0s (the first call)"
			got, err := l.TakeContext(ctx)
			if hWantTakeContext(t, call, start, got, err, context.DeadlineExceeded, 0) {
				time.Sleep(hMs(30))
				hTakes(t, l, start, call+"; at +30ms (the refused call took nothing)", []time.Duration{hMs(30), hMs(130)})
			}
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
	katatest.Guard(t)
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
				l := hNew(t, "New(2)", 2) // I = 500 ms
				start := time.Now()
				l.Take()
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				call := fmt.Sprintf("l := New(2); Take() at +0s; TakeContext(ctx with deadline +%v) at +0s (its slot is +500ms)", tc.timeout)
				got, err := l.TakeContext(ctx) // slot at 500 ms
				if !tc.ok {
					if hWantTakeContext(t, call, start, got, err, context.DeadlineExceeded, 0) {
						hTakes(t, l, start, call+" (took nothing)", []time.Duration{hMs(500), hMs(1000)})
					}
					return
				}
				if hWantTakeContext(t, call, start, got, err, nil, hMs(500)) {
					hTakes(t, l, start, call, []time.Duration{hMs(1000)})
				}
			})
		})
	}
	t.Run("slot already come", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "New(2)", 2)
			start := time.Now()
			l.Take()
			time.Sleep(hMs(500))
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			defer cancel()
			got, err := l.TakeContext(ctx)
			hWantTakeContext(t, "l := New(2); Take() at +0s; TakeContext(ctx with a 1ms deadline) at +500ms (its slot has come)", start, got, err, nil, hMs(500))
		})
	})
}

// The tests below have more than one caller, or a caller blocked while its
// context is cancelled, so they also use a real-time watchdog that names
// the likeliest cause: a solution that sleeps while holding its lock stops
// virtual time (a goroutine waiting for a sync.Mutex is not durably
// blocked), and only a watchdog's panic can end such a test. They stay
// last in the file.

// hLockHeld is the watchdogs' explanation.
const hLockHeld = "virtual time stopped while a caller was waiting for its slot: does Take or TakeContext sleep (or wait for ctx) while holding the limiter's lock?"

// hWatch is how long the watchdogs wait, in real time. These tests take
// milliseconds; it fires before katatest.Guard, so its explanation is the
// one shown.
const hWatch = 3 * time.Second

// TestHiddenCancelGivesSlotBack: a waiter cancelled before its slot, with
// no later slot given out, gives its slot back: the next caller gets it
// (rule 13).
//
// Category: timing
func TestHiddenCancelGivesSlotBack(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "New(1)", 1)
		start := time.Now()
		l.Take()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(hMs(500), cancel)
		const call = "l := New(1); Take() at +0s; TakeContext(ctx) at +0s (slot +1s), ctx cancelled at +500ms"
		got, err := l.TakeContext(ctx) // slot at 1 s
		if hWantTakeContext(t, call, start, got, err, context.Canceled, hMs(500)) {
			hTakes(t, l, start, call+" (its slot is given back)", []time.Duration{time.Second, 2 * time.Second})
		}
	})
}

// TestHiddenCancelGiveBackOrder: a cancelled waiter gives its slot back
// only if every slot given out after it has been given back; otherwise the
// later waiters keep their slots (rule 13).
//
// Category: timing
func TestHiddenCancelGiveBackOrder(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	type waiter struct {
		done   <-chan hResult
		cancel context.CancelFunc
	}
	const setup = "l := New(1); Take() at +0s; older and newer call TakeContext(ctx) at +0s on goroutines (slots +1s and +2s)"
	// start takes the slot at 0 on a 1/s limiter and queues two
	// TakeContext callers, with slots at 1 s and 2 s.
	queue := func(t *testing.T, wg *sync.WaitGroup) (*leakybucket.Limiter, time.Time, waiter, waiter) {
		l := hNew(t, "New(1)", 1)
		start := time.Now()
		l.Take()
		var ws [2]waiter
		for i, name := range []string{"older", "newer"} {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			ws[i] = waiter{hGo(wg, start, hTakeCtx(l, ctx)), cancel}
			hRequireBlocked(t, ws[i].done, start, fmt.Sprintf("l := New(1); Take() at +0s; %s TakeContext(ctx) at +0s", name))
		}
		return l, start, ws[0], ws[1]
	}
	t.Run("older cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var wg sync.WaitGroup
			defer wg.Wait()
			l, start, older, newer := queue(t, &wg)
			time.Sleep(hMs(500))
			older.cancel()
			const s = setup + "; older's ctx cancelled at +500ms"
			if !hWant(t, s+": older", start, <-older.done, context.Canceled, hMs(500)) {
				return
			}
			hTakes(t, l, start, s+" (newer still waits, so older's slot stays used); at +500ms", []time.Duration{3 * time.Second})
			hWant(t, s+"; Take() at +500ms: newer (keeps its slot)", start, <-newer.done, nil, 2*time.Second)
		})
	})
	t.Run("newer cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var wg sync.WaitGroup
			defer wg.Wait()
			l, start, older, newer := queue(t, &wg)
			time.Sleep(hMs(500))
			newer.cancel()
			const s = setup + "; newer's ctx cancelled at +500ms"
			if !hWant(t, s+": newer", start, <-newer.done, context.Canceled, hMs(500)) {
				return
			}
			hTakes(t, l, start, s+" (its slot +2s is given back); at +500ms", []time.Duration{2 * time.Second})
			hWant(t, s+"; Take() at +500ms: older (keeps its slot)", start, <-older.done, nil, time.Second)
		})
	})
	t.Run("newer then older cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var wg sync.WaitGroup
			defer wg.Wait()
			l, start, older, newer := queue(t, &wg)
			time.Sleep(hMs(500))
			newer.cancel()
			const s = setup + "; newer's ctx cancelled at +500ms, older's at +750ms"
			if !hWant(t, s+": newer", start, <-newer.done, context.Canceled, hMs(500)) {
				return
			}
			time.Sleep(hMs(250))
			older.cancel()
			if !hWant(t, s+": older", start, <-older.done, context.Canceled, hMs(750)) {
				return
			}
			hTakes(t, l, start, s+" (both slots given back); at +750ms", []time.Duration{time.Second, 2 * time.Second})
		})
	})
}

// TestHiddenMaxQueue: with WithMaxQueue(3), callers granted at once do not
// count; three may wait; the fourth waiter is refused at once and takes
// nothing; when a waiter returns, a new caller may wait again (rule 11).
//
// Category: timing
func TestHiddenMaxQueue(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		l := hNew(t, "New(1, WithMaxQueue(3))", 1, leakybucket.WithMaxQueue(3))
		bg := context.Background()
		start := time.Now()
		const setup = "l := New(1, WithMaxQueue(3))"
		first, err := l.TakeContext(bg)
		if !hWantTakeContext(t, setup+"; TakeContext(ctx) at +0s (the first call)", start, first, err, nil, 0) {
			return
		}
		var waiting [3]<-chan hResult
		for i := range waiting {
			waiting[i] = hGo(&wg, start, hTakeCtx(l, bg))
			hRequireBlocked(t, waiting[i], start, fmt.Sprintf("%s; TakeContext(ctx) at +0s; %d goroutines call TakeContext(ctx) at +0s, one by one: caller %d", setup, i+1, i+1))
		}
		const three = setup + "; TakeContext(ctx) at +0s; 3 goroutines call TakeContext(ctx) at +0s and wait (slots +1s, +2s, +3s)"
		got, err := l.TakeContext(bg)
		if !hWantTakeContext(t, three+"; TakeContext(ctx) at +0s (three are waiting)", start, got, err, leakybucket.ErrQueueFull, 0) {
			return
		}
		if !hWant(t, three+"; a refused TakeContext(ctx) at +0s: waiter 1", start, <-waiting[0], nil, time.Second) {
			return
		}
		// Two are still waiting: one more may join them, at the slot after
		// the last one (the refusal took nothing), and then the queue is
		// full again.
		const after = three + "; a refused TakeContext(ctx) at +0s; waiter 1 returned at +1s"
		joined := hGo(&wg, start, hTakeCtx(l, bg))
		hRequireBlocked(t, joined, start, after+"; a goroutine calls TakeContext(ctx) at +1s")
		got, err = l.TakeContext(bg)
		if !hWantTakeContext(t, after+"; a goroutine calls TakeContext(ctx) at +1s and waits; TakeContext(ctx) at +1s (three are waiting again)", start, got, err, leakybucket.ErrQueueFull, time.Second) {
			return
		}
		for i, done := range []<-chan hResult{waiting[1], waiting[2], joined} {
			hWant(t, fmt.Sprintf("%s; another caller waits from +1s: waiter %d", after, i+2), start, <-done, nil, time.Duration(i+2)*time.Second)
		}
	})
}

// TestHiddenQueueCountsOnlyWaiters: callers that were refused, or that
// were cancelled while waiting, no longer count against the queue bound
// (rule 11).
//
// Category: timing
func TestHiddenQueueCountsOnlyWaiters(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		l := hNew(t, "New(10, WithMaxQueue(1))", 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()
		const setup = "l := New(10, WithMaxQueue(1)); Take() at +0s"

		short, cancelShort := context.WithTimeout(context.Background(), hMs(50))
		defer cancelShort()
		got, err := l.TakeContext(short)
		if !hWantTakeContext(t, setup+"; TakeContext(ctx with deadline +50ms) at +0s (slot +100ms)", start, got, err, context.DeadlineExceeded, 0) {
			return
		}
		const s1 = setup + "; TakeContext(ctx with deadline +50ms) refused at +0s"

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		first := hGo(&wg, start, hTakeCtx(l, ctx))
		hRequireBlocked(t, first, start, s1+"; a goroutine calls TakeContext(ctx) at +0s")
		const s2 = s1 + "; a goroutine calls TakeContext(ctx) at +0s and waits"
		got, err = l.TakeContext(context.Background())
		if !hWantTakeContext(t, s2+"; TakeContext(ctx) at +0s (one is waiting)", start, got, err, leakybucket.ErrQueueFull, 0) {
			return
		}
		time.Sleep(hMs(30))
		cancel()
		const s3 = s2 + "; a refused TakeContext at +0s; the waiter's ctx cancelled at +30ms"
		if !hWant(t, s3+": the waiter", start, <-first, context.Canceled, hMs(30)) {
			return
		}
		got, err = l.TakeContext(context.Background())
		hWantTakeContext(t, s3+"; TakeContext(ctx) at +30ms (the cancelled waiter left the queue and gave its slot back)", start, got, err, nil, hMs(100))
	})
}

// TestHiddenQueueFullBeatsDeadline: when the queue is full and the
// deadline is also too early, the error is ErrQueueFull (rule 12).
//
// Category: timing
func TestHiddenQueueFullBeatsDeadline(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		l := hNew(t, "New(10, WithMaxQueue(1))", 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()
		const setup = "l := New(10, WithMaxQueue(1)); Take() at +0s; a goroutine calls Take() at +0s"
		waiter := hGo(&wg, start, hTake(l))
		hRequireBlocked(t, waiter, start, setup)
		ctx, cancel := context.WithTimeout(context.Background(), hMs(150)) // slot would be 200 ms
		defer cancel()
		got, err := l.TakeContext(ctx)
		hWantTakeContext(t, setup+" and waits; TakeContext(ctx with deadline +150ms) at +0s (the queue is full and its slot +200ms is after the deadline)", start, got, err, leakybucket.ErrQueueFull, 0)
		hWant(t, setup+": the waiting Take", start, <-waiter, nil, hMs(100))
	})
}

// TestHiddenTakeCountsButIsNeverRefused: a blocked Take fills the queue,
// so TakeContext is refused, but a second Take still waits for the next
// slot; a new caller gets its slot while others wait (rules 8, 9, 11).
//
// Category: timing
func TestHiddenTakeCountsButIsNeverRefused(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		l := hNew(t, "New(10, WithMaxQueue(1))", 10, leakybucket.WithMaxQueue(1))
		start := time.Now()
		l.Take()
		const setup = "l := New(10, WithMaxQueue(1)); Take() at +0s; goroutine 1 calls Take() at +0s"
		first := hGo(&wg, start, hTake(l))
		hRequireBlocked(t, first, start, setup)
		got, err := l.TakeContext(context.Background())
		if !hWantTakeContext(t, setup+" and waits; TakeContext(ctx) at +0s (a blocked Take counts as a waiter)", start, got, err, leakybucket.ErrQueueFull, 0) {
			return
		}
		const s2 = setup + " and waits; a refused TakeContext at +0s; goroutine 2 calls Take() at +0s"
		second := hGo(&wg, start, hTake(l))
		hRequireBlocked(t, second, start, s2+" (Take is never refused)")
		hTakes(t, l, start, s2+" and waits; at +0s", []time.Duration{hMs(300)})
		hWant(t, s2+": goroutine 1's Take", start, <-first, nil, hMs(100))
		hWant(t, s2+": goroutine 2's Take", start, <-second, nil, hMs(200))
	})
}

// TestHiddenNoLeakAfterCancel: cancelled waiters each return with their
// context's error at the moment of cancellation, and leave nothing running:
// the bubble must end with no goroutine left (rule 13).
//
// Category: timing
func TestHiddenNoLeakAfterCancel(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		const waiters = 8
		l := hNew(t, "New(1)", 1)
		start := time.Now()
		l.Take()
		const setup = "l := New(1); Take() at +0s; 8 goroutines call TakeContext(ctx) at +0s one by one (slots +1s … +8s); waiter i's ctx cancelled at +(900 - 100×i)ms, the newest first"
		var dones []<-chan hResult
		// Waiter i has the slot at i+1 seconds and is cancelled at
		// (waiters-i) × 100 ms: newest first, so each gives its slot back.
		for i := range waiters {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(time.Duration(waiters-i)*hMs(100), cancel)
			dones = append(dones, hGo(&wg, start, hTakeCtx(l, ctx)))
			hRequireBlocked(t, dones[i], start, fmt.Sprintf("l := New(1); Take() at +0s; waiter %d calls TakeContext(ctx) at +0s", i+1))
		}
		for i, done := range dones {
			if !hWant(t, fmt.Sprintf("%s: waiter %d", setup, i+1), start, <-done, context.Canceled, time.Duration(waiters-i)*hMs(100)) {
				return
			}
		}
		hTakes(t, l, start, setup+" (every slot given back); at +800ms", []time.Duration{time.Second, 2 * time.Second})
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

// hOpKind is a kind of step of the differential test.
type hOpKind uint8

const (
	hOpTake      hOpKind = iota // Take on the test goroutine
	hOpTakeCtx                  // TakeContext on the test goroutine, with a deadline k×I/4 later (k > 0) or none
	hOpBgTakeCtx                // TakeContext on a new goroutine, cancelled at the first free odd multiple of I/8 from (2k+1)×I/8 later (k >= 0) or never
	hOpBgTake                   // Take on a new goroutine
	hOpSleep                    // idle for k×I/4
)

// hOp is one step of the differential test.
type hOp struct {
	kind hOpKind
	k    int
}

// hOutcome is what one step's call did, with times as offsets from the
// run's first step.
type hOutcome struct {
	called, returned time.Duration // returned < 0: never returned
	deadline         time.Duration // hOpTakeCtx: the ctx's deadline (0: none)
	cancel           time.Duration // hOpBgTakeCtx: when its ctx is cancelled (0: never)
	perm, err        string
}

// hGenOps makes the random steps of one configuration.
func hGenOps(seed uint64, steps int) []hOp {
	rng := rand.New(rand.NewPCG(seed, 0x1eaf))
	ops := make([]hOp, steps)
	for i := range ops {
		switch op := rng.IntN(20); {
		case op < 5:
			ops[i] = hOp{hOpTake, 0}
		case op < 9:
			ops[i] = hOp{hOpTakeCtx, rng.IntN(13)}
		case op < 13:
			k := -1
			if rng.IntN(4) > 0 {
				k = rng.IntN(12)
			}
			ops[i] = hOp{hOpBgTakeCtx, k}
		case op < 15:
			ops[i] = hOp{hOpBgTake, 0}
		default:
			k := rng.IntN(13)
			if rng.IntN(8) == 0 {
				k = 40 + rng.IntN(40) // a long idle period, beyond the slack
			}
			ops[i] = hOp{hOpSleep, k}
		}
	}
	return ops
}

// hRun makes the calls of ops on a new limiter inside the current bubble
// and returns what each did. Every call starts at a multiple of I/4 after
// the first step and every cancellation comes at a distinct odd multiple
// of I/8, so no two events that could be ordered either way share an
// instant.
func hRun(newPacer func() (hPacer, error), queueFull error, ops []hOp, I time.Duration) []hOutcome {
	p, err := newPacer()
	if err != nil {
		panic(fmt.Sprintf("New: %v", err))
	}
	quarter, eighth := I/4, I/8
	start := time.Now()
	out := make([]hOutcome, len(ops))
	var wg sync.WaitGroup
	cancelAt := map[time.Duration]bool{}
	for i, op := range ops {
		synctest.Wait() // background callers due now have returned
		o := &out[i]
		o.called, o.returned = time.Since(start), -1
		finish := func(got time.Time, err error) {
			o.returned = time.Since(start)
			o.err = "nil"
			switch {
			case err == nil:
				o.perm = hOff(start, got)
			case errors.Is(err, queueFull):
				o.err = "ErrQueueFull"
			default:
				o.err = hErrName(err)
			}
		}
		switch op.kind {
		case hOpTake:
			finish(p.Take(), nil)
		case hOpTakeCtx:
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if op.k > 0 {
				ctx, cancel = context.WithTimeout(ctx, time.Duration(op.k)*quarter)
				o.deadline = o.called + time.Duration(op.k)*quarter
			}
			got, err := p.TakeContext(ctx)
			cancel()
			finish(got, err)
		case hOpBgTakeCtx:
			ctx, cancel := context.WithCancel(context.Background())
			if op.k >= 0 {
				for j := op.k; ; j++ {
					at := o.called + time.Duration(2*j+1)*eighth
					if !cancelAt[at] {
						cancelAt[at] = true
						time.AfterFunc(at-o.called, cancel)
						o.cancel = at
						break
					}
				}
			}
			wg.Go(func() {
				defer cancel()
				got, err := p.TakeContext(ctx)
				finish(got, err)
			})
		case hOpBgTake:
			wg.Go(func() { finish(p.Take(), nil) })
		case hOpSleep:
			time.Sleep(time.Duration(op.k) * quarter)
		}
	}
	wg.Wait()
	return out
}

// hDiffer runs ops on the learner's limiter and on the reference and
// returns both outcomes and whether they differ.
func hDiffer(c hDiffConfig, ops []hOp) (got, want []hOutcome, differ bool) {
	got = hRun(c.learner, leakybucket.ErrQueueFull, ops, c.interval)
	want = hRun(c.ref, ref.ErrQueueFull, ops, c.interval)
	return got, want, !slices.Equal(got, want)
}

// hShrink returns a shorter sequence of ops on which the learner's limiter
// and the reference still differ: it drops chunks of ops, then single ops,
// while the difference persists (on fresh limiters each time), until stop
// says the real-time budget is spent.
func hShrink(c hDiffConfig, ops []hOp, stop func() bool) []hOp {
	fails := func(cand []hOp) bool {
		if stop() {
			return false
		}
		_, _, differ := hDiffer(c, cand)
		return differ
	}
	for n := len(ops) / 2; n >= 1; n /= 2 {
		for i := 0; i < len(ops); {
			cand := append(append([]hOp{}, ops[:i]...), ops[min(i+n, len(ops)):]...)
			if fails(cand) {
				ops = cand
				continue
			}
			i += n
		}
	}
	for changed := true; changed && !stop(); {
		changed = false
		for i := len(ops) - 1; i >= 0 && i < len(ops); i-- {
			cand := append(append([]hOp{}, ops[:i]...), ops[i+1:]...)
			if fails(cand) {
				ops, changed = cand, true
			}
		}
	}
	return ops
}

// hExplain prints a run as Go calls with the virtual time of each; a call
// whose outcome differs from the reference's shows both.
func hExplain(c hDiffConfig, ops []hOp, got, want []hOutcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l, _ := %s (I = %v)", c.name, c.interval)
	show := func(op hOp, o hOutcome) string {
		if o.returned < 0 {
			return "never returned"
		}
		if op.kind == hOpTake || op.kind == hOpBgTake {
			return fmt.Sprintf("%s, returned at +%v", o.perm, o.returned)
		}
		if o.err == "nil" {
			return fmt.Sprintf("(%s, nil), returned at +%v", o.perm, o.returned)
		}
		return fmt.Sprintf("(the zero Time, %s), returned at +%v", o.err, o.returned)
	}
	for i, op := range ops {
		g, w := got[i], want[i]
		var call string
		switch op.kind {
		case hOpSleep:
			continue
		case hOpTake:
			call = "l.Take()"
		case hOpBgTake:
			call = "go l.Take()"
		case hOpTakeCtx:
			call = "l.TakeContext(context.Background())"
			if w.deadline > 0 {
				call = fmt.Sprintf("l.TakeContext(ctx with deadline +%v)", w.deadline)
			}
		case hOpBgTakeCtx:
			call = "go l.TakeContext(context.Background())"
			if w.cancel > 0 {
				call = fmt.Sprintf("go l.TakeContext(ctx cancelled at +%v)", w.cancel)
			}
		}
		if g == w {
			fmt.Fprintf(&b, "; at +%v: %s → %s", w.called, call, show(op, w))
			continue
		}
		if g.called != w.called || g.deadline != w.deadline || g.cancel != w.cancel {
			fmt.Fprintf(&b, "; %s called at +%v (the reference's run: at +%v)", call, g.called, w.called)
			continue
		}
		fmt.Fprintf(&b, "; at +%v: %s = %s, want %s", w.called, call, show(op, g), show(op, w))
	}
	return b.String()
}

// TestHiddenDifferential drives the learner's limiter and the reference
// through the same 500 random calls per configuration (Take and
// TakeContext, in the foreground and in the background, with deadlines,
// cancellations and idle periods), each on a fresh limiter in the same
// bubble, and requires identical outcomes: the same errors, permission
// times and return times. A difference is reported as the shortest call
// sequence found that reproduces it (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	const steps = 500
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
		t.Run(cfg.name, func(t *testing.T) {
			katatest.Guard(t)
			katatest.Watchdog(t, hWatch, hLockHeld)
			// Shrinking a difference stops after a second of real time,
			// well before the guards fire.
			var spent atomic.Bool
			budget := time.AfterFunc(time.Second, func() { spent.Store(true) })
			defer budget.Stop()
			if _, err := cfg.learner(); err != nil {
				t.Fatalf("%s = (nil, %s), want a limiter", cfg.name, hErrName(err))
			}
			synctest.Test(t, func(t *testing.T) {
				ops := hGenOps(uint64(100+ci), steps)
				if _, _, differ := hDiffer(cfg, ops); !differ {
					return
				}
				ops = hShrink(cfg, ops, spent.Load)
				got, want, _ := hDiffer(cfg, ops)
				t.Fatal(hExplain(cfg, ops, got, want))
			})
		})
	}
}

// hSorted checks a sorted list of offsets against want and describes the
// first difference.
func hSorted(t *testing.T, what string, got, want []time.Duration) bool {
	t.Helper()
	if slices.Equal(got, want) {
		return true
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	switch {
	case i == len(got):
		t.Errorf("%s: %d results, want %d (the first %d agree; the next would be +%v)", what, len(got), len(want), i, want[i])
	case i == len(want):
		t.Errorf("%s: %d results, want %d (the first %d agree; one more at +%v)", what, len(got), len(want), i, got[i])
	default:
		t.Errorf("%s: sorted, #%d is +%v, want +%v (got %v)", what, i+1, got[i], want[i], got)
	}
	return false
}

// TestHiddenConcurrentTakesStrictlySpaced: 50 concurrent callers, half of
// them with TakeContext, get 50 distinct slots exactly one interval apart,
// and each returns at its slot (rule 8; run with -race).
//
// Category: concurrency
func TestHiddenConcurrentTakesStrictlySpaced(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers = 50
		l := hNew(t, "New(100)", 100) // I = 10 ms
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
		const setup = "l := New(100) (I = 10ms); 50 goroutines call at +0s, 25 Take() and 25 TakeContext(context.Background())"
		if len(errs) > 0 {
			t.Fatalf("%s: %d TakeContext calls returned an error, the first %s; want nil", setup, len(errs), hErrName(errs[0]))
		}
		want := make([]time.Duration, callers)
		for i := range want {
			want[i] = time.Duration(i) * hMs(10)
		}
		slices.Sort(slots)
		slices.Sort(returns)
		hSorted(t, setup+": permission times", slots, want)
		hSorted(t, setup+": return times", returns, want)
	})
}

// TestHiddenConcurrentSlackBurst: after a long idle period, 20 concurrent
// callers on WithSlack(3) get exactly 4 permissions at once and the rest
// one interval apart (rules 5, 8).
//
// Category: concurrency
func TestHiddenConcurrentSlackBurst(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers = 20
		l := hNew(t, "New(10, WithSlack(3))", 10, leakybucket.WithSlack(3))
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
		hSorted(t, "l := New(10, WithSlack(3)); Take(); idle for 1h; then 20 goroutines call Take() at once (times from here): return times", got, want)
	})
}

// TestHiddenConcurrentQueueBound: 30 concurrent TakeContext callers on a
// limiter whose slot is taken and WithMaxQueue(5): exactly 5 wait and get
// the next 5 slots, exactly 25 are refused at once (rules 8, 11; run with
// -race).
//
// Category: concurrency
func TestHiddenConcurrentQueueBound(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		const callers, bound = 30, 5
		l := hNew(t, "New(10, WithMaxQueue(5))", 10, leakybucket.WithMaxQueue(bound))
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
		const setup = "l := New(10, WithMaxQueue(5)); Take() at +0s; 30 goroutines call TakeContext(context.Background()) at +0s"
		if len(other) > 0 {
			t.Fatalf("%s: %d calls returned another error, the first %s; want nil or ErrQueueFull", setup, len(other), hErrName(other[0]))
		}
		slices.Sort(granted)
		hSorted(t, setup+": permission times of the calls granted", granted, []time.Duration{hMs(100), hMs(200), hMs(300), hMs(400), hMs(500)})
		hSorted(t, setup+": return times of the calls refused with ErrQueueFull", refused, make([]time.Duration, callers-bound))
	})
}
