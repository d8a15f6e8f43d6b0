package hystrix_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/hystrix"
)

// Every message names the calls that led to it, with the virtual time since
// New ("t0+1s") where time matters, what came back and what was expected.

// errRun is the error of a failing run; errFallback that of a failing
// fallback.
var (
	errRun      = errors.New("test: run failed")
	errFallback = errors.New("test: fallback failed")
)

// succeed and fail are runs that return at once.
func succeed(context.Context) (int, error) { return 1, nil }
func fail(context.Context) (int, error)    { return 0, errRun }

// stateName names a State by the kata's constants, so that a message stays
// readable even when String is what is wrong.
func stateName(s hystrix.State) string {
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

// metricsString prints Metrics field by field, in decimal.
func metricsString(m hystrix.Metrics) string {
	return fmt.Sprintf("{State:%s Requests:%d Successes:%d Failures:%d Timeouts:%d ShortCircuits:%d Rejections:%d ErrorPercent:%d InFlight:%d}",
		stateName(m.State), m.Requests, m.Successes, m.Failures, m.Timeouts, m.ShortCircuits, m.Rejections, m.ErrorPercent, m.InFlight)
}

// configString prints a Config as Go.
func configString(c hystrix.Config) string {
	return fmt.Sprintf("hystrix.Config{Timeout: %v, MaxConcurrentRequests: %d, RequestVolumeThreshold: %d, SleepWindow: %v, ErrorPercentThreshold: %d}",
		c.Timeout, c.MaxConcurrentRequests, c.RequestVolumeThreshold, c.SleepWindow, c.ErrorPercentThreshold)
}

// errName names an error by what it is or matches.
func errName(err error) string {
	if err == nil {
		return "nil"
	}
	if err == errRun {
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
		{errFallback, "errFallback"},
		{errRun, "errRun"},
	}
	var names []string
	for _, k := range known {
		if errors.Is(err, k.err) {
			names = append(names, k.name)
		}
	}
	switch len(names) {
	case 0:
		return fmt.Sprintf("error %q", err.Error())
	case 1:
		if err == hystrix.ErrTimeout || err == hystrix.ErrCircuitOpen || err == hystrix.ErrMaxConcurrency ||
			err == hystrix.ErrInvalidConfig || err == context.Canceled || err == context.DeadlineExceeded || err == errFallback {
			return names[0]
		}
	}
	return fmt.Sprintf("an error matching %s (%q)", strings.Join(names, " and "), err.Error())
}

// cmdName prints what New returned: a command or nil.
func cmdName(c *hystrix.Command[int]) string {
	if c == nil {
		return "nil"
	}
	return "a command"
}

// mustNew calls New and stops the test if it fails.
func mustNew(t *testing.T, cfg hystrix.Config) *hystrix.Command[int] {
	t.Helper()
	c, err := hystrix.New[int](cfg)
	if err != nil || c == nil {
		t.Fatalf("New[int](%s) = (%s, %s), want a command and nil", configString(cfg), cmdName(c), errName(err))
	}
	return c
}

// clock stamps calls with the virtual time since t0, the instant of New.
type clock struct{ t0 time.Time }

func (k clock) now() string { return "t0+" + time.Since(k.t0).String() }

// wantMetrics checks c.Metrics(); after says what was called before it.
func wantMetrics(t *testing.T, c *hystrix.Command[int], want hystrix.Metrics, after string) bool {
	t.Helper()
	if got := c.Metrics(); got != want {
		t.Errorf("%s; Metrics() = %s, want %s", after, metricsString(got), metricsString(want))
		return false
	}
	return true
}

// wantState checks c.State(); after says what was called before it.
func wantState(t *testing.T, c *hystrix.Command[int], want hystrix.State, after string) bool {
	t.Helper()
	if got := c.State(); got != want {
		t.Errorf("%s; State() = %s, want %s", after, stateName(got), stateName(want))
		return false
	}
	return true
}

// wantResult checks what Execute returned: want is nil, errRun itself, or
// a sentinel the error must match.
func wantResult(t *testing.T, call string, v int, err error, wantV int, want error) bool {
	t.Helper()
	ok := err == want
	if want != nil && want != errRun {
		ok = errors.Is(err, want)
	}
	if v != wantV || !ok {
		t.Errorf("%s = (%d, %s), want (%d, %s)", call, v, errName(err), wantV, errName(want))
		return false
	}
	return true
}

// Rules 1 and 2, and State's String: DefaultConfig is the classic set-up;
// every field must be in range (nothing is defaulted); the states' names.
func TestConfig(t *testing.T) {
	katatest.Guard(t)
	want := hystrix.Config{Timeout: time.Second, MaxConcurrentRequests: 100, RequestVolumeThreshold: 10,
		SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50}
	if got := hystrix.DefaultConfig(); got != want {
		t.Errorf("DefaultConfig() = %s, want %s", configString(got), configString(want))
	}
	c := mustNew(t, hystrix.DefaultConfig())
	wantMetrics(t, c, hystrix.Metrics{}, "c, _ := New[int](DefaultConfig())")

	valid := hystrix.DefaultConfig()
	cases := []struct {
		name string
		edit func(*hystrix.Config)
	}{
		{"the zero Config", func(c *hystrix.Config) { *c = hystrix.Config{} }},
		{"Timeout 0", func(c *hystrix.Config) { c.Timeout = 0 }},
		{"Timeout -1ns", func(c *hystrix.Config) { c.Timeout = -1 }},
		{"MaxConcurrentRequests 0", func(c *hystrix.Config) { c.MaxConcurrentRequests = 0 }},
		{"MaxConcurrentRequests -1", func(c *hystrix.Config) { c.MaxConcurrentRequests = -1 }},
		{"RequestVolumeThreshold 0", func(c *hystrix.Config) { c.RequestVolumeThreshold = 0 }},
		{"RequestVolumeThreshold -5", func(c *hystrix.Config) { c.RequestVolumeThreshold = -5 }},
		{"SleepWindow 0", func(c *hystrix.Config) { c.SleepWindow = 0 }},
		{"SleepWindow -1s", func(c *hystrix.Config) { c.SleepWindow = -time.Second }},
		{"ErrorPercentThreshold 0", func(c *hystrix.Config) { c.ErrorPercentThreshold = 0 }},
		{"ErrorPercentThreshold 101", func(c *hystrix.Config) { c.ErrorPercentThreshold = 101 }},
		{"ErrorPercentThreshold -50", func(c *hystrix.Config) { c.ErrorPercentThreshold = -50 }},
	}
	for _, tc := range cases {
		cfg := valid
		tc.edit(&cfg)
		got, err := hystrix.New[int](cfg)
		if got != nil || !errors.Is(err, hystrix.ErrInvalidConfig) {
			t.Errorf("%s: New[int](%s) = (%s, %s), want (nil, ErrInvalidConfig)", tc.name, configString(cfg), cmdName(got), errName(err))
		}
	}

	names := []struct {
		s    hystrix.State
		expr string
		want string
	}{
		{hystrix.StateClosed, "StateClosed", "closed"},
		{hystrix.StateHalfOpen, "StateHalfOpen", "half-open"},
		{hystrix.StateOpen, "StateOpen", "open"},
		{hystrix.State(7), "State(7)", "State(7)"},
		{hystrix.State(-1), "State(-1)", "State(-1)"},
	}
	for _, n := range names {
		if got := n.s.String(); got != n.want {
			t.Errorf("%s.String() = %q, want %q", n.expr, got, n.want)
		}
	}
}

// Rules 4, 5 and 14: a success returns run's value; a failure returns run's
// own error when there is no fallback, and the fallback's value when there
// is one (it is told the cause). Both failures count as errors.
func TestSuccessAndFailure(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, hystrix.DefaultConfig())
		ctx := context.Background()
		const setup = "c, _ := New[int](DefaultConfig())"

		v, err := c.Execute(ctx, func(context.Context) (int, error) { return 42, nil }, nil)
		wantResult(t, setup+"; Execute(ctx, run returning (42, nil), nil)", v, err, 42, nil)

		v, err = c.Execute(ctx, fail, nil)
		wantResult(t, setup+"; Execute(ctx, run returning (0, errRun), nil)", v, err, 0, errRun)

		var cause error
		calls := 0
		v, err = c.Execute(ctx, fail, func(_ context.Context, c error) (int, error) {
			calls++
			cause = c
			return 7, nil
		})
		const third = setup + "; Execute(ctx, run returning (0, errRun), fallback returning (7, nil))"
		wantResult(t, third, v, err, 7, nil)
		if calls != 1 || cause != errRun {
			t.Errorf("%s: the fallback was called %d times with cause %s, want once with errRun itself", third, calls, errName(cause))
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 3, Successes: 1, Failures: 2, ErrorPercent: 66},
			setup+"; one success and two failures")
	})
}

