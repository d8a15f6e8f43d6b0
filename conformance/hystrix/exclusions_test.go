package hystrix

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/afex/hystrix-go/hystrix"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/hystrix"
)

// The documented differences between the kata and hystrix-go. Each
// reproduction makes the same calls on both where the difference allows it
// and asserts the kata's rule (katas/hystrix/README.md) on the reference
// and hystrix-go's behaviour on hystrix-go.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "HX-1", "New refuses the zero Config and every field out of range with ErrInvalidConfig (rule 1); hystrix-go's ConfigureCommand replaces a zero field by its default and takes any other value", testConfigValidation)
	harness.Exclusion(t, "HX-2", "DefaultConfig() is {1s, 100, 10, 5s, 50} (rule 2, the classic service set-up); hystrix-go's defaults are {1s, 10, 20, 5s, 50}", testDefaults)
	harness.Exclusion(t, "HX-3", "ErrorPercent is ⌊100·errors/Requests⌋ and the trip compares 100·errors ≥ threshold·Requests in integers (rules 5, 6); hystrix-go rounds the percentage, so 2 errors of 3 trip a 67 % threshold", testPercentRounded)
	harness.Exclusion(t, "HX-4", "the window is the ten one-second buckets aligned to New (rule 3); hystrix-go's buckets are Unix seconds and it sums the last eleven, so an event stays up to 2 s longer", testWindow)
	harness.Exclusion(t, "HX-5", "the circuit trips right after the outcome, which is its open time T (rule 6); hystrix-go evaluates its health when the next request (or IsOpen) comes, and opens then", testTripInstant)
	harness.Exclusion(t, "HX-6", "rejections and short-circuits are never requests or errors (rule 4); hystrix-go counts every one as a request and an error, so bulkhead rejections trip the circuit", testRejectionsAsErrors)
	harness.Exclusion(t, "HX-7", "only the probe's outcome moves an open circuit, and it is half-open meanwhile (rules 7 to 9); hystrix-go has no half-open state and closes on any success, even of a request admitted before the trip", testLateSuccessCloses)
	harness.Exclusion(t, "HX-8", "a failed or timed-out probe opens the circuit again with T at the probe's end (rule 8); hystrix-go keeps T at the probe's start", testFailedProbeOpenTime)
	harness.Exclusion(t, "HX-9", "a run holds its bulkhead slot until it returns, even after its timeout (rule 11); hystrix-go returns the ticket at the timeout (Netflix/Hystrix#1867)", testSlotHeldAfterTimeout)
	harness.Exclusion(t, "HX-10", "a caller's cancellation returns ctx.Err(), calls no fallback and is counted nowhere (rules 4, 14); hystrix-go calls the fallback with ctx.Err() and counts a request (afex/hystrix-go#79)", testCallerCancel)
	harness.Exclusion(t, "HX-11", "with a done ctx Execute returns ctx.Err() at once: nothing runs, nothing is counted (rule 10); hystrix-go counts a request (and its run may be called: two of its goroutines race)", testDoneCtx)
	harness.Exclusion(t, "HX-12", "a failing fallback's error matches both its own error and the cause (rule 14); hystrix-go returns a fmt.Errorf text that matches neither (afex/hystrix-go#106, #114)", testFallbackError)
	harness.Exclusion(t, "HX-13", "the errors are the kata's own sentinels; hystrix-go's CircuitError values are different values with the same texts", testSentinels)
	harness.Exclusion(t, "HX-14", "a command is a value of its own and New starts no goroutine (rule 1); hystrix-go keeps circuits in a package-level map by name and starts two goroutines per circuit that nothing stops, not even Flush (afex/hystrix-go#95)", testGlobalCircuits)
	harness.Exclusion(t, "HX-15", "a would-be probe that the bulkhead refuses leaves the probe to the next request (rule 10); hystrix-go's allowSingleTest has already restarted the sleep window (myteksi/hystrix-go#19)", testRefusedProbe)
	harness.Exclusion(t, "HX-16", "a successful probe closes the circuit and clears the window, its own success included (rule 8); hystrix-go clears the window before it counts the probe's success", testProbeSuccessCounted)
}

// sleepUntil sleeps until d after the start of the bubble (synctest's
// clock starts at midnight UTC, 2000-01-01).
func sleepUntil(d time.Duration) {
	time.Sleep(time.Until(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(d)))
}

