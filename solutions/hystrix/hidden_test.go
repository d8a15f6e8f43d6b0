//go:build microkata_hidden

package hystrix_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/hystrix"
	ref "github.com/microkata/microkata/solutions/hystrix"
)

// Every failure message names the calls that led to it, with the virtual
// time since New ("t0+1.5s"), what came back and what was expected: a
// learner sees only the test's name, category and message.

// hErrRun is the error of a failing run; hErrFallback that of a failing
// fallback.
var (
	hErrRun      = errors.New("hidden: run failed")
	hErrFallback = errors.New("hidden: fallback failed")
)

// hSt names a State by the kata's constants, not by the learner's String.
func hSt(s hystrix.State) string {
	switch s {
	case hystrix.StateClosed:
		return "closed"
	case hystrix.StateHalfOpen:
		return "half-open"
	case hystrix.StateOpen:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// hM prints Metrics field by field, in decimal.
func hM(m hystrix.Metrics) string {
	return fmt.Sprintf("{State:%s Requests:%d Successes:%d Failures:%d Timeouts:%d ShortCircuits:%d Rejections:%d ErrorPercent:%d InFlight:%d}",
		hSt(m.State), m.Requests, m.Successes, m.Failures, m.Timeouts, m.ShortCircuits, m.Rejections, m.ErrorPercent, m.InFlight)
}

// hCfg prints a Config as Go.
func hCfg(c hystrix.Config) string {
	d := func(d time.Duration) string {
		if d == math.MaxInt64 {
			return "math.MaxInt64"
		}
		return d.String()
	}
	i := func(n int) string {
		if n == math.MaxInt {
			return "math.MaxInt"
		}
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("hystrix.Config{Timeout: %s, MaxConcurrentRequests: %s, RequestVolumeThreshold: %s, SleepWindow: %s, ErrorPercentThreshold: %d}",
		d(c.Timeout), i(c.MaxConcurrentRequests), i(c.RequestVolumeThreshold), d(c.SleepWindow), c.ErrorPercentThreshold)
}

// hC is the usual configuration of the tests: Timeout 1s, 100 runs at once,
// SleepWindow 5s, and the given volume and percentage thresholds.
func hC(volume, percent int) hystrix.Config {
	return hystrix.Config{Timeout: time.Second, MaxConcurrentRequests: 100, RequestVolumeThreshold: volume,
		SleepWindow: 5 * time.Second, ErrorPercentThreshold: percent}
}

// hErrName names an error by what it is or matches.
func hErrName(err error) string {
	if err == nil {
		return "nil"
	}
	if err == hErrRun {
		return "errRun (the run's error itself)"
	}
	known := []struct {
		err  error
		name string
	}{
		{hystrix.ErrTimeout, "ErrTimeout"},
		{hystrix.ErrCircuitOpen, "ErrCircuitOpen"},
		{hystrix.ErrMaxConcurrency, "ErrMaxConcurrency"},
		{hystrix.ErrInvalidConfig, "ErrInvalidConfig"},
		{context.Canceled, "context.Canceled"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"},
		{hErrFallback, "errFallback"},
		{hErrRun, "errRun"},
	}
	var names []string
	exact := false
	for _, k := range known {
		if errors.Is(err, k.err) {
			names = append(names, k.name)
			exact = exact || err == k.err
		}
	}
	switch {
	case len(names) == 0:
		return fmt.Sprintf("error %q", err.Error())
	case len(names) == 1 && exact:
		return names[0]
	}
	return fmt.Sprintf("an error matching %s (%q)", strings.Join(names, " and "), err.Error())
}

// hIs reports whether err is what a test wants: nil, errRun itself, or an
// error matching every one of want.
func hIs(err error, want ...error) bool {
	if len(want) == 0 || want[0] == nil {
		return err == nil
	}
	if len(want) == 1 && want[0] == hErrRun {
		return err == hErrRun
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			return false
		}
	}
	return true
}

// hWantNames names what a test wants.
func hWantNames(want ...error) string {
	if len(want) == 0 || want[0] == nil {
		return "nil"
	}
	if len(want) == 1 {
		return hErrName(want[0])
	}
	names := make([]string, len(want))
	for i, w := range want {
		names[i] = hErrName(w)
	}
	return "an error matching " + strings.Join(names, " and ")
}

// hCmd prints what New returned: a command or nil.
func hCmd(c *hystrix.Command[int]) string {
	if c == nil {
		return "nil"
	}
	return "a command"
}

// hNew calls New and stops the test if it fails.
func hNew(t *testing.T, cfg hystrix.Config) *hystrix.Command[int] {
	t.Helper()
	c, err := hystrix.New[int](cfg)
	if err != nil || c == nil {
		t.Fatalf("New[int](%s) = (%s, %s), want a command and nil", hCfg(cfg), hCmd(c), hErrName(err))
	}
	return c
}

// hClock stamps calls with the virtual time since t0, the instant of New.
type hClock struct{ t0 time.Time }

func (k hClock) since() time.Duration { return time.Since(k.t0) }
func (k hClock) now() string          { return "t0+" + k.since().String() }

// sleepTo sleeps until t0+d and lets every goroutine due then run.
func (k hClock) sleepTo(d time.Duration) {
	time.Sleep(d - k.since())
	synctest.Wait()
}

// hWantMetrics checks c.Metrics(); after says what was called before it.
func hWantMetrics(t *testing.T, c *hystrix.Command[int], want hystrix.Metrics, after string) bool {
	t.Helper()
	if got := c.Metrics(); got != want {
		t.Errorf("%s; Metrics() = %s, want %s", after, hM(got), hM(want))
		return false
	}
	return true
}

// hWantState checks c.State(); after says what was called before it.
func hWantState(t *testing.T, c *hystrix.Command[int], want hystrix.State, after string) bool {
	t.Helper()
	if got := c.State(); got != want {
		t.Errorf("%s; State() = %s, want %s", after, hSt(got), hSt(want))
		return false
	}
	return true
}

// hWantResult checks what a call of Execute returned.
func hWantResult(t *testing.T, call string, v int, err error, wantV int, want ...error) bool {
	t.Helper()
	if v != wantV || !hIs(err, want...) {
		t.Errorf("%s = (%d, %s), want (%d, %s)", call, v, hErrName(err), wantV, hWantNames(want...))
		return false
	}
	return true
}

// hRet returns a run that returns (v, err) at once, counting its calls.
func hRet(calls *atomic.Int32, v int, err error) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		if calls != nil {
			calls.Add(1)
		}
		return v, err
	}
}

func hOK(context.Context) (int, error)   { return 1, nil }
func hFail(context.Context) (int, error) { return 0, hErrRun }

// hWaitCtx is a run that waits for its ctx to be done.
func hWaitCtx(ctx context.Context) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// hSleepRun returns a run that ignores its ctx, sleeps d and returns (v, err).
func hSleepRun(d time.Duration, v int, err error) func(context.Context) (int, error) {
	return func(context.Context) (int, error) {
		time.Sleep(d)
		return v, err
	}
}

// hGateRun returns a run that waits until gate is closed (or its ctx is
// done) and then returns (v, err).
func hGateRun(gate <-chan struct{}, v int, err error) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		select {
		case <-gate:
			return v, err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// hFb is a fallback that records how it was called and returns (v, err).
type hFb struct {
	v   int
	err error

	mu    sync.Mutex
	calls int
	cause error
	ctx   context.Context
}

func (f *hFb) fn(ctx context.Context, cause error) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.cause, f.ctx = cause, ctx
	return f.v, f.err
}

// called returns the number of calls and the last cause.
func (f *hFb) called() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.cause
}

// wantNotCalled checks that the fallback was never called.
func (f *hFb) wantNotCalled(t *testing.T, call string) bool {
	t.Helper()
	if n, cause := f.called(); n != 0 {
		t.Errorf("%s: the fallback was called (%d times, cause %s), want it not called", call, n, hErrName(cause))
		return false
	}
	return true
}

// wantCause checks that the fallback was called once with a cause
// matching want (errRun: the run's error itself).
func (f *hFb) wantCause(t *testing.T, call string, want error) bool {
	t.Helper()
	if n, cause := f.called(); n != 1 || !hIs(cause, want) {
		t.Errorf("%s: the fallback was called %d times, with cause %s, want once with %s", call, n, hErrName(cause), hErrName(want))
		return false
	}
	return true
}

// hAsync is an Execute running on a goroutine of its own.
type hAsync struct {
	done chan struct{}
	k    hClock
	v    int
	err  error
	at   time.Duration
}

// hGo starts c.Execute(ctx, run, fb) on a new goroutine.
func hGo(k hClock, c *hystrix.Command[int], ctx context.Context, run func(context.Context) (int, error),
	fb func(context.Context, error) (int, error)) *hAsync {
	a := &hAsync{done: make(chan struct{}), k: k}
	go func() {
		defer close(a.done)
		a.v, a.err = c.Execute(ctx, run, fb)
		a.at = k.since()
	}()
	return a
}

// finished reports whether the Execute has returned.
func (a *hAsync) finished() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// wantPending checks that the Execute has not returned yet.
func (a *hAsync) wantPending(t *testing.T, call string) bool {
	t.Helper()
	if a.finished() {
		t.Errorf("%s returned (%d, %s) at t0+%v, want it still running at %s", call, a.v, hErrName(a.err), a.at, a.k.now())
		return false
	}
	return true
}

