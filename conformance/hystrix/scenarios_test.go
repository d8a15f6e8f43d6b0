package hystrix

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/harness"
)

// The tests of afex/hystrix-go (hystrix/hystrix_test.go, metrics_test.go,
// pool_test.go and settings_test.go), ported to the kata's API with their
// assertions and messages. Every test runs in a testing/synctest bubble,
// so the library's real sleeps (10 ms to let its metric goroutine catch up,
// 6 s for a sleep window) are virtual. GoC becomes Execute on a goroutine
// (goC below: its channel receives Execute's error when there is one, as
// GoC's does), DoC becomes Execute. goconvey runs a Convey tree once per
// leaf; a port runs the leaves one after the other on one command where no
// leaf changes what another sees, and on fresh commands otherwise.
//
// The library's tests reach into its unexported fields (cb.metrics,
// executorPool, setOpen, toggleForceOpen); the ports use the adapter's
// Metrics and Open instead, and say so in Adapted. Assertions on metrics
// the kata does not have (fallback successes and failures, context
// cancellations, pool metrics) are left out, also said in Adapted.
var scenarios = []harness.Case[impl]{
	{Name: "hystrix_test.go/TestSuccess", Adapted: "configured with hystrix-go's defaults explicitly (HX-1)", Run: testSuccess},
	{Name: "hystrix_test.go/TestFallback", Adapted: "hystrix-go's defaults explicitly; the FallbackSuccesses assertion is left out (not in the kata's Metrics)", Run: testFallback},
	{Name: "hystrix_test.go/TestTimeout", Adapted: "resultChan has room for the run's late value (the library's test leaves that send blocked forever, which a bubble does not allow); err == ErrTimeout matches either package's ErrTimeout (HX-13)", Run: testTimeout},
	{Name: "hystrix_test.go/TestTimeoutEmptyFallback", Adapted: "as TestTimeout; the FallbackSuccesses and FallbackFailures assertions are left out", Run: testTimeoutEmptyFallback},
	{Name: "hystrix_test.go/TestMaxConcurrent", Adapted: "resultChan has room for the runs' late values", Run: testMaxConcurrent},
	{Name: "hystrix_test.go/TestForceOpenCircuit", Adapted: "toggleForceOpen (unexported, not in the kata) becomes a failure with RequestVolumeThreshold 1 and Open(), which trips both circuits at that instant", Run: testForceOpenCircuit},
	{Name: "hystrix_test.go/TestNilFallbackRunError", Run: testNilFallbackRunError},
	{Name: "hystrix_test.go/TestCloseCircuitAfterSuccess", Adapted: "setOpen (unexported) becomes a failure with RequestVolumeThreshold 1 and Open(), which opens both circuits at that instant as setOpen does; the two leaves on fresh commands", Run: testCloseCircuitAfterSuccess},
	{Name: "hystrix_test.go/TestFailAfterTimeout", Run: testFailAfterTimeout},
	{Name: "hystrix_test.go/TestSlowFallbackOpenCircuit", Adapted: "setOpen becomes a failure with RequestVolumeThreshold 1 and Open(); in real time, as the library's test (see the function), waiting up to 5 s more for the fallback and its count on a loaded machine; the counts are compared with those before the short-circuited call, since the tripping call may time out at 10 ms of real time", Run: testSlowFallbackOpenCircuit},
	{Name: "hystrix_test.go/TestFallbackAfterRejected", Adapted: "the only ticket, taken from the unexported executor pool, becomes the slot of a run that is still running", Run: testFallbackAfterRejected},
	{Name: "hystrix_test.go/TestContextHandling", Adapted: "the two leaves with a valid context; the four with a caller's deadline or cancellation are exclusion HX-10; the ContextCanceled, ContextDeadlineExceeded and FallbackSuccesses assertions are left out", Run: testContextHandling},
	{Name: "hystrix_test.go/TestDoC", Adapted: "four of its five leaves; the failing fallback's error text is exclusion HX-12", Run: testDoC},
	{Name: "metrics_test.go/TestErrorPercent", Adapted: "the 100 outcomes go through Execute (RequestVolumeThreshold 100, so nothing trips before the last) instead of into the unexported metric exchange, with the threshold 39 set from the start, and synctest.Wait() after each call (hystrix-go hands its bulkhead ticket back after DoC returns: a tight loop meets its own bulkhead, and the rejections count as errors, HX-6); 'unhealthy' is Open()", Run: testErrorPercent},
	{Name: "pool_test.go/TestActiveCount", Adapted: "three tickets pulled from the unexported pool become three runs in flight (InFlight); the MaxActiveRequests pool metric is left out", Run: testActiveCount},
	{Name: "settings_test.go/TestSleepWindowDefault", Adapted: "the settings of a command configured with nothing become each side's defaults (the reference's DefaultConfig)", Run: testSleepWindowDefault},
}

