package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/retry"
)

// libVersion is the backoff version go.mod requires. v5 is the one whose
// semantics fit the kata: Retry counts every attempt (WithMaxTries), a
// RetryAfter hint restarts the backoff, and the interval formula without
// randomization is the kata's Backoff(n, 0) (v4 has neither the hint nor
// the tries option in that form).
const libVersion = "github.com/cenkalti/backoff/v5 v5.0.3"

func TestMain(m *testing.M) { report.Main(m, "retry", "solutions/retry", libVersion) }

// policy is the part of the kata's Policy that backoff has too: attempts
// (WithMaxTries) and an ExponentialBackOff (InitialInterval, MaxInterval,
// Multiplier). Jitter is the reference's Jitter and backoff's
// RandomizationFactor: both 0 means no randomness, otherwise the formulas
// differ (RT-4) and the ports use it only where they do not look at the
// waits' values beyond backoff's own bounds. The kata's AttemptTimeout,
// LimitedRetries, Classify and Budget have no counterpart: they are 0 and
// nil here.
type policy struct {
	MaxAttempts         int
	BaseDelay, MaxDelay time.Duration
	Multiplier          float64
	Jitter              float64
}

// backoff.NewExponentialBackOff's defaults, which the library's tests use.
var libDefaults = policy{MaxAttempts: 100, BaseDelay: 500 * time.Millisecond, MaxDelay: 60 * time.Second, Multiplier: 1.5, Jitter: 0.5}

type impl struct {
	// Do is the reference's Do (op ignores its ctx) and backoff's Retry
	// with WithMaxTries and WithMaxElapsedTime(0): the kata has no
	// elapsed-time limit (RT-11).
	Do func(ctx context.Context, p policy, op func() (int, error)) (int, error)
	// Waits returns successive backoff waits: the reference's
	// Backoff(n, u) for n = 0, 1, … with u from math/rand/v2 (what Do
	// draws), and backoff's NextBackOff.
	Waits func(p policy) func() time.Duration
	// Ceiling is the n-th wait without randomness: the reference's
	// Backoff(n, 0), and backoff's (n+1)-th NextBackOff with
	// RandomizationFactor 0, which is its currentInterval after n steps.
	Ceiling func(p policy, n int) time.Duration
	// Permanent marks an error; RetryAfter asks for the next attempt in
	// whole seconds (backoff's RetryAfter takes seconds and carries no
	// error: the adapter joins it to err, where errors.As finds it).
	Permanent  func(err error) error
	RetryAfter func(err error, seconds int) error
}

var (
	reference = harness.Impl[impl]{Name: "reference", New: impl{Do: refDo, Waits: refWaits, Ceiling: refCeiling, Permanent: ref.Permanent,
		RetryAfter: func(err error, s int) error { return ref.RetryAfter(err, time.Duration(s)*time.Second) }}}
	library = harness.Impl[impl]{Name: "backoff", New: impl{Do: libDo, Waits: libWaits, Ceiling: libCeiling, Permanent: backoff.Permanent,
		RetryAfter: func(err error, s int) error { return errors.Join(err, backoff.RetryAfter(s)) }}}
)

func (p policy) kata() ref.Policy {
	return ref.Policy{MaxAttempts: p.MaxAttempts, BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay, Multiplier: p.Multiplier, Jitter: p.Jitter}
}

func (p policy) exponential() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{InitialInterval: p.BaseDelay, RandomizationFactor: p.Jitter, Multiplier: p.Multiplier, MaxInterval: p.MaxDelay}
	b.Reset()
	return b
}

func refDo(ctx context.Context, p policy, op func() (int, error)) (int, error) {
	return ref.Do(ctx, p.kata(), func(context.Context) (int, error) { return op() })
}

func libDo(ctx context.Context, p policy, op func() (int, error)) (int, error) {
	return backoff.Retry(ctx, op, backoff.WithBackOff(p.exponential()), backoff.WithMaxTries(uint(p.MaxAttempts)), backoff.WithMaxElapsedTime(0))
}

func refWaits(p policy) func() time.Duration {
	kp, n := p.kata(), 0
	return func() time.Duration {
		u := 0.0
		if p.Jitter > 0 {
			u = rand.Float64()
		}
		n++
		return kp.Backoff(n-1, u)
	}
}

func libWaits(p policy) func() time.Duration { return p.exponential().NextBackOff }

func refCeiling(p policy, n int) time.Duration { return p.kata().Backoff(n, 0) }

func libCeiling(p policy, n int) time.Duration {
	p.Jitter = 0
	b := p.exponential()
	for range n {
		b.NextBackOff()
	}
	return b.NextBackOff()
}
