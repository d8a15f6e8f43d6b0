//go:build microkata_hidden

package retry_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/retry"
	ref "github.com/microkata/microkata/solutions/retry"
)

// Every failure message names the call (the policy as Go, what op did),
// what came back and what was expected: a learner sees only the test's
// name, category and message. Times are virtual, counted from the start of
// the call, exact to the nanosecond.

// The errors of the seed's table, named in messages as errTimeout,
// errRefused and errInvalid; hOdd is classified as Class(99).
var (
	hTimeout = errors.New("hidden: timeout")
	hRefused = errors.New("hidden: connection refused")
	hInvalid = errors.New("hidden: invalid argument")
	hOdd     = errors.New("hidden: odd error")
)

// hClassifier is a Classify that counts its calls: errTimeout →
// ClassRetry, errRefused → ClassLimited, errInvalid → ClassFail, hOdd →
// Class(99), anything else → ClassRetry.
type hClassifier struct{ calls atomic.Int64 }

func (c *hClassifier) classify(err error) retry.Class {
	c.calls.Add(1)
	switch {
	case errors.Is(err, hRefused):
		return retry.ClassLimited
	case errors.Is(err, hInvalid):
		return retry.ClassFail
	case errors.Is(err, hOdd):
		return retry.Class(99)
	}
	return retry.ClassRetry
}

const hClassifyDoc = "classify mapping errTimeout → ClassRetry, errRefused → ClassLimited, errInvalid → ClassFail"

// hPol prints a Policy as Go, its set fields only; the functions and the
// budget by the names the messages give them.
func hPol(p retry.Policy) string {
	var f []string
	add := func(format string, a ...any) { f = append(f, fmt.Sprintf(format, a...)) }
	if p.MaxAttempts != 0 {
		add("MaxAttempts: %d", p.MaxAttempts)
	}
	if p.BaseDelay != 0 {
		add("BaseDelay: %v", p.BaseDelay)
	}
	if p.MaxDelay != 0 {
		add("MaxDelay: %v", p.MaxDelay)
	}
	if p.Multiplier != 0 {
		add("Multiplier: %v", p.Multiplier)
	}
	if p.Jitter != 0 {
		add("Jitter: %v", p.Jitter)
	}
	if p.Rand != nil {
		add("Rand: rnd")
	}
	if p.AttemptTimeout != 0 {
		add("AttemptTimeout: %v", p.AttemptTimeout)
	}
	if p.LimitedRetries != 0 {
		add("LimitedRetries: %d", p.LimitedRetries)
	}
	if p.Classify != nil {
		add("Classify: classify")
	}
	if p.Budget != nil {
		add("Budget: budget")
	}
	return "retry.Policy{" + strings.Join(f, ", ") + "}"
}

// hKnown are the errors a message names when an error matches them; the
// first four are the package's own.
var hKnown = []struct {
	name string
	err  error
}{
	{"retry.ErrInvalidPolicy", retry.ErrInvalidPolicy},
	{"retry.ErrInvalidBudget", retry.ErrInvalidBudget},
	{"retry.ErrExhausted", retry.ErrExhausted},
	{"retry.ErrThrottled", retry.ErrThrottled},
	{"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
	{"errTimeout", hTimeout},
	{"errRefused", hRefused},
	{"errInvalid", hInvalid},
}

// hDesc describes an error by its text and the known errors it matches.
func hDesc(err error) string {
	if err == nil {
		return "nil"
	}
	var m []string
	for _, k := range hKnown {
		if errors.Is(err, k.err) {
			m = append(m, k.name)
		}
	}
	if len(m) == 0 {
		return fmt.Sprintf("%q (matches none of the retry, context or test errors)", err.Error())
	}
	return fmt.Sprintf("%q (matches %s)", err.Error(), strings.Join(m, ", "))
}

// hWantStop checks that Do returned the zero value and an error matching
// reason and last, and no other retry.Err… value.
func hWantStop(t *testing.T, call string, v int, err error, reason, last error, reasonName, lastName string) bool {
	t.Helper()
	ok := v == 0 && errors.Is(err, reason) && errors.Is(err, last)
	for _, k := range hKnown[:4] {
		if k.err != reason && errors.Is(err, k.err) {
			ok = false
		}
	}
	if !ok {
		t.Errorf("%s = (%d, %s), want (0, an error matching %s and %s, and no other retry.Err… value)", call, v, hDesc(err), reasonName, lastName)
	}
	return ok
}

// hWantSame checks that Do returned the zero value and want itself.
func hWantSame(t *testing.T, call string, v int, err, want error, wantName string) bool {
	t.Helper()
	if v != 0 || err != want {
		t.Errorf("%s = (%d, %s), want (0, %s itself, unchanged: err == it)", call, v, hDesc(err), wantName)
		return false
	}
	return true
}

// hWantTimes checks the attempt times.
func hWantTimes(t *testing.T, call string, got, want []time.Duration, why string) bool {
	t.Helper()
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i] == want[i]
	}
	if !same {
		if why != "" {
			why = " (" + why + ")"
		}
		t.Errorf("%s made attempts at %v, want %v%s", call, got, want, why)
	}
	return same
}

// hWantTokens checks budget.Tokens().
func hWantTokens(t *testing.T, after string, b *retry.Budget, want float64) bool {
	t.Helper()
	if got := b.Tokens(); got != want {
		t.Errorf("%s; budget.Tokens() = %v, want %v", after, got, want)
		return false
	}
	return true
}

// hBudget returns NewBudget(max, ratio), which must succeed.
func hBudget(t *testing.T, max int, ratio float64) *retry.Budget {
	t.Helper()
	b, err := retry.NewBudget(max, ratio)
	if err != nil || b == nil {
		t.Fatalf("retry.NewBudget(%d, %v) = (nil: %v, %s), want a budget and nil", max, ratio, b == nil, hDesc(err))
	}
	return b
}

// hRec makes ops that note the virtual time of every attempt (from the
// recorder's start) and the deadline of the ctx each attempt got.
type hRec struct {
	start     time.Time
	at        []time.Duration
	deadlines []string
	ctxs      []context.Context
}

func hNewRec() *hRec { return &hRec{start: time.Now()} }

// op returns an op whose attempt i (from 0) returns (-1, fail(ctx, i))
// when that is not nil, else (42, nil). A failed attempt returns -1: Do
// must return the zero value with every error (rule 19).
func (r *hRec) opCtx(fail func(ctx context.Context, i int) error) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		i := len(r.at)
		r.at = append(r.at, time.Since(r.start))
		r.ctxs = append(r.ctxs, ctx)
		dl := "none"
		if d, ok := ctx.Deadline(); ok {
			dl = d.Sub(r.start).String()
		}
		r.deadlines = append(r.deadlines, dl)
		if err := fail(ctx, i); err != nil {
			return -1, err
		}
		return 42, nil
	}
}

func (r *hRec) op(fail func(i int) error) func(context.Context) (int, error) {
	return r.opCtx(func(_ context.Context, i int) error { return fail(i) })
}

// hAlways fails every attempt with err.
func hAlways(err error) func(int) error { return func(int) error { return err } }

// hSeq fails attempt i with errs[i], and succeeds once they run out.
func hSeq(errs ...error) func(int) error {
	return func(i int) error {
		if i < len(errs) {
			return errs[i]
		}
		return nil
	}
}

// hRand returns a Rand that yields vals in order, then the last one again
// and again, and counts its calls.
func hRand(vals ...float64) (func() float64, *atomic.Int64) {
	var n atomic.Int64
	return func() float64 {
		i := int(n.Add(1) - 1)
		return vals[min(i, len(vals)-1)]
	}, &n
}

// hPanics runs fn and returns the value it panicked with, if any. The
// stub's "not implemented" panic goes on, so an untouched stub reads "not
// started".
func hPanics(fn func()) (panicked bool, value any) {
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(string); ok && s == "not implemented" {
				panic(r)
			}
			panicked, value = true, r
		}
	}()
	fn()
	return false, nil
}

// hPanicNote says that a call panicked, if it did.
func hPanicNote(panicked string) string {
	if panicked == "" {
		return ""
	}
	return " (it panicked: " + panicked + ")"
}

// hBackoff calls p.Backoff(n, u), reporting a panic as text.
func hBackoff(p retry.Policy, n int, u float64) (d time.Duration, panicked string) {
	if ok, v := hPanics(func() { d = p.Backoff(n, u) }); ok {
		return 0, fmt.Sprint(v)
	}
	return d, ""
}

// hDo calls Do, reporting a panic as text.
func hDo(ctx context.Context, p retry.Policy, op func(context.Context) (int, error)) (v int, err error, panicked string) {
	if ok, pv := hPanics(func() { v, err = retry.Do(ctx, p, op) }); ok {
		return 0, nil, fmt.Sprint(pv)
	}
	return v, err, ""
}

// hB is the policy B(maxDelay) of the tests: five attempts, BaseDelay
// 100ms, Multiplier 2, no jitter.
func hB(maxDelay time.Duration) retry.Policy {
	return retry.Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: maxDelay, Multiplier: 2}
}