func TestScenarios(t *testing.T) {
	harness.Scenarios(t, reference, library, scenarios)
	harness.NotPorted(map[string]string{
		"hystrix_test.go/TestFailedFallback":                      "asserts hystrix-go's text for a failing fallback: exclusion HX-12",
		"hystrix_test.go/TestReturnTicket":                        "asserts that the ticket returns to the pool at the timeout while the run still runs: exclusion HX-9",
		"hystrix_test.go/TestReturnTicket_QuickCheck":             "the same as TestReturnTicket, repeated by testing/quick: exclusion HX-9",
		"circuit_test.go/TestGetCircuit":                          "the package-level registry of named circuits: the kata has a command per New (HX-14)",
		"circuit_test.go/TestMultithreadedGetCircuit":             "the package-level registry of named circuits (HX-14)",
		"circuit_test.go/TestReportEventOpenThenClose":            "replaces the unexported metric exchange and calls ReportEvent, which the kata does not have",
		"circuit_test.go/TestReportEventMultiThreaded":            "calls ReportEvent directly, which the kata does not have",
		"pool_test.go/TestReturn":                                 "the pool's Executed metric, not in the kata",
		"settings_test.go/TestConfigure*, TestGetCircuitSettings": "read a command's settings back: the kata's Config is the caller's own value, with no getter",
		"rolling/rolling_test.go, rolling_timing_test.go":         "rolling.Number and rolling.Timing internals; the window itself is compared in HX-4",
		"eventstream_test.go":                                     "the dashboard event stream is not in the kata",
		"plugins/statsd_collector_test.go":                        "metric collector plugins are not in the kata",
	})
}

// goC runs Execute on a goroutine, as GoC does: the channel receives
// Execute's error if there is one, and nothing on success.
func goC(c command, ctx context.Context, run runFunc, fallback fallbackFunc) chan error {
	errChan := make(chan error, 1)
	go func() {
		if _, err := c.Execute(ctx, run, fallback); err != nil {
			errChan <- err
		}
	}()
	return errChan
}

// doC is DoC: Execute's error.
func doC(c command, ctx context.Context, run runFunc, fallback fallbackFunc) error {
	_, err := c.Execute(ctx, run, fallback)
	return err
}

// opened trips a circuit at this instant, standing in for setOpen and
// toggleForceOpen: a failure with RequestVolumeThreshold 1, then Open(),
// which makes hystrix-go evaluate (and open) its circuit at once.
func opened(t *testing.T, f impl, cfg config) command {
	t.Helper()
	cfg.RequestVolumeThreshold = 1
	c := mustNew(t, f, cfg)
	doC(c, context.Background(), func(ctx context.Context) (int, error) { return 0, errors.New("trip") }, nil)
	synctest.Wait() // hystrix-go counts the failure on its metric goroutine
	if !c.Open() {
		t.Fatalf("a failure with RequestVolumeThreshold 1 left the circuit closed")
	}
	return c
}

func with(cfg config, edit func(*config)) config {
	edit(&cfg)
	return cfg
}

func testSuccess(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		resultChan := make(chan int)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			resultChan <- 1
			return 0, nil
		}, nil)

		// reading from that channel should provide the expected value
		if got := <-resultChan; got != 1 {
			t.Errorf("reading from that channel should provide the expected value: %d, want 1", got)
		}
		// no errors should be returned
		if len(errChan) != 0 {
			t.Errorf("no errors should be returned: %v", <-errChan)
		}
		// metrics are recorded
		time.Sleep(10 * time.Millisecond)
		if got := c.Metrics().Successes; got != 1 {
			t.Errorf("metrics are recorded: Successes %d, want 1", got)
		}
	})
}