// want checks that the Execute returned (wantV, an error as hIs wants)
// at t0+at.
func (a *hAsync) want(t *testing.T, call string, at time.Duration, wantV int, want ...error) bool {
	t.Helper()
	if !a.finished() {
		t.Errorf("%s has not returned at %s, want (%d, %s) at t0+%v", call, a.k.now(), wantV, hWantNames(want...), at)
		return false
	}
	if a.v != wantV || !hIs(a.err, want...) || a.at != at {
		t.Errorf("%s = (%d, %s) at t0+%v, want (%d, %s) at t0+%v", call, a.v, hErrName(a.err), a.at, wantV, hWantNames(want...), at)
		return false
	}
	return true
}

// hNotImplemented reports whether a recovered value is the stub's panic,
// which must reach the grader so that an untouched stub reads "not
// started".
func hNotImplemented(r any) bool {
	s, ok := r.(string)
	return ok && s == "not implemented"
}

// hTryNew calls New, recovering a panic (the stub's is re-panicked).
func hTryNew(cfg hystrix.Config) (c *hystrix.Command[int], err error, panicked any) {
	defer func() {
		if r := recover(); r != nil {
			if hNotImplemented(r) {
				panic(r)
			}
			panicked = r
		}
	}()
	c, err = hystrix.New[int](cfg)
	return c, err, nil
}

// TestHiddenConfigEdges checks the limits of rule 1: thresholds of 1 and
// 100 and the largest values are valid (MaxConcurrentRequests math.MaxInt
// must cost no memory and work), and values just out of range are not.
//
// Category: config
func TestHiddenConfigEdges(t *testing.T) {
	katatest.Guard(t)
	valid := []hystrix.Config{
		{Timeout: 1, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: 1, ErrorPercentThreshold: 1},
		{Timeout: time.Second, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 100},
		{Timeout: math.MaxInt64, MaxConcurrentRequests: math.MaxInt, RequestVolumeThreshold: math.MaxInt, SleepWindow: math.MaxInt64, ErrorPercentThreshold: 100},
		{Timeout: time.Second, MaxConcurrentRequests: math.MaxInt, RequestVolumeThreshold: 10, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50},
	}
	for _, cfg := range valid {
		c, err, p := hTryNew(cfg)
		switch {
		case p != nil:
			t.Errorf("New[int](%s) panicked: %v; want a command and nil (New never panics, and a bulkhead of math.MaxInt slots must take no memory)", hCfg(cfg), p)
		case c == nil || err != nil:
			t.Errorf("New[int](%s) = (%s, %s), want a command and nil", hCfg(cfg), hCmd(c), hErrName(err))
		}
	}

	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		cfg := valid[3]
		c, _, p := hTryNew(cfg)
		if p != nil || c == nil {
			return // reported above
		}
		call := "c, _ := New[int](" + hCfg(cfg) + "); Execute(ctx, run returning (1, nil), nil)"
		v, err := c.Execute(context.Background(), hOK, nil)
		if hWantResult(t, call, v, err, 1, nil) {
			hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Successes: 1}, call)
		}
	})

	base := hC(10, 50)
	invalid := []struct {
		name string
		edit func(*hystrix.Config)
	}{
		{"SleepWindow -1ns", func(c *hystrix.Config) { c.SleepWindow = -1 }},
		{"SleepWindow math.MinInt64", func(c *hystrix.Config) { c.SleepWindow = math.MinInt64 }},
		{"Timeout 0", func(c *hystrix.Config) { c.Timeout = 0 }},
		{"Timeout math.MinInt64", func(c *hystrix.Config) { c.Timeout = math.MinInt64 }},
		{"RequestVolumeThreshold 0", func(c *hystrix.Config) { c.RequestVolumeThreshold = 0 }},
		{"RequestVolumeThreshold math.MinInt", func(c *hystrix.Config) { c.RequestVolumeThreshold = math.MinInt }},
		{"MaxConcurrentRequests math.MinInt", func(c *hystrix.Config) { c.MaxConcurrentRequests = math.MinInt }},
		{"ErrorPercentThreshold 101", func(c *hystrix.Config) { c.ErrorPercentThreshold = 101 }},
		{"ErrorPercentThreshold math.MaxInt", func(c *hystrix.Config) { c.ErrorPercentThreshold = math.MaxInt }},
		{"ErrorPercentThreshold 0", func(c *hystrix.Config) { c.ErrorPercentThreshold = 0 }},
	}
	for _, tc := range invalid {
		cfg := base
		tc.edit(&cfg)
		c, err, p := hTryNew(cfg)
		switch {
		case p != nil:
			t.Errorf("%s: New[int](%s) panicked: %v; want (nil, ErrInvalidConfig)", tc.name, hCfg(cfg), p)
		case c != nil || !errors.Is(err, hystrix.ErrInvalidConfig):
			t.Errorf("%s: New[int](%s) = (%s, %s), want (nil, ErrInvalidConfig)", tc.name, hCfg(cfg), hCmd(c), hErrName(err))
		}
	}
}

// hExecutePanics calls c.Execute(ctx, nil, nil) and returns what it
// panicked with, or the results if it did not panic.
func hExecutePanics(c *hystrix.Command[int], ctx context.Context) (panicked any, v int, err error) {
	defer func() {
		if r := recover(); r != nil {
			if hNotImplemented(r) {
				panic(r)
			}
			panicked = r
		}
	}()
	v, err = c.Execute(ctx, nil, nil)
	return nil, v, err
}

// TestHiddenNilRunPanics checks the first step of rule 10: a nil run
// panics before anything else is looked at, even with a done ctx or an open
// circuit, and counts nothing.
//
// Category: behaviour
func TestHiddenNilRunPanics(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		const setup = "c, _ := New[int](Config{Timeout: 1s, MaxConcurrentRequests: 100, RequestVolumeThreshold: 1, SleepWindow: 5s, ErrorPercentThreshold: 50})"
		c := hNew(t, hC(1, 50))
		done, cancel := context.WithCancel(context.Background())
		cancel()
		if p, v, err := hExecutePanics(c, done); p == nil {
			t.Errorf("%s; Execute(an already cancelled ctx, nil, nil) = (%d, %s), want a panic (a nil run panics first)", setup, v, hErrName(err))
		}
		c.Execute(context.Background(), hFail, nil)
		const open = setup + "; Execute(ctx, fail, nil) (open)"
		if p, v, err := hExecutePanics(c, context.Background()); p == nil {
			t.Errorf("%s; Execute(ctx, nil, nil) = (%d, %s), want a panic (a nil run panics before the circuit is asked)", open, v, hErrName(err))
		}
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Failures: 1, ErrorPercent: 100},
			open+"; Execute(ctx, nil, nil) panicked")
	})
}

// hRepeat calls c.Execute(ctx, run, nil) n times and returns the calls as
// text for messages.
func hRepeat(c *hystrix.Command[int], n int, run func(context.Context) (int, error), name string) string {
	for range n {
		c.Execute(context.Background(), run, nil)
	}
	return fmt.Sprintf("%d× Execute(ctx, %s, nil)", n, name)
}

// TestHiddenTripNeedsVolume checks rule 6: below RequestVolumeThreshold
// requests nothing trips, even at 100 % errors; the request that reaches it
// does.
//
// Category: boundary
func TestHiddenTripNeedsVolume(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		c := hNew(t, hC(10, 50))
		calls := "c, _ := New[int](" + hCfg(hC(10, 50)) + "); " + hRepeat(c, 9, hFail, "fail")
		if !hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 9, Failures: 9, ErrorPercent: 100}, calls) {
			return
		}
		calls += "; Execute(ctx, fail, nil) (the 10th request)"
		c.Execute(context.Background(), hFail, nil)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 10, Failures: 10, ErrorPercent: 100}, calls)
	})
}

// TestHiddenErrorPercentExact checks rules 5 and 6: the percentage is
// ⌊100·errors/Requests⌋ in integers and the trip compares
// 100·errors ≥ threshold·Requests: 29 of 50 is exactly 58 % (a float
// 29.0/50*100 is 57.99…), 2 of 3 is 66 % (not rounded to 67), 10 of 20 is
// 50 % and trips at 50, 9 of 20 does not.
//
// Category: boundary
func TestHiddenErrorPercentExact(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		volume, percent int
		successes, errs int
		want            hystrix.State
		wantPercent     int
	}{
		{50, 58, 21, 29, hystrix.StateOpen, 58},
		{3, 67, 1, 2, hystrix.StateClosed, 66},
		{20, 50, 10, 10, hystrix.StateOpen, 50},
		{20, 50, 11, 9, hystrix.StateClosed, 45},
	}
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		for _, tc := range cases {
			cfg := hC(tc.volume, tc.percent)
			c := hNew(t, cfg)
			calls := "c, _ := New[int](" + hCfg(cfg) + "); " + hRepeat(c, tc.successes, hOK, "succeed") + "; " + hRepeat(c, tc.errs, hFail, "fail")
			n := int64(tc.successes + tc.errs)
			hWantMetrics(t, c, hystrix.Metrics{State: tc.want, Requests: n, Successes: int64(tc.successes), Failures: int64(tc.errs), ErrorPercent: tc.wantPercent}, calls)
		}
	})
}

