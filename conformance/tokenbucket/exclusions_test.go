package tokenbucket

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/tokenbucket"
)

// The documented differences between the kata and x/time/rate v0.15.0. Each
// reproduction runs the same calls on both and asserts the kata's rule
// (katas/tokenbucket/README.md) on the reference and x/time/rate's own
// behaviour on x/time/rate.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "TB-1", "a time before the remembered one counts as the remembered one and earns nothing (rule 7); rate moves its clock back and earns the gap again (golang/go#65508, #71360)", testJumpBackwards)
	harness.Exclusion(t, "TB-2", "AllowN(t, n < 0) is true and changes nothing (rule 10); rate adds -n tokens, above the burst", testNegativeN)
	harness.Exclusion(t, "TB-3", "a cancelled wait gives back all its tokens only if no later reservation is left, else none (rule 18); rate gives back a part", testPartialRefund)
	harness.Exclusion(t, "TB-4", "a due time equal to the deadline fails at once with DeadlineExceeded (rule 16e); rate reserves and waits until the deadline (golang/go#54541)", testDeadlineEqualsDue)
	harness.Exclusion(t, "TB-5", "a wait that can never be served and has no deadline takes nothing (rule 19); rate reserves the tokens while it blocks", testNeverDue)
	harness.Exclusion(t, "TB-6", "with limit Inf the balance is the burst at every instant and leaving Inf fills the bucket (rules 13, 15); rate keeps the old balance at the instant of the change", testInfAtAnInstant)
	harness.Exclusion(t, "TB-7", "New and the setters refuse NaN and negative limits and negative bursts, and store +Inf as Inf (rules 1, 15); rate takes any value, and +Inf or NaN make the balance NaN", testValidation)
	harness.Exclusion(t, "TB-8", "WaitN's errors match ErrExceedsBurst and context.DeadlineExceeded (rule 16); rate's are fmt.Errorf texts that match neither", testErrorValues)
	harness.Exclusion(t, "TB-9", "gaps longer than 292 years earn their full worth (rule 9); rate's t.Sub saturates at 292 years", testLongGap)
	harness.Exclusion(t, "TB-10", "due times are rounded up to the nanosecond (rule 17 allows 1 ns); rate truncates, so its waits return up to 1 ns before the token is earned", testDueRounding)
}

// testJumpBackwards is rate's TestLimiterJumpBackwards, with each side's
// expectations.
func testJumpBackwards(t *testing.T) {
	t1, t2, _, _, _, _ := times(t0)
	kata := []allow{
		{t1, 3, 1, true}, // start at t1
		{t0, 2, 1, true}, // t0 counts as t1: two tokens remain
		{t0, 1, 1, true},
		{t0, 0, 1, false},
		{t0, 0, 1, false},
		{t1, 0, 1, false}, // t1 is the remembered time: nothing earned
		{t1, 0, 1, false},
		{t1, 0, 1, false},
		{t2, 1, 1, true}, // got a token
		{t2, 0, 1, false},
		{t2, 0, 1, false},
	}
	lib := []allow{ // rate's own expectations
		{t1, 3, 1, true}, // start at t1
		{t0, 2, 1, true}, // jump back to t0, two tokens remain
		{t0, 1, 1, true},
		{t0, 0, 1, false},
		{t0, 0, 1, false},
		{t1, 1, 1, true}, // got a token
		{t1, 0, 1, false},
		{t1, 0, 1, false},
		{t2, 1, 1, true}, // got another token
		{t2, 0, 1, false},
		{t2, 0, 1, false},
	}
	t.Run("reference", func(t *testing.T) { run(t, mustNew(t, reference.New, 10, 3), kata) })
	t.Run("x/time/rate", func(t *testing.T) { run(t, mustNew(t, library.New, 10, 3), lib) })
}

func testNegativeN(t *testing.T) {
	for _, side := range []struct {
		name string
		f    impl
		want float64
	}{{"reference", reference.New, 0}, {"x/time/rate", library.New, 2}} {
		l := mustNew(t, side.f, 10, 3)
		l.AllowN(t0, 3)
		if !l.AllowN(t0, -2) {
			t.Errorf("%s: l := New(10, 3); l.AllowN(t0, 3); l.AllowN(t0, -2) = false, want true", side.name)
		}
		if got := l.TokensAt(t0); got != side.want {
			t.Errorf("%s: l := New(10, 3); l.AllowN(t0, 3); l.AllowN(t0, -2); l.TokensAt(t0) = %v, documented %v", side.name, got, side.want)
		}
	}
}

