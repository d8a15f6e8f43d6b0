package tokenbucket

import (
	"context"
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/tokenbucket"
)

// The kata's benchmarks (katas/tokenbucket/README.md), reference against
// x/time/rate, in ABBA rounds in one process, calling both directly.
var benchCases = []abba.Case{
	{
		Name: "AllowN", Desc: "New(1, 1), one fixed t, on every P (mostly refusals; rate's BenchmarkAllowN)", Parallel: true,
		Ref: func() abba.Op {
			l, _ := ref.New(1, 1)
			now := time.Now()
			return func(n int) {
				for range n {
					l.AllowN(now, 1)
				}
			}
		},
		Lib: func() abba.Op {
			l := rate.NewLimiter(1, 1)
			now := time.Now()
			return func(n int) {
				for range n {
					l.AllowN(now, 1)
				}
			}
		},
	},
	{
		Name: "AllowNGranted", Desc: "New(1, MaxInt32), one fixed t, every call granted",
		Ref: func() abba.Op {
			l, _ := ref.New(1, math.MaxInt32)
			now := time.Now()
			return func(n int) {
				for range n {
					l.AllowN(now, 1)
				}
			}
		},
		Lib: func() abba.Op {
			l := rate.NewLimiter(1, math.MaxInt32)
			now := time.Now()
			return func(n int) {
				for range n {
					l.AllowN(now, 1)
				}
			}
		},
	},
	{
		Name: "Allow", Desc: "New(1e9, 1<<30), real clock",
		Ref: func() abba.Op {
			l, _ := ref.New(1e9, 1<<30)
			return func(n int) {
				for range n {
					l.Allow()
				}
			}
		},
		Lib: func() abba.Op {
			l := rate.NewLimiter(1e9, 1<<30)
			return func(n int) {
				for range n {
					l.Allow()
				}
			}
		},
	},
	{
		Name: "WaitNoDelay", Desc: "New(1e9, 1<<30), Wait(context.Background()) (rate's BenchmarkWaitNNoDelay)",
		Ref: func() abba.Op {
			l, _ := ref.New(1e9, 1<<30)
			ctx := context.Background()
			return func(n int) {
				for range n {
					l.Wait(ctx)
				}
			}
		},
		Lib: func() abba.Op {
			l := rate.NewLimiter(1e9, 1<<30)
			ctx := context.Background()
			return func(n int) {
				for range n {
					l.Wait(ctx)
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
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), x/time/rate %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