// TestHiddenSuccessCanTrip checks rule 6: the trip is checked after every
// outcome, a success too: 5 failures and then 5 successes make 50 % of 10,
// which trips at the 10th outcome, a success.
//
// Category: behaviour
func TestHiddenSuccessCanTrip(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		c := hNew(t, hC(10, 50))
		calls := "c, _ := New[int](" + hCfg(hC(10, 50)) + "); " + hRepeat(c, 5, hFail, "fail") + "; " + hRepeat(c, 4, hOK, "succeed")
		if !hWantState(t, c, hystrix.StateClosed, calls) {
			return
		}
		c.Execute(context.Background(), hOK, nil)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 10, Successes: 5, Failures: 5, ErrorPercent: 50},
			calls+"; Execute(ctx, succeed, nil) (the 10th outcome: 5 errors of 10)")
	})
}

// TestHiddenWindowBoundaries checks rule 3 with New made half a second
// into the bubble, so that buckets aligned to New differ from buckets
// aligned to wall-clock seconds: an event at t0+1.5s (bucket 1) is in the
// window through t0+10.999999999s and out at t0+11s; nine failures in
// bucket 11 are out of the window of bucket 21, which then holds exactly
// one request (ten buckets, not eleven).
//
// Category: timing
func TestHiddenWindowBoundaries(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		time.Sleep(500 * time.Millisecond)
		k := hClock{time.Now()}
		c := hNew(t, hC(10, 50))
		calls := "c, _ := New[int](" + hCfg(hC(10, 50)) + ") at t0 (0.5s after a whole second)"

		k.sleepTo(1500 * time.Millisecond)
		c.Execute(context.Background(), hFail, nil)
		calls += "; at t0+1.5s: Execute(ctx, fail, nil)"
		k.sleepTo(11*time.Second - 1)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Failures: 1, ErrorPercent: 100},
			calls+"; at "+k.now()+" (the window holds buckets 1…10)")
		time.Sleep(1)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed},
			calls+"; at "+k.now()+" (the window holds buckets 2…11)")

		k.sleepTo(11200 * time.Millisecond)
		calls += "; at t0+11.2s: " + hRepeat(c, 9, hFail, "fail")
		k.sleepTo(21 * time.Second)
		c.Execute(context.Background(), hFail, nil)
		calls += "; at t0+21s: Execute(ctx, fail, nil)"
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Failures: 1, ErrorPercent: 100},
			calls+" (the window holds buckets 12…21)")
	})
}

// TestHiddenOutcomeBucket checks rule 4: an outcome is counted in the
// bucket of the instant it is decided, not of the admission: a run admitted
// at t0+9.5s times out at t0+10.5s (bucket 10), so it is in the window at
// t0+19.2s and out at t0+20.2s.
//
// Category: timing
func TestHiddenOutcomeBucket(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hC(10, 50))
		k.sleepTo(9500 * time.Millisecond)
		v, err := c.Execute(context.Background(), hWaitCtx, nil)
		calls := "c, _ := New[int](" + hCfg(hC(10, 50)) + "); at t0+9.5s: Execute(ctx, run waiting for its ctx, nil)"
		if !hWantResult(t, calls, v, err, 0, hystrix.ErrTimeout) {
			return
		}
		if at := k.since(); at != 10500*time.Millisecond {
			t.Errorf("%s returned at t0+%v, want t0+10.5s", calls, at)
			return
		}
		calls += " → timed out at t0+10.5s"
		k.sleepTo(19200 * time.Millisecond)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, ErrorPercent: 100},
			calls+"; at t0+19.2s (the window holds buckets 10…19)")
		k.sleepTo(20200 * time.Millisecond)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed},
			calls+"; at t0+20.2s (the window holds buckets 11…20)")
	})
}

// TestHiddenSleepWindowExact checks rules 7, 8 and 12 at the exact
// instants: open at T, a request at T+SleepWindow is short-circuited and
// one at T+SleepWindow+1ns is the probe (State stays open until it comes);
// with Timeout and SleepWindow of math.MaxInt64 nothing overflows: a run
// that returns 1000 hours after its admission succeeds, and an open
// circuit is still open 1000 hours later.
//
// Category: timing
func TestHiddenSleepWindowExact(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hC(1, 50))
		c.Execute(context.Background(), hFail, nil)
		calls := "c, _ := New[int](" + hCfg(hC(1, 50)) + "); at t0: Execute(ctx, fail, nil) (open, T = t0)"
		if !hWantState(t, c, hystrix.StateOpen, calls) {
			return
		}
		k.sleepTo(5 * time.Second)
		var ran atomic.Int32
		v, err := c.Execute(context.Background(), hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; at t0+5s: Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)
		calls += "; at t0+5s: Execute(ctx, succeed, nil) (short-circuited)"
		time.Sleep(1)
		hWantState(t, c, hystrix.StateOpen, calls+"; at t0+5s+1ns, before any request")
		v, err = c.Execute(context.Background(), hRet(&ran, 1, nil), nil)
		calls += "; at t0+5s+1ns: Execute(ctx, succeed, nil)"
		if hWantResult(t, calls, v, err, 1, nil) {
			hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, calls+" (the probe)")
		}
		if n := ran.Load(); n != 1 {
			t.Errorf("%s: run was called %d times, want once (by the probe)", calls, n)
		}
	})

	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(3000 * time.Hour) // lets the 1000h run end, even after a failure
		cfg := hystrix.Config{Timeout: math.MaxInt64, MaxConcurrentRequests: 100, RequestVolumeThreshold: 1,
			SleepWindow: math.MaxInt64, ErrorPercentThreshold: 50}
		k := hClock{time.Now()}
		c := hNew(t, cfg)
		k.sleepTo(time.Second)
		const long = 1000 * time.Hour
		v, err := c.Execute(context.Background(), hSleepRun(long, 1, nil), nil)
		calls := "c, _ := New[int](" + hCfg(cfg) + "); at t0+1s: Execute(ctx, run returning (1, nil) after 1000h, nil)"
		if !hWantResult(t, calls, v, err, 1, nil) {
			return
		}
		if at := k.since(); at != time.Second+long {
			t.Errorf("%s returned at t0+%v, want t0+1000h0m1s", calls, at)
		}
		c.Execute(context.Background(), hFail, nil)
		calls += "; at t0+1000h0m1s: Execute(ctx, fail, nil) (1 error of 2: open)"
		if !hWantState(t, c, hystrix.StateOpen, calls) {
			return
		}
		k.sleepTo(2*long + time.Second)
		var ran atomic.Int32
		v, err = c.Execute(context.Background(), hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; 1000h later: Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)
		hWantState(t, c, hystrix.StateOpen, calls+"; 1000h later: Execute(ctx, succeed, nil)")
	})
}

// TestHiddenOneProbe checks rule 8: while the probe runs, every other
// request is short-circuited without running; the probe's failure reopens
// the circuit with a fresh open time (short-circuit 5s after it, probe 1ns
// later); a probe that hangs reopens it at its deadline.
//
// Category: behaviour
func TestHiddenOneProbe(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hC(1, 50))
		bg := context.Background()
		c.Execute(bg, hFail, nil)
		calls := "c, _ := New[int](" + hCfg(hC(1, 50)) + "); at t0: Execute(ctx, fail, nil) (open)"

		k.sleepTo(5*time.Second + 1)
		gate := make(chan struct{})
		probe := hGo(k, c, bg, hGateRun(gate, 0, hErrRun), nil)
		synctest.Wait()
		calls += "; at t0+5s+1ns: go Execute(ctx, run failing when released, nil) (the probe)"
		if !hWantState(t, c, hystrix.StateHalfOpen, calls) {
			close(gate)
			return
		}
		var ran atomic.Int32
		for i := range 3 {
			v, err := c.Execute(bg, hRet(&ran, 1, nil), nil)
			hWantResult(t, fmt.Sprintf("%s; Execute(ctx, succeed, nil) #%d while the probe runs", calls, i+1), v, err, 0, hystrix.ErrCircuitOpen)
		}
		calls += "; 3× Execute(ctx, succeed, nil) while the probe runs"
		if n := ran.Load(); n != 0 {
			t.Errorf("%s: run was called %d times, want 0 (half-open admits only the probe)", calls, n)
		}
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateHalfOpen, Requests: 1, Failures: 1, ShortCircuits: 3, ErrorPercent: 100, InFlight: 1}, calls)

		k.sleepTo(5500*time.Millisecond + 1)
		close(gate)
		synctest.Wait()
		calls += "; at t0+5.5s+1ns: the probe's run returns (0, errRun)"
		if !probe.want(t, calls+": the probe", 5500*time.Millisecond+1, 0, hErrRun) || !hWantState(t, c, hystrix.StateOpen, calls) {
			return
		}

		k.sleepTo(10500*time.Millisecond + 1)
		v, err := c.Execute(bg, hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; at t0+10.5s+1ns (5s after the reopening): Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)
		calls += "; at t0+10.5s+1ns: a short-circuit"

		k.sleepTo(10500*time.Millisecond + 2)
		hang := hGo(k, c, bg, hWaitCtx, nil)
		synctest.Wait()
		calls += "; at t0+10.5s+2ns: go Execute(ctx, run waiting for its ctx, nil) (the probe)"
		k.sleepTo(11500*time.Millisecond + 1)
		if !hWantState(t, c, hystrix.StateHalfOpen, calls+"; at t0+11.5s+1ns") || !hang.wantPending(t, calls+": the probe") {
			return
		}
		time.Sleep(1)
		synctest.Wait()
		if !hang.want(t, calls+": the probe", 11500*time.Millisecond+2, 0, hystrix.ErrTimeout) ||
			!hWantState(t, c, hystrix.StateOpen, calls+"; at t0+11.5s+2ns (the probe's deadline)") {
			return
		}
		calls += " → ErrTimeout at t0+11.5s+2ns"
		k.sleepTo(16500*time.Millisecond + 2)
		v, err = c.Execute(bg, hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; at t0+16.5s+2ns: Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)
		time.Sleep(1)
		v, err = c.Execute(bg, hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; at t0+16.5s+2ns: a short-circuit; at t0+16.5s+3ns: Execute(ctx, succeed, nil)", v, err, 1, nil)
	})
}

