package lru

import (
	"math/rand/v2"
	"testing"

	golru "github.com/hashicorp/golang-lru/v2"

	"github.com/microkata/microkata/conformance/internal/abba"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/lru"
)

// The kata's benchmarks (katas/lru/README.md), reference against
// golang-lru, in ABBA rounds in one process. Both sides are called
// directly, not through the adapter, so that no interface call is timed.

const benchSize = 8192

// order is a fixed pseudo-random permutation of 0..n-1.
func order(n int) []int {
	p := rand.New(rand.NewPCG(1, 2)).Perm(n)
	return p
}

func fullRef(n int) *ref.Cache[int, int] {
	c, _ := ref.New[int, int](n)
	for i := range n {
		c.Add(i, i)
	}
	return c
}

func fullLib(n int) *golru.Cache[int, int] {
	c, _ := golru.New[int, int](n)
	for i := range n {
		c.Add(i, i)
	}
	return c
}

var benchCases = []abba.Case{
	{
		Name: "GetHit", Desc: "capacity 8192, full, Get of present keys in a fixed random order",
		Ref: func() abba.Op {
			c, keys := fullRef(benchSize), order(benchSize)
			return func(n int) {
				for i := range n {
					c.Get(keys[i&(benchSize-1)])
				}
			}
		},
		Lib: func() abba.Op {
			c, keys := fullLib(benchSize), order(benchSize)
			return func(n int) {
				for i := range n {
					c.Get(keys[i&(benchSize-1)])
				}
			}
		},
	},
	{
		Name: "GetParallel", Desc: "as GetHit, on every P", Parallel: true,
		Ref: func() abba.Op {
			c, keys := fullRef(benchSize), order(benchSize)
			return func(n int) {
				for i := range n {
					c.Get(keys[i&(benchSize-1)])
				}
			}
		},
		Lib: func() abba.Op {
			c, keys := fullLib(benchSize), order(benchSize)
			return func(n int) {
				for i := range n {
					c.Get(keys[i&(benchSize-1)])
				}
			}
		},
	},
	{
		Name: "AddEvict", Desc: "capacity 8192, full, every Add a new key",
		Ref: func() abba.Op {
			c, next := fullRef(benchSize), benchSize
			return func(n int) {
				for range n {
					c.Add(next, next)
					next++
				}
			}
		},
		Lib: func() abba.Op {
			c, next := fullLib(benchSize), benchSize
			return func(n int) {
				for range n {
					c.Add(next, next)
					next++
				}
			}
		},
	},
	{
		Name: "MixedRand", Desc: "capacity 8192, keys from 32768, one Add and one Get per op (golang-lru's BenchmarkLRU_Rand)",
		Ref: func() abba.Op {
			c, _ := ref.New[int, int](benchSize)
			trace := trace()
			return func(n int) {
				for i := range n {
					j := 2 * i & (len(trace) - 1)
					c.Add(trace[j], trace[j])
					c.Get(trace[j+1])
				}
			}
		},
		Lib: func() abba.Op {
			c, _ := golru.New[int, int](benchSize)
			trace := trace()
			return func(n int) {
				for i := range n {
					j := 2 * i & (len(trace) - 1)
					c.Add(trace[j], trace[j])
					c.Get(trace[j+1])
				}
			}
		},
	},
}

func trace() []int {
	rng := rand.New(rand.NewPCG(3, 4))
	t := make([]int, 1<<16)
	for i := range t {
		t[i] = rng.IntN(32768)
	}
	return t
}

// BenchmarkABBA runs every case in ABBA rounds and reports the ratios. It
// ignores b.N: each case calibrates its own batches (see package abba).
func BenchmarkABBA(b *testing.B) {
	s := abba.FromEnv()
	for _, c := range benchCases {
		r := abba.Run(c, s)
		report.AddBench(r)
		b.Logf("%s: reference %.1f ns/op (%.2f allocs), golang-lru %.1f ns/op (%.2f allocs), ratio %.2f [%.2f, %.2f]",
			r.Name, r.RefNs, r.RefAllocs, r.LibNs, r.LibAllocs, r.Ratio, r.RatioLo, r.RatioHi)
	}
	b.ReportMetric(0, "ns/op")
}
