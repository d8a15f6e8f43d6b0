package retry_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/retry"
)

// The errors of the seed's table: a timeout is retried with backoff, a
// refused connection a limited number of times, a validation error never.
var (
	errTimeout = errors.New("test: timeout")
	errRefused = errors.New("test: connection refused")
	errInvalid = errors.New("test: invalid request")
)

// classify is the Classify of the tests: the seed's table.
func classify(err error) retry.Class {
	switch {
	case errors.Is(err, errRefused):
		return retry.ClassLimited
	case errors.Is(err, errInvalid):
		return retry.ClassFail
	}
	return retry.ClassRetry
}

// b250 is B(250ms) of the README's examples: five attempts, waits of
// 100 ms, 200 ms, then 250 ms (the cap), no jitter.
func b250() retry.Policy {
	return retry.Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond, Multiplier: 2}
}

// policyString prints a Policy as Go, its set fields only; the functions
// and the budget by the names the tests give them.
func policyString(p retry.Policy) string {
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

// known are the errors a message names when an error matches them.
var known = []struct {
	name string
	err  error
}{
	{"retry.ErrInvalidPolicy", retry.ErrInvalidPolicy},
	{"retry.ErrInvalidBudget", retry.ErrInvalidBudget},
	{"retry.ErrExhausted", retry.ErrExhausted},
	{"retry.ErrThrottled", retry.ErrThrottled},
	{"context.Canceled", context.Canceled},
	{"context.DeadlineExceeded", context.DeadlineExceeded},
	{"errTimeout", errTimeout},
	{"errRefused", errRefused},
	{"errInvalid", errInvalid},
}

// errDesc describes an error by its text and the known errors it matches.
func errDesc(err error) string {
	if err == nil {
		return "nil"
	}
	var m []string
	for _, k := range known {
		if errors.Is(err, k.err) {
			m = append(m, k.name)
		}
	}
	if len(m) == 0 {
		return fmt.Sprintf("%q (matches none of the retry or test errors)", err.Error())
	}
	return fmt.Sprintf("%q (matches %s)", err.Error(), strings.Join(m, ", "))
}

// wantStop checks that Do returned the zero value and an error matching
// reason and last (and no other sentinel of the package).
func wantStop(t *testing.T, call string, v int, err error, reason, last error, reasonName, lastName string) bool {
	t.Helper()
	ok := v == 0 && errors.Is(err, reason) && errors.Is(err, last)
	for _, k := range known[:4] {
		if k.err != reason && errors.Is(err, k.err) {
			ok = false
		}
	}
	if !ok {
		t.Errorf("%s = (%d, %s), want (0, an error matching %s and %s, and no other retry.Err… value)", call, v, errDesc(err), reasonName, lastName)
	}
	return ok
}

// wantSame checks that Do returned the zero value and the attempt's error
// itself.
func wantSame(t *testing.T, call string, v int, err, want error, wantName string) bool {
	t.Helper()
	if v != 0 || err != want {
		t.Errorf("%s = (%d, %s), want (0, %s itself, unchanged: err == it)", call, v, errDesc(err), wantName)
		return false
	}
	return true
}

// recorder makes ops that note the virtual time of every attempt, counted
// from its start.
type recorder struct {
	start time.Time
	at    []time.Duration
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

// op returns an op whose attempt i (from 0) returns (-1, fail(i)) when
// fail(i) is not nil, else (42, nil). A failed attempt returns -1, not 0:
// Do must return the zero value with every error (rule 19).
func (r *recorder) op(fail func(i int) error) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		i := len(r.at)
		r.at = append(r.at, time.Since(r.start))
		if err := fail(i); err != nil {
			return -1, err
		}
		return 42, nil
	}
}

// always fails every attempt with err.
func always(err error) func(int) error { return func(int) error { return err } }

// seq fails attempt i with errs[i], and succeeds once they run out.
func seq(errs ...error) func(int) error {
	return func(i int) error {
		if i < len(errs) {
			return errs[i]
		}
		return nil
	}
}