// TestHiddenProbeCancelled checks rules 8 and 14: when the probe's caller
// cancels, Execute returns context.Canceled without a fallback, the circuit
// is open again with its old open time, and the very next request is the
// probe.
//
// Category: behaviour
func TestHiddenProbeCancelled(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hC(1, 50))
		c.Execute(context.Background(), hFail, nil)
		calls := "c, _ := New[int](" + hCfg(hC(1, 50)) + "); at t0: Execute(ctx, fail, nil) (open)"
		k.sleepTo(5*time.Second + 1)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		fb := &hFb{v: -1}
		probe := hGo(k, c, ctx, hWaitCtx, fb.fn)
		synctest.Wait()
		calls += "; at t0+5s+1ns: go Execute(ctx, run waiting for its ctx, fallback) (the probe)"
		if !hWantState(t, c, hystrix.StateHalfOpen, calls) {
			return
		}
		k.sleepTo(5200*time.Millisecond + 1)
		cancel()
		synctest.Wait()
		calls += "; at t0+5.2s+1ns: cancel()"
		if !probe.want(t, calls+": the probe", 5200*time.Millisecond+1, 0, context.Canceled) {
			return
		}
		fb.wantNotCalled(t, calls)
		if !hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Failures: 1, ErrorPercent: 100}, calls) {
			return
		}
		v, err := c.Execute(context.Background(), hOK, nil)
		calls += "; at the same instant: Execute(ctx, succeed, nil)"
		if hWantResult(t, calls+" (the next probe)", v, err, 1, nil) {
			hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, calls)
		}
	})
}

// TestHiddenProbeNeedsSlot checks rules 7, 10 and 11: the circuit is asked
// before the bulkhead; a request that would be the probe but finds the
// bulkhead full is rejected with
// ErrMaxConcurrency and leaves the circuit open with its open time, so the
// first request after the slot is free is the probe.
//
// Category: behaviour
func TestHiddenProbeNeedsSlot(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		cfg := hC(1, 50)
		cfg.MaxConcurrentRequests = 1
		c := hNew(t, cfg)
		v, err := c.Execute(context.Background(), hSleepRun(10*time.Second, 1, nil), nil)
		calls := "c, _ := New[int](" + hCfg(cfg) + "); at t0: Execute(ctx, run ignoring its ctx and returning after 10s, nil)"
		if !hWantResult(t, calls, v, err, 0, hystrix.ErrTimeout) || !hWantState(t, c, hystrix.StateOpen, calls+" → ErrTimeout at t0+1s") {
			return
		}
		calls += " → ErrTimeout at t0+1s (open, T = t0+1s)"

		k.sleepTo(3 * time.Second)
		v, err = c.Execute(context.Background(), hOK, nil)
		hWantResult(t, calls+"; at t0+3s: Execute(ctx, succeed, nil) (the circuit is asked before the bulkhead)", v, err, 0, hystrix.ErrCircuitOpen)
		calls += "; at t0+3s: Execute(ctx, succeed, nil) → short-circuited"

		k.sleepTo(6*time.Second + 1)
		fb := &hFb{v: -1}
		v, err = c.Execute(context.Background(), hOK, fb.fn)
		call := calls + "; at t0+6s+1ns: Execute(ctx, succeed, fallback)"
		hWantResult(t, call, v, err, -1, nil)
		fb.wantCause(t, call, hystrix.ErrMaxConcurrency)
		calls += "; at t0+6s+1ns: Execute(ctx, succeed, fallback) → the bulkhead is full"
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Timeouts: 1, ShortCircuits: 1, Rejections: 1, ErrorPercent: 100, InFlight: 1}, calls)

		k.sleepTo(10 * time.Second)
		calls += "; at t0+10s the run returns"
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Timeouts: 1, ShortCircuits: 1, Rejections: 1, ErrorPercent: 100}, calls)
		time.Sleep(1)
		v, err = c.Execute(context.Background(), hOK, nil)
		calls += "; at t0+10s+1ns: Execute(ctx, succeed, nil)"
		if hWantResult(t, calls+" (the probe)", v, err, 1, nil) {
			hWantState(t, c, hystrix.StateClosed, calls)
		}
	})
}

// TestHiddenLateOutcomes checks rule 9: outcomes of requests admitted
// before the trip are counted, but neither close an open circuit nor
// decide a half-open one; only the probe's outcome does.
//
// Category: behaviour
func TestHiddenLateOutcomes(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		cfg := hystrix.Config{Timeout: 10 * time.Second, MaxConcurrentRequests: 100, RequestVolumeThreshold: 1,
			SleepWindow: time.Second, ErrorPercentThreshold: 50}
		c := hNew(t, cfg)
		bg := context.Background()
		s1 := hGo(k, c, bg, hSleepRun(500*time.Millisecond, 1, nil), nil)
		s2 := hGo(k, c, bg, hSleepRun(2*time.Second, 2, nil), nil)
		synctest.Wait()
		c.Execute(bg, hFail, nil)
		calls := "c, _ := New[int](" + hCfg(cfg) + "); at t0: go Execute(ctx, run returning (1, nil) after 0.5s, nil) (#1), go Execute(ctx, run returning (2, nil) after 2s, nil) (#2), Execute(ctx, fail, nil) (open)"
		if !hWantState(t, c, hystrix.StateOpen, calls) {
			return
		}
		k.sleepTo(500 * time.Millisecond)
		calls += "; at t0+0.5s #1 succeeds"
		if !s1.want(t, calls+": #1", 500*time.Millisecond, 1, nil) {
			return
		}
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 2, Successes: 1, Failures: 1, ErrorPercent: 50, InFlight: 1}, calls)

		k.sleepTo(time.Second + 1)
		gate := make(chan struct{})
		probe := hGo(k, c, bg, hGateRun(gate, 0, hErrRun), nil)
		synctest.Wait()
		calls += "; at t0+1s+1ns: go Execute(ctx, run failing when released, nil) (the probe)"
		if !hWantState(t, c, hystrix.StateHalfOpen, calls) {
			close(gate)
			return
		}
		k.sleepTo(2 * time.Second)
		calls += "; at t0+2s #2 succeeds"
		s2.want(t, calls+": #2", 2*time.Second, 2, nil)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateHalfOpen, Requests: 3, Successes: 2, Failures: 1, ErrorPercent: 33, InFlight: 1}, calls)

		k.sleepTo(3 * time.Second)
		close(gate)
		synctest.Wait()
		calls += "; at t0+3s the probe fails"
		probe.want(t, calls+": the probe", 3*time.Second, 0, hErrRun)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 4, Successes: 2, Failures: 2, ErrorPercent: 50}, calls)
	})
}

// TestHiddenTimeoutBoundary checks rule 12's decided ties, each in 20 new
// bubbles (the order of a timer and a goroutine due at one instant varies,
// and a solution that only selects on the result and the ctx passes a
// single round half of the time): a run that returns at exactly its
// deadline is a timeout, one that returns 1ns before it a success, and a
// caller deadline equal to the run's deadline is a timeout, not a
// cancellation.
//
// Category: timing
func TestHiddenTimeoutBoundary(t *testing.T) {
	katatest.Guard(t)
	for round := range 20 {
		failed := false
		synctest.Test(t, func(t *testing.T) {
			defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
			prefix := fmt.Sprintf("round %d of 20: c, _ := New[int](DefaultConfig()); ", round+1)
			c := hNew(t, hystrix.DefaultConfig())
			v, err := c.Execute(context.Background(), hSleepRun(time.Second, 1, nil), nil)
			synctest.Wait() // the run's goroutine frees its slot at the same instant
			call := prefix + "Execute(ctx, run returning (1, nil) after exactly 1s, nil)"
			if !hWantResult(t, call, v, err, 0, hystrix.ErrTimeout) ||
				!hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, ErrorPercent: 100}, call) {
				failed = true
			}

			c = hNew(t, hystrix.DefaultConfig())
			v, err = c.Execute(context.Background(), hSleepRun(time.Second-1, 1, nil), nil)
			call = prefix + "Execute(ctx, run returning (1, nil) after 1s-1ns, nil)"
			if !hWantResult(t, call, v, err, 1, nil) ||
				!hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Successes: 1}, call) {
				failed = true
			}

			c = hNew(t, hystrix.DefaultConfig())
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			fb := &hFb{v: -1}
			v, err = c.Execute(ctx, hWaitCtx, fb.fn)
			synctest.Wait()
			call = prefix + "ctx, _ := context.WithTimeout(ctx, 1s) (its deadline is the run's deadline); Execute(ctx, run waiting for its ctx, fallback returning (-1, nil)) (a timeout, so the fallback's value)"
			if !hWantResult(t, call, v, err, -1, nil) || !fb.wantCause(t, call, hystrix.ErrTimeout) ||
				!hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, ErrorPercent: 100}, call) {
				failed = true
			}
		})
		if failed {
			return
		}
	}
}