// TestHiddenValidateEdges: every bound of the policy and of NewBudget, on
// both sides; Validate never panics, and a budget must come from NewBudget
// (rules 1 and 20).
//
// Category: config
func TestHiddenValidateEdges(t *testing.T) {
	katatest.Guard(t)
	budget := hBudget(t, 10, 0.1)
	cases := []struct {
		field string
		mod   func(p *retry.Policy)
		valid bool
	}{
		{"Multiplier: 0.999", func(p *retry.Policy) { p.Multiplier = 0.999 }, false},
		{"Multiplier: NaN", func(p *retry.Policy) { p.Multiplier = math.NaN() }, false},
		{"Multiplier: +Inf", func(p *retry.Policy) { p.Multiplier = math.Inf(1) }, false},
		{"Jitter: NaN", func(p *retry.Policy) { p.Jitter = math.NaN() }, false},
		{"Jitter: -0.001", func(p *retry.Policy) { p.Jitter = -0.001 }, false},
		{"Jitter: 1.001", func(p *retry.Policy) { p.Jitter = 1.001 }, false},
		{"AttemptTimeout: -1ns", func(p *retry.Policy) { p.AttemptTimeout = -1 }, false},
		{"LimitedRetries: -1", func(p *retry.Policy) { p.LimitedRetries = -1 }, false},
		{"MaxDelay: 99.999999ms (less than BaseDelay)", func(p *retry.Policy) { p.MaxDelay = p.BaseDelay - 1 }, false},
		{"BaseDelay: 0", func(p *retry.Policy) { p.BaseDelay = 0 }, false},
		{"BaseDelay: -1ns", func(p *retry.Policy) { p.BaseDelay = -1 }, false},
		{"MaxAttempts: -1", func(p *retry.Policy) { p.MaxAttempts = -1 }, false},
		{"Budget: &retry.Budget{}", func(p *retry.Policy) { p.Budget = &retry.Budget{} }, false},
		{"MaxAttempts: 1", func(p *retry.Policy) { p.MaxAttempts = 1 }, true},
		{"MaxDelay: 100ms (equal to BaseDelay)", func(p *retry.Policy) { p.MaxDelay = p.BaseDelay }, true},
		{"Multiplier: 1", func(p *retry.Policy) { p.Multiplier = 1 }, true},
		{"Jitter: 0", func(p *retry.Policy) { p.Jitter = 0 }, true},
		{"Jitter: 1", func(p *retry.Policy) { p.Jitter = 1 }, true},
		{"AttemptTimeout: 0", func(p *retry.Policy) { p.AttemptTimeout = 0 }, true},
		{"LimitedRetries: 0", func(p *retry.Policy) { p.LimitedRetries = 0 }, true},
		{"Budget from retry.NewBudget(10, 0.1)", func(p *retry.Policy) { p.Budget = budget }, true},
		{"Rand and Classify nil", func(p *retry.Policy) { p.Rand, p.Classify = nil, nil }, true},
	}
	for _, tc := range cases {
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, Jitter: 0.5, AttemptTimeout: time.Second, LimitedRetries: 1}
		tc.mod(&p)
		call := fmt.Sprintf("retry.Policy{MaxAttempts: 3, BaseDelay: 100ms, MaxDelay: 1s, Multiplier: 2, Jitter: 0.5, AttemptTimeout: 1s, LimitedRetries: 1} with %s: Validate()", tc.field)
		var err error
		if ok, v := hPanics(func() { err = p.Validate() }); ok {
			t.Errorf("%s panicked: %v; Validate never panics", call, v)
			continue
		}
		switch {
		case tc.valid && err != nil:
			t.Errorf("%s = %s, want nil (valid)", call, hDesc(err))
		case !tc.valid && !errors.Is(err, retry.ErrInvalidPolicy):
			t.Errorf("%s = %s, want an error matching retry.ErrInvalidPolicy", call, hDesc(err))
		}
	}

	for _, tc := range []struct {
		max   int
		ratio float64
		valid bool
	}{
		{1, 0.001, true}, {1000, 1, true}, {0, 0.1, false}, {-1, 0.1, false}, {1001, 0.1, false},
		{10, 0.0009, false}, {10, 1.0001, false}, {10, math.NaN(), false}, {10, 0, false}, {10, -0.5, false}, {10, math.Inf(1), false},
	} {
		call := fmt.Sprintf("retry.NewBudget(%d, %v)", tc.max, tc.ratio)
		var b *retry.Budget
		var err error
		if ok, v := hPanics(func() { b, err = retry.NewBudget(tc.max, tc.ratio) }); ok {
			t.Errorf("%s panicked: %v", call, v)
			continue
		}
		if !tc.valid {
			if b != nil || !errors.Is(err, retry.ErrInvalidBudget) {
				t.Errorf("%s = (nil: %v, %s), want (nil, an error matching retry.ErrInvalidBudget)", call, b == nil, hDesc(err))
			}
			continue
		}
		if b == nil || err != nil {
			t.Errorf("%s = (nil: %v, %s), want a budget and nil", call, b == nil, hDesc(err))
			continue
		}
		hWantTokens(t, "b := "+call+" (a new budget is full)", b, float64(tc.max))
	}
}

// TestHiddenBackoffEdges: the ceiling compared before any conversion, so
// that no MaxDelay and no n overflow; the truncations of rule 3; a
// non-integer Multiplier (rule 3).
//
// Category: boundary
func TestHiddenBackoffEdges(t *testing.T) {
	type tcase struct {
		p    retry.Policy
		n    int
		u    float64
		want time.Duration
	}
	var cases []tcase
	for _, maxDelay := range []time.Duration{math.MaxInt64, math.MaxInt64 - 100} {
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: maxDelay, Multiplier: 2}
		cases = append(cases, tcase{p, 200, 0, maxDelay}, tcase{p, math.MaxInt, 0, maxDelay})
		p.Jitter = 1
		cases = append(cases, tcase{p, 200, 0.5, maxDelay - time.Duration(float64(maxDelay)*0.5)})
	}
	m15 := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 1.5}
	tiny := retry.Policy{MaxAttempts: 3, BaseDelay: 3, MaxDelay: time.Second, Multiplier: 1.5}
	tinyJ := tiny
	tinyJ.Jitter = 0.5
	equal := retry.Policy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Second, Multiplier: 2}
	cases = append(cases,
		tcase{m15, 1, 0, 150 * time.Millisecond},
		tcase{m15, 2, 0, 225 * time.Millisecond},
		tcase{m15, 6, 0, time.Second},         // 1139.0625ms capped
		tcase{tiny, 1, 0, 4},                  // a ceiling of 4.5ns truncates to 4ns
		tcase{tinyJ, 0, 0.5, 3},               // 3ns - trunc(0.75ns) = 3ns
		tcase{tinyJ, 2, 0.75, 6 - 2},          // ceiling trunc(6.75ns) = 6ns; 6·0.5·0.75 = 2.25 → 2ns
		tcase{equal, 0, 0, time.Second},       // BaseDelay == MaxDelay
		tcase{equal, 1 << 40, 0, time.Second}, // any n
		tcase{hB(250 * time.Millisecond), 3, 0, 250 * time.Millisecond},
	)
	for _, tc := range cases {
		call := fmt.Sprintf("%s.Backoff(%d, %v)", hPol(tc.p), tc.n, tc.u)
		if tc.p.MaxDelay > math.MaxInt64/2 {
			call = strings.Replace(call, fmt.Sprintf("MaxDelay: %v", tc.p.MaxDelay), fmt.Sprintf("MaxDelay: %d (math.MaxInt64%s)", int64(tc.p.MaxDelay), map[bool]string{true: "", false: " - 100"}[tc.p.MaxDelay == math.MaxInt64]), 1)
		}
		got, panicked := hBackoff(tc.p, tc.n, tc.u)
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			continue
		}
		if got != tc.want {
			t.Errorf("%s = %d (%v), want %d (%v)", call, int64(got), got, int64(tc.want), tc.want)
		}
	}
}

// TestHiddenBackoffPanics: a negative n, a u outside [0, 1) and an invalid
// policy are programmer errors; u just below 1 is valid (rule 4).
//
// Category: boundary
func TestHiddenBackoffPanics(t *testing.T) {
	p := hB(250 * time.Millisecond)
	p.Jitter = 1
	nanJitter := p
	nanJitter.Jitter = math.NaN()
	cases := []struct {
		p    retry.Policy
		name string
		n    int
		u    float64
	}{
		{p, hPol(p), -1, 0},
		{p, hPol(p), math.MinInt, 0},
		{p, hPol(p), 0, -0.1},
		{p, hPol(p), 0, 1},
		{p, hPol(p), 0, math.NaN()},
		{p, hPol(p), 0, math.Inf(1)},
		{retry.Policy{}, "retry.Policy{}", 0, 0},
		{nanJitter, "B(250ms) with Jitter: NaN", 0, 0},
	}
	for _, tc := range cases {
		call := fmt.Sprintf("%s.Backoff(%d, %v)", tc.name, tc.n, tc.u)
		if got, panicked := hBackoff(tc.p, tc.n, tc.u); panicked == "" {
			t.Errorf("%s = %v, want a panic (a programmer error)", call, got)
		}
	}
	below1 := math.Nextafter(1, 0)
	call := fmt.Sprintf("%s.Backoff(0, math.Nextafter(1, 0))", hPol(p))
	if got, panicked := hBackoff(p, 0, below1); panicked != "" {
		t.Errorf("%s panicked: %s; u just below 1 is valid", call, panicked)
	} else if got < 0 || got > 100*time.Millisecond {
		t.Errorf("%s = %v, want a wait in [0s, 100ms]", call, got)
	}
}