// sameTimes reports whether two lists of attempt times are equal.
func sameTimes(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// randSeq returns a Rand that yields vals in order (then 0) and counts its
// calls.
func randSeq(vals ...float64) (func() float64, *atomic.Int64) {
	var n atomic.Int64
	return func() float64 {
		i := n.Add(1) - 1
		if int(i) < len(vals) {
			return vals[i]
		}
		return 0
	}, &n
}

// backoff calls p.Backoff(n, u) and turns a panic into a message; the
// stub's "not implemented" panic goes on, so an untouched stub reads "not
// started".
func backoff(p retry.Policy, n int, u float64) (d time.Duration, panicked string) {
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(string); ok && s == "not implemented" {
				panic(r)
			}
			panicked = fmt.Sprint(r)
		}
	}()
	return p.Backoff(n, u), ""
}

// Rules 1, 2 and 5: DefaultPolicy's values are valid; nothing is silently
// defaulted, so the zero Policy is invalid; Do with an invalid policy
// returns an error matching ErrInvalidPolicy and never calls op.
func TestValidate(t *testing.T) {
	katatest.Guard(t)
	p := retry.DefaultPolicy()
	got := fmt.Sprintf("MaxAttempts %d, BaseDelay %v, MaxDelay %v, Multiplier %v, Jitter %v, AttemptTimeout %v, LimitedRetries %d, Rand nil %v, Classify nil %v, Budget nil %v",
		p.MaxAttempts, p.BaseDelay, p.MaxDelay, p.Multiplier, p.Jitter, p.AttemptTimeout, p.LimitedRetries, p.Rand == nil, p.Classify == nil, p.Budget == nil)
	const want = "MaxAttempts 4, BaseDelay 100ms, MaxDelay 1s, Multiplier 2, Jitter 1, AttemptTimeout 500ms, LimitedRetries 2, Rand nil true, Classify nil true, Budget nil true"
	if got != want {
		t.Errorf("retry.DefaultPolicy() =\n  %s,\nwant\n  %s", got, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("retry.DefaultPolicy().Validate() = %s, want nil", errDesc(err))
	}

	noAttempts := retry.DefaultPolicy()
	noAttempts.MaxAttempts = 0
	bigJitter := retry.DefaultPolicy()
	bigJitter.Jitter = 1.5
	for _, p := range []retry.Policy{{}, noAttempts, bigJitter} {
		ps := policyString(p)
		if err := p.Validate(); !errors.Is(err, retry.ErrInvalidPolicy) {
			t.Errorf("%s.Validate() = %s, want an error matching retry.ErrInvalidPolicy", ps, errDesc(err))
		}
		calls := 0
		v, err := retry.Do(context.Background(), p, func(context.Context) (int, error) { calls++; return 42, nil })
		call := fmt.Sprintf("retry.Do(ctx, %s, op)", ps)
		if v != 0 || !errors.Is(err, retry.ErrInvalidPolicy) {
			t.Errorf("%s = (%d, %s), want (0, an error matching retry.ErrInvalidPolicy)", call, v, errDesc(err))
		}
		if calls != 0 {
			t.Errorf("%s called op %d times, want 0: an invalid policy runs nothing", call, calls)
		}
	}
}

// Rule 3: the ceiling grows from BaseDelay by Multiplier and is capped at
// MaxDelay before the jitter, which only shortens the wait:
// c - c·Jitter·u.
func TestBackoffTable(t *testing.T) {
	withJitter := func(j float64) retry.Policy {
		p := b250()
		p.Jitter = j
		return p
	}
	cases := []struct {
		p    retry.Policy
		n    int
		u    float64
		want time.Duration
	}{
		{b250(), 0, 0, 100 * time.Millisecond},
		{b250(), 1, 0, 200 * time.Millisecond},
		{b250(), 2, 0, 250 * time.Millisecond}, // 400 ms capped
		{withJitter(1), 0, 0.5, 50 * time.Millisecond},
		{withJitter(1), 1, 0.75, 50 * time.Millisecond},
		{withJitter(1), 2, 0.5, 125 * time.Millisecond}, // the cap comes before the jitter
		{withJitter(0.5), 0, 0.5, 75 * time.Millisecond},
	}
	for _, tc := range cases {
		call := fmt.Sprintf("%s.Backoff(%d, %v)", policyString(tc.p), tc.n, tc.u)
		got, panicked := backoff(tc.p, tc.n, tc.u)
		if panicked != "" {
			t.Errorf("%s panicked: %s", call, panicked)
			continue
		}
		if got != tc.want {
			t.Errorf("%s = %v, want %v", call, got, tc.want)
		}
	}
}

// Rules 6, 12 and 15: without jitter the waits are exactly 100, 200, 250
// and 250 ms; the fifth failure ends Do with an error matching both
// ErrExhausted and the last attempt's error.
func TestScheduleNoJitter(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder()
		p := b250()
		v, err := retry.Do(context.Background(), p, r.op(always(errTimeout)))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with errTimeout every time,", policyString(p))
		want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 550 * time.Millisecond, 800 * time.Millisecond}
		if !sameTimes(r.at, want) {
			t.Errorf("%s made attempts at %v, want %v (waits of 100ms, 200ms, 250ms, 250ms)", call, r.at, want)
		}
		wantStop(t, call[:len(call)-1], v, err, retry.ErrExhausted, errTimeout, "retry.ErrExhausted", "errTimeout")
		if end != 800*time.Millisecond {
			t.Errorf("%s returned at %v, want 800ms (right after the fifth attempt, no wait after it)", call, end)
		}
	})
}