type side struct {
	name string
	f    impl
}

var sides = []side{{"reference", reference.New}, {"hystrix-go", library.New}}

var (
	succeed = func(ctx context.Context) (int, error) { return 1, nil }
	errRun  = errors.New("run failed")
	fail    = func(ctx context.Context) (int, error) { return 0, errRun }
)

func sleeper(d time.Duration, err error) runFunc {
	return func(ctx context.Context) (int, error) {
		time.Sleep(d)
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
}

func testConfigValidation(t *testing.T) {
	for _, cfg := range []ref.Config{{}, {Timeout: time.Second, MaxConcurrentRequests: -1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 50},
		{Timeout: time.Second, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 150}} {
		if c, err := ref.New[int](cfg); c != nil || !errors.Is(err, ref.ErrInvalidConfig) {
			t.Errorf("reference: New(%+v) = (%v, %v), want (nil, ErrInvalidConfig)", cfg, c, err)
		}
	}
	hystrix.ConfigureCommand("conformance-hx1-zero", hystrix.CommandConfig{})
	hystrix.ConfigureCommand("conformance-hx1-150", hystrix.CommandConfig{ErrorPercentThreshold: 150})
	got := hystrix.GetCircuitSettings()
	if s := got["conformance-hx1-zero"]; s.Timeout != time.Second || s.MaxConcurrentRequests != 10 || s.RequestVolumeThreshold != 20 || s.SleepWindow != 5*time.Second || s.ErrorPercentThreshold != 50 {
		t.Errorf("hystrix-go: ConfigureCommand(name, CommandConfig{}) gave %+v; documented: its defaults {1s 10 20 5s 50}", *s)
	}
	if s := got["conformance-hx1-150"]; s.ErrorPercentThreshold != 150 {
		t.Errorf("hystrix-go: ConfigureCommand(name, CommandConfig{ErrorPercentThreshold: 150}) kept %d; documented: 150, taken as is", s.ErrorPercentThreshold)
	}
}

func testDefaults(t *testing.T) {
	if got, want := refDefaults(), (config{time.Second, 100, 10, 5 * time.Second, 50, false}); got != want {
		t.Errorf("reference: DefaultConfig() = %+v, want %+v", got, want)
	}
	if got := libSettings(); got != libDefaults {
		t.Errorf("hystrix-go: the settings of an unconfigured command are %+v; documented %+v", got, libDefaults)
	}
}

func testPercentRounded(t *testing.T) {
	for _, s := range []struct {
		side
		percent int
		open    bool
	}{{sides[0], 66, false}, {sides[1], 67, true}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 3, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 67})
			doC(c, context.Background(), succeed, nil)
			doC(c, context.Background(), fail, nil)
			doC(c, context.Background(), fail, nil)
			synctest.Wait()
			if p, open := c.Metrics().ErrorPercent, c.Open(); p != s.percent || open != s.open {
				t.Errorf("%s: New(ErrorPercentThreshold 67, RequestVolumeThreshold 3); a success, two failures: ErrorPercent %d, open %t; documented %d, %t", s.name, p, open, s.percent, s.open)
			}
		})
	}
}

func testWindow(t *testing.T) {
	// New at 0.5 s past a whole second (a bubble starts on one); a failure
	// 0.6 s later, in the kata's bucket 0 and hystrix-go's Unix second 1.
	for _, s := range []struct {
		side
		want []int64 // Failures at t0+9.999999999s, t0+10s, t0+11.499999999s, t0+11.5s
	}{{sides[0], []int64{1, 0, 0, 0}}, {sides[1], []int64{1, 1, 1, 0}}} {
		synctest.Test(t, func(t *testing.T) {
			time.Sleep(500 * time.Millisecond)
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 100, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			t0 := time.Now()
			time.Sleep(600 * time.Millisecond)
			doC(c, context.Background(), fail, nil)
			var got []int64
			for _, at := range []time.Duration{10*time.Second - 1, 10 * time.Second, 11500*time.Millisecond - 1, 11500 * time.Millisecond} {
				time.Sleep(time.Until(t0.Add(at)))
				got = append(got, c.Metrics().Failures)
			}
			if fmt.Sprint(got) != fmt.Sprint(s.want) {
				t.Errorf("%s: New at t0 (a whole second + 0.5s), a failure at t0+0.6s: Failures at t0+9.999999999s, +10s, +11.499999999s, +11.5s = %v; documented %v", s.name, got, s.want)
			}
		})
	}
}