// TestHiddenCallerCancel checks rules 4, 10, 12 and 14: a caller that
// cancels, or whose deadline comes before the run's, gets its ctx's error
// at that instant, with no fallback and nothing counted; a ctx that is done
// before Execute runs nothing and counts nothing, even on an open circuit.
//
// Category: behaviour
func TestHiddenCallerCancel(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hC(1, 50))
		const setup = "c, _ := New[int](Config{Timeout: 1s, MaxConcurrentRequests: 100, RequestVolumeThreshold: 1, SleepWindow: 5s, ErrorPercentThreshold: 50})"

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel)
		fb := &hFb{v: -1}
		v, err := c.Execute(ctx, hWaitCtx, fb.fn)
		call := setup + "; at t0: Execute(ctx cancelled at t0+300ms, run waiting for its ctx, fallback)"
		hWantResult(t, call, v, err, 0, context.Canceled)
		if at := k.since(); at != 300*time.Millisecond {
			t.Errorf("%s returned at t0+%v, want t0+300ms", call, at)
		}
		fb.wantNotCalled(t, call)
		synctest.Wait()
		if !hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, call+" (a cancellation counts nowhere)") {
			return
		}

		dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer dcancel()
		fb = &hFb{v: -1}
		v, err = c.Execute(dctx, hWaitCtx, fb.fn)
		call = setup + "; at t0+300ms: Execute(ctx with deadline t0+600ms, run waiting for its ctx, fallback)"
		if errors.Is(err, hystrix.ErrTimeout) {
			t.Errorf("%s = (%d, %s), want (0, context.DeadlineExceeded): the caller's deadline came first, it is not the command's timeout", call, v, hErrName(err))
		} else {
			hWantResult(t, call, v, err, 0, context.DeadlineExceeded)
		}
		if at := k.since(); at != 600*time.Millisecond {
			t.Errorf("%s returned at t0+%v, want t0+600ms", call, at)
		}
		fb.wantNotCalled(t, call)
		synctest.Wait()
		if !hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, call) {
			return
		}

		done, doneCancel := context.WithCancel(context.Background())
		doneCancel()
		var ran atomic.Int32
		fb = &hFb{v: -1}
		v, err = c.Execute(done, hRet(&ran, 1, nil), fb.fn)
		call = setup + "; Execute(an already cancelled ctx, succeed, fallback) on a closed circuit"
		hWantResult(t, call, v, err, 0, context.Canceled)
		fb.wantNotCalled(t, call)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, call)

		c.Execute(context.Background(), hFail, nil)
		open := setup + "; Execute(ctx, fail, nil) (open)"
		v, err = c.Execute(done, hRet(&ran, 1, nil), fb.fn)
		call = open + "; Execute(an already cancelled ctx, succeed, fallback)"
		hWantResult(t, call, v, err, 0, context.Canceled)
		fb.wantNotCalled(t, call)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Failures: 1, ErrorPercent: 100}, call+" (nothing counted: no short-circuit)")
		if n := ran.Load(); n != 0 {
			t.Errorf("%s: run was called %d times with an already cancelled ctx, want 0", setup, n)
		}
	})
}

// TestHiddenSlotHeldUntilReturn checks rules 4, 11 and 12: Execute returns
// ErrTimeout at the deadline without waiting for run, but the run keeps its
// bulkhead slot until it returns.
//
// Category: concurrency
func TestHiddenSlotHeldUntilReturn(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		cfg := hC(100, 50)
		cfg.MaxConcurrentRequests = 1
		c := hNew(t, cfg)
		v, err := c.Execute(context.Background(), hSleepRun(3*time.Second, 1, nil), nil)
		calls := "c, _ := New[int](" + hCfg(cfg) + "); at t0: Execute(ctx, run ignoring its ctx and returning after 3s, nil)"
		if !hWantResult(t, calls, v, err, 0, hystrix.ErrTimeout) {
			return
		}
		if at := k.since(); at != time.Second {
			t.Errorf("%s returned at t0+%v, want t0+1s (Execute does not wait for run after its deadline)", calls, at)
			return
		}
		calls += " → ErrTimeout at t0+1s"
		k.sleepTo(2 * time.Second)
		var ran atomic.Int32
		v, err = c.Execute(context.Background(), hRet(&ran, 1, nil), nil)
		hWantResult(t, calls+"; at t0+2s: Execute(ctx, succeed, nil) (the first run still holds the only slot)", v, err, 0, hystrix.ErrMaxConcurrency)
		calls += "; at t0+2s: Execute(ctx, succeed, nil)"
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, Rejections: 1, ErrorPercent: 100, InFlight: 1}, calls)
		k.sleepTo(3 * time.Second)
		v, err = c.Execute(context.Background(), hRet(&ran, 1, nil), nil)
		calls += "; at t0+3s the first run returns; Execute(ctx, succeed, nil)"
		hWantResult(t, calls, v, err, 1, nil)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 2, Successes: 1, Timeouts: 1, Rejections: 1, ErrorPercent: 50}, calls)
	})
}

// TestHiddenRejectionsNotHealth checks rules 4 and 6: bulkhead rejections
// are counted as Rejections only, never as requests or errors, so fifty of
// them do not trip a circuit whose volume threshold is 5; and they leave
// the window with their bucket.
//
// Category: behaviour
func TestHiddenRejectionsNotHealth(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		cfg := hC(5, 50)
		cfg.MaxConcurrentRequests = 1
		c := hNew(t, cfg)
		gate := make(chan struct{})
		holder := hGo(k, c, context.Background(), hGateRun(gate, 1, nil), nil)
		synctest.Wait()
		calls := "c, _ := New[int](" + hCfg(cfg) + "); go Execute(ctx, run returning (1, nil) when released, nil); " + hRepeat(c, 50, hFail, "fail")
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Rejections: 50, InFlight: 1}, calls+" (all rejected by the bulkhead)")
		close(gate)
		synctest.Wait()
		calls += "; release the first run"
		holder.want(t, calls+": the first Execute", 0, 1, nil)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Successes: 1, Rejections: 50}, calls)

		// Rejections live in their buckets like outcomes (rule 4): bucket 0
		// leaves the window at t0+10s.
		k.sleepTo(10*time.Second - 1)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Successes: 1, Rejections: 50}, calls+" (all at t0); at "+k.now())
		time.Sleep(1)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, calls+" (all at t0); at "+k.now()+" (bucket 0 has left the window)")
	})
}

// hCtxKey is the key of a value the tests put in Execute's ctx.
type hCtxKey struct{}

// TestHiddenRunCtx checks rule 11: run's ctx is derived from Execute's ctx
// (it carries its values), its deadline is the admission plus Timeout or
// the caller's earlier deadline, and it is done once Execute has returned.
//
// Category: behaviour
func TestHiddenRunCtx(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hystrix.DefaultConfig())
		k.sleepTo(300 * time.Millisecond)
		cases := []struct {
			name   string
			caller time.Duration // the caller's deadline after the admission; 0: none
			want   time.Duration // the run's deadline after the admission
		}{
			{"ctx without deadline", 0, time.Second},
			{"ctx with deadline 400ms after the call", 400 * time.Millisecond, 400 * time.Millisecond},
			{"ctx with deadline 5s after the call", 5 * time.Second, time.Second},
		}
		for _, tc := range cases {
			ctx := context.WithValue(context.Background(), hCtxKey{}, "from Execute's ctx")
			cancel := context.CancelFunc(func() {})
			if tc.caller > 0 {
				ctx, cancel = context.WithTimeout(ctx, tc.caller)
			}
			var runCtx context.Context
			admitted := time.Now()
			v, err := c.Execute(ctx, func(ctx context.Context) (int, error) { runCtx = ctx; return 1, nil }, nil)
			call := fmt.Sprintf("c, _ := New[int](DefaultConfig()); at %s: Execute(%s, run returning (1, nil) at once, nil)", k.now(), tc.name)
			cancel()
			if !hWantResult(t, call, v, err, 1, nil) || runCtx == nil {
				continue
			}
			want := "t0+" + admitted.Add(tc.want).Sub(k.t0).String()
			if d, ok := runCtx.Deadline(); !ok {
				t.Errorf("%s: run's ctx has no deadline, want %s", call, want)
			} else if !d.Equal(admitted.Add(tc.want)) {
				t.Errorf("%s: run's ctx.Deadline() = t0+%v, want %s", call, d.Sub(k.t0), want)
			}
			if got, _ := runCtx.Value(hCtxKey{}).(string); got != "from Execute's ctx" {
				t.Errorf("%s: a value of Execute's ctx is missing from run's ctx (got %q): run's ctx must be derived from Execute's", call, got)
			}
			if runCtx.Err() == nil {
				t.Errorf("%s returned, but run's ctx is not done, want it done once Execute has returned (cancel it)", call)
			}
		}
	})
}