// TestHiddenRandCalls: Rand is called once per backoff wait and only when
// Jitter > 0, never for a hinted wait; a backoff wait the deadline rule
// refuses has used its value; a Rand value outside [0, 1) makes Do panic
// (rules 15 and 16).
//
// Category: behaviour
func TestHiddenRandCalls(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		rnd, calls := hRand(0.5)
		p := hB(250 * time.Millisecond)
		p.Rand = rnd
		r := hNewRec()
		_, err, panicked := hDo(context.Background(), p, r.op(hAlways(hTimeout)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with errTimeout every time", hPol(p))
		switch {
		case panicked != "":
			t.Errorf("%s panicked: %s", call, panicked)
		case calls.Load() != 0:
			t.Errorf("%s called rnd %d times, want 0: with Jitter 0 nothing is random and Rand is never called", call, calls.Load())
		case !errors.Is(err, retry.ErrExhausted):
			t.Errorf("%s returned %s, want an error matching retry.ErrExhausted", call, hDesc(err))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		rnd, calls := hRand(0.5)
		p := hB(250 * time.Millisecond)
		p.Jitter, p.Rand = 1, rnd
		hint := retry.RetryAfter(hTimeout, 10*time.Millisecond)
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(hSeq(hint, hint, hint)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing 3 times with retry.RetryAfter(errTimeout, 10ms), then succeeding", hPol(p))
		switch {
		case panicked != "":
			t.Errorf("%s panicked: %s", call, panicked)
		case calls.Load() != 0:
			t.Errorf("%s called rnd %d times, want 0: a hinted wait is exact and calls nothing", call, calls.Load())
		case v != 42 || err != nil:
			t.Errorf("%s = (%d, %s), want (42, nil)", call, v, hDesc(err))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		rnd, calls := hRand(0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p := retry.Policy{MaxAttempts: 5, BaseDelay: 400 * time.Millisecond, MaxDelay: 10 * time.Second, Multiplier: 2, Jitter: 0.5, Rand: rnd}
		r := hNewRec()
		v, err, panicked := hDo(ctx, p, r.op(hAlways(hTimeout)))
		call := fmt.Sprintf("retry.Do(ctx with a 1s timeout, %s, op), rnd always 0, op failing with errTimeout every time", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 400 * time.Millisecond}, "the second wait, 800ms, would end after the deadline")
		hWantStop(t, call, v, err, context.DeadlineExceeded, hTimeout, "context.DeadlineExceeded", "errTimeout")
		if calls.Load() != 2 {
			t.Errorf("%s called rnd %d times, want 2: one per backoff wait, the one the deadline refused included (the wait is computed, then compared with the deadline)", call, calls.Load())
		}
	})
	for _, bad := range []struct {
		name string
		u    float64
	}{{"1", 1}, {"NaN", math.NaN()}, {"-0.25", -0.25}} {
		synctest.Test(t, func(t *testing.T) {
			rnd, _ := hRand(bad.u)
			p := hB(250 * time.Millisecond)
			p.Jitter, p.Rand = 1, rnd
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hAlways(hTimeout)))
			if panicked == "" {
				t.Errorf("retry.Do(ctx, %s, op), rnd always returning %s, op failing with errTimeout every time = (%d, %s) after attempts at %v, want a panic: Rand must return a value in [0, 1)",
					hPol(p), bad.name, v, hDesc(err), r.at)
			}
		})
	}
}

// TestHiddenRetryAfterOverridesAndRestarts: a hinted wait is neither capped
// nor jittered, and the backoff sequence starts again after it (rule 15).
//
// Category: timing
func TestHiddenRetryAfterOverridesAndRestarts(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		rnd, calls := hRand(0.5)
		p := retry.Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond, Multiplier: 2, Jitter: 1, Rand: rnd}
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(hSeq(hTimeout, hTimeout, retry.RetryAfter(hTimeout, 5*time.Second), hTimeout, hTimeout)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), rnd always 0.5, op failing with errTimeout, errTimeout, retry.RetryAfter(errTimeout, 5s), errTimeout, errTimeout", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond, 5150 * time.Millisecond, 5200 * time.Millisecond},
			"waits 100ms-50ms, 200ms-100ms, exactly the hinted 5s, then 100ms-50ms again: the hint restarts the backoff")
		hWantStop(t, call, v, err, retry.ErrExhausted, hTimeout, "retry.ErrExhausted", "errTimeout")
		if calls.Load() != 3 {
			t.Errorf("%s called rnd %d times, want 3 (the three backoff waits, not the hinted one)", call, calls.Load())
		}
	})
}

// TestHiddenHintEdges: a negative hint stops Do with the error itself,
// after its charge, before the attempt count, the limited class and the
// budget are looked at; a zero hint found under fmt.Errorf retries at
// once; a Permanent mark wins over a hint (rules 9 to 15, 18).
//
// Category: behaviour
func TestHiddenHintEdges(t *testing.T) {
	katatest.Guard(t)
	type tcase struct {
		name    string
		p       func(b *retry.Budget, c *hClassifier) retry.Policy
		budget  [2]float64 // NewBudget arguments; 0: no budget
		failure func() error
		opName  string
		tokens  float64
	}
	noRetry := func() error { return retry.RetryAfter(hTimeout, -time.Second) }
	noRetryLimited := func() error { return retry.RetryAfter(hRefused, -1) }
	cases := []tcase{
		{"a negative hint is charged", func(b *retry.Budget, c *hClassifier) retry.Policy {
			p := hB(time.Second)
			p.Budget = b
			return p
		}, [2]float64{10, 0.1}, noRetry, "retry.RetryAfter(errTimeout, -1s)", 9},
		{"a negative hint of class ClassFail is not charged", func(b *retry.Budget, c *hClassifier) retry.Policy {
			p := hB(time.Second)
			p.Budget = b
			p.Classify = func(error) retry.Class { return retry.ClassFail }
			return p
		}, [2]float64{10, 0.1}, noRetry, "retry.RetryAfter(errTimeout, -1s) and a Classify that always says ClassFail", 10},
		{"on the last attempt", func(b *retry.Budget, c *hClassifier) retry.Policy {
			p := hB(time.Second)
			p.MaxAttempts = 1
			return p
		}, [2]float64{}, noRetry, "retry.RetryAfter(errTimeout, -1s)", 0},
		{"with a budget that refuses", func(b *retry.Budget, c *hClassifier) retry.Policy {
			p := hB(time.Second)
			p.Budget = b
			return p
		}, [2]float64{2, 1}, noRetry, "retry.RetryAfter(errTimeout, -1s)", 1},
		{"of class ClassLimited with LimitedRetries 0", func(b *retry.Budget, c *hClassifier) retry.Policy {
			p := hB(time.Second)
			p.Classify = c.classify
			return p
		}, [2]float64{}, noRetryLimited, "retry.RetryAfter(errRefused, -1ns)", 0},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			var b *retry.Budget
			setup := ""
			if tc.budget[0] != 0 {
				b = hBudget(t, int(tc.budget[0]), tc.budget[1])
				setup = fmt.Sprintf("budget, _ := retry.NewBudget(%v, %v); ", tc.budget[0], tc.budget[1])
			}
			var c hClassifier
			p := tc.p(b, &c)
			failure := tc.failure()
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hAlways(failure)))
			call := fmt.Sprintf("%s: %sretry.Do(ctx, %s, op), op failing with %s", tc.name, setup, hPol(p), tc.opName)
			if p.Classify != nil && tc.name != "a negative hint of class ClassFail is not charged" {
				call += ", " + hClassifyDoc
			}
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != 1 {
				t.Errorf("%s made %d attempts, want 1 (a negative hint means: do not retry)", call, len(r.at))
			}
			hWantSame(t, call, v, err, failure, "the "+tc.opName+" value")
			if b != nil {
				hWantTokens(t, call, b, tc.tokens)
			}
		})
	}

	synctest.Test(t, func(t *testing.T) {
		p := hB(250 * time.Millisecond)
		wrapped := fmt.Errorf("rpc: %w", retry.RetryAfter(hTimeout, 0))
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(hSeq(wrapped)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with fmt.Errorf(\"rpc: %%w\", retry.RetryAfter(errTimeout, 0)), then succeeding", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 0}, "the hint is found anywhere in the error's chain, and a hinted wait of 0 means retry at once")
		if v != 42 || err != nil {
			t.Errorf("%s = (%d, %s), want (42, nil)", call, v, hDesc(err))
		}
	})

	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"retry.Permanent(retry.RetryAfter(errTimeout, 1s))", func() error { return retry.Permanent(retry.RetryAfter(hTimeout, time.Second)) }},
		{"retry.RetryAfter(retry.Permanent(errTimeout), 1s)", func() error { return retry.RetryAfter(retry.Permanent(hTimeout), time.Second) }},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := hB(time.Second)
			failure := tc.err()
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hAlways(failure)))
			call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with %s", hPol(p), tc.name)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != 1 {
				t.Errorf("%s made %d attempts (at %v), want 1: a Permanent mark wins over a hint", call, len(r.at), r.at)
			}
			hWantSame(t, call, v, err, failure, "the "+tc.name+" value")
		})
	}
}

// TestHiddenPermanentDeep: a Permanent mark is found anywhere in the
// error's tree, also under fmt.Errorf and errors.Join; the error comes back
// unchanged and Classify is not called (rules 9 and 18).
//
// Category: behaviour
func TestHiddenPermanentDeep(t *testing.T) {
	katatest.Guard(t)
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{`fmt.Errorf("a: %w", fmt.Errorf("b: %w", retry.Permanent(errTimeout)))`, func() error {
			return fmt.Errorf("a: %w", fmt.Errorf("b: %w", retry.Permanent(hTimeout)))
		}},
		{`errors.Join(errRefused, retry.Permanent(errTimeout))`, func() error { return errors.Join(hRefused, retry.Permanent(hTimeout)) }},
		{`retry.Permanent(errRefused)`, func() error { return retry.Permanent(hRefused) }},
	} {
		synctest.Test(t, func(t *testing.T) {
			var c hClassifier
			p := hB(time.Second)
			p.LimitedRetries, p.Classify = 2, c.classify
			failure := tc.err()
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hAlways(failure)))
			call := fmt.Sprintf("retry.Do(ctx, %s, op), %s, op failing with %s", hPol(p), hClassifyDoc, tc.name)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != 1 {
				t.Errorf("%s made %d attempts (at %v), want 1", call, len(r.at), r.at)
			}
			hWantSame(t, call, v, err, failure, "the op's error")
			if n := c.calls.Load(); n != 0 {
				t.Errorf("%s called classify %d times, want 0: a Permanent error is not classified", call, n)
			}
		})
	}
}

// hCodeErr is an error type that errors.As must find through the wrappers.
type hCodeErr struct{ code int }

func (e *hCodeErr) Error() string { return fmt.Sprintf("hidden: code %d", e.code) }

