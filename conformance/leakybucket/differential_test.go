package leakybucket

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

// op is one step of the differential run: at offset at from the start of
// the bubble (or later, if a Take returned later), k concurrent Takes (k = 1:
// one Take on the test's goroutine).
type op struct {
	at time.Duration
	k  int
}

// run replays ops in a fresh bubble and returns, per step, the Takes'
// results as offsets from the start, sorted (concurrent Takes may get their
// slots in any order; the set of slots is what both sides must agree on),
// and when the step ended.
func run(t *testing.T, f newPacer, rate int, c config, ops []op) []string {
	var out []string
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		l := f(rate, c)
		for _, o := range ops {
			if dt := time.Until(start.Add(o.at)); dt > 0 {
				time.Sleep(dt)
			}
			called := time.Since(start)
			got := make([]time.Duration, o.k)
			var wg sync.WaitGroup
			for i := range o.k {
				wg.Add(1)
				go func() { defer wg.Done(); got[i] = l.Take().Sub(start) }()
			}
			wg.Wait()
			slices.Sort(got)
			out = append(out, fmt.Sprintf("called at +%v: %v, last returned at +%v", called, got, time.Since(start)))
		}
	})
	return out
}

func firstMismatch(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func describe(rate int, c config, ops []op, refOut, libOut []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l, _ := leakybucket.New(%d, Per(%v), WithSlack(%d))", rate, c.per, c.slack)
	i := firstMismatch(refOut, libOut)
	for j := 0; j <= i && j < len(ops); j++ {
		call := "l.Take()"
		if ops[j].k > 1 {
			call = fmt.Sprintf("%d concurrent l.Take()", ops[j].k)
		}
		fmt.Fprintf(&b, "; at +%v: %s → %s", ops[j].at, call, refOut[j])
		if j == i {
			fmt.Fprintf(&b, " (ratelimit: %s)", libOut[j])
		}
	}
	return b.String()
}

// TestDifferential runs 5 seeded runs of 2 000 random steps (Takes at
// random times on a grid of I/4, sometimes several at the same instant) on
// the reference and ratelimit and compares every permission time and when
// each step ended. The slack is always explicit (LB-1); configurations are
// valid (LB-2) and slack × I fits in an int64 (LB-3); times are compared as
// offsets, not as time.Time values (LB-4).
func TestDifferential(t *testing.T) {
	const seeds, steps = 5, 2_000
	total, mismatches := 0, 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 18))
		rate := 1 + rng.IntN(10)
		c := config{per: []time.Duration{time.Second, 100 * time.Millisecond, time.Minute}[rng.IntN(3)], slack: rng.IntN(5)}
		interval := c.per / time.Duration(rate)
		ops := make([]op, steps)
		var at time.Duration
		for i := range ops {
			switch x := rng.IntN(20); {
			case x < 7: // a short pause
				at += time.Duration(rng.IntN(12)) * interval / 4
			case x < 10: // idle long enough to bank slack
				at += time.Duration(rng.IntN(40)) * interval / 4
			}
			k := 1
			if rng.IntN(8) == 0 {
				k = 2 + rng.IntN(4)
			}
			ops[i] = op{at: at, k: k}
		}
		refOut, libOut := run(t, newRef, rate, c, ops), run(t, newLib, rate, c, ops)
		total += len(ops)
		i := firstMismatch(refOut, libOut)
		if i < 0 {
			continue
		}
		mismatches++
		fails := func(ops []op) bool {
			return firstMismatch(run(t, newRef, rate, c, ops), run(t, newLib, rate, c, ops)) >= 0
		}
		short := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
		t.Errorf("seed %d: the reference and ratelimit differ at step %d; shortest sequence found: %s",
			seed, i+1, describe(rate, c, short, run(t, newRef, rate, c, short), run(t, newLib, rate, c, short)))
	}
	report.AddDiff(report.Diff{
		Name:       "Take (single and concurrent) at random times",
		Steps:      total,
		Mismatches: mismatches,
		Avoids:     "the default slack (LB-1), invalid configurations (LB-2), slack × I beyond int64 (LB-3); times compared as offsets (LB-4)",
	})
}