func testFallback(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		resultChan := make(chan int)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			return 0, fmt.Errorf("error")
		}, func(ctx context.Context, err error) (int, error) {
			if err.Error() == "error" {
				resultChan <- 1
			}
			return 0, nil
		})

		if got := <-resultChan; got != 1 {
			t.Errorf("reading from that channel should provide the expected value: %d, want 1", got)
		}
		if len(errChan) != 0 {
			t.Errorf("no errors should be returned: %v", <-errChan)
		}
		time.Sleep(10 * time.Millisecond)
		if m := c.Metrics(); m.Successes != 0 || m.Failures != 1 {
			t.Errorf("metrics are recorded: Successes %d, Failures %d, want 0, 1", m.Successes, m.Failures)
		}
	})
}

func testTimeout(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.Timeout = 100 * time.Millisecond }))
		resultChan := make(chan int, 1)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			time.Sleep(1 * time.Second)
			resultChan <- 1
			return 0, nil
		}, func(ctx context.Context, err error) (int, error) {
			if errKind(err) == "ErrTimeout" {
				resultChan <- 2
			}
			return 0, nil
		})

		if got := <-resultChan; got != 2 {
			t.Errorf("reading from that channel should provide the expected value: %d, want 2", got)
		}
		if len(errChan) != 0 {
			t.Errorf("no errors should be returned: %v", <-errChan)
		}
	})
}

func testTimeoutEmptyFallback(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.Timeout = 100 * time.Millisecond }))
		resultChan := make(chan int, 1)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			time.Sleep(1 * time.Second)
			resultChan <- 1
			return 0, nil
		}, nil)

		if err := <-errChan; errKind(err) != "ErrTimeout" {
			t.Errorf("a timeout error should be returned: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
		if m := c.Metrics(); m.Successes != 0 || m.Timeouts != 1 {
			t.Errorf("metrics are recorded: Successes %d, Timeouts %d, want 0, 1", m.Successes, m.Timeouts)
		}
	})
}

func testMaxConcurrent(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.MaxConcurrentRequests = 2 }))
		resultChan := make(chan int, 3)
		run := func(ctx context.Context) (int, error) {
			time.Sleep(1 * time.Second)
			resultChan <- 1
			return 0, nil
		}

		var good, bad int
		for i := 0; i < 3; i++ {
			errChan := goC(c, context.Background(), run, nil)
			time.Sleep(10 * time.Millisecond)

			select {
			case err := <-errChan:
				if errKind(err) == "ErrMaxConcurrency" {
					bad++
				}
			default:
				good++
			}
		}

		// one will return a 'max concurrency' error
		if bad != 1 || good != 2 {
			t.Errorf("one will return a 'max concurrency' error: bad %d, good %d, want 1, 2", bad, good)
		}
	})
}

func testForceOpenCircuit(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := opened(t, f, libDefaults)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			return 0, nil
		}, nil)

		if err := <-errChan; errKind(err) != "ErrCircuitOpen" {
			t.Errorf("a 'circuit open' error is returned: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
		if m := c.Metrics(); m.Successes != 0 || m.ShortCircuits != 1 {
			t.Errorf("metrics are recorded: Successes %d, ShortCircuits %d, want 0, 1", m.Successes, m.ShortCircuits)
		}
	})
}

func testNilFallbackRunError(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			return 0, fmt.Errorf("run_error")
		}, nil)

		if err := <-errChan; err.Error() != "run_error" {
			t.Errorf("the returned error should be the run error: %q", err)
		}
	})
}

func testCloseCircuitAfterSuccess(t *testing.T, f impl) {
	// commands immediately following should short-circuit
	synctest.Test(t, func(t *testing.T) {
		c := opened(t, f, libDefaults)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			return 0, nil
		}, nil)
		if err := <-errChan; errKind(err) != "ErrCircuitOpen" {
			t.Errorf("commands immediately following should short-circuit: %v", err)
		}
	})
	// and a successful command is run after the sleep window
	synctest.Test(t, func(t *testing.T) {
		c := opened(t, f, libDefaults)
		time.Sleep(6 * time.Second)

		done := make(chan bool, 1)
		goC(c, context.Background(), func(ctx context.Context) (int, error) {
			done <- true
			return 0, nil
		}, nil)

		// the circuit should be closed
		if !<-done {
			t.Errorf("the run was not called")
		}
		time.Sleep(10 * time.Millisecond)
		if c.Open() {
			t.Errorf("the circuit should be closed: IsOpen() = true")
		}
	})
}

