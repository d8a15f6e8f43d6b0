package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/retry"
)

// The documented differences between the kata and backoff v5.0.3. Each
// reproduction makes the same calls on both and asserts the kata's rule
// (katas/retry/README.md) on the reference and backoff's behaviour on
// backoff.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "RT-1", "an invalid Policy (the zero one included) is refused with ErrInvalidPolicy before any attempt (rules 1, 5); backoff takes any ExponentialBackOff: the zero one retries without waiting", testValidation)
	harness.Exclusion(t, "RT-2", "when the attempts run out Do returns an error matching ErrExhausted and the last error (rule 12); backoff returns the last error itself", testExhausted)
	harness.Exclusion(t, "RT-3", "every error return carries the zero value (rule 19); backoff returns the failing attempt's value with its error", testValueWithError)
	harness.Exclusion(t, "RT-4", "the jitter only shortens a wait, c − c·Jitter·u, so MaxDelay bounds every wait, and u comes from Policy.Rand (rule 3); backoff randomizes ±RandomizationFactor around the interval, above MaxInterval at the cap, from math/rand/v2's global source", testJitter)
	harness.Exclusion(t, "RT-5", "the n-th ceiling is BaseDelay·Multiplier^n by math.Pow, truncated once (rule 3); backoff multiplies the previous truncated interval, so with a fractional multiplier its waits drift below", testDrift)
	harness.Exclusion(t, "RT-6", "a Permanent mark anywhere in the chain returns the attempt's error itself (rule 9); backoff returns the error inside the mark, dropping what wraps it (except on the last attempt, where it returns the error itself)", testPermanentUnwrapped)
	harness.Exclusion(t, "RT-7", "a negative RetryAfter hint means: do not retry (rule 11); backoff waits a negative duration, that is retries at once", testNegativeHint)
	harness.Exclusion(t, "RT-8", "a ctx done during a wait returns an error matching ctx.Err() and the last error (rule 17); backoff returns context.Cause(ctx) alone", testCancelDuringWait)
	harness.Exclusion(t, "RT-9", "Do returns at once when the next wait would reach ctx's deadline (rule 16); backoff sleeps until the deadline", testDeadline)
	harness.Exclusion(t, "RT-10", "a ctx already done, or whose deadline has come, runs no attempt (rule 5); backoff makes the first attempt anyway", testDoneBeforeFirst)
	harness.Exclusion(t, "RT-11", "the only time limit is ctx's deadline; backoff's Retry also stops after 15 minutes by default (DefaultMaxElapsedTime)", testMaxElapsed)
	harness.Exclusion(t, "RT-12", "a caller gone during the last attempt is reported as ctx.Err() and the error (rule 8 comes before rule 12); backoff looks at its tries first and returns the error alone", testCallerGoneLastAttempt)
}

var errOp = errors.New("op failed")

func failing(calls *[]time.Duration, start time.Time) func() (int, error) {
	return func() (int, error) {
		*calls = append(*calls, time.Since(start))
		return 5, errOp
	}
}

func testValidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		_, err := ref.Do(context.Background(), ref.Policy{}, func(context.Context) (int, error) { calls++; return 0, errOp })
		if !errors.Is(err, ref.ErrInvalidPolicy) || calls != 0 {
			t.Errorf("reference: Do(ctx, Policy{}, op) = %v after %d attempts; want ErrInvalidPolicy, 0", err, calls)
		}
		var at []time.Duration
		_, err = backoff.Retry(context.Background(), failing(&at, time.Now()), backoff.WithBackOff(&backoff.ExponentialBackOff{}), backoff.WithMaxTries(3))
		if err != errOp || fmt.Sprint(at) != "[0s 0s 0s]" {
			t.Errorf("backoff: Retry(ctx, op, WithBackOff(&ExponentialBackOff{}), WithMaxTries(3)) = %v, attempts at %v; documented errOp, [0s 0s 0s]", err, at)
		}
	})
}

var threeMs = policy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1}