// TestHiddenWrappers: Permanent(nil) and RetryAfter(nil, d) are nil; a
// wrapper matches the error it wraps for errors.Is and errors.As (rule 18).
//
// Category: behaviour
func TestHiddenWrappers(t *testing.T) {
	if err := retry.Permanent(nil); err != nil {
		t.Errorf("retry.Permanent(nil) = %s, want nil", hDesc(err))
	}
	for _, d := range []time.Duration{0, time.Second, -1} {
		if err := retry.RetryAfter(nil, d); err != nil {
			t.Errorf("retry.RetryAfter(nil, %v) = %s, want nil", d, hDesc(err))
		}
	}
	for _, w := range []struct {
		name string
		wrap func(error) error
	}{
		{"retry.Permanent(%s)", retry.Permanent},
		{"retry.RetryAfter(%s, time.Second)", func(e error) error { return retry.RetryAfter(e, time.Second) }},
		{"retry.RetryAfter(%s, -1)", func(e error) error { return retry.RetryAfter(e, -1) }},
	} {
		if err := w.wrap(hTimeout); !errors.Is(err, hTimeout) {
			t.Errorf("errors.Is(%s, errTimeout) = false, want true", fmt.Sprintf(w.name, "errTimeout"))
		}
		var ce *hCodeErr
		if err := w.wrap(&hCodeErr{7}); !errors.As(err, &ce) || ce == nil || ce.code != 7 {
			t.Errorf("errors.As(%s, &target) with target of type *codeErr: want true and target == the &codeErr{7}", fmt.Sprintf(w.name, "&codeErr{7}"))
		}
	}
}

// TestHiddenClassesMixed: only retries after ClassLimited failures count
// against LimitedRetries; LimitedRetries 0 allows none; a class other than
// ClassRetry and ClassLimited fails fast; Classify runs exactly once per
// failed attempt (rules 9 and 13).
//
// Category: behaviour
func TestHiddenClassesMixed(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		name     string
		limited  int
		errs     []error
		opName   string
		attempts int
		same     bool // fail fast: the error itself
		last     error
		lastName string
	}{
		{"mixed", 1, []error{hTimeout, hTimeout, hRefused, hRefused, hTimeout}, "errTimeout, errTimeout, errRefused, errRefused, errTimeout", 4, false, hRefused, "errRefused"},
		{"limited 0", 0, []error{hRefused, hTimeout}, "errRefused, errTimeout", 1, false, hRefused, "errRefused"},
		{"limited first", 2, []error{hRefused, hRefused, hTimeout, hTimeout, hRefused, hTimeout}, "errRefused, errRefused, errTimeout, errTimeout, errRefused, errTimeout", 5, false, hRefused, "errRefused"},
		{"Class(99)", 2, []error{hTimeout, hOdd, hTimeout}, "errTimeout, errOdd (classified Class(99)), errTimeout", 2, true, hOdd, "errOdd"},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			var c hClassifier
			p := retry.Policy{MaxAttempts: 10, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, LimitedRetries: tc.limited, Classify: c.classify}
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hSeq(tc.errs...)))
			call := fmt.Sprintf("retry.Do(ctx, %s, op), %s, errOdd → Class(99), op failing with %s, then succeeding", hPol(p), hClassifyDoc, tc.opName)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != tc.attempts {
				t.Errorf("%s made %d attempts, want %d", call, len(r.at), tc.attempts)
			}
			if tc.same {
				hWantSame(t, call, v, err, tc.last, tc.lastName)
			} else {
				hWantStop(t, call, v, err, retry.ErrExhausted, tc.last, "retry.ErrExhausted", tc.lastName)
			}
			if n := c.calls.Load(); n != int64(len(r.at)) {
				t.Errorf("%s called classify %d times for %d failed attempts, want exactly once per failed attempt", call, n, len(r.at))
			}
		})
	}
}

// TestHiddenStopReasonOrder: when several reasons to stop hold, the first
// in the rules' order decides: attempts used up, then the limited class,
// then the budget (rules 12 to 14).
//
// Category: behaviour
func TestHiddenStopReasonOrder(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		attempts, limited int
		err               error
		errName           string
		reason            error
		reasonName        string
	}{
		{1, 0, hTimeout, "errTimeout", retry.ErrExhausted, "retry.ErrExhausted"},
		{5, 0, hTimeout, "errTimeout", retry.ErrThrottled, "retry.ErrThrottled"},
		{5, 0, hRefused, "errRefused", retry.ErrExhausted, "retry.ErrExhausted"},
		{5, 1, hRefused, "errRefused", retry.ErrThrottled, "retry.ErrThrottled"},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			b := hBudget(t, 2, 1)
			var c hClassifier
			p := retry.Policy{MaxAttempts: tc.attempts, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, LimitedRetries: tc.limited, Classify: c.classify, Budget: b}
			r := hNewRec()
			v, err, panicked := hDo(context.Background(), p, r.op(hAlways(tc.err)))
			call := fmt.Sprintf("budget, _ := retry.NewBudget(2, 1) (its first charge leaves 1 token, not more than half: no retry); retry.Do(ctx, %s, op), %s, op failing with %s every time", hPol(p), hClassifyDoc, tc.errName)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != 1 {
				t.Errorf("%s made %d attempts, want 1", call, len(r.at))
			}
			hWantStop(t, call, v, err, tc.reason, tc.err, tc.reasonName, tc.errName)
		})
	}
}

// TestHiddenDeadlineBoundary: a wait that would end exactly at the
// deadline is not started; one that ends a nanosecond before it is; the
// jittered wait counts, not its ceiling; a hinted wait counts the same
// way, however long (rule 16).
//
// Category: timing
func TestHiddenDeadlineBoundary(t *testing.T) {
	katatest.Guard(t)
	p := retry.Policy{MaxAttempts: 5, BaseDelay: 400 * time.Millisecond, MaxDelay: 10 * time.Second, Multiplier: 2}
	for _, tc := range []struct {
		timeout time.Duration
		want    []time.Duration
		end     time.Duration
		why     string
	}{
		{1200 * time.Millisecond, []time.Duration{0, 400 * time.Millisecond}, 400 * time.Millisecond, "the second wait, 800ms from 400ms, would end exactly at the deadline: fail fast"},
		{1200*time.Millisecond + 1, []time.Duration{0, 400 * time.Millisecond, 1200 * time.Millisecond}, 1200 * time.Millisecond, "the second wait ends 1ns before the deadline: allowed; the third (1.6s) is not"},
	} {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			r := hNewRec()
			v, err, panicked := hDo(ctx, p, r.op(hAlways(hTimeout)))
			end := time.Since(r.start)
			call := fmt.Sprintf("retry.Do(ctx with a %v timeout, %s, op), op failing with errTimeout every time", tc.timeout, hPol(p))
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			hWantTimes(t, call, r.at, tc.want, tc.why)
			if end != tc.end {
				t.Errorf("%s returned at %v, want %v (%s)", call, end, tc.end, tc.why)
			}
			hWantStop(t, call, v, err, context.DeadlineExceeded, hTimeout, "context.DeadlineExceeded", "errTimeout")
		})
	}

	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		rnd, _ := hRand(0.5)
		pj := p
		pj.Jitter, pj.Rand = 1, rnd
		r := hNewRec()
		v, err, panicked := hDo(ctx, pj, r.op(hSeq(hTimeout)))
		call := fmt.Sprintf("retry.Do(ctx with a 300ms timeout, %s, op), rnd always 0.5, op failing with errTimeout, then succeeding", hPol(pj))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 200 * time.Millisecond}, "the wait is 400ms-200ms = 200ms, before the deadline; its ceiling, 400ms, is not what counts")
		if v != 42 || err != nil {
			t.Errorf("%s = (%d, %s), want (42, nil)", call, v, hDesc(err))
		}
	})

	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ps := p
		ps.BaseDelay = 800 * time.Millisecond
		r := hNewRec()
		v, err, panicked := hDo(ctx, ps, r.op(func(int) error { time.Sleep(200 * time.Millisecond); return hTimeout }))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx with a 1s timeout, %s, op), op sleeping 200ms and failing with errTimeout", hPol(ps))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0}, "")
		if end != 200*time.Millisecond {
			t.Errorf("%s returned at %v, want 200ms: the wait counts from when the attempt returned (200ms + 800ms reaches the deadline), not from when it started", call, end)
		}
		hWantStop(t, call, v, err, context.DeadlineExceeded, hTimeout, "context.DeadlineExceeded", "errTimeout")
	})

	for _, tc := range []struct {
		hint    time.Duration
		timeout time.Duration
		name    string
	}{
		{time.Second, time.Second, "1s"},
		{math.MaxInt64, time.Hour, "math.MaxInt64 (no overflow)"},
	} {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			hinted := retry.RetryAfter(hTimeout, tc.hint)
			r := hNewRec()
			v, err, panicked := hDo(ctx, p, r.op(hSeq(hinted)))
			end := time.Since(r.start)
			call := fmt.Sprintf("retry.Do(ctx with a %v timeout, %s, op), op failing with retry.RetryAfter(errTimeout, %s), then succeeding", tc.timeout, hPol(p), tc.name)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			hWantTimes(t, call, r.at, []time.Duration{0}, "the hinted wait would end at or after the deadline")
			if end != 0 {
				t.Errorf("%s returned at %v, want 0s: fail fast, without sleeping", call, end)
			}
			hWantStop(t, call, v, err, context.DeadlineExceeded, hinted, "context.DeadlineExceeded", "the hinted error")
		})
	}
}

// TestHiddenCancelDuringWait: a cancellation during a wait ends Do at that
// instant with an error matching context.Canceled and the last error, and
// no attempt runs after it; with AttemptTimeout 0 an attempt's ctx is done
// when Do's is (rules 6, 8 and 17).
//
// Category: timing
func TestHiddenCancelDuringWait(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(150*time.Millisecond, cancel)
		p := hB(250 * time.Millisecond)
		r := hNewRec()
		v, err, panicked := hDo(ctx, p, r.op(hAlways(hTimeout)))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx cancelled at 150ms, %s, op), op failing with errTimeout every time", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if end != 150*time.Millisecond {
			t.Errorf("%s returned at %v, want 150ms: the wait from 100ms to 300ms ends when ctx is cancelled", call, end)
		}
		hWantStop(t, call, v, err, context.Canceled, hTimeout, "context.Canceled", "errTimeout")
		time.Sleep(time.Hour)
		hWantTimes(t, call+" (watched until an hour later)", r.at, []time.Duration{0, 100 * time.Millisecond}, "no attempt after the cancellation")
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(150*time.Millisecond, cancel)
		p := hB(250 * time.Millisecond)
		r := hNewRec()
		v, err, panicked := hDo(ctx, p, r.opCtx(func(ctx context.Context, i int) error {
			select {
			case <-ctx.Done():
				return fmt.Errorf("op: %w", ctx.Err())
			case <-time.After(time.Hour):
				return hTimeout
			}
		}))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx cancelled at 150ms, %s, op), op waiting for its ctx (at most an hour) and failing with fmt.Errorf(\"op: %%w\", ctx.Err())", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if end != 150*time.Millisecond || len(r.at) != 1 {
			t.Errorf("%s returned at %v after attempts at %v, want at 150ms after one attempt: with AttemptTimeout 0 the attempt's ctx is done when Do's ctx is", call, end, r.at)
		}
		if v != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("%s = (%d, %s), want (0, an error matching context.Canceled)", call, v, hDesc(err))
		}
	})
}

