package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/retry"
)

// The kata's benchmarks (katas/retry/README.md), reference against
// backoff v5, in ABBA rounds in one process, calling both directly.

var errBench = errors.New("unavailable")

func firstTry() ref.Policy {
	p := ref.DefaultPolicy()
	p.AttemptTimeout = 0
	return p
}

var benchCases = []abba.Case{
	{
		Name: "DoFirstTry", Desc: "the first attempt succeeds: DefaultPolicy with AttemptTimeout 0 (backoff: Retry(ctx, op, WithMaxTries(4)))",
		Ref: func() abba.Op {
			p, ctx := firstTry(), context.Background()
			op := func(context.Context) (int, error) { return 1, nil }
			return func(n int) {
				for range n {
					ref.Do(ctx, p, op)
				}
			}
		},
		Lib: func() abba.Op {
			ctx := context.Background()
			op := func() (int, error) { return 1, nil }
			return func(n int) {
				for range n {
					backoff.Retry(ctx, op, backoff.WithMaxTries(4))
				}
			}
		},
	},
	{
		Name: "DoRetryAfterZero", Desc: "one retry without a wait: the first attempt fails with a prebuilt RetryAfter(err, 0), the second succeeds",
		Ref: func() abba.Op {
			p, ctx := firstTry(), context.Background()
			hint := ref.RetryAfter(errBench, 0)
			return func(n int) {
				for range n {
					i := 0
					ref.Do(ctx, p, func(context.Context) (int, error) {
						if i++; i == 1 {
							return 0, hint
						}
						return 1, nil
					})
				}
			}
		},
		Lib: func() abba.Op {
			ctx := context.Background()
			hint := backoff.RetryAfter(0)
			return func(n int) {
				for range n {
					i := 0
					backoff.Retry(ctx, func() (int, error) {
						if i++; i == 1 {
							return 0, hint
						}
						return 1, nil
					}, backoff.WithMaxTries(4))
				}
			}
		},
	},
	{
		Name: "Backoff", Desc: "the waits n = 0…7 in turn: DefaultPolicy's Backoff(n, 0.5) (backoff: NextBackOff of one ExponentialBackOff{100ms, 0, 2, 1s}, Reset every 8)",
		Ref: func() abba.Op {
			p := ref.DefaultPolicy()
			var sink time.Duration
			return func(n int) {
				for i := range n {
					sink += p.Backoff(i&7, 0.5)
				}
				_ = sink
			}
		},
		Lib: func() abba.Op {
			b := &backoff.ExponentialBackOff{InitialInterval: 100 * time.Millisecond, Multiplier: 2, MaxInterval: time.Second}
			var sink time.Duration
			return func(n int) {
				for i := range n {
					if i&7 == 0 {
						b.Reset()
					}
					sink += b.NextBackOff()
				}
				_ = sink
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
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), backoff %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