// TestHiddenFallbackWrapsBoth checks rule 14: when the fallback fails with
// F, Execute returns the zero value and an error that matches both F and
// the cause, for each kind of cause; the fallback gets Execute's own ctx.
//
// Category: behaviour
func TestHiddenFallbackWrapsBoth(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		check := func(call string, c *hystrix.Command[int], ctx context.Context, run func(context.Context) (int, error), cause error) {
			t.Helper()
			fb := &hFb{v: 5, err: hErrFallback}
			v, err := c.Execute(ctx, run, fb.fn)
			call += ", fallback returning (5, errFallback))"
			if v != 0 || !errors.Is(err, hErrFallback) || !errors.Is(err, cause) {
				t.Errorf("%s = (%d, %s), want (0, an error matching errFallback and %s)", call, v, hErrName(err), hErrName(cause))
			}
			fb.mu.Lock()
			got := fb.ctx
			fb.mu.Unlock()
			if got != ctx {
				t.Errorf("%s: the fallback was called with another ctx than Execute's, want Execute's own ctx", call)
			}
		}
		ctx := context.WithValue(context.Background(), hCtxKey{}, "x")
		c := hNew(t, hC(100, 50))
		check("c, _ := New[int]("+hCfg(hC(100, 50))+"); Execute(ctx, fail", c, ctx, hFail, hErrRun)
		check("c, _ := New[int]("+hCfg(hC(100, 50))+"); Execute(ctx, run waiting for its ctx", c, ctx, hWaitCtx, hystrix.ErrTimeout)

		open := hNew(t, hC(1, 50))
		open.Execute(ctx, hFail, nil)
		check("c, _ := New[int]("+hCfg(hC(1, 50))+"); Execute(ctx, fail, nil) (open); Execute(ctx, succeed", open, ctx, hOK, hystrix.ErrCircuitOpen)

		cfg := hC(100, 50)
		cfg.MaxConcurrentRequests = 1
		full := hNew(t, cfg)
		gate := make(chan struct{})
		hGo(k, full, ctx, hGateRun(gate, 1, nil), nil)
		synctest.Wait()
		check("c, _ := New[int]("+hCfg(cfg)+"); go Execute(ctx, run blocking, nil); Execute(ctx, succeed", full, ctx, hOK, hystrix.ErrMaxConcurrency)
		close(gate)
		synctest.Wait()
	})
}

// The differential test: random steps applied to the learner's command and
// to the reference at the same virtual instants, compared after every step.

// hRunKind is how a run of the differential test behaves.
type hRunKind uint8

const (
	hRunSleep  hRunKind = iota // ignores its ctx and returns after d
	hRunWait                   // returns when its ctx is done
	hRunEither                 // returns after d, or when its ctx is done if that comes first
)

// hCtxKind is the ctx a call of the differential test passes to Execute.
type hCtxKind uint8

const (
	hCtxPlain    hCtxKind = iota // never done during the test
	hCtxCancel                   // cancelled c after the call
	hCtxDeadline                 // with a deadline c after the call
	hCtxDone                     // already cancelled
)

// hFbKind is the fallback a call of the differential test passes.
type hFbKind uint8

const (
	hFbNil   hFbKind = iota
	hFbValue         // returns (-id, nil)
	hFbError         // returns (0, errFallback)
)

// hOp is one step: a sleep, or a call of Execute on both commands.
type hOp struct {
	call  bool
	sleep time.Duration
	run   hRunKind
	fail  bool          // the run returns (0, errRun) rather than (10·id, nil)
	d     time.Duration // hRunSleep, hRunEither: when the run returns
	ctx   hCtxKind
	c     time.Duration // hCtxCancel, hCtxDeadline: when the ctx is done
	fb    hFbKind
}

// describe prints the call of op as Go, id being its number.
func (op hOp) describe(id int) string {
	var run string
	ret := fmt.Sprintf("(%d, nil)", 10*id)
	if op.fail {
		ret = "(0, errRun)"
	}
	switch op.run {
	case hRunSleep:
		run = fmt.Sprintf("run returning %s after %s, ignoring its ctx", ret, op.d.String())
	case hRunWait:
		run = "run waiting for its ctx"
	default:
		run = fmt.Sprintf("run returning %s after %s or when its ctx is done", ret, op.d.String())
	}
	var ctx string
	switch op.ctx {
	case hCtxPlain:
		ctx = "ctx"
	case hCtxCancel:
		ctx = "ctx cancelled " + op.c.String() + " later"
	case hCtxDeadline:
		ctx = "ctx with deadline " + op.c.String() + " later"
	default:
		ctx = "an already cancelled ctx"
	}
	fb := "nil"
	switch op.fb {
	case hFbValue:
		fb = fmt.Sprintf("fallback returning (%d, nil)", -id)
	case hFbError:
		fb = "fallback returning (0, errFallback)"
	}
	return fmt.Sprintf("go c.Execute(%s, %s, %s) (#%d)", ctx, run, fb, id)
}

// hSched keeps the instants of the events still to come (deadlines, run
// returns, cancellations) so that no two requests' events fall on one
// instant: the order of such events is not specified (rule 12's own ties,
// a return or a caller deadline at exactly D, are decided and allowed).
type hSched struct {
	timeout time.Duration
	now     time.Duration
	pending map[time.Duration]bool
}

func newHSched(timeout time.Duration) *hSched {
	return &hSched{timeout: timeout, pending: map[time.Duration]bool{}}
}

func (s *hSched) advance(d time.Duration) {
	s.now += d
	for e := range s.pending {
		if e <= s.now {
			delete(s.pending, e)
		}
	}
}

// events returns the instants of a call made now; ok is false if one of
// them falls on another request's event, or its run would return exactly
// when its ctx ends.
func (s *hSched) events(op hOp) (evs []time.Duration, ok bool) {
	if op.ctx == hCtxDone {
		return nil, true
	}
	deadline := s.now + s.timeout
	evs = append(evs, deadline)
	var r, c time.Duration = -1, -1
	if op.run != hRunWait {
		r = s.now + op.d
		if r != deadline {
			evs = append(evs, r)
		}
	}
	if op.ctx == hCtxCancel || op.ctx == hCtxDeadline {
		c = s.now + op.c
		if c != deadline {
			evs = append(evs, c)
		}
	}
	if r >= 0 && r == c {
		return nil, false
	}
	for _, e := range evs {
		if e > s.now && s.pending[e] {
			return nil, false
		}
	}
	return evs, true
}

// hNamer names an error like hErrName, for either the learner's sentinels
// or the reference's, so that equal behaviour gives equal text.
func hNamer(timeout, open, full error) func(error) string {
	return func(err error) string {
		if err == nil {
			return "nil"
		}
		if err == hErrRun {
			return "errRun"
		}
		known := []struct {
			err  error
			name string
		}{
			{timeout, "ErrTimeout"},
			{open, "ErrCircuitOpen"},
			{full, "ErrMaxConcurrency"},
			{context.Canceled, "context.Canceled"},
			{context.DeadlineExceeded, "context.DeadlineExceeded"},
			{hErrFallback, "errFallback"},
			{hErrRun, "errRun"},
		}
		var names []string
		exact := false
		for _, k := range known {
			if errors.Is(err, k.err) {
				names = append(names, k.name)
				exact = exact || err == k.err
			}
		}
		switch {
		case len(names) == 0:
			return fmt.Sprintf("error %q", err.Error())
		case len(names) == 1 && exact:
			return names[0]
		}
		return "an error matching " + strings.Join(names, " and ")
	}
}

var (
	hGotName  = hNamer(hystrix.ErrTimeout, hystrix.ErrCircuitOpen, hystrix.ErrMaxConcurrency)
	hWantName = hNamer(ref.ErrTimeout, ref.ErrCircuitOpen, ref.ErrMaxConcurrency)
)

// hSideCall is one call on one side: what it returned (when it has) and
// how often run and the fallback were called.
type hSideCall struct {
	done chan struct{}
	res  string
	runs atomic.Int32
	mu   sync.Mutex
	fbs  []string
}