func testTripInstant(t *testing.T) {
	for _, s := range []struct {
		side
		want string
	}{{sides[0], "(1, nil)"}, {sides[1], "(0, ErrCircuitOpen)"}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 1, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			doC(c, context.Background(), fail, nil)
			time.Sleep(5*time.Second + time.Millisecond)
			v, err := c.Execute(context.Background(), succeed, nil)
			if got := fmt.Sprintf("(%d, %s)", v, errKind(err)); got != s.want {
				t.Errorf("%s: New(RequestVolumeThreshold 1, SleepWindow 5s); a failure at 0; at 5.001s Execute(succeeding) = %s; documented %s (the probe, or the trip happening now)", s.name, got, s.want)
			}
		})
	}
}

func testRejectionsAsErrors(t *testing.T) {
	for _, s := range []struct {
		side
		requests int64
		open     bool
	}{{sides[0], 0, false}, {sides[1], 2, true}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: 10 * time.Second, MaxConcurrentRequests: 1, RequestVolumeThreshold: 2, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			release := make(chan struct{})
			goC(c, context.Background(), func(ctx context.Context) (int, error) { <-release; return 1, nil }, nil)
			synctest.Wait()
			for range 2 {
				if err := doC(c, context.Background(), succeed, nil); errKind(err) != "ErrMaxConcurrency" {
					t.Fatalf("%s: a request while the only slot is held: %v, want ErrMaxConcurrency", s.name, err)
				}
			}
			synctest.Wait()
			m, open := c.Metrics(), c.Open()
			close(release)
			if m.Requests != s.requests || m.Rejections != 2 || open != s.open {
				t.Errorf("%s: New(MaxConcurrentRequests 1, RequestVolumeThreshold 2); the slot held, two rejections: Requests %d, Rejections %d, open %t; documented %d, 2, %t", s.name, m.Requests, m.Rejections, open, s.requests, s.open)
			}
		})
	}
}

func testLateSuccessCloses(t *testing.T) {
	for _, s := range []struct {
		side
		open bool
	}{{sides[0], true}, {sides[1], false}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 1, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			late := goC(c, context.Background(), sleeper(100*time.Millisecond, nil), nil)
			synctest.Wait()
			doC(c, context.Background(), fail, nil)
			synctest.Wait()
			if !c.Open() {
				t.Fatalf("%s: a failure with RequestVolumeThreshold 1 left the circuit closed", s.name)
			}
			time.Sleep(200 * time.Millisecond)
			if len(late) != 0 {
				t.Fatalf("%s: the request admitted before the trip failed: %v", s.name, <-late)
			}
			if open := c.Open(); open != s.open {
				t.Errorf("%s: a slow request admitted at 0, a failure at 0 trips the circuit; the slow one succeeds at 0.1s: open %t; documented %t", s.name, open, s.open)
			}
		})
	}
}

func testFailedProbeOpenTime(t *testing.T) {
	for _, s := range []struct {
		side
		want string
	}{{sides[0], "(0, ErrCircuitOpen)"}, {sides[1], "(1, nil)"}} {
		synctest.Test(t, func(t *testing.T) {
			c := opened(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			time.Sleep(5*time.Second + time.Millisecond)
			if _, err := c.Execute(context.Background(), sleeper(2*time.Second, nil), nil); errKind(err) != "ErrTimeout" {
				t.Fatalf("%s: the probe at 5.001s that runs 2s: %v, want ErrTimeout", s.name, err)
			}
			sleepUntil(10*time.Second + 2*time.Millisecond)
			v, err := c.Execute(context.Background(), succeed, nil)
			if got := fmt.Sprintf("(%d, %s)", v, errKind(err)); got != s.want {
				t.Errorf("%s: tripped at 0 (SleepWindow 5s, Timeout 1s); the probe at 5.001s times out at 6.001s; at 10.002s Execute(succeeding) = %s; documented %s", s.name, got, s.want)
			}
		})
	}
}

func testSlotHeldAfterTimeout(t *testing.T) {
	for _, s := range []struct {
		side
		want     string
		inFlight int
	}{{sides[0], "(0, ErrMaxConcurrency)", 1}, {sides[1], "(1, nil)", 0}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: 100 * time.Millisecond, MaxConcurrentRequests: 1, RequestVolumeThreshold: 10, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			goC(c, context.Background(), sleeper(time.Second, nil), nil)
			time.Sleep(150 * time.Millisecond)
			inFlight := c.Metrics().InFlight
			v, err := c.Execute(context.Background(), succeed, nil)
			if got := fmt.Sprintf("(%d, %s)", v, errKind(err)); got != s.want || inFlight != s.inFlight {
				t.Errorf("%s: New(Timeout 100ms, MaxConcurrentRequests 1); a run of 1s timed out at 0.1s; at 0.15s InFlight %d, Execute(succeeding) = %s; documented %d, %s", s.name, inFlight, got, s.inFlight, s.want)
			}
		})
	}
}