// Rules 6, 7 and 14 with the classic set-up: after 5 successes and 4
// failures the window holds 9 requests, below the volume threshold of 10;
// the 10th request, a failure, makes 5 errors of 10 = 50 % and trips the
// circuit. Then run is not called: the fallback gets ErrCircuitOpen.
func TestSeedTrip(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, hystrix.DefaultConfig())
		ctx := context.Background()
		for range 5 {
			c.Execute(ctx, succeed, nil)
		}
		for range 4 {
			c.Execute(ctx, fail, nil)
		}
		const nine = "c, _ := New[int](DefaultConfig()); 5× Execute(ctx, succeed, nil); 4× Execute(ctx, fail, nil)"
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 9, Successes: 5, Failures: 4, ErrorPercent: 44}, nine)

		v, err := c.Execute(ctx, fail, nil)
		if !wantResult(t, nine+"; Execute(ctx, fail, nil)", v, err, 0, errRun) {
			return
		}
		const ten = nine + "; Execute(ctx, fail, nil) (5 errors of 10 requests: 50 %)"
		if !wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 10, Successes: 5, Failures: 5, ErrorPercent: 50}, ten) {
			return
		}

		ran := false
		var cause error
		v, err = c.Execute(ctx, func(context.Context) (int, error) { ran = true; return 1, nil },
			func(_ context.Context, c error) (int, error) { cause = c; return -1, nil })
		const open = ten + "; Execute(ctx, run, fallback returning (-1, nil)) while open"
		wantResult(t, open, v, err, -1, nil)
		if ran {
			t.Errorf("%s: run was called, want it not called", open)
		}
		if !errors.Is(cause, hystrix.ErrCircuitOpen) {
			t.Errorf("%s: the fallback's cause = %s, want ErrCircuitOpen", open, errName(cause))
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateOpen, Requests: 10, Successes: 5, Failures: 5, ShortCircuits: 1, ErrorPercent: 50}, open)
	})
}

