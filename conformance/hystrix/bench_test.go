package hystrix

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/afex/hystrix-go/hystrix"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/hystrix"
)

// The kata's benchmarks (katas/hystrix/README.md), reference against
// hystrix-go's DoC, in ABBA rounds in one process, calling both directly
// and in real time. MaxConcurrentRequests is 2^20 on both sides: hystrix-go
// hands its ticket back on its own goroutine after DoC has returned, so
// with the default 100 a tight loop of calls runs out of tickets and
// measures some rejections (the kata README's anchor saw about 8 %).

var errBench = errors.New("failed")

func benchRun(ctx context.Context) (int, error) { return 1, nil }

func benchRunLib(ctx context.Context) error { return nil }

var benchSeq int

// libCircuit configures a fresh hystrix-go circuit and returns its name.
func libCircuit(c hystrix.CommandConfig) string {
	benchSeq++
	name := fmt.Sprintf("conformance-bench-%d", benchSeq)
	hystrix.ConfigureCommand(name, c)
	hystrix.GetCircuit(name)
	return name
}

func refLoop(c *ref.Command[int]) abba.Op {
	ctx := context.Background()
	return func(n int) {
		for range n {
			c.Execute(ctx, benchRun, nil)
		}
	}
}

func libLoop(name string) abba.Op {
	ctx := context.Background()
	return func(n int) {
		for range n {
			hystrix.DoC(ctx, name, benchRunLib, nil)
		}
	}
}

func wide() ref.Config {
	c := ref.DefaultConfig()
	c.MaxConcurrentRequests = 1 << 20
	return c
}

var wideLib = hystrix.CommandConfig{Timeout: 1000, MaxConcurrentRequests: 1 << 20, RequestVolumeThreshold: 10, SleepWindow: 5000, ErrorPercentThreshold: 50}

var benchCases = []abba.Case{
	{
		Name: "ExecuteSuccess", Desc: "DefaultConfig with MaxConcurrentRequests 2^20 on both sides, run returns (1, nil), nil fallback (hystrix-go: DoC)",
		Ref: func() abba.Op { c, _ := ref.New[int](wide()); return refLoop(c) },
		Lib: func() abba.Op { return libLoop(libCircuit(wideLib)) },
	},
	{
		Name: "ExecuteOpenReject", Desc: "tripped by 10 failures, SleepWindow 1 h",
		Ref: func() abba.Op {
			cfg := ref.DefaultConfig()
			cfg.SleepWindow = time.Hour
			c, _ := ref.New[int](cfg)
			for range 10 {
				c.Execute(context.Background(), func(context.Context) (int, error) { return 0, errBench }, nil)
			}
			return refLoop(c)
		},
		Lib: func() abba.Op {
			name := libCircuit(hystrix.CommandConfig{Timeout: 1000, MaxConcurrentRequests: 100, RequestVolumeThreshold: 10, SleepWindow: 3600_000, ErrorPercentThreshold: 50})
			for range 10 {
				hystrix.DoC(context.Background(), name, func(context.Context) error { return errBench }, nil)
			}
			cb, _, _ := hystrix.GetCircuit(name)
			for deadline := time.Now().Add(5 * time.Second); !cb.IsOpen() && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond) // its metric goroutine counts the failures
			}
			return libLoop(name)
		},
	},
	{
		Name: "ExecuteParallel", Desc: "as ExecuteSuccess, on every P", Parallel: true,
		Ref: func() abba.Op { c, _ := ref.New[int](wide()); return refLoop(c) },
		Lib: func() abba.Op { return libLoop(libCircuit(wideLib)) },
	},
}

// BenchmarkABBA runs every case in ABBA rounds and reports the ratios. It
// ignores b.N: each case calibrates its own batches (see package abba).
func BenchmarkABBA(b *testing.B) {
	s := abba.FromEnv()
	for _, c := range benchCases {
		r := abba.Run(c, s)
		report.AddBench(r)
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), hystrix-go %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