// TestHiddenCallerGone: when the caller's ctx is done, or its deadline has
// come, as an attempt returns, Do stops with the ctx error and the
// attempt's error, before anything else: no charge, no Classify, not even
// for a Permanent error (rule 8).
//
// Category: timing
func TestHiddenCallerGone(t *testing.T) {
	katatest.Guard(t)
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"errTimeout", func() error { return hTimeout }},
		{"retry.Permanent(errInvalid)", func() error { return retry.Permanent(hInvalid) }},
		{"retry.RetryAfter(errTimeout, -1)", func() error { return retry.RetryAfter(hTimeout, -1) }},
	} {
		synctest.Test(t, func(t *testing.T) {
			b := hBudget(t, 10, 0.1)
			var c hClassifier
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := hB(time.Second)
			p.Classify, p.Budget = c.classify, b
			failure := tc.err()
			r := hNewRec()
			v, err, panicked := hDo(ctx, p, r.op(func(int) error { cancel(); return failure }))
			call := fmt.Sprintf("budget, _ := retry.NewBudget(10, 0.1); retry.Do(ctx, %s, op), %s, op cancelling ctx and then failing with %s", hPol(p), hClassifyDoc, tc.name)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			if len(r.at) != 1 {
				t.Errorf("%s made %d attempts, want 1", call, len(r.at))
			}
			hWantStop(t, call, v, err, context.Canceled, failure, "context.Canceled", "the op's error")
			hWantTokens(t, call+" (a gone caller's failure is not charged)", b, 10)
			if n := c.calls.Load(); n != 0 {
				t.Errorf("%s called classify %d times, want 0", call, n)
			}
		})
	}

	// The attempt's own deadline is the caller's: when the attempt sees
	// it, the caller's ctx may not be marked done yet, but its deadline
	// has come. Either order happens, so this runs in 50 bubbles.
	for i := range 50 {
		failed := false
		synctest.Test(t, func(t *testing.T) {
			b := hBudget(t, 10, 0.1)
			var c hClassifier
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			p := hB(time.Second)
			p.AttemptTimeout, p.Classify, p.Budget = 500*time.Millisecond, c.classify, b
			r := hNewRec()
			var last error
			v, err, panicked := hDo(ctx, p, r.opCtx(func(ctx context.Context, _ int) error {
				<-ctx.Done()
				last = fmt.Errorf("op: %w", ctx.Err())
				return last
			}))
			end := time.Since(r.start)
			call := fmt.Sprintf("(bubble %d of 50) budget, _ := retry.NewBudget(10, 0.1); retry.Do(ctx with a 500ms timeout, %s, op), %s, op waiting for its ctx and failing with fmt.Errorf(\"op: %%w\", ctx.Err())", i+1, hPol(p), hClassifyDoc)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				failed = true
				return
			}
			ok := hWantTimes(t, call, r.at, []time.Duration{0}, "the caller's deadline has come when the attempt returns")
			ok = ok && end == 500*time.Millisecond
			if end != 500*time.Millisecond {
				t.Errorf("%s returned at %v, want 500ms", call, end)
			}
			ok = hWantStop(t, call, v, err, context.DeadlineExceeded, last, "context.DeadlineExceeded", "the op's error") && ok
			ok = hWantTokens(t, call+" (the caller's deadline has come: nothing is charged, although ctx may not be marked done yet)", b, 10) && ok
			if n := c.calls.Load(); n != 0 {
				t.Errorf("%s called classify %d times, want 0 (the caller's deadline has come, although ctx may not be marked done yet)", call, n)
				ok = false
			}
			failed = !ok
		})
		if failed {
			return
		}
	}

	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p := hB(time.Second)
		r := hNewRec()
		v, err, panicked := hDo(ctx, p, r.op(func(int) error { time.Sleep(2 * time.Second); return hTimeout }))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx with a 1s timeout, %s, op), op sleeping 2s (ignoring its ctx) and failing with errTimeout", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if len(r.at) != 1 || end != 2*time.Second {
			t.Errorf("%s returned at %v after attempts at %v, want at 2s after one attempt (Do waits for op)", call, end, r.at)
		}
		hWantStop(t, call, v, err, context.DeadlineExceeded, hTimeout, "context.DeadlineExceeded", "errTimeout")
	})
}

// TestHiddenAttemptTimeout: each attempt gets its own deadline, counted
// from its start and never past the caller's; its ctx is cancelled when
// it returns; Do waits for op even past that deadline (rule 6).
//
// Category: timing
func TestHiddenAttemptTimeout(t *testing.T) {
	katatest.Guard(t)
	waitCtx := func(ctx context.Context, _ int) error {
		<-ctx.Done()
		return fmt.Errorf("op: %w", ctx.Err())
	}
	synctest.Test(t, func(t *testing.T) {
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, AttemptTimeout: 500 * time.Millisecond}
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.opCtx(waitCtx))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op waiting for its ctx and failing with fmt.Errorf(\"op: %%w\", ctx.Err())", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 600 * time.Millisecond, 1300 * time.Millisecond}, "each attempt ends at its own 500ms timeout, then waits of 100ms and 200ms")
		if got, want := strings.Join(r.deadlines, " "), "500ms 1.1s 1.8s"; got != want {
			t.Errorf("%s: the attempts' ctx deadlines were [%s], want [%s] (each attempt's start + 500ms)", call, got, want)
		}
		if end != 1800*time.Millisecond {
			t.Errorf("%s returned at %v, want 1.8s", call, end)
		}
		if v != 0 || !errors.Is(err, retry.ErrExhausted) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = (%d, %s), want (0, an error matching retry.ErrExhausted and the op's error, which matches context.DeadlineExceeded)", call, v, hDesc(err))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		defer cancel()
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, AttemptTimeout: 500 * time.Millisecond}
		r := hNewRec()
		v, err, panicked := hDo(ctx, p, r.opCtx(waitCtx))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx with a 700ms timeout, %s, op), op waiting for its ctx and failing with fmt.Errorf(\"op: %%w\", ctx.Err())", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTimes(t, call, r.at, []time.Duration{0, 600 * time.Millisecond}, "")
		if got, want := strings.Join(r.deadlines, " "), "500ms 700ms"; got != want {
			t.Errorf("%s: the attempts' ctx deadlines were [%s], want [%s] (the second attempt's own 1.1s is later than the caller's 700ms)", call, got, want)
		}
		if end != 700*time.Millisecond || v != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = (%d, %s) at %v, want (0, an error matching context.DeadlineExceeded) at 700ms", call, v, hDesc(err), end)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, AttemptTimeout: 500 * time.Millisecond}
		r := hNewRec()
		var firstDoneAtSecond bool
		v, err, panicked := hDo(context.Background(), p, r.opCtx(func(ctx context.Context, i int) error {
			if i == 1 {
				firstDoneAtSecond = r.ctxs[0].Err() != nil
			}
			if i == 0 {
				return hTimeout
			}
			return nil
		}))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing at once with errTimeout, then succeeding at once", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if v != 42 || err != nil || len(r.ctxs) != 2 {
			t.Errorf("%s = (%d, %s) after %d attempts, want (42, nil) after 2", call, v, hDesc(err), len(r.ctxs))
			return
		}
		if !firstDoneAtSecond {
			t.Errorf("%s: the first attempt's ctx was not done when the second attempt started; an attempt's ctx is cancelled when the attempt returns", call)
		}
		if r.ctxs[1].Err() == nil {
			t.Errorf("%s: the second attempt's ctx is not done after Do returned; an attempt's ctx is cancelled when the attempt returns (no timer or context may outlive Do)", call)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, AttemptTimeout: 500 * time.Millisecond}
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(func(int) error { time.Sleep(2 * time.Second); return nil }))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op sleeping 2s (ignoring its ctx) and succeeding", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if v != 42 || err != nil || end != 2*time.Second || len(r.at) != 1 {
			t.Errorf("%s = (%d, %s) at %v after attempts at %v, want (42, nil) at 2s after one attempt: Do waits for op to return, even past the attempt's deadline", call, v, hDesc(err), end, r.at)
		}
	})
}

