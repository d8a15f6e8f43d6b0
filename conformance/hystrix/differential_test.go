package hystrix

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

// The differential run covers the part where the kata and hystrix-go agree
// deterministically: one caller (hystrix-go's bulkhead returns tickets at
// the timeout, HX-9, and its late successes close the circuit, HX-7),
// no caller's ctx (HX-10, HX-11), a bulkhead that never fills (HX-6),
// thresholds of 50 and 100 % over fewer than 100 outcomes, where rounding
// the percentage changes nothing (HX-3), and each run within the first
// 10 s of its bubble, where hystrix-go's Unix-second window and the
// kata's window aligned to New hold the same events (HX-4). The circuit
// is compared after every step through Open(), which makes hystrix-go
// decide at the instant of the outcome as the kata does (HX-5). A probe
// that fails, fails at its admission instant (HX-8: the generator makes
// the run of any call on an open circuit return at once), and a run ends
// at its first successful probe, whose window is not compared (HX-16).

type opKind int

const (
	opSleep opKind = iota
	opSucceed
	opFail
	opSlowSucceed // returns after d < Timeout
	opSlowFail
	opTimeout // returns after d > Timeout
)

type fbKind int

const (
	fbNil   fbKind = iota
	fbValue        // returns (7, nil)
	fbError        // returns (0, errFallback)
)

var errFallback = errors.New("fallback failed")

type op struct {
	kind opKind
	d    time.Duration
	fb   fbKind
	v    int
}

func (o op) String() string {
	fb := [...]string{"nil", "fallback7", "fallbackErr"}[o.fb]
	switch o.kind {
	case opSleep:
		return fmt.Sprintf("time.Sleep(%v)", o.d)
	case opSucceed:
		return fmt.Sprintf("c.Execute(ctx, returns (%d, nil), %s)", o.v, fb)
	case opFail:
		return fmt.Sprintf("c.Execute(ctx, returns errRun, %s)", fb)
	case opSlowSucceed:
		return fmt.Sprintf("c.Execute(ctx, returns (%d, nil) after %v, %s)", o.v, o.d, fb)
	case opSlowFail:
		return fmt.Sprintf("c.Execute(ctx, returns errRun after %v, %s)", o.d, fb)
	case opTimeout:
		return fmt.Sprintf("c.Execute(ctx, returns after %v, %s)", o.d, fb)
	}
	return "?"
}

// atOnce is o with its run returning at once: for a call on an open circuit.
func (o op) atOnce() op {
	switch o.kind {
	case opSlowFail, opTimeout:
		o.kind, o.d = opFail, 0
	}
	return o
}

// step is what one step showed.
type step struct {
	text  string // the call's result, its run and fallback calls, how long it took
	state string // Open() and the window after it
}

// run replays ops in a fresh bubble. The reference decides which calls
// meet an open circuit (open is nil: it is filled) and hystrix-go replays
// with the same decisions.
func run(t *testing.T, f impl, cfg config, ops []op, open []bool) (out []step, openOut []bool) {
	fill := open == nil
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, cfg)
		for i, o := range ops {
			if fill {
				open = append(open, c.Open())
			}
			if o.kind != opSleep && open[i] {
				o = o.atOnce()
			}
			var s step
			if o.kind == opSleep {
				time.Sleep(o.d)
				s.text = "slept"
			} else {
				s.text = execute(c, o)
			}
			synctest.Wait() // hystrix-go counts on its metric goroutine
			isOpen := c.Open()
			m := c.Metrics()
			s.state = fmt.Sprintf("open %t, Successes %d, Failures %d, Timeouts %d, ShortCircuits %d, Rejections %d", isOpen, m.Successes, m.Failures, m.Timeouts, m.ShortCircuits, m.Rejections)
			if o.kind != opSleep && open[i] && !isOpen { // a probe succeeded: the run ends (HX-16)
				s.state = "open false (the window is not compared: HX-16)"
				out = append(out, s)
				break
			}
			out = append(out, s)
		}
	})
	return out, open
}

func execute(c command, o op) string {
	var ran atomic.Bool // a timed-out run still runs when Execute returns
	run := func(ctx context.Context) (int, error) {
		ran.Store(true)
		time.Sleep(o.d)
		switch o.kind {
		case opFail, opSlowFail:
			return 0, errRun
		}
		return o.v, nil
	}
	var fallback fallbackFunc
	called := "no fallback"
	if o.fb != fbNil {
		fallback = func(ctx context.Context, cause error) (int, error) {
			called = "fallback(" + errKind(cause) + ")"
			if o.fb == fbValue {
				return 7, nil
			}
			return 0, errFallback
		}
	}
	start := time.Now()
	v, err := c.Execute(context.Background(), run, fallback)
	took := time.Since(start)
	return fmt.Sprintf("(%d, %s), run called %t, %s, after %v", v, resultKind(err), ran.Load(), called, took)
}

// resultKind names a result error the same way on both sides: a failing
// fallback's error is named by what it carries (HX-12: the reference wraps
// both errors, hystrix-go writes both texts).
func resultKind(err error) string {
	if err == nil {
		return "nil"
	}
	if errors.Is(err, errFallback) {
		return "the fallback's error"
	}
	if strings.HasPrefix(err.Error(), "fallback failed with 'fallback failed'. run error was ") {
		return "the fallback's error"
	}
	return errKind(err)
}

