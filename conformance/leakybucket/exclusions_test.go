package leakybucket

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/ratelimit"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/leakybucket"
)

// The documented differences between the kata and go.uber.org/ratelimit
// v0.3.1. Each reproduction makes the same calls on both and asserts the
// kata's rule (katas/leakybucket/README.md) on the reference and
// ratelimit's behaviour on ratelimit.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "LB-1", "the default slack is 0: no catch-up after idle time (rule 2); ratelimit's default is 10", testDefaultSlack)
	harness.Exclusion(t, "LB-2", "New refuses rate <= 0, Per(d <= 0) and negative options with an error (rule 1); ratelimit panics on rate 0 and takes the others", testValidation)
	harness.Exclusion(t, "LB-3", "slack × I saturates (rule 5); ratelimit's int64 product wraps, so a huge slack can bank fewer permissions than a small one", testSlackOverflow)
	harness.Exclusion(t, "LB-4", "Take returns the time.Now() reading of the call (with its monotonic clock) or the slot; ratelimit returns time.Unix(0, ns), the same instant without a monotonic reading", testReturnedTime)
}

// testDefaultSlack is Example_default without the explicit slack.
func testDefaultSlack(t *testing.T) {
	r, _ := ref.New(100)
	exampleDefault(t, func(int, config) pacer { return r }, config{}, "1 10ms\n2 10ms\n3 10ms\n4 10ms\n5 10ms\n6 10ms\n7 10ms\n8 10ms\n9 10ms\n")
	l := ratelimit.New(100)
	exampleDefault(t, func(int, config) pacer { return l }, config{}, exampleDefaultOutput)
}

func testValidation(t *testing.T) {
	for _, c := range []struct {
		call string
		new  func() (*ref.Limiter, error)
	}{
		{"New(0)", func() (*ref.Limiter, error) { return ref.New(0) }},
		{"New(10, Per(0))", func() (*ref.Limiter, error) { return ref.New(10, ref.Per(0)) }},
		{"New(10, WithSlack(-1))", func() (*ref.Limiter, error) { return ref.New(10, ref.WithSlack(-1)) }},
	} {
		if l, err := c.new(); l != nil || err == nil {
			t.Errorf("reference: %s = (%v, %v), want (nil, an error)", c.call, l, err)
		}
	}
	if err := panicOf(func() { ratelimit.New(0) }); err == nil || !strings.Contains(fmt.Sprint(err), "divide by zero") {
		t.Errorf("ratelimit: New(0) panicked with %v; documented: a divide-by-zero panic", err)
	}
	synctest.Test(t, func(t *testing.T) {
		l := ratelimit.New(10, ratelimit.Per(0)) // interval 0: every Take at once
		start := time.Now()
		for range 3 {
			l.Take()
		}
		if time.Since(start) != 0 {
			t.Errorf("ratelimit: l := New(10, Per(0)); three l.Take() took %v; documented: at once (accepted, interval 0)", time.Since(start))
		}
	})
}

func panicOf(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

// testSlackOverflow: I = 2^32 ns and slack 2^32+1, so slack × I = 2^64 +
// 2^32, which wraps to 2^32 = I in ratelimit: a slack of 1. The kata
// saturates: after 10 idle intervals all 10 missed slots go at once.
func testSlackOverflow(t *testing.T) {
	const interval = time.Duration(1) << 32
	c := config{per: interval, slack: 1<<32 + 1}
	for _, side := range []struct {
		name string
		f    newPacer
		want int // Takes granted at once after 10 idle intervals
	}{{"reference", newRef, 10}, {"ratelimit", newLib, 2}} {
		t.Run(side.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := side.f(1, c)
				l.Take()
				time.Sleep(10 * interval)
				start, n := time.Now(), 0
				for l.Take(); time.Since(start) == 0; l.Take() {
					n++
				}
				if n != side.want {
					t.Errorf("%s: l := New(1, Per(2^32 ns), WithSlack(2^32+1)); l.Take(); sleep 10 intervals; %d Takes went at once, documented %d", side.name, n, side.want)
				}
			})
		})
	}
}

// testReturnedTime runs outside a bubble: a first Take returns at once on
// both, from the real clock.
func testReturnedTime(t *testing.T) {
	r, _ := ref.New(10)
	if got := r.Take(); !strings.Contains(got.String(), "m=") {
		t.Errorf("reference: New(10).Take() = %v, want a time.Now() reading with its monotonic clock (m=...)", got)
	}
	if got := ratelimit.New(10).Take(); strings.Contains(got.String(), "m=") {
		t.Errorf("ratelimit: New(10).Take() = %v; documented: no monotonic reading", got)
	}
}