// testPartialRefund is rate's TestCancelMulti with WaitN: A (3 tokens) is
// cancelled while a later reservation is still counted.
func testPartialRefund(t *testing.T) {
	for _, side := range []struct {
		name string
		f    impl
		act  int // when the last wait acts, in d
	}{{"reference", reference.New, 7}, {"x/time/rate", library.New, 5}} {
		t.Run(side.name, func(t *testing.T) {
			inBubble(t, side.f, 10, 4, func(b *bubble) {
				b.reserve(0, 4, 0, true)
				rA := b.reserveCancelled(0, 3, 1)
				b.reserve(0, 1, 4, true)
				rC := b.reserveCancelled(0, 1, 1)
				b.cancelAt(rC, 1) // the newest: 1 token back on both
				b.cancelAt(rA, 1) // the kata: none back (the wait acting at t4 is still counted); rate: 2 back
				b.reserve(1, 3, side.act, true)
			})
		})
	}
}

func testDeadlineEqualsDue(t *testing.T) {
	for _, side := range []struct {
		name string
		f    impl
	}{{"reference", reference.New}, {"x/time/rate", library.New}} {
		t.Run(side.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				l := mustNew(t, side.f, 10, 1)
				l.Allow()
				ctx, cancel := context.WithTimeout(context.Background(), d) // the due time is start+d too
				defer cancel()
				done := make(chan error, 1)
				go func() { done <- l.Wait(ctx) }()
				synctest.Wait()
				select {
				case err := <-done:
					if side.name != "reference" || errKind(err) != "deadline exceeded" {
						t.Errorf("%s: l := New(10, 1); l.Allow(); l.Wait(ctx with deadline +100ms) = %v at once; documented: reference DeadlineExceeded at once, rate waits", side.name, errKind(err))
					}
					if got := l.Tokens(); got != 0 {
						t.Errorf("%s: after the refused Wait, l.Tokens() = %v, want 0 (nothing taken)", side.name, got)
					}
				default:
					if side.name == "reference" {
						t.Fatalf("reference: l := New(10, 1); l.Allow(); l.Wait(ctx with deadline +100ms) is still waiting; want DeadlineExceeded at once")
					}
					if got := l.Tokens(); got != -1 {
						t.Errorf("x/time/rate: while Wait(ctx with deadline +100ms) waits, l.Tokens() = %v; documented -1 (reserved)", got)
					}
					err := <-done
					// The timer and the deadline fire at the same instant:
					// rate returns nil or the context's error, either way at
					// the deadline.
					if k := errKind(err); k != "nil" && k != "deadline exceeded" || time.Since(start) != d {
						t.Errorf("x/time/rate: Wait(ctx with deadline +100ms) = %v after %v; documented nil or DeadlineExceeded after 100ms", k, time.Since(start))
					}
				}
			})
		})
	}
}

func testNeverDue(t *testing.T) {
	for _, side := range []struct {
		name string
		f    impl
		want float64 // Tokens() while the wait blocks
	}{{"reference", reference.New, 0}, {"x/time/rate", library.New, -1}} {
		t.Run(side.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := mustNew(t, side.f, 0, 1)
				l.Allow()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- l.Wait(ctx) }()
				time.Sleep(time.Second)
				if got := l.Tokens(); got != side.want {
					t.Errorf("%s: l := New(0, 1); l.Allow(); go l.Wait(ctx without deadline); 1s later l.Tokens() = %v, documented %v", side.name, got, side.want)
				}
				cancel()
				if err := <-done; errKind(err) != "canceled" {
					t.Errorf("%s: the Wait returned %v after cancel, want canceled", side.name, errKind(err))
				}
			})
		})
	}
}

func testInfAtAnInstant(t *testing.T) {
	for _, side := range []struct {
		name    string
		f       impl
		atInf   float64 // TokensAt(t0) right after SetLimitAt(t0, Inf)
		afterOK bool    // AllowN(t0, 1) right after SetLimitAt(t0, 10)
	}{{"reference", reference.New, 3, true}, {"x/time/rate", library.New, 0, false}} {
		l := mustNew(t, side.f, 10, 3)
		l.AllowN(t0, 3)
		l.SetLimitAt(t0, inf)
		if got := l.TokensAt(t0); got != side.atInf {
			t.Errorf("%s: l := New(10, 3); l.AllowN(t0, 3); l.SetLimitAt(t0, Inf); l.TokensAt(t0) = %v, documented %v", side.name, got, side.atInf)
		}
		l.SetLimitAt(t0, 10)
		if got := l.AllowN(t0, 1); got != side.afterOK {
			t.Errorf("%s: ...; l.SetLimitAt(t0, 10); l.AllowN(t0, 1) = %v, documented %v", side.name, got, side.afterOK)
		}
	}
}