func (sc *hSideCall) status() string {
	select {
	case <-sc.done:
	default:
		return "still running (" + hTimes(sc.runs.Load()) + ")"
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	fb := "no fallback"
	if len(sc.fbs) > 0 {
		fb = strings.Join(sc.fbs, ", ")
	}
	return fmt.Sprintf("%s, %s, %s", sc.res, hTimes(sc.runs.Load()), fb)
}

// hTimes says how often run was called.
func hTimes(n int32) string {
	switch n {
	case 0:
		return "run not called"
	case 1:
		return "run called once"
	}
	return fmt.Sprintf("run called %d times", n)
}

// hDiffCall is one call of Execute on both commands.
type hDiffCall struct {
	id        int
	got, want hSideCall
	reported  bool
}

// hObs is what one side shows after a step.
type hObs struct{ calls, state, metrics string }

// hDiff is a learner's command and a reference command made at the same
// instant from one Config, driven through the same steps.
type hDiff struct {
	cfg     hystrix.Config
	k       hClock
	got     *hystrix.Command[int]
	want    *ref.Command[int]
	sched   *hSched
	drain   chan struct{}
	cancels []context.CancelFunc
	calls   []*hDiffCall
}

func newHDiff(cfg hystrix.Config) (*hDiff, error) {
	d := &hDiff{cfg: cfg, k: hClock{time.Now()}, sched: newHSched(cfg.Timeout), drain: make(chan struct{})}
	var err error
	if d.got, err = hystrix.New[int](cfg); err != nil || d.got == nil {
		return nil, fmt.Errorf("New[int](%s) = (%s, %s), want a command and nil", hCfg(cfg), hCmd(d.got), hErrName(err))
	}
	d.want, _ = ref.New[int](ref.Config(cfg))
	return d, nil
}

// run returns the run of call id on one side.
func (d *hDiff) run(op hOp, id int, sc *hSideCall) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		sc.runs.Add(1)
		v, err := 10*id, error(nil)
		if op.fail {
			v, err = 0, hErrRun
		}
		switch op.run {
		case hRunSleep:
			time.Sleep(op.d)
			return v, err
		case hRunWait:
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-d.drain:
				return 0, errors.New("hidden: drained")
			}
		}
		timer := time.NewTimer(op.d)
		defer timer.Stop()
		select {
		case <-timer.C:
			return v, err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// fallback returns the fallback of call id on one side.
func (d *hDiff) fallback(op hOp, id int, sc *hSideCall, ctx context.Context, name func(error) string) func(context.Context, error) (int, error) {
	if op.fb == hFbNil {
		return nil
	}
	return func(fctx context.Context, cause error) (int, error) {
		which := "Execute's ctx"
		if fctx != ctx {
			which = "another ctx than Execute's"
		}
		sc.mu.Lock()
		sc.fbs = append(sc.fbs, fmt.Sprintf("fallback(%s, %s)", which, name(cause)))
		sc.mu.Unlock()
		if op.fb == hFbValue {
			return -id, nil
		}
		return 0, hErrFallback
	}
}

// apply makes one step on both sides and returns what each shows.
func (d *hDiff) apply(op hOp) (got, want hObs) {
	if !op.call {
		time.Sleep(op.sleep)
		d.sched.advance(op.sleep)
	} else {
		evs, _ := d.sched.events(op)
		for _, e := range evs {
			if e > d.sched.now {
				d.sched.pending[e] = true
			}
		}
		id := len(d.calls) + 1
		call := &hDiffCall{id: id}
		call.got.done, call.want.done = make(chan struct{}), make(chan struct{})
		d.calls = append(d.calls, call)
		ctx, cancel := context.WithCancel(context.Background())
		switch op.ctx {
		case hCtxCancel:
			time.AfterFunc(op.c, cancel)
		case hCtxDeadline:
			ctx, cancel = context.WithTimeout(ctx, op.c)
		case hCtxDone:
			cancel()
		}
		d.cancels = append(d.cancels, cancel)
		go func() {
			defer close(call.got.done)
			defer func() {
				if r := recover(); r != nil {
					if hNotImplemented(r) {
						panic(r)
					}
					call.got.res = fmt.Sprintf("panicked: %v", r)
				}
			}()
			v, err := d.got.Execute(ctx, d.run(op, id, &call.got), d.fallback(op, id, &call.got, ctx, hGotName))
			call.got.res = fmt.Sprintf("returned (%d, %s) at %s", v, hGotName(err), d.k.now())
		}()
		go func() {
			defer close(call.want.done)
			v, err := d.want.Execute(ctx, d.run(op, id, &call.want), d.fallback(op, id, &call.want, ctx, hWantName))
			call.want.res = fmt.Sprintf("returned (%d, %s) at %s", v, hWantName(err), d.k.now())
		}()
	}
	synctest.Wait()

	var gc, wc []string
	for _, call := range d.calls {
		if call.reported {
			continue
		}
		g, w := call.got.status(), call.want.status()
		gFin, wFin := !strings.HasPrefix(g, "still"), !strings.HasPrefix(w, "still")
		if gFin || wFin {
			gc = append(gc, fmt.Sprintf("#%d %s", call.id, g))
			wc = append(wc, fmt.Sprintf("#%d %s", call.id, w))
		}
		call.reported = gFin && wFin
	}
	got = hObs{strings.Join(gc, "; "), hSt(d.got.State()), hM(d.got.Metrics())}
	wm := d.want.Metrics()
	want = hObs{strings.Join(wc, "; "), wm.State.String(), hM(hystrix.Metrics{State: hystrix.State(wm.State), Requests: wm.Requests,
		Successes: wm.Successes, Failures: wm.Failures, Timeouts: wm.Timeouts, ShortCircuits: wm.ShortCircuits,
		Rejections: wm.Rejections, ErrorPercent: wm.ErrorPercent, InFlight: wm.InFlight})}
	if ws := d.want.State().String(); ws != want.state {
		want.state = ws
	}
	return got, want
}

// finish lets every run and Execute end: every ctx is cancelled, waiting
// runs are released, and hours pass.
func (d *hDiff) finish() {
	close(d.drain)
	for _, cancel := range d.cancels {
		cancel()
	}
	time.Sleep(3 * time.Hour)
	synctest.Wait()
}

// hStep is one step of a run and what both sides showed after it.
type hStep struct {
	at        time.Duration
	op        hOp
	id        int
	got, want hObs
}

// hReplay runs ops on a fresh pair and returns the steps up to and
// including the first after which the two sides differ, and whether they
// did. A sequence whose events collide (see hSched) is not a valid
// reproduction: valid is false.
func hReplay(cfg hystrix.Config, ops []hOp) (steps []hStep, differ, valid bool, err error) {
	d, err := newHDiff(cfg)
	if err != nil {
		return nil, false, false, err
	}
	defer d.finish()
	ids := 0
	for _, op := range ops {
		if op.call {
			// Dropping steps moves later calls in time; a call whose
			// events now fall on another request's waits 1ns at a time
			// (the wait is part of the reproduction).
			for tries := 0; ; tries++ {
				if _, ok := d.sched.events(op); ok {
					break
				}
				if tries == 100 {
					return steps, false, false, nil
				}
				wait := hOp{sleep: 1}
				s := hStep{at: d.k.since(), op: wait, id: ids}
				s.got, s.want = d.apply(wait)
				steps = append(steps, s)
				if s.got != s.want {
					return steps, true, true, nil
				}
			}
			ids++
		}
		s := hStep{at: d.k.since(), op: op, id: ids}
		s.got, s.want = d.apply(op)
		steps = append(steps, s)
		if s.got != s.want {
			return steps, true, true, nil
		}
	}
	return steps, false, true, nil
}

// hOpsOf returns the ops of steps: a replay's waits become ops of their
// own, so that the sequence replays without any.
func hOpsOf(steps []hStep) []hOp {
	ops := make([]hOp, len(steps))
	for i, s := range steps {
		ops[i] = s.op
	}
	return ops
}

// hShrink returns a shorter sequence of ops that still makes the two sides
// differ, replaying each candidate on fresh commands. It drops calls, in
// chunks and then one at a time, keeping every sleep so that the calls
// left keep their instants; then it merges sleeps. It stops early once
// expired is closed (real time, so that a failing run stays well within
// the hang guard).
func hShrink(cfg hystrix.Config, ops []hOp, expired <-chan struct{}) []hOp {
	fails := func(cand []hOp) ([]hOp, bool) {
		select {
		case <-expired:
			return nil, false
		default:
		}
		steps, differ, valid, _ := hReplay(cfg, cand)
		if !differ || !valid {
			return nil, false
		}
		return hOpsOf(steps), true
	}
	// without returns ops without the calls numbered from, to-1.
	without := func(ops []hOp, from, to int) []hOp {
		var out []hOp
		n := 0
		for _, op := range ops {
			if op.call {
				n++
				if n-1 >= from && n-1 < to {
					continue
				}
			}
			out = append(out, op)
		}
		return out
	}
	calls := func(ops []hOp) int {
		n := 0
		for _, op := range ops {
			if op.call {
				n++
			}
		}
		return n
	}
	for size := calls(ops) / 2; size >= 1; size /= 2 {
		for i := 0; i < calls(ops); {
			if s, ok := fails(without(ops, i, i+size)); ok {
				ops = s
				continue
			}
			i += size
		}
	}
	for i := 0; i+1 < len(ops); {
		if ops[i].call || ops[i+1].call {
			i++
			continue
		}
		cand := append(append([]hOp{}, ops[:i]...), hOp{sleep: ops[i].sleep + ops[i+1].sleep})
		cand = append(cand, ops[i+2:]...)
		if s, ok := fails(cand); ok {
			ops = s
			continue
		}
		i++
	}
	return ops
}

// hExplain prints a run as Go calls with the virtual time of each and
// what came back, ending with the step after which the two sides differ.
func hExplain(cfg hystrix.Config, steps []hStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "c, _ := hystrix.New[int](%s) at t0", hCfg(cfg))
	state := "closed"
	for i, s := range steps {
		last := i == len(steps)-1
		if s.op.call {
			fmt.Fprintf(&b, "; at t0+%v: %s", s.at, s.op.describe(s.id))
		} else if s.got.calls != "" || s.got.state != state || last {
			fmt.Fprintf(&b, "; at t0+%v", s.at+s.op.sleep)
		}
		if !last {
			if s.got.calls != "" {
				b.WriteString(": " + s.got.calls)
			}
			if s.got.state != state {
				fmt.Fprintf(&b, " [State() = %s]", s.got.state)
			}
			state = s.got.state
			continue
		}
		var diffs []string
		if s.got.calls != s.want.calls {
			diffs = append(diffs, fmt.Sprintf("the calls: %s, want %s", s.got.calls, s.want.calls))
		}
		if s.got.state != s.want.state {
			diffs = append(diffs, fmt.Sprintf("State() = %s, want %s", s.got.state, s.want.state))
		}
		if s.got.metrics != s.want.metrics {
			diffs = append(diffs, fmt.Sprintf("Metrics() = %s, want %s", s.got.metrics, s.want.metrics))
		}
		if s.got.calls == s.want.calls && s.got.calls != "" {
			b.WriteString(": " + s.got.calls + "; then")
		} else {
			b.WriteString(":")
		}
		b.WriteString(" " + strings.Join(diffs, "; "))
	}
	return b.String()
}

