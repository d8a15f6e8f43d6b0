package tokenbucket

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/tokenbucket"
)

// libVersion is the x/time version go.mod requires. v0.16.0 has the same
// rate package but needs go 1.26; this module stays on go 1.25.
const libVersion = "golang.org/x/time/rate v0.15.0"

func TestMain(m *testing.M) { report.Main(m, "tokenbucket", "solutions/tokenbucket", libVersion) }

// limiter is the part of the kata's API that x/time/rate has too, with
// limits as float64 (both Inf constants are math.MaxFloat64).
type limiter interface {
	Allow() bool
	AllowN(t time.Time, n int) bool
	Wait(ctx context.Context) error
	WaitN(ctx context.Context, n int) error
	Tokens() float64
	TokensAt(t time.Time) float64
	Limit() float64
	Burst() int
	SetLimit(r float64) error
	SetLimitAt(t time.Time, r float64) error
	SetBurstAt(t time.Time, b int) error
}

// impl is one side: a constructor and Every.
type impl struct {
	New   func(r float64, b int) (limiter, error)
	Every func(d time.Duration) float64
}

var (
	reference = harness.Impl[impl]{Name: "reference", New: impl{New: newRef, Every: func(d time.Duration) float64 { return float64(ref.Every(d)) }}}
	library   = harness.Impl[impl]{Name: "x/time/rate", New: impl{New: newLib, Every: func(d time.Duration) float64 { return float64(rate.Every(d)) }}}
)

// inf is both packages' Inf.
const inf = float64(ref.Inf)

func newRef(r float64, b int) (limiter, error) {
	l, err := ref.New(ref.Limit(r), b)
	if err != nil {
		return nil, err
	}
	return refLimiter{l}, nil
}

type refLimiter struct{ *ref.Limiter }

func (l refLimiter) Limit() float64           { return float64(l.Limiter.Limit()) }
func (l refLimiter) SetLimit(r float64) error { return l.Limiter.SetLimit(ref.Limit(r)) }
func (l refLimiter) SetLimitAt(t time.Time, r float64) error {
	return l.Limiter.SetLimitAt(t, ref.Limit(r))
}

func newLib(r float64, b int) (limiter, error) {
	return libLimiter{rate.NewLimiter(rate.Limit(r), b)}, nil
}

// libLimiter gives x/time/rate's setters the kata's error results; they
// never fail (rate validates nothing: exclusion TB-7).
type libLimiter struct{ *rate.Limiter }

func (l libLimiter) Limit() float64           { return float64(l.Limiter.Limit()) }
func (l libLimiter) SetLimit(r float64) error { l.Limiter.SetLimit(rate.Limit(r)); return nil }
func (l libLimiter) SetLimitAt(t time.Time, r float64) error {
	l.Limiter.SetLimitAt(t, rate.Limit(r))
	return nil
}
func (l libLimiter) SetBurstAt(t time.Time, b int) error { l.Limiter.SetBurstAt(t, b); return nil }

// errKind names a WaitN error the same way for both sides: the kata's
// errors are sentinels, x/time/rate's are fmt.Errorf texts (exclusion TB-8).
func errKind(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ref.ErrExceedsBurst), strings.Contains(err.Error(), "exceeds limiter's burst"):
		return "exceeds burst"
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "would exceed context deadline"):
		return "deadline exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error " + err.Error()
}