func testExhausted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		_, err := refDo(context.Background(), threeMs, failing(&at, time.Now()))
		if !errors.Is(err, ref.ErrExhausted) || !errors.Is(err, errOp) || err == errOp {
			t.Errorf("reference: three failing attempts: %v; want an error matching ErrExhausted and errOp", err)
		}
		_, err = libDo(context.Background(), threeMs, failing(&at, time.Now()))
		if err != errOp {
			t.Errorf("backoff: three failing attempts: %v; documented errOp itself", err)
		}
	})
}

func testValueWithError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		p := threeMs
		p.MaxAttempts = 1
		if v, _ := refDo(context.Background(), p, failing(&at, time.Now())); v != 0 {
			t.Errorf("reference: an attempt returns (5, errOp): Do returned %d; want 0", v)
		}
		if v, _ := libDo(context.Background(), p, failing(&at, time.Now())); v != 5 {
			t.Errorf("backoff: an attempt returns (5, errOp): Retry returned %d; documented 5", v)
		}
	})
}

func testJitter(t *testing.T) {
	p := policy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Multiplier: 2, Jitter: 0.5}
	for _, u := range []float64{0, 0.25, 0.5, 0.999999} {
		if w := p.kata().Backoff(10, u); w < 500*time.Millisecond || w > time.Second {
			t.Errorf("reference: Backoff(10, %v) with MaxDelay 1s, Jitter 0.5 = %v; want within [500ms, 1s]", u, w)
		}
	}
	// 1000 draws at the cap: each is above MaxInterval with probability
	// about 1/2, so all 1000 at or below it has probability 2^-1000.
	next, above := libWaits(p), 0
	for range 1000 {
		if next() > time.Second {
			above++
		}
	}
	if above == 0 {
		t.Errorf("backoff: 1000 NextBackOff at MaxInterval 1s with RandomizationFactor 0.5: none above 1s; documented: about half")
	}
}

func testDrift(t *testing.T) {
	p := policy{MaxAttempts: 1, BaseDelay: 100, MaxDelay: time.Second, Multiplier: 1.5}
	if got := refCeiling(p, 4); got != 506 {
		t.Errorf("reference: BaseDelay 100ns, Multiplier 1.5: Backoff(4, 0) = %v; want 506ns (100·1.5⁴ = 506.25)", got)
	}
	if got := libCeiling(p, 4); got != 505 {
		t.Errorf("backoff: InitialInterval 100ns, Multiplier 1.5: the fifth interval is %v; documented 505ns (100, 150, 225, 337, 505)", got)
	}
}

func testPermanentUnwrapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := threeMs
		var refE error
		_, err := refDo(context.Background(), p, func() (int, error) { refE = fmt.Errorf("rpc: %w", ref.Permanent(errOp)); return 0, refE })
		if err != refE {
			t.Errorf("reference: an attempt returns E = fmt.Errorf(\"rpc: %%w\", Permanent(errOp)): Do returned %q; want E itself", err)
		}
		_, err = libDo(context.Background(), p, func() (int, error) { return 0, fmt.Errorf("rpc: %w", backoff.Permanent(errOp)) })
		if err != errOp {
			t.Errorf("backoff: an attempt returns fmt.Errorf(\"rpc: %%w\", Permanent(errOp)): Retry returned %q; documented errOp, without \"rpc: \"", err)
		}
		p.MaxAttempts = 1
		var libE error
		_, err = libDo(context.Background(), p, func() (int, error) { libE = fmt.Errorf("rpc: %w", backoff.Permanent(errOp)); return 0, libE })
		if err != libE {
			t.Errorf("backoff: the same on the last attempt (MaxTries 1): Retry returned %q; documented the attempt's error itself", err)
		}
	})
}

func testNegativeHint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		start := time.Now()
		_, err := refDo(context.Background(), threeMs, func() (int, error) { at = append(at, time.Since(start)); return 0, reference.New.RetryAfter(errOp, -1) })
		if len(at) != 1 || !errors.Is(err, errOp) || errors.Is(err, ref.ErrExhausted) {
			t.Errorf("reference: every attempt returns RetryAfter(errOp, -1s): attempts at %v, %v; want one attempt and the error itself", at, err)
		}
		at = nil
		libDo(context.Background(), threeMs, func() (int, error) { at = append(at, time.Since(start)); return 0, library.New.RetryAfter(errOp, -1) })
		if fmt.Sprint(at) != "[0s 0s 0s]" {
			t.Errorf("backoff: every attempt returns RetryAfter(-1): attempts at %v; documented three, all at once", at)
		}
	})
}