// Rule 15: with Jitter 1 each backoff wait calls Rand once and is
// c - c·u: 100-50, 200-150, 400-0 ms.
func TestJitterUsesRand(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		rnd, calls := randSeq(0.5, 0.75, 0)
		p := retry.Policy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, Jitter: 1, Rand: rnd}
		r := newRecorder()
		v, err := retry.Do(context.Background(), p, r.op(always(errTimeout)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), rnd yielding 0.5, 0.75, 0, op failing with errTimeout every time,", policyString(p))
		want := []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond}
		if !sameTimes(r.at, want) {
			t.Errorf("%s made attempts at %v, want %v (waits of 100ms-50ms, 200ms-150ms, 400ms-0s)", call, r.at, want)
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("%s called rnd %d times, want 3 (once per backoff wait)", call, n)
		}
		wantStop(t, call[:len(call)-1], v, err, retry.ErrExhausted, errTimeout, "retry.ErrExhausted", "errTimeout")
	})
}

// Rules 9 and 18: an error marked Permanent is returned at once and
// unchanged, and still matches the error it wraps.
func TestPermanentFailsFast(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		perm := retry.Permanent(errInvalid)
		p := b250()
		r := newRecorder()
		v, err := retry.Do(context.Background(), p, r.op(always(perm)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with retry.Permanent(errInvalid)", policyString(p))
		if len(r.at) != 1 {
			t.Errorf("%s made %d attempts (at %v), want 1", call, len(r.at), r.at)
		}
		wantSame(t, call, v, err, perm, "the retry.Permanent(errInvalid) value")
		if !errors.Is(err, errInvalid) {
			t.Errorf("%s: errors.Is(err, errInvalid) = false, want true (Permanent(e) matches e)", call)
		}
	})
}

// Rules 9 and 13: the seed's table. A timeout is retried up to
// MaxAttempts, a refused connection at most LimitedRetries times, a
// validation error never (and comes back unchanged).
func TestSeedTableClasses(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		attempts int
	}{
		{"errTimeout", errTimeout, 10},
		{"errRefused", errRefused, 3},
		{"errInvalid", errInvalid, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			katatest.Guard(t)
			synctest.Test(t, func(t *testing.T) {
				p := retry.Policy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, LimitedRetries: 2, Classify: classify}
				r := newRecorder()
				v, err := retry.Do(context.Background(), p, r.op(always(tc.err)))
				call := fmt.Sprintf("retry.Do(ctx, %s, op), classify mapping errTimeout to ClassRetry, errRefused to ClassLimited, errInvalid to ClassFail, op failing with %s every time", policyString(p), tc.name)
				if len(r.at) != tc.attempts {
					t.Errorf("%s made %d attempts, want %d", call, len(r.at), tc.attempts)
				}
				if tc.err == errInvalid {
					wantSame(t, call, v, err, errInvalid, "errInvalid")
				} else {
					wantStop(t, call, v, err, retry.ErrExhausted, tc.err, "retry.ErrExhausted", tc.name)
				}
			})
		})
	}
}

