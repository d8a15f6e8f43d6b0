package tokenbucket

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

type opKind int

const (
	opAllowN opKind = iota
	opTokensAt
	opSetLimitAt
	opSetBurstAt
	opWaitN        // the virtual-time run only
	numExplicitOps = opWaitN
)

// op is one call at offset at from t0 (explicit times) or from the start of
// the bubble (virtual time).
type op struct {
	kind     opKind
	at       time.Duration
	n        int     // AllowN, WaitN
	r        float64 // SetLimitAt
	b        int     // SetBurstAt
	deadline bool    // WaitN: ctx with a deadline 1 h away, else none
}

// outcome is one step's results and the state after it.
type outcome struct{ result, state string }

func (o op) call(explicit bool) string {
	at := fmt.Sprintf("t0+%v", o.at)
	switch o.kind {
	case opAllowN:
		if !explicit {
			return fmt.Sprintf("at +%v: l.AllowN(time.Now(), %d)", o.at, o.n)
		}
		return fmt.Sprintf("l.AllowN(%s, %d)", at, o.n)
	case opTokensAt:
		return fmt.Sprintf("l.TokensAt(%s)", at)
	case opSetLimitAt:
		if !explicit {
			return fmt.Sprintf("at +%v: l.SetLimit(%v)", o.at, o.r)
		}
		return fmt.Sprintf("l.SetLimitAt(%s, %v)", at, o.r)
	case opSetBurstAt:
		if !explicit {
			return fmt.Sprintf("at +%v: l.SetBurst(%d)", o.at, o.b)
		}
		return fmt.Sprintf("l.SetBurstAt(%s, %d)", at, o.b)
	case opWaitN:
		ctx := "context.Background()"
		if o.deadline {
			ctx = "ctx with deadline +1h"
		}
		return fmt.Sprintf("at +%v: l.WaitN(%s, %d)", o.at, ctx, o.n)
	}
	return "?"
}

// Limits that are binary fractions, so that every balance and every due
// time is exact: float64 results are compared for equality.
var (
	explicitLimits = []float64{0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64}
	// With times on a 1/64 s grid and these limits, balances are multiples
	// of 1/64 and due times whole nanoseconds (TB-10 never shows).
	waitLimits = []float64{0, 1, 2, 4, 8}
)

const grid = time.Second / 64

// genOps draws n steps. Times never go back (TB-1), n is never negative
// (TB-2), limits are finite, valid binary fractions (TB-6, TB-7), gaps are
// minutes, not centuries (TB-9). In the virtual-time run, WaitN with limit
// 0 always has a deadline (TB-5) and deadlines are an hour away, never equal
// to a due time (TB-4); no wait is cancelled (TB-3).
func genOps(rng *rand.Rand, n int, explicit bool, r0 float64) []op {
	limits, kinds := explicitLimits, int(numExplicitOps)
	if !explicit {
		limits, kinds = waitLimits, int(numExplicitOps)+1
	}
	ops := make([]op, n)
	var at time.Duration
	limit := r0
	for i := range ops {
		if rng.IntN(3) > 0 {
			at += time.Duration(rng.IntN(48)) * grid
		}
		o := op{kind: opKind(rng.IntN(kinds)), at: at, n: rng.IntN(6), r: limits[rng.IntN(len(limits))], b: rng.IntN(6)}
		switch o.kind {
		case opSetLimitAt:
			limit = o.r
		case opWaitN:
			o.deadline = limit == 0 || rng.IntN(2) == 0
		}
		ops[i] = o
	}
	return ops
}

// runExplicit replays ops with explicit times on a fresh limiter.
func runExplicit(f impl, r0 float64, b0 int, ops []op) []outcome {
	l, _ := f.New(r0, b0)
	out := make([]outcome, 0, len(ops))
	for _, o := range ops {
		t := t0.Add(o.at)
		var res string
		switch o.kind {
		case opAllowN:
			res = fmt.Sprint(l.AllowN(t, o.n))
		case opTokensAt:
			res = fmt.Sprint(l.TokensAt(t))
		case opSetLimitAt:
			res = errKind(l.SetLimitAt(t, o.r))
		case opSetBurstAt:
			res = errKind(l.SetBurstAt(t, o.b))
		}
		out = append(out, outcome{res, fmt.Sprintf("TokensAt(%s) = %v, Limit() = %v, Burst() = %d", "t0+"+o.at.String(), l.TokensAt(t), l.Limit(), l.Burst())})
	}
	return out
}