func testFailAfterTimeout(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.Timeout = 10 * time.Millisecond }))
		out := make(chan struct{}, 2)
		errChan := goC(c, context.Background(), func(ctx context.Context) (int, error) {
			time.Sleep(50 * time.Millisecond)
			return 0, fmt.Errorf("foo")
		}, func(ctx context.Context, err error) (int, error) {
			out <- struct{}{}
			return 0, err
		})

		// we do not panic
		if err := <-errChan; !strings.Contains(err.Error(), "timeout") {
			t.Errorf("the error should contain \"timeout\": %q", err)
		}
		// wait for command to fail, should not panic
		time.Sleep(100 * time.Millisecond)

		// we do not call the fallback twice
		if len(out) != 1 {
			t.Errorf("we do not call the fallback twice: called %d times", len(out))
		}
	})
}

// testSlowFallbackOpenCircuit runs in real time, as the library's test
// does: in a synctest bubble hystrix-go's timer goroutine waits on the
// command's sync.Once (a mutex, which synctest does not count as durably
// blocked) while the 100 ms fallback runs inside it, so virtual time
// cannot move and the bubble never ends.
func testSlowFallbackOpenCircuit(t *testing.T, f impl) {
	cfg := with(libDefaults, func(c *config) { c.Timeout, c.RequestVolumeThreshold, c.RealTime = 10*time.Millisecond, 1, true })
	c := mustNew(t, f, cfg)
	doC(c, context.Background(), func(ctx context.Context) (int, error) { return 0, errors.New("trip") }, nil)
	for deadline := time.Now().Add(time.Second); !c.Open() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // hystrix-go counts the failure on its metric goroutine
	}
	before := c.Metrics() // the tripping call may itself have timed out (10 ms of real time on a loaded machine)
	out := make(chan struct{}, 2)

	goC(c, context.Background(), func(ctx context.Context) (int, error) {
		return 0, nil
	}, func(ctx context.Context, err error) (int, error) {
		time.Sleep(100 * time.Millisecond)
		out <- struct{}{}
		return 0, nil
	})

	// the fallback only fires for the short-circuit, not both
	time.Sleep(250 * time.Millisecond)
	for deadline := time.Now().Add(5 * time.Second); (len(out) == 0 || c.Metrics().ShortCircuits == before.ShortCircuits) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // a loaded machine: the fallback has not fired, or hystrix-go not counted it, yet
	}
	if len(out) != 1 {
		t.Errorf("the fallback only fires for the short-circuit, not both: %d calls", len(out))
	}
	// and a timeout event is not recorded
	if m := c.Metrics(); m.ShortCircuits != before.ShortCircuits+1 || m.Timeouts != before.Timeouts {
		t.Errorf("and a timeout event is not recorded: ShortCircuits %d, Timeouts %d, want %d, %d", m.ShortCircuits, m.Timeouts, before.ShortCircuits+1, before.Timeouts)
	}
}

func testFallbackAfterRejected(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.MaxConcurrentRequests = 1 }))
		release := make(chan struct{})
		goC(c, context.Background(), func(ctx context.Context) (int, error) { // holds the only slot
			<-release
			return 0, nil
		}, nil)
		synctest.Wait()
		defer close(release)

		runChan := make(chan bool, 1)
		fallbackChan := make(chan bool, 1)
		goC(c, context.Background(), func(ctx context.Context) (int, error) {
			// if run executes after fallback, this will panic due to sending to a closed channel
			runChan <- true
			close(fallbackChan)
			return 0, nil
		}, func(ctx context.Context, err error) (int, error) {
			fallbackChan <- true
			close(runChan)
			return 0, nil
		})

		// should not execute the run function
		if !<-fallbackChan {
			t.Errorf("the fallback was not called")
		}
		if <-runChan {
			t.Errorf("should not execute the run function")
		}
	})
}