// Rules 11 and 15: a server's hint replaces the backoff wait exactly (no
// cap, no jitter); a negative hint means "do not retry" and the error
// comes back unchanged.
func TestRetryAfterHint(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		hinted := retry.RetryAfter(errTimeout, 2*time.Second)
		p := b250()
		r := newRecorder()
		v, err := retry.Do(context.Background(), p, r.op(seq(errTimeout, hinted, nil)))
		call := fmt.Sprintf("retry.Do(ctx, %s, op), op failing with errTimeout, then retry.RetryAfter(errTimeout, 2s), then succeeding,", policyString(p))
		want := []time.Duration{0, 100 * time.Millisecond, 2100 * time.Millisecond}
		if !sameTimes(r.at, want) {
			t.Errorf("%s made attempts at %v, want %v (a backoff wait of 100ms, then the hinted 2s)", call, r.at, want)
		}
		if v != 42 || err != nil {
			t.Errorf("%s = (%d, %s), want (42, nil)", call[:len(call)-1], v, errDesc(err))
		}

		refuse := retry.RetryAfter(errTimeout, -1)
		r = newRecorder()
		v, err = retry.Do(context.Background(), p, r.op(always(refuse)))
		call = fmt.Sprintf("retry.Do(ctx, %s, op), op failing with retry.RetryAfter(errTimeout, -1ns)", policyString(p))
		if len(r.at) != 1 {
			t.Errorf("%s made %d attempts, want 1 (a negative hint means do not retry)", call, len(r.at))
		}
		wantSame(t, call, v, err, refuse, "the retry.RetryAfter(errTimeout, -1ns) value")
	})
}

// Rule 16: Do never starts a wait that would end at or after the
// caller's deadline; it fails at once with DeadlineExceeded and the last
// error, instead of sleeping until the deadline.
func TestDeadlineFailFast(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p := retry.Policy{MaxAttempts: 5, BaseDelay: 400 * time.Millisecond, MaxDelay: 10 * time.Second, Multiplier: 2}
		r := newRecorder()
		v, err := retry.Do(ctx, p, r.op(always(errTimeout)))
		end := time.Since(r.start)
		call := fmt.Sprintf("retry.Do(ctx with a 1s timeout, %s, op), op failing with errTimeout every time,", policyString(p))
		want := []time.Duration{0, 400 * time.Millisecond}
		if !sameTimes(r.at, want) {
			t.Errorf("%s made attempts at %v, want %v", call, r.at, want)
		}
		if end != 400*time.Millisecond {
			t.Errorf("%s returned at %v, want 400ms: the next wait (800ms) would end after the deadline, so Do fails at once", call, end)
		}
		wantStop(t, call[:len(call)-1], v, err, context.DeadlineExceeded, errTimeout, "context.DeadlineExceeded", "errTimeout")
	})
}

// Rules 10, 14 and 21: every failure costs a token; a retry is allowed
// only while more than half of the tokens are left. Ten tokens allow four
// retries; the next call has no retry left at all.
func TestBudgetThrottles(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		budget, err := retry.NewBudget(10, 0.1)
		if err != nil || budget == nil {
			t.Fatalf("retry.NewBudget(10, 0.1) = (nil: %v, %s), want a budget and nil", budget == nil, errDesc(err))
		}
		p := retry.Policy{MaxAttempts: 20, BaseDelay: 10 * time.Millisecond, MaxDelay: time.Second, Multiplier: 2, Budget: budget}
		const setup = "budget, _ := retry.NewBudget(10, 0.1); "
		for i, want := range []struct {
			attempts int
			tokens   float64
		}{{5, 5}, {1, 4}} {
			r := newRecorder()
			v, err := retry.Do(context.Background(), p, r.op(always(errTimeout)))
			call := fmt.Sprintf("%sretry.Do(ctx, %s, op) (call %d), op failing with errTimeout every time", setup, policyString(p), i+1)
			if len(r.at) != want.attempts {
				t.Errorf("%s made %d attempts, want %d", call, len(r.at), want.attempts)
			}
			wantStop(t, call, v, err, retry.ErrThrottled, errTimeout, "retry.ErrThrottled", "errTimeout")
			if got := budget.Tokens(); got != want.tokens {
				t.Errorf("%s; budget.Tokens() = %v, want %v", call, got, want.tokens)
			}
		}
	})
}