// runVirtual replays ops in a fresh synctest bubble; every call is made at
// start+at (or later, if a WaitN returned later) through the time.Now forms.
func runVirtual(t *testing.T, f impl, r0 float64, b0 int, ops []op) []outcome {
	var out []outcome
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		l, _ := f.New(r0, b0)
		for _, o := range ops {
			if dt := time.Until(start.Add(o.at)); dt > 0 {
				time.Sleep(dt)
			}
			called := time.Since(start)
			var res string
			switch o.kind {
			case opAllowN:
				res = fmt.Sprint(l.AllowN(time.Now(), o.n))
			case opTokensAt:
				res = fmt.Sprint(l.Tokens())
			case opSetLimitAt:
				res = errKind(l.SetLimit(o.r))
			case opSetBurstAt:
				res = errKind(l.SetBurstAt(time.Now(), o.b))
			case opWaitN:
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if o.deadline {
					ctx, cancel = context.WithTimeout(ctx, time.Hour)
				}
				err := l.WaitN(ctx, o.n)
				cancel()
				res = fmt.Sprintf("%s, returned at +%v", errKind(err), time.Since(start))
			}
			if called != o.at {
				res = fmt.Sprintf("(called at +%v) %s", called, res)
			}
			out = append(out, outcome{res, fmt.Sprintf("Tokens() = %v, Limit() = %v, Burst() = %d", l.Tokens(), l.Limit(), l.Burst())})
		}
	})
	return out
}

func firstMismatch(a, b []outcome) int {
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

func describe(r0 float64, b0 int, ops []op, explicit bool, refOut, libOut []outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l, _ := tokenbucket.New(%v, %d)", r0, b0)
	i := firstMismatch(refOut, libOut)
	for j := 0; j < i && j < len(ops); j++ {
		fmt.Fprintf(&b, "; %s = %s", ops[j].call(explicit), refOut[j].result)
	}
	if i >= 0 && i < len(ops) {
		r, l := refOut[i], libOut[i]
		fmt.Fprintf(&b, "; %s", ops[i].call(explicit))
		if r.result != l.result {
			fmt.Fprintf(&b, " = %s (x/time/rate: %s)", r.result, l.result)
		} else {
			fmt.Fprintf(&b, " = %s; then %s (x/time/rate: %s)", r.result, r.state, l.state)
		}
	}
	return b.String()
}

type diffRun struct {
	short    string
	name     string
	explicit bool
	seeds    int
	steps    int
	avoids   string
}

var diffRuns = []diffRun{
	{
		short: "explicit",
		name:  "AllowN/TokensAt/SetLimitAt/SetBurstAt, explicit times", explicit: true, seeds: 5, steps: 10_000,
		avoids: "earlier times (TB-1), n < 0 (TB-2), Inf (TB-6), invalid values (TB-7), gaps of centuries (TB-9)",
	},
	{
		short: "virtual",
		name:  "WaitN/AllowN/Tokens/SetLimit/SetBurst, virtual time", explicit: false, seeds: 5, steps: 2_000,
		avoids: "cancellation (TB-3), deadlines equal to due times (TB-4), limit 0 without deadline (TB-5), Inf (TB-6), invalid values (TB-7), fractional-ns due times (TB-10)",
	},
}

// TestDifferential runs seeded random steps on the reference and
// x/time/rate and compares every result and the state after every step
// (TokensAt / Tokens, Limit, Burst), floats for equality.
func TestDifferential(t *testing.T) {
	for _, dr := range diffRuns {
		t.Run(dr.short, func(t *testing.T) {
			total, mismatches := 0, 0
			for seed := range uint64(dr.seeds) {
				rng := rand.New(rand.NewPCG(seed, 18))
				limits := explicitLimits
				if !dr.explicit {
					limits = waitLimits
				}
				r0, b0 := limits[1+rng.IntN(len(limits)-1)], rng.IntN(6)
				ops := genOps(rng, dr.steps, dr.explicit, r0)
				runBoth := func(ops []op) ([]outcome, []outcome) {
					if dr.explicit {
						return runExplicit(reference.New, r0, b0, ops), runExplicit(library.New, r0, b0, ops)
					}
					return runVirtual(t, reference.New, r0, b0, ops), runVirtual(t, library.New, r0, b0, ops)
				}
				refOut, libOut := runBoth(ops)
				total += len(ops)
				i := firstMismatch(refOut, libOut)
				if i < 0 {
					continue
				}
				mismatches++
				fails := func(ops []op) bool { a, b := runBoth(ops); return firstMismatch(a, b) >= 0 }
				short := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
				a, b := runBoth(short)
				t.Errorf("seed %d: the reference and x/time/rate differ at step %d; shortest sequence found: %s", seed, i+1, describe(r0, b0, short, dr.explicit, a, b))
			}
			report.AddDiff(report.Diff{Name: dr.name, Steps: total, Mismatches: mismatches, Avoids: dr.avoids})
		})
	}
}