func testContextHandling(t *testing.T, f impl) {
	cfg := with(libDefaults, func(c *config) { c.Timeout = 15 * time.Millisecond })
	out := func() (chan int, runFunc) {
		out := make(chan int, 1)
		return out, func(ctx context.Context) (int, error) {
			time.Sleep(20 * time.Millisecond)
			out <- 1
			return 0, nil
		}
	}
	fallback := func(ctx context.Context, e error) (int, error) { return 0, nil }
	check := func(t *testing.T, c command) {
		t.Helper()
		if m := c.Metrics(); m.Requests != 1 || m.Failures != 0 || m.Timeouts != 1 {
			t.Errorf("Requests %d, Failures %d, Timeouts %d, want 1, 0, 1", m.Requests, m.Failures, m.Timeouts)
		}
	}

	// with a valid context
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, cfg)
		_, run := out()
		errChan := goC(c, context.Background(), run, nil)
		time.Sleep(25 * time.Millisecond)
		if err := <-errChan; err.Error() != "hystrix: timeout" {
			t.Errorf("with a valid context: %q, want %q", err, "hystrix: timeout")
		}
		check(t, c)
	})
	// with a valid context and a fallback
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, cfg)
		_, run := out()
		errChan := goC(c, context.Background(), run, fallback)
		time.Sleep(25 * time.Millisecond)
		if len(errChan) != 0 {
			t.Errorf("with a valid context and a fallback: %v", <-errChan)
		}
		check(t, c)
	})
}

func testDoC(t *testing.T, f impl) {
	// with a command which succeeds: the run function is executed
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		out := make(chan bool, 1)
		err := doC(c, context.Background(), func(ctx context.Context) (int, error) {
			out <- true
			return 0, nil
		}, nil)
		if err != nil || !<-out {
			t.Errorf("the run function is executed: err %v", err)
		}
	})
	run := func(ctx context.Context) (int, error) { return 0, fmt.Errorf("i failed") }
	// with a command which fails, with no fallback: the error is returned
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		if err := doC(c, context.Background(), run, nil); err.Error() != "i failed" {
			t.Errorf("the error is returned: %q", err)
		}
	})
	// with a succeeding fallback: the fallback is executed
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		out := make(chan bool, 1)
		err := doC(c, context.Background(), run, func(ctx context.Context, err error) (int, error) {
			out <- true
			return 0, nil
		})
		if err != nil || !<-out {
			t.Errorf("the fallback is executed: err %v", err)
		}
	})
	// with a command which times out: the timeout error is returned
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.Timeout = 10 * time.Millisecond }))
		err := doC(c, context.Background(), func(ctx context.Context) (int, error) {
			time.Sleep(100 * time.Millisecond)
			return 0, nil
		}, nil)
		if err.Error() != "hystrix: timeout" {
			t.Errorf("the timeout error is returned: %q", err)
		}
	})
}

func testErrorPercent(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, with(libDefaults, func(c *config) { c.RequestVolumeThreshold, c.ErrorPercentThreshold = 100, 39 }))
		const p = 40
		for i := 0; i < 100; i++ {
			var err error
			if i < p {
				err = errors.New("failure")
			}
			doC(c, context.Background(), func(ctx context.Context) (int, error) { return 0, err }, nil)
			synctest.Wait() // hystrix-go hands its ticket back after DoC has returned
		}
		time.Sleep(100 * time.Millisecond) // Updates needs to be flushed

		// ErrorPercent() should return 40
		if got := c.Metrics().ErrorPercent; got != 40 {
			t.Errorf("ErrorPercent() should return 40: %d", got)
		}
		// and a error threshold set to 39: the metrics should be unhealthy
		if !c.Open() {
			t.Errorf("the metrics should be unhealthy: the circuit is closed")
		}
	})
}

func testActiveCount(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, f, libDefaults)
		release := make(chan struct{})
		for range 3 {
			goC(c, context.Background(), func(ctx context.Context) (int, error) {
				<-release
				return 0, nil
			}, nil)
		}
		synctest.Wait()
		// ActiveCount() should be 3
		if got := c.Metrics().InFlight; got != 3 {
			t.Errorf("ActiveCount() should be 3: %d", got)
		}
		close(release)
	})
}

func testSleepWindowDefault(t *testing.T, f impl) {
	// the sleep window should be 5 seconds
	if got := f.Defaults().SleepWindow; got != 5*time.Second {
		t.Errorf("the sleep window should be 5 seconds: %v", got)
	}
}