func testValidation(t *testing.T) {
	for _, c := range []struct {
		r float64
		b int
	}{{math.NaN(), 1}, {-1, 1}, {1, -1}} {
		if l, err := ref.New(ref.Limit(c.r), c.b); l != nil || err == nil {
			t.Errorf("reference: New(%v, %d) = (%v, %v), want (nil, an error)", c.r, c.b, l, err)
		}
	}
	if got := rate.NewLimiter(rate.Limit(math.NaN()), 1).TokensAt(t0.Add(time.Second)); !math.IsNaN(got) {
		t.Errorf("x/time/rate: NewLimiter(NaN, 1).TokensAt(t0+1s) = %v; documented NaN", got)
	}
	r, err := ref.New(ref.Limit(math.Inf(1)), 1)
	if err != nil || r.Limit() != ref.Inf || r.TokensAt(time.Time{}) != 1 {
		t.Errorf("reference: l, err := New(+Inf, 1): err = %v, l.Limit() = %v, l.TokensAt(zero Time) = %v; want nil, Inf, 1", err, r.Limit(), r.TokensAt(time.Time{}))
	}
	if got := rate.NewLimiter(rate.Limit(math.Inf(1)), 1).TokensAt(time.Time{}); !math.IsNaN(got) {
		t.Errorf("x/time/rate: NewLimiter(+Inf, 1).TokensAt(zero Time) = %v; documented NaN (0 × +Inf)", got)
	}
	lib := rate.NewLimiter(1, -1)
	if lib.Burst() != -1 {
		t.Errorf("x/time/rate: NewLimiter(1, -1).Burst() = %d; documented -1 (accepted)", lib.Burst())
	}
}

func testErrorValues(t *testing.T) {
	rl, _ := ref.New(10, 1)
	if err := rl.WaitN(context.Background(), 2); !errors.Is(err, ref.ErrExceedsBurst) {
		t.Errorf("reference: New(10, 1).WaitN(ctx, 2) = %v, want ErrExceedsBurst", err)
	}
	ll := rate.NewLimiter(10, 1)
	if err := ll.WaitN(context.Background(), 2); err == nil || errors.Is(err, ref.ErrExceedsBurst) {
		t.Errorf("x/time/rate: NewLimiter(10, 1).WaitN(ctx, 2) = %v; documented a plain error", err)
	}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		rl, _ := ref.New(10, 1)
		rl.Allow()
		if err := rl.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("reference: l := New(10, 1); l.Allow(); l.Wait(ctx with deadline +1ms) = %v, want DeadlineExceeded", err)
		}
		ll := rate.NewLimiter(10, 1)
		ll.Allow()
		if err := ll.Wait(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("x/time/rate: l := NewLimiter(10, 1); l.Allow(); l.Wait(ctx with deadline +1ms) = %v; documented a plain error", err)
		}
	})
}

func testLongGap(t *testing.T) {
	const r, burst = 1e-9, 100
	later := t0.AddDate(1000, 0, 0) // 1000 years: 31.56 tokens at 1e-9/s
	secs := float64(later.Unix() - t0.Unix())
	rl := mustNew(t, reference.New, r, burst)
	rl.AllowN(t0, burst)
	if got, want := rl.TokensAt(later), secs*r; math.Abs(got-want) > 1e-9 {
		t.Errorf("reference: l := New(1e-9, 100); l.AllowN(t0, 100); l.TokensAt(t0 + 1000 years) = %v, want %v", got, want)
	}
	ll := mustNew(t, library.New, r, burst)
	ll.AllowN(t0, burst)
	if got, want := ll.TokensAt(later), time.Duration(math.MaxInt64).Seconds()*r; got != want {
		t.Errorf("x/time/rate: l := NewLimiter(1e-9, 100); l.AllowN(t0, 100); l.TokensAt(t0 + 1000 years) = %v; documented %v (292 years' worth)", got, want)
	}
}

func testDueRounding(t *testing.T) {
	for _, side := range []struct {
		name string
		f    impl
		want time.Duration
	}{{"reference", reference.New, 333333334}, {"x/time/rate", library.New, 333333333}} {
		t.Run(side.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := mustNew(t, side.f, 3, 1)
				l.Allow()
				start := time.Now()
				if err := l.Wait(context.Background()); err != nil {
					t.Fatalf("%s: l := New(3, 1); l.Allow(); l.Wait(ctx) = %v", side.name, err)
				}
				if got := time.Since(start); got != side.want {
					t.Errorf("%s: l := New(3, 1); l.Allow(); l.Wait(ctx) returned after %d ns, documented %d ns", side.name, got, side.want)
				}
			})
		})
	}
}
