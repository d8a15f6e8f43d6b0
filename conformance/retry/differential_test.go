package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

// TestDifferentialCeilings compares the reference's Backoff(n, 0) with
// backoff's n-th interval (RandomizationFactor 0) for 2000 random policies
// and n = 0 … 63: multipliers 1, 2, 3, 4 and 10, delays from 1 ns to
// math.MaxInt64. Fractional multipliers drift (RT-5) and are not drawn;
// multipliers 3 and 10 keep MaxDelay below 2^52 ns, where every product
// both compute is exact, and math.MaxInt64 comes only with 1, 2 and 4,
// whose products are exact at any size.
func TestDifferentialCeilings(t *testing.T) {
	const policies, depth = 2000, 64
	rng := rand.New(rand.NewPCG(18, 5))
	total, mismatches := 0, 0
	for range policies {
		mult := []float64{1, 2, 3, 4, 10}[rng.IntN(5)]
		base := time.Duration(1) << rng.IntN(40) // 1ns … 2^39 ns (9 min)
		base += time.Duration(rng.Int64N(int64(base)))
		var maxDelay time.Duration
		switch {
		case mult != 3 && mult != 10 && rng.IntN(4) == 0:
			maxDelay = math.MaxInt64
		default:
			maxDelay = base * time.Duration(1+rng.IntN(1<<12))
			if maxDelay >= 1<<52 {
				maxDelay = 1 << 52
			}
		}
		p := policy{MaxAttempts: 1, BaseDelay: base, MaxDelay: maxDelay, Multiplier: mult}
		lib := p.exponential()
		for n := range depth {
			total++
			r, l := p.kata().Backoff(n, 0), lib.NextBackOff()
			if r != l {
				mismatches++
				t.Errorf("p := Policy{BaseDelay: %d, MaxDelay: %d, Multiplier: %v}; p.Backoff(%d, 0) = %d, backoff's interval %d (InitialInterval, MaxInterval, Multiplier the same, RandomizationFactor 0) = %d",
					base, maxDelay, mult, n, r, n, l)
				break
			}
		}
	}
	report.AddDiff(report.Diff{
		Name: "Backoff(n, 0) against NextBackOff (2000 policies × n = 0…63)", Steps: total, Mismatches: mismatches,
		Avoids: "fractional multipliers (RT-5), randomization (RT-4)",
	})
}

// outcome is what one attempt returns.
type outcome struct {
	kind int // 0 success, 1 failure, 2 Permanent, 3 RetryAfter
	secs int // RetryAfter's hint
	v    int
}

var baseErrs = func() []error {
	var es []error
	for i := range 10 {
		es = append(es, fmt.Errorf("E%d", i))
	}
	return es
}()

func (o outcome) text(i int) string {
	switch o.kind {
	case 0:
		return fmt.Sprintf("(%d, nil)", o.v)
	case 1:
		return fmt.Sprintf("E%d", i)
	case 2:
		return fmt.Sprintf("Permanent(E%d)", i)
	}
	return fmt.Sprintf("RetryAfter(E%d, %ds)", i, o.secs)
}

// scenario is one Do call: a policy, what each attempt returns, and when
// (if ever) ctx is cancelled.
type scenario struct {
	p        policy
	attempts []outcome
	cancelAt time.Duration // 0: never
}

func (s scenario) String() string {
	var as []string
	for i, o := range s.attempts {
		as = append(as, o.text(i))
	}
	c := "ctx := context.Background()"
	if s.cancelAt > 0 {
		c = fmt.Sprintf("ctx cancelled at %v", s.cancelAt)
	}
	return fmt.Sprintf("p := Policy{MaxAttempts: %d, BaseDelay: %v, MaxDelay: %v, Multiplier: %v}; %s; attempt i returns %s (then E9)",
		s.p.MaxAttempts, s.p.BaseDelay, s.p.MaxDelay, s.p.Multiplier, c, strings.Join(as, ", "))
}

