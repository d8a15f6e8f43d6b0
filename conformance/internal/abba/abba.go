// Package abba runs a side-by-side benchmark of the reference (A) and the
// library (B) in one process, in interleaved rounds A B B A, so that a
// machine that gets busier or quieter during the run (other processes, CPU
// frequency, the GC) affects both sides alike. Each round gives one ratio,
// reference ns/op over library ns/op; the result is the median ratio and its
// spread (the smallest and largest round).
//
// A side is a function that performs n operations on a shared instance
// built once by its setup, so the per-op cost contains no closure call.
package abba

import (
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
)

// Op performs n operations.
type Op func(n int)

// Case is one benchmark: the same work on both sides.
type Case struct {
	Name     string
	Desc     string    // the set-up, in words, for the table
	Parallel bool      // run each batch on GOMAXPROCS goroutines sharing the instance
	Ref, Lib func() Op // build the instance (untimed) and return its loop
}

// Settings says how long to measure. Full is what `make conformance` uses
// (CONFORMANCE_BENCH=1); Quick is for `go test -bench` by hand.
type Settings struct {
	Rounds int
	Batch  time.Duration // the target duration of one batch
}

var (
	Full  = Settings{Rounds: 10, Batch: 100 * time.Millisecond}
	Quick = Settings{Rounds: 2, Batch: 20 * time.Millisecond}
)

// FromEnv returns Full when report.EnvBench is "1", otherwise Quick.
func FromEnv() Settings {
	if os.Getenv(report.EnvBench) == "1" {
		return Full
	}
	return Quick
}

// Run measures c and returns its result.
func Run(c Case, s Settings) report.BenchResult {
	ref, lib := c.Ref(), c.Lib()
	n := calibrate(ref, lib, c.Parallel, s.Batch)
	var refNs, libNs, ratios, refAllocs, libAllocs []float64
	for range s.Rounds {
		a1, aa1 := batch(ref, n, c.Parallel)
		b1, ba1 := batch(lib, n, c.Parallel)
		b2, ba2 := batch(lib, n, c.Parallel)
		a2, aa2 := batch(ref, n, c.Parallel)
		a, b := (a1+a2)/2, (b1+b2)/2
		refNs, libNs = append(refNs, a), append(libNs, b)
		ratios = append(ratios, a/b)
		refAllocs = append(refAllocs, (aa1+aa2)/2)
		libAllocs = append(libAllocs, (ba1+ba2)/2)
	}
	sort.Float64s(ratios)
	return report.BenchResult{
		Name:        c.Name,
		Description: c.Desc,
		Rounds:      s.Rounds,
		Ops:         n,
		RefNs:       median(refNs),
		LibNs:       median(libNs),
		Ratio:       median(ratios),
		RatioLo:     ratios[0],
		RatioHi:     ratios[len(ratios)-1],
		RefAllocs:   median(refAllocs),
		LibAllocs:   median(libAllocs),
	}
}

// calibrate returns the number of operations that makes a batch of the
// slower side last about d.
func calibrate(ref, lib Op, parallel bool, d time.Duration) int {
	n := 1
	for {
		ta, _ := batch(ref, n, parallel)
		tb, _ := batch(lib, n, parallel)
		per := max(ta, tb) // ns per op
		if spent := per * float64(n); spent >= float64(d)/10 || n >= 1<<30 {
			return max(1, int(float64(d)/per))
		}
		n *= 10
	}
}

// batch runs n operations and returns ns/op and allocs/op.
func batch(op Op, n int, parallel bool) (nsPerOp, allocsPerOp float64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if !parallel {
		op(n)
	} else {
		p := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		for i := range p {
			share := n / p
			if i < n%p {
				share++
			}
			wg.Add(1)
			go func() { defer wg.Done(); op(share) }()
		}
		wg.Wait()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return float64(elapsed.Nanoseconds()) / float64(n), float64(after.Mallocs-before.Mallocs) / float64(n)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