// Rules 11 and 12: at the deadline the run's context is done with
// context.DeadlineExceeded, and Execute returns ErrTimeout at that instant.
// Execute's own ctx is a different context: it is cancelled only when the
// test ends.
func TestTimeoutCancelsRun(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		k := clock{time.Now()}
		c := mustNew(t, hystrix.DefaultConfig())

		type seen struct {
			at  time.Duration
			err error
		}
		var saw atomic.Pointer[seen]
		run := func(ctx context.Context) (int, error) {
			<-ctx.Done()
			saw.Store(&seen{time.Since(k.t0), ctx.Err()})
			return 0, ctx.Err()
		}
		v, err := c.Execute(ctx, run, nil)
		const call = "c, _ := New[int](DefaultConfig()); at t0+0s: Execute(ctx, run waiting for its ctx to be done, nil)"
		wantResult(t, call, v, err, 0, hystrix.ErrTimeout)
		if d := time.Since(k.t0); d != time.Second {
			t.Errorf("%s returned at t0+%v, want at t0+1s (Timeout after the admission)", call, d)
		}

		synctest.Wait() // let the run's goroutine finish
		switch s := saw.Load(); {
		case s == nil:
			t.Errorf("%s: at %s the run's ctx is still not done, want it done at t0+1s with context.DeadlineExceeded (is run given Execute's ctx instead of one with the deadline?)", call, k.now())
		case s.at != time.Second || s.err != context.DeadlineExceeded:
			t.Errorf("%s: the run's ctx was done at t0+%v with %s, want at t0+1s with context.DeadlineExceeded", call, s.at, errName(s.err))
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 1, Timeouts: 1, ErrorPercent: 100}, call+" returned")
	})
}

