package breaker

import (
	"errors"
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
	opSleep opKind = iota
	opSucceed
	opFail
	opPanic // Execute mode only
	opAllow // two-step mode only: Allow, keeping done
	opDone  // two-step mode only: the i-th pending done, called once
)

type op struct {
	kind    opKind
	d       time.Duration // opSleep
	i       int           // opDone: which pending done (modulo how many)
	success bool          // opDone
}

// config is one seed's settings.
type config struct {
	maxRequests       uint32
	interval, timeout time.Duration
	tripAfter         uint32 // 0: the default ReadyToTrip
	twoStep           bool
}

func (c config) settings(record func(from, to int)) settings {
	s := settings{Name: "b", MaxRequests: c.maxRequests, Interval: c.interval, Timeout: c.timeout, TwoStep: c.twoStep,
		OnStateChange: func(_ string, from, to int) { record(from, to) }}
	if c.tripAfter > 0 {
		s.ReadyToTrip = func(cs counts) bool { return cs.ConsecutiveFailures >= c.tripAfter }
	}
	return s
}

func (c config) String() string {
	trip := "nil"
	if c.tripAfter > 0 {
		trip = fmt.Sprintf("ConsecutiveFailures >= %d", c.tripAfter)
	}
	return fmt.Sprintf("b := breaker.New[int](Settings{MaxRequests: %d, Interval: %v, Timeout: %v, ReadyToTrip: %s})", c.maxRequests, c.interval, c.timeout, trip)
}

func (o op) String() string {
	switch o.kind {
	case opSleep:
		return fmt.Sprintf("time.Sleep(%v)", o.d)
	case opSucceed:
		return "b.Execute(succeeding)"
	case opFail:
		return "b.Execute(failing)"
	case opPanic:
		return "b.Execute(panicking)"
	case opAllow:
		return "b.Allow()"
	case opDone:
		return fmt.Sprintf("done#%d(%t)", o.i, o.success)
	}
	return "?"
}

var errReq = errors.New("request failed")

// run replays ops in a fresh bubble; each step's outcome is the call's
// result, the callbacks it caused and, after it, State() then Counts()
// (in that order: gobreaker's Counts applies nothing due, BR-1).
func run(t *testing.T, f impl, c config, ops []op) []string {
	var out []string
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var calls []string
		b := f.New(c.settings(func(from, to int) {
			calls = append(calls, fmt.Sprintf("OnStateChange(b, %s, %s) at +%v", f.String(from), f.String(to), time.Since(start)))
		}))
		var pending []func(bool)
		for _, o := range ops {
			calls = calls[:0]
			var res string
			switch o.kind {
			case opSleep:
				time.Sleep(o.d)
			case opSucceed:
				v, err := b.Execute(func() (int, error) { return 1, nil })
				res = fmt.Sprintf("(%d, %s)", v, errKind(err))
			case opFail:
				v, err := b.Execute(func() (int, error) { return 0, errReq })
				res = fmt.Sprintf("(%d, %s)", v, errKind(err))
			case opPanic:
				res = fmt.Sprintf("panic(%v)", panicOf(func() { b.Execute(func() (int, error) { panic("boom") }) }))
			case opAllow:
				done, err := b.Allow()
				res = fmt.Sprintf("(done#%d, %s)", len(pending), errKind(err))
				if err == nil {
					pending = append(pending, done)
				} else {
					res = fmt.Sprintf("(nil, %s)", errKind(err))
				}
			case opDone:
				if len(pending) == 0 {
					res = "no pending done"
					break
				}
				i := o.i % len(pending)
				pending[i](o.success)
				pending = append(pending[:i], pending[i+1:]...) // each done is called once (BR-3)
			}
			st := b.State()
			out = append(out, fmt.Sprintf("%s [%s]; State() = %s, Counts() = %v", res, strings.Join(calls, ", "), f.String(st), b.Counts()))
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

func describe(c config, ops []op, refOut, libOut []string) string {
	var b strings.Builder
	b.WriteString(c.String())
	i := firstMismatch(refOut, libOut)
	for j := 0; j <= i && j < len(ops); j++ {
		fmt.Fprintf(&b, "; %s → %s", ops[j], refOut[j])
		if j == i {
			fmt.Fprintf(&b, " (gobreaker: %s)", libOut[j])
		}
	}
	return b.String()
}

func genOps(rng *rand.Rand, c config, n int) []op {
	sleeps := []time.Duration{0, 1, c.timeout - 1, c.timeout, c.timeout + 1, c.timeout / 2, 250 * time.Millisecond}
	if c.interval > 0 {
		sleeps = append(sleeps, c.interval-1, c.interval, c.interval+1)
	}
	kinds := []opKind{opSleep, opSucceed, opFail, opFail, opPanic}
	if c.twoStep {
		kinds = []opKind{opSleep, opAllow, opAllow, opDone, opDone}
	}
	ops := make([]op, n)
	for j := range ops {
		o := op{kind: kinds[rng.IntN(len(kinds))], i: rng.IntN(4), success: rng.IntN(2) == 0}
		if o.kind == opSleep {
			o.d = sleeps[rng.IntN(len(sleeps))]
		}
		if o.kind == opPanic && rng.IntN(4) > 0 {
			o.kind = opFail
		}
		ops[j] = o
	}
	return ops
}

// TestDifferential runs 10 seeded runs of 10 000 random steps (100 000 in
// all): five with Execute (success, failure, panic) against gobreaker's
// CircuitBreaker and five with Allow and done against its
// TwoStepCircuitBreaker, with sleeps of exactly Timeout and Interval and 1 ns
// either side. Every result, every OnStateChange call with its virtual time,
// State and Counts after every step are compared.
func TestDifferential(t *testing.T) {
	const seeds, steps = 5, 10_000
	for _, twoStep := range []bool{false, true} {
		name, kind := "Execute", "Execute (success, failure, panic)/sleep across Timeout and Interval ± 1 ns"
		if twoStep {
			name, kind = "Allow", "Allow/done (outcomes late, out of order, of old generations)/sleep across Timeout and Interval ± 1 ns"
		}
		t.Run(name, func(t *testing.T) {
			total, mismatches := 0, 0
			for seed := range uint64(seeds) {
				rng := rand.New(rand.NewPCG(seed, 18))
				c := config{
					maxRequests: uint32(rng.IntN(4)),
					interval:    []time.Duration{0, 2 * time.Second, 5 * time.Second}[rng.IntN(3)],
					timeout:     []time.Duration{time.Second, 3 * time.Second, 60 * time.Second}[rng.IntN(3)],
					tripAfter:   uint32(rng.IntN(4)),
					twoStep:     twoStep,
				}
				ops := genOps(rng, c, steps)
				refOut, libOut := run(t, reference.New, c, ops), run(t, library.New, c, ops)
				total += len(ops)
				i := firstMismatch(refOut, libOut)
				if i < 0 {
					continue
				}
				mismatches++
				fails := func(ops []op) bool {
					return firstMismatch(run(t, reference.New, c, ops), run(t, library.New, c, ops)) >= 0
				}
				short := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
				t.Errorf("seed %d: the reference and gobreaker differ at step %d; shortest sequence found: %s",
					seed, i+1, describe(c, short, run(t, reference.New, c, short), run(t, library.New, c, short)))
			}
			report.AddDiff(report.Diff{
				Name: kind, Steps: total, Mismatches: mismatches,
				Avoids: "callbacks that call the breaker (BR-2), a done called twice (BR-3), a custom IsSuccessful with panics (BR-4); State() before Counts() (BR-1)",
			})
		})
	}
}