// TestHiddenPreCancelled: a ctx already done, or whose deadline has come,
// runs nothing; a nil op panics first, an invalid policy is reported before
// the ctx (rule 5).
//
// Category: boundary
func TestHiddenPreCancelled(t *testing.T) {
	katatest.Guard(t)
	if panicked, _ := hPanics(func() { retry.Do[int](context.Background(), hB(time.Second), nil) }); !panicked {
		t.Errorf("retry.Do(ctx, %s, nil) did not panic, want a panic (a nil op is a programmer error)", hPol(hB(time.Second)))
	}
	if panicked, _ := hPanics(func() { retry.Do[int](context.Background(), retry.Policy{}, nil) }); !panicked {
		t.Errorf("retry.Do(ctx, retry.Policy{}, nil) did not panic, want a panic (a nil op is checked first)")
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	v, err, panicked := hDo(cancelled, retry.Policy{}, func(context.Context) (int, error) { calls++; return 42, nil })
	if panicked != "" || v != 0 || !errors.Is(err, retry.ErrInvalidPolicy) || calls != 0 {
		t.Errorf("retry.Do(cancelled ctx, retry.Policy{}, op) = (%d, %s) after %d calls of op%s, want (0, an error matching retry.ErrInvalidPolicy) and no call: the policy is checked before the ctx", v, hDesc(err), calls, hPanicNote(panicked))
	}
	calls = 0
	v, err, panicked = hDo(cancelled, hB(time.Second), func(context.Context) (int, error) { calls++; return 42, nil })
	if panicked != "" || v != 0 || !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("retry.Do(cancelled ctx, %s, op) = (%d, %s) after %d calls of op%s, want (0, an error matching context.Canceled) and no call", hPol(hB(time.Second)), v, hDesc(err), calls, hPanicNote(panicked))
	}

	// Right after time.Sleep to the deadline, the ctx may not be marked
	// done yet; its deadline has come all the same. 50 bubbles.
	for i := range 50 {
		failed := false
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			time.Sleep(time.Second)
			calls := 0
			v, err, panicked := hDo(ctx, hB(time.Second), func(context.Context) (int, error) { calls++; return 42, nil })
			if panicked != "" || v != 0 || !errors.Is(err, context.DeadlineExceeded) || calls != 0 {
				t.Errorf("(bubble %d of 50) ctx, _ := context.WithTimeout(ctx, time.Second); time.Sleep(time.Second); retry.Do(ctx, %s, op) = (%d, %s) after %d calls of op%s, want (0, an error matching context.DeadlineExceeded) and no call: the deadline has come, although ctx may not be marked done yet",
					i+1, hPol(hB(time.Second)), v, hDesc(err), calls, hPanicNote(panicked))
				failed = true
			}
		})
		if failed {
			return
		}
	}
}

// TestHiddenOpPanics: a panic in op is not recovered: it goes on, with its
// value, out of Do (rule 6).
//
// Category: behaviour
func TestHiddenOpPanics(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		type boom struct{ n int }
		calls := 0
		p := hB(time.Second)
		panicked, val := hPanics(func() {
			retry.Do(context.Background(), p, func(context.Context) (int, error) {
				calls++
				panic(boom{7})
			})
		})
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op panicking with boom{7}", hPol(p))
		if !panicked {
			t.Errorf("%s did not panic, want the panic of op to go on (not recovered)", call)
		} else if b, ok := val.(boom); !ok || b.n != 7 {
			t.Errorf("%s panicked with %v, want the op's own value boom{7}", call, val)
		}
		if calls != 1 {
			t.Errorf("%s called op %d times, want 1", call, calls)
		}
	})
}

// TestHiddenBudgetExact: tokens are kept exactly in thousandths, floored at
// 0 and capped at maxTokens; the ratio is rounded; a retry needs more than
// half of maxTokens (1.5 of 3, not 1) after the charge (rules 7, 20, 21).
//
// Category: behaviour
func TestHiddenBudgetExact(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		b := hBudget(t, 10, 0.1)
		p := retry.Policy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1, Budget: b}
		fail := func(context.Context) (int, error) { return -1, hTimeout }
		succeed := func(context.Context) (int, error) { return 42, nil }
		steps := "budget, _ := retry.NewBudget(10, 0.1); p := " + hPol(p)
		run := func(n int, op func(context.Context) (int, error), what string, want float64) bool {
			for range n {
				retry.Do(context.Background(), p, op)
			}
			steps += fmt.Sprintf("; %d× retry.Do(ctx, p, %s)", n, what)
			return hWantTokens(t, steps, b, want)
		}
		_ = run(6, fail, "failing op", 4) &&
			run(20, succeed, "succeeding op", 6) &&
			run(100, succeed, "succeeding op", 10) &&
			run(30, fail, "failing op", 0) &&
			run(1, succeed, "succeeding op", 0.1)
	})
	for _, tc := range []struct {
		ratio float64
		want  float64
	}{{0.1234, 9.123}, {0.1236, 9.124}, {0.0015, 9.002}, {0.001, 9.001}, {1, 10}} {
		synctest.Test(t, func(t *testing.T) {
			b := hBudget(t, 10, tc.ratio)
			p := retry.Policy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1, Budget: b}
			retry.Do(context.Background(), p, func(context.Context) (int, error) { return -1, hTimeout })
			retry.Do(context.Background(), p, func(context.Context) (int, error) { return 42, nil })
			hWantTokens(t, fmt.Sprintf("budget, _ := retry.NewBudget(10, %v); retry.Do(ctx, %s, failing op); retry.Do(ctx, p, succeeding op) (the ratio is rounded to thousandths)", tc.ratio, hPol(p)), b, tc.want)
		})
	}
	synctest.Test(t, func(t *testing.T) {
		b := hBudget(t, 3, 1)
		p := hB(time.Second)
		p.MaxAttempts, p.Budget = 10, b
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(hAlways(hTimeout)))
		call := fmt.Sprintf("budget, _ := retry.NewBudget(3, 1); retry.Do(ctx, %s, op), op failing with errTimeout every time", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if len(r.at) != 2 {
			t.Errorf("%s made %d attempts, want 2 (3 → 2 tokens: more than 1.5, retry; 2 → 1: no more)", call, len(r.at))
		}
		hWantStop(t, call, v, err, retry.ErrThrottled, hTimeout, "retry.ErrThrottled", "errTimeout")
		hWantTokens(t, call, b, 1)
	})
	synctest.Test(t, func(t *testing.T) {
		b := hBudget(t, 3, 0.5)
		one := retry.Policy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1, Budget: b}
		retry.Do(context.Background(), one, func(context.Context) (int, error) { return -1, hTimeout })
		retry.Do(context.Background(), one, func(context.Context) (int, error) { return 42, nil })
		setup := fmt.Sprintf("budget, _ := retry.NewBudget(3, 0.5); retry.Do(ctx, %s, failing op) (2 tokens); retry.Do(ctx, the same, succeeding op) (2.5 tokens)", hPol(one))
		if !hWantTokens(t, setup, b, 2.5) {
			return
		}
		p := hB(time.Second)
		p.Budget = b
		r := hNewRec()
		v, err, panicked := hDo(context.Background(), p, r.op(hSeq(hTimeout)))
		call := fmt.Sprintf("%s; retry.Do(ctx, %s, op), op failing with errTimeout, then succeeding", setup, hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		if len(r.at) != 1 {
			t.Errorf("%s made %d attempts, want 1: the charge leaves 1.5 tokens, which is not more than half of 3 (not integer 3/2 = 1)", call, len(r.at))
		}
		hWantStop(t, call, v, err, retry.ErrThrottled, hTimeout, "retry.ErrThrottled", "errTimeout")
		hWantTokens(t, call, b, 1.5)
	})
}

// TestHiddenBudgetCharges: every ClassRetry and ClassLimited failure is
// charged once, the last attempt's and a one-attempt call's included, and
// also when Do then stops at the deadline or by a cancellation; ClassFail,
// Permanent and gone-caller failures are free; only a success earns
// (rules 7 to 10, 21).
//
// Category: behaviour
func TestHiddenBudgetCharges(t *testing.T) {
	katatest.Guard(t)
	type tcase struct {
		name    string
		errs    []error
		opName  string
		mod     func(p *retry.Policy)
		timeout time.Duration
		want    float64
	}
	cases := []tcase{
		{"3 failures (MaxAttempts 3)", []error{hTimeout, hTimeout, hTimeout}, "errTimeout ×3", nil, 0, 97},
		{"3 failures, then a success", []error{hTimeout, hTimeout, hTimeout}, "errTimeout ×3, then succeeding", func(p *retry.Policy) { p.MaxAttempts = 4 }, 0, 97.5},
		{"one attempt", []error{hTimeout}, "errTimeout", func(p *retry.Policy) { p.MaxAttempts = 1 }, 0, 99},
		{"limited, LimitedRetries 0", []error{hRefused}, "errRefused", nil, 0, 99},
		{"limited twice, LimitedRetries 1", []error{hRefused, hRefused}, "errRefused ×2", func(p *retry.Policy) { p.LimitedRetries = 1 }, 0, 98},
		{"ClassFail", []error{hInvalid}, "errInvalid", nil, 0, 100},
		{"Permanent", []error{retry.Permanent(hTimeout)}, "retry.Permanent(errTimeout)", nil, 0, 100},
		{"stopped by the deadline", []error{hTimeout, hTimeout}, "errTimeout ×2", nil, 250 * time.Millisecond, 98},
	}
	for _, tc := range cases {
		synctest.Test(t, func(t *testing.T) {
			b := hBudget(t, 100, 0.5)
			var c hClassifier
			p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, Classify: c.classify, Budget: b}
			if tc.mod != nil {
				tc.mod(&p)
			}
			ctx := context.Background()
			ctxName := "ctx"
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
				ctxName = fmt.Sprintf("ctx with a %v timeout", tc.timeout)
			}
			r := hNewRec()
			_, _, panicked := hDo(ctx, p, r.op(hSeq(tc.errs...)))
			call := fmt.Sprintf("%s: budget, _ := retry.NewBudget(100, 0.5); retry.Do(%s, %s, op), %s, op failing with %s", tc.name, ctxName, hPol(p), hClassifyDoc, tc.opName)
			if panicked != "" {
				t.Errorf("%s panicked: %s", call, panicked)
				return
			}
			hWantTokens(t, fmt.Sprintf("%s (attempts at %v)", call, r.at), b, tc.want)
		})
	}
	synctest.Test(t, func(t *testing.T) {
		b := hBudget(t, 100, 0.5)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(150*time.Millisecond, cancel)
		p := hB(time.Second)
		p.Budget = b
		r := hNewRec()
		_, _, panicked := hDo(ctx, p, r.op(hAlways(hTimeout)))
		call := fmt.Sprintf("cancelled during a wait: budget, _ := retry.NewBudget(100, 0.5); retry.Do(ctx cancelled at 150ms, %s, op), op failing with errTimeout every time", hPol(p))
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			return
		}
		hWantTokens(t, fmt.Sprintf("%s (attempts at %v; both failures are charged)", call, r.at), b, 98)
	})
}