// tripAt10 trips c (the classic set-up) with ten failures.
func tripAt10(t *testing.T, c *hystrix.Command[int], setup string) {
	t.Helper()
	for range 10 {
		c.Execute(context.Background(), fail, nil)
	}
	if !wantState(t, c, hystrix.StateOpen, setup+"; 10× Execute(ctx, fail, nil)") {
		t.FailNow()
	}
}

// Rules 7 and 8: open at T, the circuit still rejects at exactly
// T + SleepWindow; one nanosecond later a request is the probe, and its
// success closes the circuit and clears the window.
func TestProbeAfterSleepWindow(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, hystrix.DefaultConfig())
		ctx := context.Background()
		const setup = "c, _ := New[int](DefaultConfig())"
		tripAt10(t, c, setup)
		const tripped = setup + "; 10× Execute(ctx, fail, nil) at t0 (open, T = t0)"

		time.Sleep(5 * time.Second)
		v, err := c.Execute(ctx, succeed, nil)
		wantResult(t, tripped+"; at T+5s: Execute(ctx, succeed, nil)", v, err, 0, hystrix.ErrCircuitOpen)

		time.Sleep(time.Nanosecond)
		v, err = c.Execute(ctx, succeed, nil)
		const probe = tripped + "; at T+5s: a short-circuit; at T+5s+1ns: Execute(ctx, succeed, nil) (the probe)"
		if !wantResult(t, probe, v, err, 1, nil) {
			return
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed}, probe)
	})
}

// Rules 10 and 11: with MaxConcurrentRequests 2 and three requests whose
// runs block, two runs start and the third request is rejected with
// ErrMaxConcurrency, which the fallback receives. Which of the three is
// rejected is not specified.
func TestBulkhead(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := hystrix.DefaultConfig()
		cfg.MaxConcurrentRequests = 2
		c := mustNew(t, cfg)
		const setup = "c, _ := New[int](Config{MaxConcurrentRequests: 2, others as DefaultConfig()}); 3 goroutines at once: Execute(ctx, run blocking until released, fallback)"

		release := make(chan struct{})
		var runs atomic.Int32
		run := func(ctx context.Context) (int, error) {
			runs.Add(1)
			select {
			case <-release:
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		var (
			mu     sync.Mutex
			causes []error
			res    []string
			wg     sync.WaitGroup
		)
		fallback := func(_ context.Context, cause error) (int, error) {
			mu.Lock()
			causes = append(causes, cause)
			mu.Unlock()
			return -1, nil
		}
		for range 3 {
			wg.Go(func() {
				v, err := c.Execute(context.Background(), run, fallback)
				mu.Lock()
				res = append(res, fmt.Sprintf("(%d, %s)", v, errName(err)))
				mu.Unlock()
			})
		}
		synctest.Wait()
		mu.Lock()
		if len(causes) != 1 || !errors.Is(causes[0], hystrix.ErrMaxConcurrency) {
			names := make([]string, len(causes))
			for i, e := range causes {
				names[i] = errName(e)
			}
			t.Errorf("%s: the fallback was called with [%s], want once with ErrMaxConcurrency", setup, strings.Join(names, ", "))
		}
		if got := strings.Join(res, ", "); got != "(-1, nil)" {
			t.Errorf("%s: the calls returned so far: [%s], want [(-1, nil)] (the rejected one, through its fallback)", setup, got)
		}
		mu.Unlock()
		if n := runs.Load(); n != 2 {
			t.Errorf("%s: run was called %d times, want 2", setup, n)
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Rejections: 1, InFlight: 2}, setup)

		close(release)
		wg.Wait()
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 2, Successes: 2, Rejections: 1},
			setup+"; release both runs")
	})
}