// Rule 22 (run with -race): one Budget shared by many goroutines, each
// charging failures and crediting successes.
func TestConcurrentSharedBudget(t *testing.T) {
	katatest.Guard(t)
	budget, err := retry.NewBudget(1000, 0.001)
	if err != nil || budget == nil {
		t.Fatalf("retry.NewBudget(1000, 0.001) = (nil: %v, %s), want a budget and nil", budget == nil, errDesc(err))
	}
	p := retry.Policy{MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1, Budget: budget}
	var wrong atomic.Int64
	katatest.Hammer(8, 200, func(g, i int) {
		fail := i%2 == 1
		v, err := retry.Do(context.Background(), p, func(context.Context) (int, error) {
			if fail {
				return -1, errTimeout
			}
			return 42, nil
		})
		if fail && (v != 0 || !errors.Is(err, retry.ErrExhausted) || !errors.Is(err, errTimeout)) ||
			!fail && (v != 42 || err != nil) {
			wrong.Add(1)
		}
	})
	call := fmt.Sprintf("budget, _ := retry.NewBudget(1000, 0.001); 8 goroutines each calling retry.Do(ctx, %s, op) 200 times, op failing with errTimeout every other call", policyString(p))
	if n := wrong.Load(); n != 0 {
		t.Errorf("%s: %d calls did not return (42, nil) for a success or (0, an error matching retry.ErrExhausted and errTimeout) for a failure", call, n)
	}
	if got := budget.Tokens(); got < 0 || got > 1000 {
		t.Errorf("%s; budget.Tokens() = %v, want a value in [0, 1000]", call, got)
	}
}

// BenchmarkDoFirstTry measures the common path: the first attempt
// succeeds. It must not allocate or create a timer.
func BenchmarkDoFirstTry(b *testing.B) {
	p := retry.DefaultPolicy()
	p.AttemptTimeout = 0
	ctx := context.Background()
	op := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := retry.Do(ctx, p, op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDoAttemptTimeout measures a first-try success under the
// default 500 ms attempt timeout: one context.WithTimeout per call.
func BenchmarkDoAttemptTimeout(b *testing.B) {
	p := retry.DefaultPolicy()
	ctx := context.Background()
	op := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := retry.Do(ctx, p, op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDoRetryAfterZero measures one retry without a sleep: the first
// attempt fails with a hint of 0, the second succeeds.
func BenchmarkDoRetryAfterZero(b *testing.B) {
	p := retry.DefaultPolicy()
	p.AttemptTimeout = 0
	ctx := context.Background()
	hinted := retry.RetryAfter(errTimeout, 0)
	fail := false
	op := func(context.Context) (int, error) {
		fail = !fail
		if fail {
			return 0, hinted
		}
		return 1, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := retry.Do(ctx, p, op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBackoff measures the backoff formula.
func BenchmarkBackoff(b *testing.B) {
	p := retry.DefaultPolicy()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Backoff(i&7, 0.5)
		i++
	}
}

// BenchmarkDoBudgetParallel measures successes from all processors at
// once, crediting one shared budget that stays full.
func BenchmarkDoBudgetParallel(b *testing.B) {
	budget, err := retry.NewBudget(100, 0.1)
	if err != nil {
		b.Fatal(err)
	}
	p := retry.DefaultPolicy()
	p.AttemptTimeout = 0
	p.Budget = budget
	op := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			retry.Do(ctx, p, op)
		}
	})
}