func testCallerCancel(t *testing.T) {
	for _, s := range []struct {
		side
		want     string
		requests int64
	}{{sides[0], "(0, context canceled), no fallback", 0}, {sides[1], "(7, <nil>), fallback(context canceled)", 1}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 10, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			fb := "no fallback"
			v, err := c.Execute(ctx, func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() },
				func(ctx context.Context, cause error) (int, error) {
					fb = fmt.Sprintf("fallback(%v)", cause)
					return 7, nil
				})
			synctest.Wait()
			got := fmt.Sprintf("(%d, %v), %s", v, err, fb)
			if r := c.Metrics().Requests; got != s.want || r != s.requests {
				t.Errorf("%s: ctx cancelled at 0.1s while the run waits for it: Execute = %s, Requests %d; documented %s, %d", s.name, got, r, s.want, s.requests)
			}
		})
	}
}

func testDoneCtx(t *testing.T) {
	for _, s := range []struct {
		side
		requests int64
	}{{sides[0], 0}, {sides[1], 1}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, config{Timeout: time.Second, MaxConcurrentRequests: 10, RequestVolumeThreshold: 10, SleepWindow: 5 * time.Second, ErrorPercentThreshold: 50})
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			ran := false
			_, err := c.Execute(ctx, func(ctx context.Context) (int, error) { ran = true; return 1, nil }, nil)
			synctest.Wait()
			r := c.Metrics().Requests
			if r != s.requests {
				t.Errorf("%s: Execute with a cancelled ctx: Requests %d; documented %d", s.name, r, s.requests)
			}
			if s.name == "reference" && (ran || !errors.Is(err, context.Canceled)) {
				t.Errorf("reference: Execute with a cancelled ctx = %v, run called %t; want context.Canceled, not called", err, ran)
			}
		})
	}
}

func testFallbackError(t *testing.T) {
	errFB := errors.New("fallback failed")
	for _, s := range []struct {
		side
		matches bool
	}{{sides[0], true}, {sides[1], false}} {
		synctest.Test(t, func(t *testing.T) {
			c := mustNew(t, s.f, libDefaults)
			_, err := c.Execute(context.Background(), fail, func(ctx context.Context, cause error) (int, error) { return 0, errFB })
			is := errors.Is(err, errFB) && errors.Is(err, errRun)
			isNeither := !errors.Is(err, errFB) && !errors.Is(err, errRun)
			if is != s.matches || (!s.matches && (!isNeither || err.Error() != "fallback failed with 'fallback failed'. run error was 'run failed'")) {
				t.Errorf("%s: Execute(failing, a fallback returning errFB) = %q, matching errFB and the run's error: %t; documented %t", s.name, err, is, s.matches)
			}
		})
	}
}

func testSentinels(t *testing.T) {
	for _, p := range [][2]error{{ref.ErrTimeout, hystrix.ErrTimeout}, {ref.ErrCircuitOpen, hystrix.ErrCircuitOpen}, {ref.ErrMaxConcurrency, hystrix.ErrMaxConcurrency}} {
		if errors.Is(p[0], p[1]) || errors.Is(p[1], p[0]) || p[0].Error() != p[1].Error() {
			t.Errorf("reference %q and hystrix-go %q: documented different values with the same text", p[0], p[1])
		}
	}
}

// monitors counts the goroutines of hystrix-go's circuit monitors.
func monitors() int {
	return goroutinesIn("hystrix.(*metricExchange).Monitor") + goroutinesIn("hystrix.(*poolMetrics).Monitor")
}