// Rule 17: concurrent requests lose no count (run with -race): 8 goroutines
// make 500 requests each, every 5th failing, and read Metrics and State
// every 10th. The volume threshold is out of reach, so nothing trips.
func TestConcurrentExact(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := hystrix.Config{Timeout: time.Second, MaxConcurrentRequests: 100, RequestVolumeThreshold: 1_000_000,
			SleepWindow: 5 * time.Second, ErrorPercentThreshold: 100}
		c := mustNew(t, cfg)
		var wrong atomic.Int64
		katatest.Hammer(8, 500, func(g, i int) {
			run, want := succeed, error(nil)
			if i%5 == 4 {
				run, want = fail, errRun
			}
			if _, err := c.Execute(context.Background(), run, nil); err != want {
				wrong.Add(1)
			}
			if i%10 == 0 {
				_, _ = c.Metrics(), c.State()
			}
		})
		setup := "c, _ := New[int](" + configString(cfg) + "); 8 goroutines × 500 Execute(ctx, run, nil), every 5th run failing, Metrics() and State() every 10th"
		if n := wrong.Load(); n != 0 {
			t.Errorf("%s: %d calls returned another error than their run's", setup, n)
		}
		wantMetrics(t, c, hystrix.Metrics{State: hystrix.StateClosed, Requests: 4000, Successes: 3200, Failures: 800, ErrorPercent: 20}, setup)
	})
}

// BenchmarkExecuteSuccess measures the common path: a closed circuit
// admits a request whose run succeeds at once.
func BenchmarkExecuteSuccess(b *testing.B) {
	c, err := hystrix.New[int](hystrix.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Execute(ctx, run, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteOpenReject measures failing fast: an open circuit
// short-circuits the request without starting anything.
func BenchmarkExecuteOpenReject(b *testing.B) {
	cfg := hystrix.DefaultConfig()
	cfg.SleepWindow = time.Hour
	c, err := hystrix.New[int](cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range 10 {
		c.Execute(ctx, fail, nil)
	}
	if s := c.State(); s != hystrix.StateOpen {
		b.Fatalf("New[int](Config{SleepWindow: time.Hour, others as DefaultConfig()}); 10× Execute(ctx, fail, nil); State() = %s, want open", stateName(s))
	}
	run := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Execute(ctx, run, nil); !errors.Is(err, hystrix.ErrCircuitOpen) {
			b.Fatalf("Execute while open: %s, want ErrCircuitOpen", errName(err))
		}
	}
}

// BenchmarkExecuteParallel measures successful requests from all
// processors at once on one command.
func BenchmarkExecuteParallel(b *testing.B) {
	cfg := hystrix.DefaultConfig()
	cfg.MaxConcurrentRequests = 1 << 20
	c, err := hystrix.New[int](cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	run := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Execute(ctx, run, nil)
		}
	})
}

// BenchmarkMetrics measures a snapshot of a command with one success
// recorded.
func BenchmarkMetrics(b *testing.B) {
	c, err := hystrix.New[int](hystrix.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	c.Execute(context.Background(), succeed, nil)
	b.ReportAllocs()
	for b.Loop() {
		if m := c.Metrics(); m.Successes != 1 {
			b.Fatalf("Metrics() = %s, want Successes 1", metricsString(m))
		}
	}
}