// TestHiddenConcurrentBudgetExact: a budget shared by 8 goroutines loses
// no charge and no credit (rules 21 and 22).
//
// Category: concurrency
func TestHiddenConcurrentBudgetExact(t *testing.T) {
	katatest.Guard(t)
	b := hBudget(t, 1000, 0.5)
	p := retry.Policy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1, Budget: b}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				retry.Do(context.Background(), p, func(context.Context) (int, error) { return -1, hTimeout })
			}
		})
	}
	wg.Wait()
	setup := fmt.Sprintf("budget, _ := retry.NewBudget(1000, 0.5); 8 goroutines each calling retry.Do(ctx, %s, failing op) 50 times at once", hPol(p))
	if !hWantTokens(t, setup, b, 600) {
		return
	}
	for range 8 {
		wg.Go(func() {
			for range 50 {
				retry.Do(context.Background(), p, func(context.Context) (int, error) { return 42, nil })
			}
		})
	}
	wg.Wait()
	hWantTokens(t, setup+"; then 8 goroutines each calling retry.Do(ctx, p, succeeding op) 50 times at once", b, 800)
}

// TestHiddenConcurrentDoSharedPolicy: concurrent calls sharing one Policy
// (with a Rand safe for concurrent use) and one Budget keep their own
// schedules; the budget stays exact (rule 22).
//
// Category: concurrency
func TestHiddenConcurrentDoSharedPolicy(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		b := hBudget(t, 100, 0.5)
		rnd, _ := hRand(0.5)
		p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, Jitter: 0.5, Rand: rnd, Budget: b}
		var wg sync.WaitGroup
		recs := make([]*hRec, 8)
		errs := make([]error, 8)
		for g := range recs {
			recs[g] = hNewRec()
			wg.Go(func() {
				_, errs[g] = retry.Do(context.Background(), p, recs[g].op(hAlways(hTimeout)))
			})
		}
		wg.Wait()
		call := fmt.Sprintf("budget, _ := retry.NewBudget(100, 0.5); 8 goroutines at once each calling retry.Do(ctx, %s, op), rnd always 0.5, op failing with errTimeout every time", hPol(p))
		for g, r := range recs {
			if !hWantTimes(t, fmt.Sprintf("%s: goroutine %d", call, g+1), r.at, []time.Duration{0, 75 * time.Millisecond, 225 * time.Millisecond}, "waits 100ms-25ms and 200ms-50ms in every call") {
				return
			}
			if !errors.Is(errs[g], retry.ErrExhausted) || !errors.Is(errs[g], hTimeout) {
				t.Errorf("%s: goroutine %d got %s, want an error matching retry.ErrExhausted and errTimeout", call, g+1, hDesc(errs[g]))
				return
			}
		}
		hWantTokens(t, call, b, 76)
	})
}

// TestHiddenDefaultJitterBounds: with DefaultPolicy and a nil Rand, every
// wait lies in [0, its ceiling], and the waits are random (rules 2, 3, 15).
//
// Category: behaviour
func TestHiddenDefaultJitterBounds(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		p := retry.DefaultPolicy()
		p.AttemptTimeout = 0
		ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
		below := 0
		const call = "p := retry.DefaultPolicy(); p.AttemptTimeout = 0; retry.Do(ctx, p, op), op failing with errTimeout every time"
		for i := range 200 {
			r := hNewRec()
			_, err, panicked := hDo(context.Background(), p, r.op(hAlways(hTimeout)))
			if panicked != "" {
				t.Errorf("%s (call %d) panicked: %s", call, i+1, panicked)
				return
			}
			if len(r.at) != 4 || !errors.Is(err, retry.ErrExhausted) {
				t.Errorf("%s (call %d) made attempts at %v and returned %s, want 4 attempts and an error matching retry.ErrExhausted", call, i+1, r.at, hDesc(err))
				return
			}
			for k, c := range ceilings {
				w := r.at[k+1] - r.at[k]
				if w < 0 || w > c {
					t.Errorf("%s (call %d) made attempts at %v: wait %d is %v, want a wait in [0s, %v] (jitter only shortens the ceiling)", call, i+1, r.at, k+1, w, c)
					return
				}
				if w < c {
					below++
				}
			}
		}
		if below == 0 {
			t.Errorf("%s 200 times: all 600 waits were exactly their ceilings, want random waits: with a nil Rand, u comes from math/rand/v2.Float64", call)
		}
	})
}

// ---- differential ----------------------------------------------------

// hStep is what one attempt of a differential script returns.
type hStep struct {
	kind int
	d    time.Duration
}

const (
	hsOK = iota
	hsTimeout
	hsRefused
	hsInvalid
	hsPermanent
	hsHint        // RetryAfter(errTimeout, d)
	hsWrappedHint // fmt.Errorf("rpc: %w", RetryAfter(errRefused, d))
	hsNoRetry     // RetryAfter(errTimeout, -1)
)

func (s hStep) String() string {
	switch s.kind {
	case hsOK:
		return "(42, nil)"
	case hsTimeout:
		return "errTimeout"
	case hsRefused:
		return "errRefused"
	case hsInvalid:
		return "errInvalid"
	case hsPermanent:
		return "retry.Permanent(errTimeout)"
	case hsHint:
		return fmt.Sprintf("retry.RetryAfter(errTimeout, %v)", s.d)
	case hsWrappedHint:
		return fmt.Sprintf("fmt.Errorf(\"rpc: %%w\", retry.RetryAfter(errRefused, %v))", s.d)
	}
	return "retry.RetryAfter(errTimeout, -1)"
}

// build makes the step's error with one package's wrappers.
func (s hStep) build(perm func(error) error, after func(error, time.Duration) error) error {
	switch s.kind {
	case hsOK:
		return nil
	case hsTimeout:
		return hTimeout
	case hsRefused:
		return hRefused
	case hsInvalid:
		return hInvalid
	case hsPermanent:
		return perm(hTimeout)
	case hsHint:
		return after(hTimeout, s.d)
	case hsWrappedHint:
		return fmt.Errorf("rpc: %w", after(hRefused, s.d))
	}
	return after(hTimeout, -1)
}

// hDiffCall is one Do call of a scenario: its ctx timeout (0: none) and
// what its attempts return (then success).
type hDiffCall struct {
	timeout time.Duration
	steps   []hStep
}

// hScenario is a policy, a Rand sequence (cycled) and calls that share
// the policy's budget and Rand.
type hScenario struct {
	attempts, limited int
	base, max         time.Duration
	mult, jitter      float64
	budgetMax         int // 0: no budget
	budgetRatio       float64
	rands             []float64
	calls             []hDiffCall
}

func (s hScenario) clone() hScenario {
	c := s
	c.calls = make([]hDiffCall, len(s.calls))
	for i, call := range s.calls {
		c.calls[i] = hDiffCall{call.timeout, append([]hStep(nil), call.steps...)}
	}
	return c
}

// hSide runs a scenario's calls on one implementation.
type hSide struct {
	do        func(ctx context.Context, op func(context.Context) (int, error)) (int, error)
	tokens    func() float64
	perm      func(error) error
	after     func(error, time.Duration) error
	exhausted error
	throttled error
	invalid   error
	randCalls *atomic.Int64
	classify  *hClassifier
}

func hRandCycle(vals []float64) (func() float64, *atomic.Int64) {
	var n atomic.Int64
	return func() float64 { return vals[int(n.Add(1)-1)%len(vals)] }, &n
}

func hLearnerSide(s hScenario) (*hSide, error) {
	rnd, rc := hRandCycle(s.rands)
	side := &hSide{perm: retry.Permanent, after: retry.RetryAfter, exhausted: retry.ErrExhausted, throttled: retry.ErrThrottled, invalid: retry.ErrInvalidPolicy, randCalls: rc, classify: &hClassifier{}}
	p := retry.Policy{MaxAttempts: s.attempts, BaseDelay: s.base, MaxDelay: s.max, Multiplier: s.mult, Jitter: s.jitter, Rand: rnd, LimitedRetries: s.limited, Classify: side.classify.classify}
	if s.budgetMax > 0 {
		b, err := retry.NewBudget(s.budgetMax, s.budgetRatio)
		if err != nil || b == nil {
			return nil, fmt.Errorf("retry.NewBudget(%d, %v) = (nil: %v, %s), want a budget and nil", s.budgetMax, s.budgetRatio, b == nil, hDesc(err))
		}
		p.Budget = b
		side.tokens = b.Tokens
	}
	side.do = func(ctx context.Context, op func(context.Context) (int, error)) (int, error) {
		return retry.Do(ctx, p, op)
	}
	return side, nil
}

// hRefClassify is the reference side's Classify.
func hRefClassify(c *hClassifier) func(error) ref.Class {
	return func(err error) ref.Class { return ref.Class(c.classify(err)) }
}

func hRefSide(s hScenario) *hSide {
	rnd, rc := hRandCycle(s.rands)
	side := &hSide{perm: ref.Permanent, after: ref.RetryAfter, exhausted: ref.ErrExhausted, throttled: ref.ErrThrottled, invalid: ref.ErrInvalidPolicy, randCalls: rc, classify: &hClassifier{}}
	p := ref.Policy{MaxAttempts: s.attempts, BaseDelay: s.base, MaxDelay: s.max, Multiplier: s.mult, Jitter: s.jitter, Rand: rnd, LimitedRetries: s.limited, Classify: hRefClassify(side.classify)}
	if s.budgetMax > 0 {
		b, _ := ref.NewBudget(s.budgetMax, s.budgetRatio)
		p.Budget = b
		side.tokens = b.Tokens
	}
	side.do = func(ctx context.Context, op func(context.Context) (int, error)) (int, error) {
		return ref.Do(ctx, p, op)
	}
	return side
}

