package breaker

import (
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/breaker"
)

// The kata's benchmarks (katas/breaker/README.md), reference against
// gobreaker, in ABBA rounds in one process, calling both directly.
func ok() (int, error) { return 1, nil }

func tripRef() *ref.Breaker[int] {
	b := ref.New[int](ref.Settings{Timeout: time.Hour, ReadyToTrip: func(ref.Counts) bool { return true }})
	b.Execute(func() (int, error) { return 0, errReq })
	return b
}

func tripLib() *gobreaker.CircuitBreaker[int] {
	b := gobreaker.NewCircuitBreaker[int](gobreaker.Settings{Timeout: time.Hour, ReadyToTrip: func(gobreaker.Counts) bool { return true }})
	b.Execute(func() (int, error) { return 0, errReq })
	return b
}

func execLoop[B interface {
	Execute(func() (int, error)) (int, error)
}](b B) abba.Op {
	return func(n int) {
		for range n {
			b.Execute(ok)
		}
	}
}

var benchCases = []abba.Case{
	{
		Name: "ExecuteClosedSuccess", Desc: "default settings, req returns (1, nil)",
		Ref: func() abba.Op { return execLoop(ref.New[int](ref.Settings{})) },
		Lib: func() abba.Op { return execLoop(gobreaker.NewCircuitBreaker[int](gobreaker.Settings{})) },
	},
	{
		Name: "ExecuteOpenReject", Desc: "tripped breaker, Timeout 1 h",
		Ref: func() abba.Op { return execLoop(tripRef()) },
		Lib: func() abba.Op { return execLoop(tripLib()) },
	},
	{
		Name: "ExecuteParallel", Desc: "as ExecuteClosedSuccess, on every P", Parallel: true,
		Ref: func() abba.Op { return execLoop(ref.New[int](ref.Settings{})) },
		Lib: func() abba.Op { return execLoop(gobreaker.NewCircuitBreaker[int](gobreaker.Settings{})) },
	},
	{
		Name: "AllowDone", Desc: "Allow then done(success) (gobreaker: TwoStepCircuitBreaker, done(nil))",
		Ref: func() abba.Op {
			b := ref.New[int](ref.Settings{})
			return func(n int) {
				for range n {
					done, _ := b.Allow()
					done(true)
				}
			}
		},
		Lib: func() abba.Op {
			b := gobreaker.NewTwoStepCircuitBreaker[int](gobreaker.Settings{})
			return func(n int) {
				for range n {
					done, _ := b.Allow()
					done(nil)
				}
			}
		},
	},
}

// BenchmarkABBA runs every case in ABBA rounds and reports the ratios. It
// ignores b.N: each case calibrates its own batches (see package abba).
func BenchmarkABBA(b *testing.B) {
	s := abba.FromEnv()
	for _, c := range benchCases {
		r := abba.Run(c, s)
		report.AddBench(r)
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), gobreaker %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