// hDiffGen makes up to n random steps on a fresh pair, choosing sleeps
// that land on the interesting instants (deadlines ± 1ns, the end of the
// sleep window ± 1ns, bucket edges ± 1ns, the next pending event) and
// calls whose events never collide. It returns the steps made, up to the
// first after which the sides differ, and whether they did.
func hDiffGen(seed uint64, cfg hystrix.Config, n int) (ops []hOp, differ bool, err error) {
	rng := rand.New(rand.NewPCG(seed, 13))
	d, err := newHDiff(cfg)
	if err != nil {
		return nil, false, err
	}
	defer d.finish()
	to, sw := cfg.Timeout, cfg.SleepWindow
	delays := []time.Duration{0, 1, 100 * time.Millisecond, 300 * time.Millisecond, to - 1, to, to + 1, 2 * to, sw, time.Hour}
	offsets := []time.Duration{1, 200 * time.Millisecond, to - 1, to, to + 1, 3 * time.Second}
	var openedAt time.Duration = -1
	prev := "closed"
	step := func(op hOp) bool {
		ops = append(ops, op)
		got, want := d.apply(op)
		if got != want {
			return false
		}
		if want.state == "open" && prev != "open" && !strings.Contains(want.calls, "context.") {
			openedAt = d.sched.now
		}
		prev = want.state
		return true
	}
	for len(ops) < n {
		if rng.IntN(2) == 0 {
			op := hOp{call: true, fail: rng.IntN(5) < 2, d: delays[rng.IntN(len(delays))], c: offsets[rng.IntN(len(offsets))]}
			switch r := rng.IntN(10); {
			case r < 6:
				op.run = hRunSleep
			case r < 8:
				op.run = hRunWait
			default:
				op.run = hRunEither
			}
			switch r := rng.IntN(20); {
			case r < 14:
				op.ctx = hCtxPlain
			case r < 16:
				op.ctx = hCtxCancel
			case r < 19:
				op.ctx = hCtxDeadline
			default:
				op.ctx = hCtxDone
			}
			op.fb = hFbKind(rng.IntN(3))
			for try := 0; ; try++ {
				if _, ok := d.sched.events(op); ok {
					break
				}
				if try == 8 {
					op.call = false
					break
				}
				if d.sched.pending[d.sched.now+to] {
					if !step(hOp{sleep: 1}) {
						return ops, true, nil
					}
					continue
				}
				op.d = delays[rng.IntN(len(delays))]
				op.c = offsets[rng.IntN(len(offsets))]
			}
			if op.call && !step(op) {
				return ops, true, nil
			}
			continue
		}
		now := d.sched.now
		targets := []time.Duration{now + 1, now + 100*time.Millisecond, now + 250*time.Millisecond,
			now + to - 1, now + to, now + to + 1, now + sw - 1, now + sw, now + sw + 1, now + 10*time.Second}
		edge := (now/time.Second + 1) * time.Second
		targets = append(targets, edge-1, edge, edge+1)
		if openedAt >= 0 {
			targets = append(targets, openedAt+sw-1, openedAt+sw, openedAt+sw+1)
		}
		if rng.IntN(50) == 0 {
			targets = append(targets, now+time.Hour)
		}
		target := targets[rng.IntN(len(targets))]
		for _, e := range slices.Sorted(maps.Keys(d.sched.pending)) {
			if e < target {
				target = e
			}
			break
		}
		if target <= now {
			continue
		}
		if !step(hOp{sleep: target - now}) {
			return ops, true, nil
		}
	}
	return ops, false, nil
}

// TestHiddenDifferential drives the learner's command and the reference
// through the same random steps at the same virtual instants (3 configs ×
// 20 runs of 100 steps from new commands): calls with
// runs that succeed, fail, ignore or wait for their ctx, with delays
// around the Timeout, callers that cancel or have deadlines, fallbacks of
// each kind, and sleeps to deadlines, the end of the sleep window and
// bucket edges, each ± 1ns. After every step the calls that returned (their
// results and instants, how often run and the fallback were called and
// with what), State and Metrics must agree. No two requests' events share
// an instant. A difference is reported as the shortest sequence of steps
// found that reproduces it (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	configs := []hystrix.Config{
		{Timeout: time.Second, MaxConcurrentRequests: 2, RequestVolumeThreshold: 3, SleepWindow: 2500 * time.Millisecond, ErrorPercentThreshold: 50},
		{Timeout: 700 * time.Millisecond, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 100},
		{Timeout: 3 * time.Second, MaxConcurrentRequests: 3, RequestVolumeThreshold: 5, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 34},
	}
	for i, cfg := range configs {
		t.Run(fmt.Sprintf("config %d", i+1), func(t *testing.T) {
			katatest.Guard(t)
			// Shrinking a difference stops after 2.5s of real time; the
			// channel is made outside the bubble, so its timer is real.
			expired := make(chan struct{})
			timer := time.AfterFunc(2500*time.Millisecond, func() { close(expired) })
			defer timer.Stop()
			synctest.Test(t, func(t *testing.T) {
				for run := range 20 {
					ops, differ, err := hDiffGen(uint64(100*i+run), cfg, 100)
					if err != nil {
						t.Fatal(err)
					}
					if differ {
						steps, _, _, _ := hReplay(cfg, hShrink(cfg, ops, expired))
						t.Fatal(hExplain(cfg, steps))
					}
				}
			})
		})
	}
}

// The last tests end the test binary when a solution hangs or leaks:
// they stay at the end of the file.

// TestHiddenFallbackReenters checks rules 13 and 15: the fallback runs with
// no lock held and after the outcome is recorded, so it may call State,
// Metrics and Execute of the same command, and the fallback of the failure
// that trips the circuit sees it open with that failure counted.
//
// Category: concurrency
func TestHiddenFallbackReenters(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, "the fallback calls c.State(), c.Metrics() and c.Execute(): is the fallback (or run) called while the command's lock is held?")
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		c := hNew(t, hC(1, 50))
		var (
			state  hystrix.State
			m      hystrix.Metrics
			v      int
			err    error
			called bool
		)
		fb := func(ctx context.Context, cause error) (int, error) {
			called = true
			state, m = c.State(), c.Metrics()
			v, err = c.Execute(ctx, hOK, nil)
			return -1, nil
		}
		call := "c, _ := New[int](" + hCfg(hC(1, 50)) + "); Execute(ctx, fail, fallback calling c.State(), c.Metrics(), c.Execute(ctx, succeed, nil))"
		rv, rerr := c.Execute(context.Background(), hFail, fb)
		if !called {
			t.Errorf("%s = (%d, %s): the fallback was not called", call, rv, hErrName(rerr))
			return
		}
		hWantResult(t, call, rv, rerr, -1, nil)
		if state != hystrix.StateOpen {
			t.Errorf("%s: in the fallback, State() = %s, want open (the outcome is recorded and the trip applied before the fallback)", call, hSt(state))
		}
		if want := (hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Failures: 1, ErrorPercent: 100}); m != want {
			t.Errorf("%s: in the fallback, Metrics() = %s, want %s", call, hM(m), hM(want))
		}
		hWantResult(t, call+": in the fallback, c.Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 1, Failures: 1, ShortCircuits: 1, ErrorPercent: 100}, call)
	})
}

// TestHiddenNoLeakAfterTimeout checks rule 12: a run that ignores its ctx
// returns long after Execute gave up on it; then nothing the command
// started is left (a goroutine blocked on a send nobody receives ends the
// bubble with a panic), and its slot is free.
//
// Category: concurrency
func TestHiddenNoLeakAfterTimeout(t *testing.T) {
	katatest.Guard(t)
	katatest.NoLeaks(t)
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // lets every run and Execute still pending end, even after a failure
		k := hClock{time.Now()}
		c := hNew(t, hystrix.DefaultConfig())
		v, err := c.Execute(context.Background(), hSleepRun(6*time.Second, 1, nil), nil)
		call := "c, _ := New[int](DefaultConfig()); Execute(ctx, run ignoring its ctx and returning (1, nil) after 6s, nil)"
		hWantResult(t, call, v, err, 0, hystrix.ErrTimeout)
		k.sleepTo(6 * time.Second)
		hWantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, ErrorPercent: 100},
			call+" → ErrTimeout at t0+1s; at t0+6s the run returns")
	})
}