// goroutinesIn counts the goroutines whose stack mentions fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// settled polls count (for at most a second of real time, goroutines
// start when the scheduler runs them) until it returns want, and returns
// its last value.
func settled(count func() int, want int) int {
	n := count()
	for deadline := time.Now().Add(time.Second); n != want && time.Now().Before(deadline); n = count() {
		time.Sleep(time.Millisecond)
	}
	return n
}

func testGlobalCircuits(t *testing.T) {
	a, _ := ref.New[int](ref.DefaultConfig())
	b, _ := ref.New[int](ref.DefaultConfig())
	if n := goroutinesIn("microkata/solutions/hystrix."); n > 0 || a == b {
		t.Errorf("reference: two New calls: %d goroutines running its code, the same command: %t; want 0, false", n, a == b)
	}

	m := monitors()
	cb, created, _ := hystrix.GetCircuit("conformance-hx14")
	again, createdAgain, _ := hystrix.GetCircuit("conformance-hx14")
	started := settled(func() int { return monitors() - m }, 2)
	hystrix.Flush()
	afterFlush := settled(func() int { return monitors() - m }, 0)
	stopMonitors(cb)
	if !created || createdAgain || cb != again || started != 2 || afterFlush != 2 {
		t.Errorf("hystrix-go: GetCircuit(name) twice: created %t then %t, the same circuit: %t; monitor goroutines started %d, still running a second after Flush %d; documented true, false, true, 2, 2",
			created, createdAgain, cb == again, started, afterFlush)
	}
}

func testRefusedProbe(t *testing.T) {
	// The bulkhead is full when the sleep window ends. The set-ups differ
	// (each side fills it its own way: the reference holds a timed-out
	// run's slot, HX-9; hystrix-go trips on rejections, HX-6), the calls
	// after them are the same.
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, reference.New, config{Timeout: 100 * time.Millisecond, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 50})
		goC(c, context.Background(), sleeper(1500*time.Millisecond, errRun), nil) // times out at 0.1s: open, T = 0.1s; slot held until 1.5s
		checkRefusedProbe(t, "reference", c, "(1, nil)")
	})
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, library.New, config{Timeout: 10 * time.Second, MaxConcurrentRequests: 1, RequestVolumeThreshold: 1, SleepWindow: time.Second, ErrorPercentThreshold: 50})
		goC(c, context.Background(), sleeper(1500*time.Millisecond, errRun), nil) // holds the ticket until 1.5s, then fails
		synctest.Wait()
		doC(c, context.Background(), succeed, nil) // rejected: a request and an error
		time.Sleep(100 * time.Millisecond)
		c.Open() // open, T = 0.1s
		checkRefusedProbe(t, "hystrix-go", c, "(0, ErrCircuitOpen)")
	})
}

func checkRefusedProbe(t *testing.T, name string, c command, want string) {
	t.Helper()
	sleepUntil(1200 * time.Millisecond)
	if !c.Open() {
		t.Fatalf("%s: the circuit is not open at 1.2s", name)
	}
	if v, err := c.Execute(context.Background(), succeed, nil); errKind(err) != "ErrMaxConcurrency" {
		t.Fatalf("%s: at 1.2s (past T+SleepWindow = 1.1s, the bulkhead full) Execute = (%d, %s), want ErrMaxConcurrency", name, v, errKind(err))
	}
	time.Sleep(400 * time.Millisecond) // 1.6s: the slot is free
	v, err := c.Execute(context.Background(), succeed, nil)
	if got := fmt.Sprintf("(%d, %s)", v, errKind(err)); got != want {
		t.Errorf("%s: open since 0.1s (SleepWindow 1s); at 1.2s the would-be probe is refused by the bulkhead; at 1.6s Execute(succeeding) = %s; documented %s", name, got, want)
	}
}

func testProbeSuccessCounted(t *testing.T) {
	for _, s := range []struct {
		side
		successes int64
	}{{sides[0], 0}, {sides[1], 1}} {
		synctest.Test(t, func(t *testing.T) {
			c := opened(t, s.f, libDefaults)
			time.Sleep(6 * time.Second)
			if _, err := c.Execute(context.Background(), succeed, nil); err != nil {
				t.Fatalf("%s: the probe: %v", s.name, err)
			}
			synctest.Wait()
			if m := c.Metrics(); c.Open() || m.Successes != s.successes {
				t.Errorf("%s: a probe succeeds: open %t, Successes %d; documented false, %d", s.name, c.Open(), m.Successes, s.successes)
			}
		})
	}
}
