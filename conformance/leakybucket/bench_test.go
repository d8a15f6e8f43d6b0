package leakybucket

import (
	"testing"

	"go.uber.org/ratelimit"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/leakybucket"
)

// The kata's benchmarks (katas/leakybucket/README.md), reference against
// ratelimit, in ABBA rounds in one process, calling both directly. With
// 1e9 permissions per second (I = 1 ns) neither side really sleeps.
var benchCases = []abba.Case{
	{
		Name: "Take", Desc: "New(1e9, WithSlack(10)) (I = 1 ns), one goroutine",
		Ref: func() abba.Op {
			l, _ := ref.New(1_000_000_000, ref.WithSlack(10))
			return func(n int) {
				for range n {
					l.Take()
				}
			}
		},
		Lib: func() abba.Op {
			l := ratelimit.New(1_000_000_000)
			return func(n int) {
				for range n {
					l.Take()
				}
			}
		},
	},
	{
		Name: "TakeParallel", Desc: "as Take, on every P", Parallel: true,
		Ref: func() abba.Op {
			l, _ := ref.New(1_000_000_000, ref.WithSlack(10))
			return func(n int) {
				for range n {
					l.Take()
				}
			}
		},
		Lib: func() abba.Op {
			l := ratelimit.New(1_000_000_000)
			return func(n int) {
				for range n {
					l.Take()
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
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), ratelimit %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