func firstMismatch(a, b []step) int {
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

func describe(cfg config, ops []op, refOut, libOut []step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "c, _ := hystrix.New[int](Config{Timeout: %v, MaxConcurrentRequests: %d, RequestVolumeThreshold: %d, SleepWindow: %v, ErrorPercentThreshold: %d})",
		cfg.Timeout, cfg.MaxConcurrentRequests, cfg.RequestVolumeThreshold, cfg.SleepWindow, cfg.ErrorPercentThreshold)
	i := firstMismatch(refOut, libOut)
	for j := 0; j <= i && j < len(ops); j++ {
		r := step{text: "(none)"}
		if j < len(refOut) {
			r = refOut[j]
		}
		fmt.Fprintf(&b, "; %s → %s; %s", ops[j], r.text, r.state)
		if j == i {
			l := step{text: "(none)"}
			if j < len(libOut) {
				l = libOut[j]
			}
			fmt.Fprintf(&b, " (hystrix-go: %s; %s)", l.text, l.state)
		}
	}
	return b.String()
}

// genOps draws steps whose virtual time stays under 9 s (each call takes
// at most twice the Timeout) and at most 99 calls.
func genOps(rng *rand.Rand, cfg config, n int) []op {
	sleeps := []time.Duration{1, time.Millisecond, 50 * time.Millisecond, cfg.SleepWindow - 1, cfg.SleepWindow, cfg.SleepWindow + 1, cfg.Timeout}
	var ops []op
	var elapsed time.Duration
	calls := 0
	for len(ops) < n && calls < 99 {
		o := op{kind: opKind(rng.IntN(6)), fb: fbKind(rng.IntN(3)), v: 1 + rng.IntN(9)}
		switch o.kind {
		case opSleep:
			o.d = sleeps[rng.IntN(len(sleeps))]
		case opSlowSucceed, opSlowFail:
			o.d = []time.Duration{1, cfg.Timeout / 2, cfg.Timeout - 1}[rng.IntN(3)]
		case opTimeout:
			o.d = []time.Duration{cfg.Timeout + 1, 2 * cfg.Timeout}[rng.IntN(2)]
		}
		if o.kind == opSucceed || o.kind == opFail || rng.IntN(3) == 0 { // instant calls are the most common
		} else if o.kind != opSleep {
			o.kind, o.d = opKind(1+rng.IntN(2)), 0
		}
		cost := o.d
		if o.kind != opSleep {
			cost, calls = min(o.d, cfg.Timeout), calls+1
		}
		if elapsed+cost > 9*time.Second {
			break
		}
		elapsed += cost
		ops = append(ops, o)
	}
	return ops
}

// TestDifferential runs 500 seeded runs of up to 150 steps: Execute
// (succeeding, failing, slow, timing out; no fallback, a value fallback,
// a failing fallback) and sleeps across Timeout and SleepWindow ± 1 ns, on
// the reference and hystrix-go, comparing every result, the run and
// fallback calls with the cause, how long each call took, and after every
// step Open() and the window's counts.
func TestDifferential(t *testing.T) {
	const seeds, steps = 500, 150
	total, mismatches := 0, 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 18))
		cfg := config{
			Timeout:                []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}[rng.IntN(2)],
			MaxConcurrentRequests:  100,
			RequestVolumeThreshold: []int{1, 2, 3, 5}[rng.IntN(4)],
			SleepWindow:            []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}[rng.IntN(3)],
			ErrorPercentThreshold:  []int{50, 100}[rng.IntN(2)],
		}
		ops := genOps(rng, cfg, steps)
		refOut, open := run(t, reference.New, cfg, ops, nil)
		libOut, _ := run(t, library.New, cfg, ops, open)
		total += len(refOut)
		i := firstMismatch(refOut, libOut)
		if i < 0 {
			continue
		}
		mismatches++
		fails := func(ops []op) bool {
			r, open := run(t, reference.New, cfg, ops, nil)
			l, _ := run(t, library.New, cfg, ops, open)
			return firstMismatch(r, l) >= 0
		}
		short := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
		r, open := run(t, reference.New, cfg, short, nil)
		l, _ := run(t, library.New, cfg, short, open)
		t.Errorf("seed %d: the reference and hystrix-go differ at step %d; shortest sequence found: %s", seed, i+1, describe(cfg, short, r, l))
	}
	report.AddDiff(report.Diff{
		Name:       "Execute (succeeding, failing, slow, timing out; nil, value and failing fallbacks)/sleep across Timeout and SleepWindow ± 1 ns",
		Steps:      total,
		Mismatches: mismatches,
		Avoids:     "concurrent callers (HX-7, HX-9), a caller's ctx (HX-10, HX-11), a full bulkhead (HX-6), rounding-sensitive percentages (HX-3), events older than 9 s (HX-4), slow failing probes (HX-8), the window after a successful probe (HX-16); the circuit read through Open() after every step (HX-5)",
	})
}