// play runs s on one side in a fresh bubble and returns what it showed:
// the instant of every attempt, the result, and when Do returned. A
// result error is named by the attempt errors it matches, and by
// context.Canceled, whose last error is not compared (RT-8).
func play(t *testing.T, f impl, s scenario) string {
	var out string
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if s.cancelAt > 0 {
			time.AfterFunc(s.cancelAt, cancel)
		}
		start := time.Now()
		var at []time.Duration
		v, err := f.Do(ctx, s.p, func() (int, error) {
			i := len(at)
			at = append(at, time.Since(start))
			if i >= len(s.attempts) {
				return 0, baseErrs[9]
			}
			o := s.attempts[i]
			switch o.kind {
			case 0:
				return o.v, nil
			case 1:
				return 0, baseErrs[i]
			case 2:
				return 0, f.Permanent(baseErrs[i])
			}
			return 0, f.RetryAfter(baseErrs[i], o.secs)
		})
		res := fmt.Sprintf("(%d, nil)", v)
		switch {
		case err == nil:
		case errors.Is(err, context.Canceled):
			res = "an error matching context.Canceled"
		default:
			var m []string
			for i, e := range baseErrs {
				if errors.Is(err, e) {
					m = append(m, fmt.Sprintf("E%d", i))
				}
			}
			res = fmt.Sprintf("an error matching %v", m)
		}
		out = fmt.Sprintf("attempts at %v, %s, returned at %v", at, res, time.Since(start))
	})
	return out
}

func genScenario(rng *rand.Rand) scenario {
	base := []time.Duration{time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond}[rng.IntN(4)]
	s := scenario{p: policy{
		MaxAttempts: 1 + rng.IntN(8),
		BaseDelay:   base,
		MaxDelay:    base * time.Duration([]int{1, 2, 4, 8, 16}[rng.IntN(5)]),
		Multiplier:  []float64{1, 2, 3}[rng.IntN(3)],
	}}
	for range 1 + rng.IntN(9) {
		o := outcome{kind: 1, v: 1 + rng.IntN(99)}
		switch r := rng.IntN(10); {
		case r == 0:
			o.kind = 0
		case r == 1:
			o.kind = 2
		case r <= 3:
			o.kind, o.secs = 3, rng.IntN(3)
		}
		s.attempts = append(s.attempts, o)
	}
	if rng.IntN(3) == 0 { // off the millisecond grid: never at an attempt's instant
		s.cancelAt = time.Duration(rng.IntN(3000))*time.Millisecond + time.Nanosecond
	}
	return s
}

// TestDifferential plays 3000 seeded Do calls on the reference and backoff
// (RandomizationFactor 0, WithMaxTries, WithMaxElapsedTime(0)): attempts
// that succeed, fail, fail with a Permanent mark or with a RetryAfter hint
// of 0 to 2 s, and a ctx that may be cancelled during a wait; every
// attempt's instant, the result and the instant Do returns are compared.
func TestDifferential(t *testing.T) {
	const calls = 3000
	rng := rand.New(rand.NewPCG(18, 6))
	total, mismatches := 0, 0
	for range calls {
		s := genScenario(rng)
		r, l := play(t, reference.New, s), play(t, library.New, s)
		total += min(len(s.attempts), s.p.MaxAttempts)
		if r == l {
			continue
		}
		mismatches++
		fails := func(as []outcome) bool {
			c := s
			c.attempts = as
			return play(t, reference.New, c) != play(t, library.New, c)
		}
		s.attempts = shrink.Minimal(s.attempts, fails, 2*time.Second)
		t.Errorf("the reference and backoff differ; shortest scenario found: %s: reference %s; backoff %s", s, play(t, reference.New, s), play(t, library.New, s))
	}
	report.AddDiff(report.Diff{
		Name: "Do/Retry: failures, Permanent marks, RetryAfter hints, cancellation during waits (3000 calls)", Steps: total, Mismatches: mismatches,
		Avoids: "randomization (RT-4), fractional multipliers (RT-5), negative hints (RT-7), deadlines (RT-9), a ctx done before the first attempt or during one (RT-10, RT-12); failing attempts' values (RT-3), the reason in the final error (RT-2) and the last error after a cancellation (RT-8) are not compared",
	})
}