func testCancelDuringWait(t *testing.T) {
	p := policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2}
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		var at []time.Duration
		_, err := refDo(ctx, p, failing(&at, time.Now()))
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errOp) {
			t.Errorf("reference: ctx cancelled at 50ms, during the first wait: %v; want an error matching context.Canceled and errOp", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		cause := errors.New("shutting down")
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(50*time.Millisecond, func() { cancel(cause) })
		var at []time.Duration
		_, err := libDo(ctx, p, failing(&at, time.Now()))
		if err != cause {
			t.Errorf("backoff: ctx cancelled with a cause at 50ms, during the first wait: %v; documented the cause alone", err)
		}
	})
}

func testDeadline(t *testing.T) {
	p := policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2}
	for _, s := range []struct {
		name string
		do   func(context.Context, policy, func() (int, error)) (int, error)
		want string
	}{{"reference", refDo, "[0s 100ms] 100ms"}, {"backoff", libDo, "[0s 100ms] 150ms"}} {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			var at []time.Duration
			start := time.Now()
			_, err := s.do(ctx, p, failing(&at, start))
			if got := fmt.Sprintf("%v %v", at, time.Since(start)); got != s.want || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: deadline 150ms, waits 100ms then 200ms: attempts at, then returned at: %s (%v); documented %s, DeadlineExceeded", s.name, got, err, s.want)
			}
		})
	}
}

func testDoneBeforeFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range []struct {
		name  string
		do    func(context.Context, policy, func() (int, error)) (int, error)
		calls int
	}{{"reference", refDo, 0}, {"backoff", libDo, 1}} {
		var at []time.Duration
		s.do(ctx, threeMs, failing(&at, time.Now()))
		if len(at) != s.calls {
			t.Errorf("%s: a cancelled ctx: %d attempts; documented %d", s.name, len(at), s.calls)
		}
	}
}

func testMaxElapsed(t *testing.T) {
	p := policy{MaxAttempts: 5, BaseDelay: 10 * time.Minute, MaxDelay: time.Hour, Multiplier: 2}
	synctest.Test(t, func(t *testing.T) {
		var at []time.Duration
		refDo(context.Background(), p, failing(&at, time.Now()))
		if fmt.Sprint(at) != "[0s 10m0s 30m0s 1h10m0s 2h10m0s]" {
			t.Errorf("reference: waits 10m, 20m, 40m, 1h: attempts at %v; want [0s 10m0s 30m0s 1h10m0s 2h10m0s]", at)
		}
		at = nil
		backoff.Retry(context.Background(), failing(&at, time.Now()), backoff.WithBackOff(p.exponential()), backoff.WithMaxTries(5))
		if fmt.Sprint(at) != "[0s 10m0s]" {
			t.Errorf("backoff: the same, without WithMaxElapsedTime: attempts at %v; documented [0s 10m0s] (10m + 20m > 15m)", at)
		}
	})
}

func testCallerGoneLastAttempt(t *testing.T) {
	p := threeMs
	p.MaxAttempts = 1
	for _, s := range []struct {
		name     string
		do       func(context.Context, policy, func() (int, error)) (int, error)
		canceled bool
	}{{"reference", refDo, true}, {"backoff", libDo, false}} {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := s.do(ctx, p, func() (int, error) { cancel(); return 0, errOp })
		if errors.Is(err, context.Canceled) != s.canceled || !errors.Is(err, errOp) {
			t.Errorf("%s: MaxAttempts 1, the attempt cancels ctx then fails: %v, matching context.Canceled: %t; documented %t (and errOp)", s.name, err, errors.Is(err, context.Canceled), s.canceled)
		}
	}
}