// call runs one call and describes what it did: attempt times, result,
// tokens, Rand and Classify calls.
func (side *hSide) call(c hDiffCall) string {
	ctx := context.Background()
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	start := time.Now()
	var at []time.Duration
	var last error
	rand0, class0 := side.randCalls.Load(), side.classify.calls.Load()
	var v int
	var err error
	panicked, pv := hPanics(func() {
		v, err = side.do(ctx, func(context.Context) (int, error) {
			i := len(at)
			at = append(at, time.Since(start))
			if i < len(c.steps) {
				if e := c.steps[i].build(side.perm, side.after); e != nil {
					last = e
					return -1, e
				}
			}
			return 42, nil
		})
	})
	end := time.Since(start)
	var res string
	switch {
	case panicked:
		res = fmt.Sprintf("panicked: %v", pv)
	case err == nil:
		res = fmt.Sprintf("(%d, nil)", v)
	case last != nil && err == last:
		res = fmt.Sprintf("(%d, the last attempt's error itself)", v)
	default:
		var m []string
		for _, k := range []struct {
			name string
			err  error
		}{{"retry.ErrExhausted", side.exhausted}, {"retry.ErrThrottled", side.throttled}, {"retry.ErrInvalidPolicy", side.invalid}, {"context.Canceled", context.Canceled}, {"context.DeadlineExceeded", context.DeadlineExceeded}} {
			if errors.Is(err, k.err) {
				m = append(m, k.name)
			}
		}
		if last != nil && errors.Is(err, last) {
			m = append(m, "the last attempt's error")
		}
		res = fmt.Sprintf("(%d, an error matching %s)", v, strings.Join(m, " and "))
		if len(m) == 0 {
			res = fmt.Sprintf("(%d, %q, matching neither a retry error nor the last attempt's error)", v, err.Error())
		}
	}
	out := fmt.Sprintf("attempts at %v, returned %s at %v", at, res, end)
	if side.tokens != nil {
		out += fmt.Sprintf(", budget.Tokens() %v", side.tokens())
	}
	return out + fmt.Sprintf(", rnd called %d times, classify %d times", side.randCalls.Load()-rand0, side.classify.calls.Load()-class0)
}

// hRunScenario runs s on both sides and returns the index of the first
// call whose description differs (-1: none) and the two descriptions of
// every call up to it.
func hRunScenario(s hScenario) (at int, got, want []string) {
	mine, err := hLearnerSide(s)
	if err != nil {
		return 0, []string{err.Error()}, []string{"a budget"}
	}
	theirs := hRefSide(s)
	for i, c := range s.calls {
		g, w := mine.call(c), theirs.call(c)
		got, want = append(got, g), append(want, w)
		if g != w {
			return i, got, want
		}
	}
	return -1, got, want
}

func hGenScenario(rng *rand.Rand) hScenario {
	pick := func(xs ...float64) float64 { return xs[rng.IntN(len(xs))] }
	s := hScenario{
		attempts: 1 + rng.IntN(5),
		limited:  rng.IntN(3),
		base:     []time.Duration{40 * time.Millisecond, 100 * time.Millisecond}[rng.IntN(2)],
		mult:     pick(1, 1.5, 2),
		jitter:   pick(0, 0, 0.5, 1),
	}
	s.max = s.base * time.Duration(1<<rng.IntN(4))
	if rng.IntN(2) == 0 {
		s.budgetMax = []int{2, 3, 4, 10}[rng.IntN(4)]
		s.budgetRatio = pick(0.25, 0.5, 1)
	}
	for range 3 {
		s.rands = append(s.rands, pick(0, 0.25, 0.5, 0.75))
	}
	for range 1 + rng.IntN(6) {
		var c hDiffCall
		if rng.IntN(3) == 0 {
			c.timeout = []time.Duration{300 * time.Millisecond, time.Second, 2500 * time.Millisecond}[rng.IntN(3)]
		}
		for range rng.IntN(s.attempts + 2) {
			var st hStep
			switch r := rng.IntN(20); {
			case r < 3:
				st.kind = hsOK
			case r < 9:
				st.kind = hsTimeout
			case r < 13:
				st.kind = hsRefused
			case r < 14:
				st.kind = hsInvalid
			case r < 15:
				st.kind = hsPermanent
			case r < 17:
				st.kind = hsHint
			case r < 19:
				st.kind = hsWrappedHint
			default:
				st.kind = hsNoRetry
			}
			st.d = []time.Duration{0, 10 * time.Millisecond, 250 * time.Millisecond, time.Second}[rng.IntN(4)]
			c.steps = append(c.steps, st)
		}
		s.calls = append(s.calls, c)
	}
	return s
}

// hShrink makes a differing scenario smaller while it still differs:
// fewer calls, shorter scripts, simpler steps, no timeouts, a simpler
// policy. It stops when spent reports true.
func hShrink(s hScenario, spent func() bool) hScenario {
	differs := func(c hScenario) bool { at, _, _ := hRunScenario(c); return at >= 0 }
	try := func(c hScenario) bool {
		if !spent() && differs(c) {
			s = c
			return true
		}
		return false
	}
	for changed := true; changed && !spent(); {
		changed = false
		for i := 0; i < len(s.calls); i++ {
			c := s.clone()
			c.calls = append(c.calls[:i], c.calls[i+1:]...)
			if try(c) {
				changed, i = true, i-1
			}
		}
		for i := range s.calls {
			for j := 0; j < len(s.calls[i].steps); j++ {
				c := s.clone()
				c.calls[i].steps = append(c.calls[i].steps[:j], c.calls[i].steps[j+1:]...)
				if try(c) {
					changed, j = true, j-1
					continue
				}
				if s.calls[i].steps[j].kind != hsTimeout {
					c = s.clone()
					c.calls[i].steps[j] = hStep{kind: hsTimeout}
					changed = try(c) || changed
				}
			}
			if s.calls[i].timeout != 0 {
				c := s.clone()
				c.calls[i].timeout = 0
				changed = try(c) || changed
			}
		}
		for _, f := range []func(c *hScenario){
			func(c *hScenario) { c.budgetMax = 0 },
			func(c *hScenario) { c.jitter = 0 },
			func(c *hScenario) { c.limited = 0 },
			func(c *hScenario) { c.mult = 2 },
			func(c *hScenario) { c.max = c.base * 8 },
		} {
			c := s.clone()
			f(&c)
			if c.budgetMax != s.budgetMax || c.jitter != s.jitter || c.limited != s.limited || c.mult != s.mult || c.max != s.max {
				changed = try(c) || changed
			}
		}
	}
	return s
}

// hExplain prints a differing scenario as Go, with each call's outcome
// and, for the first that differs, the reference's.
func hExplain(s hScenario) string {
	at, got, want := hRunScenario(s)
	var b strings.Builder
	p := retry.Policy{MaxAttempts: s.attempts, BaseDelay: s.base, MaxDelay: s.max, Multiplier: s.mult, Jitter: s.jitter, LimitedRetries: s.limited, Rand: func() float64 { return 0 }, Classify: func(error) retry.Class { return 0 }}
	if s.budgetMax > 0 {
		fmt.Fprintf(&b, "budget, _ := retry.NewBudget(%d, %v); ", s.budgetMax, s.budgetRatio)
		p.Budget = &retry.Budget{}
	}
	pol := hPol(p)
	if s.jitter == 0 {
		pol = strings.Replace(pol, ", Rand: rnd", "", 1)
	}
	fmt.Fprintf(&b, "p := %s", pol)
	if s.jitter != 0 {
		fmt.Fprintf(&b, ", rnd yielding %v in turn, again and again", s.rands)
	}
	fmt.Fprintf(&b, ", %s; the calls, one after the other:", hClassifyDoc)
	for i := range got {
		c := s.calls[i]
		ctx := "ctx"
		if c.timeout > 0 {
			ctx = fmt.Sprintf("ctx with a %v timeout", c.timeout)
		}
		steps := make([]string, len(c.steps))
		for j, st := range c.steps {
			steps[j] = st.String()
		}
		script := "succeeding at once"
		if len(steps) > 0 {
			script = "returning " + strings.Join(steps, ", ") + ", then (42, nil)"
		}
		fmt.Fprintf(&b, "\n  retry.Do(%s, p, op), op %s: %s", ctx, script, got[i])
		if i == at {
			fmt.Fprintf(&b, "\n    want %s", want[i])
		}
	}
	return b.String()
}

// TestHiddenDifferential runs 300 random scenarios (a policy with or
// without a budget and jitter, then up to six calls sharing it, each with
// or without a deadline, whose attempts fail with every class, Permanent
// marks and hints) on the learner's Do and on the reference, in virtual
// time, and compares each call's attempt times, result, tokens, and Rand
// and Classify calls. A difference is shrunk to a short scenario and
// printed as Go (all rules of Do).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	katatest.Guard(t)
	// Shrinking a difference stops after 1.5 s of real time, well before
	// the guard fires. The clock starts at the first difference: a real
	// timer, outside the bubble.
	var spent atomic.Bool
	shrinking, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-shrinking:
			timer := time.NewTimer(1500 * time.Millisecond)
			defer timer.Stop()
			select {
			case <-timer.C:
				spent.Store(true)
			case <-done:
			}
		case <-done:
		}
	}()
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 42))
		for range 300 {
			s := hGenScenario(rng)
			if at, _, _ := hRunScenario(s); at < 0 {
				continue
			}
			close(shrinking)
			s = hShrink(s, spent.Load)
			t.Fatalf("differs from the reference:\n%s", hExplain(s))
		}
	})
}

// The last test guards against an endless loop with a real-time watchdog,
// whose panic ends the test binary, so it stays last in the file.

// TestHiddenBackoffHugeN: Backoff is O(1) in n: with Multiplier 1 the
// ceiling never grows, and Backoff(math.MaxInt, 0) returns BaseDelay at
// once (rule 3).
//
// Category: boundary
func TestHiddenBackoffHugeN(t *testing.T) {
	katatest.Watchdog(t, 4*time.Second, "retry.Policy{MaxAttempts: 3, BaseDelay: 100ms, MaxDelay: 1s, Multiplier: 1}.Backoff(math.MaxInt, 0) has not returned: does Backoff loop over n? It must take the same time for any n (math.Pow)")
	p := retry.Policy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 1}
	got, panicked := hBackoff(p, math.MaxInt, 0)
	call := fmt.Sprintf("%s.Backoff(math.MaxInt, 0)", hPol(p))
	if panicked != "" {
		t.Errorf("%s panicked: %s", call, panicked)
	} else if got != 100*time.Millisecond {
		t.Errorf("%s = %v, want 100ms (Multiplier 1: the ceiling stays BaseDelay)", call, got)
	}
}
