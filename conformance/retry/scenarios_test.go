package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/harness"
)

// The tests of cenkalti/backoff v5.0.3 (retry_test.go, exponential_test.go,
// backoff_test.go), ported to the kata's API with their assertions and
// messages. backoff's tests replace the wait with a zero-length test timer
// (withTimer, unexported); here every test that retries runs in a
// testing/synctest bubble and waits in virtual time instead. Retry without
// WithMaxTries retries forever; the kata needs MaxAttempts ≥ 1, so those
// ports use MaxAttempts 100, far beyond what the tests make. The tests'
// log lines are left out.
var scenarios = []harness.Case[impl]{
	{Name: "retry_test.go/TestRetry", Adapted: "virtual time instead of the zero-length test timer; MaxAttempts 100 for unlimited tries", Run: testRetry},
	{Name: "retry_test.go/TestRetryWithData", Adapted: "as TestRetry", Run: testRetryWithData},
	{Name: "retry_test.go/TestRetryContext", Adapted: "context.WithCancelCause's custom cause becomes a plain cancel: the kata returns ctx.Err(), not the cause (RT-8)", Run: testRetryContext},
	{Name: "retry_test.go/TestRetryPermanent", Adapted: "res is checked only where the call succeeds: backoff returns the failing attempt's value with the error, the kata the zero value (RT-3)", Run: testRetryPermanent},
	{Name: "retry_test.go/TestPermanent", Adapted: "the errors.As check against backoff's exported *PermanentError is left out (the kata's mark type is unexported; that Do finds a wrapped mark is TestRetryPermanent's last case)", Run: testPermanent},
	{Name: "exponential_test.go/TestBackOff", Adapted: "exp.currentInterval (unexported) becomes Ceiling(n), the n-th wait without randomness; RandomizationFactor 0.1 is the reference's Jitter 0.1, whose waits lie within backoff's bounds", Run: testBackOff},
	{Name: "exponential_test.go/TestBackOffOverflow", Adapted: "exp.currentInterval after one NextBackOff becomes Ceiling(1)", Run: testBackOffOverflow},
	{Name: "backoff_test.go/TestConstantBackOff", Adapted: "NewConstantBackOff(time.Second) becomes Multiplier 1 with BaseDelay = MaxDelay = 1s, the kata's constant backoff", Run: testConstantBackOff},
}

func TestScenarios(t *testing.T) {
	harness.Scenarios(t, reference, library, scenarios)
	harness.NotPorted(map[string]string{
		"exponential_test.go/TestGetRandomizedInterval":            "tests backoff's unexported randomization formula, ±RandomizationFactor around the interval: exclusion RT-4",
		"backoff_test.go/TestNextBackOffMillis":                    "ZeroBackOff and StopBackOff: the kata has no pluggable BackOff, and BaseDelay > 0",
		"tries_test.go":                                            "//go:build ignore in v5.0.3: written for v4's WithMaxRetries and Retry(op, b); v5's WithMaxTries is in every port",
		"ticker_test.go/TestTicker, example_test.go/ExampleTicker": "Ticker is not in the kata",
		"example_test.go/ExampleRetry":                             "makes an HTTP request to httpbin.org; its Permanent and RetryAfter uses are in the differential run",
	})
}

func testRetry(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		const successOn = 3
		var i = 0

		// This function is successful on "successOn" calls.
		op := func() (bool, error) {
			i++
			if i == successOn {
				return true, nil
			}
			return false, errors.New("error")
		}

		_, err := f.Do(context.Background(), libDefaults, func() (int, error) { ok, err := op(); return boolInt(ok), err })
		if err != nil {
			t.Errorf("unexpected error: %s", err.Error())
		}
		if i != successOn {
			t.Errorf("invalid number of retries: %d", i)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func testRetryWithData(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		const successOn = 3
		var i = 0

		// This function is successful on "successOn" calls.
		op := func() (int, error) {
			i++
			if i == successOn {
				return 42, nil
			}
			return 1, errors.New("error")
		}

		res, err := f.Do(context.Background(), libDefaults, op)
		if err != nil {
			t.Errorf("unexpected error: %s", err.Error())
		}
		if i != successOn {
			t.Errorf("invalid number of retries: %d", i)
		}
		if res != 42 {
			t.Errorf("invalid data in response: %d, expected 42", res)
		}
	})
}

func testRetryContext(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		var cancelOn = 3
		var i = 0

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()

		expectedErr := context.Canceled

		// This function cancels context on "cancelOn" calls.
		op := func() (int, error) {
			i++
			// cancelling the context in the operation function is not a typical
			// use-case, however it allows to get predictable test results.
			if i == cancelOn {
				cancel()
			}
			return 0, fmt.Errorf("error (%d)", i)
		}

		constant := policy{MaxAttempts: 100, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Multiplier: 1}
		_, err := f.Do(ctx, constant, op)
		if err == nil {
			t.Errorf("error is unexpectedly nil")
		}
		if !errors.Is(err, expectedErr) {
			t.Errorf("unexpected error: %s", err.Error())
		}
		if i != cancelOn {
			t.Errorf("invalid number of retries: %d", i)
		}
	})
}

func testRetryPermanent(t *testing.T, f impl) {
	ensureRetries := func(test string, shouldRetry bool, op func() (int, error), expectRes int, success bool) {
		synctest.Test(t, func(t *testing.T) {
			numRetries := -1
			maxRetries := 1

			res, _ := f.Do(context.Background(), libDefaults, func() (int, error) {
				numRetries++
				if numRetries >= maxRetries {
					return -1, f.Permanent(errors.New("forced"))
				}
				return op()
			})

			if shouldRetry && numRetries == 0 {
				t.Errorf("Test: '%s', backoff should have retried", test)
			}

			if !shouldRetry && numRetries > 0 {
				t.Errorf("Test: '%s', backoff should not have retried", test)
			}

			if success && res != expectRes {
				t.Errorf("Test: '%s', got res %d but expected %d", test, res, expectRes)
			}
		})
	}

	for _, testCase := range []struct {
		name        string
		f           func() (int, error)
		shouldRetry bool
		res         int
		success     bool
	}{
		{"nil test", func() (int, error) { return 1, nil }, false, 1, true},
		{"io.EOF", func() (int, error) { return 2, io.EOF }, true, -1, false},
		{"Permanent(io.EOF)", func() (int, error) { return 3, f.Permanent(io.EOF) }, false, 3, false},
		{"Wrapped: Permanent(io.EOF)", func() (int, error) { return 4, fmt.Errorf("Wrapped error: %w", f.Permanent(io.EOF)) }, false, 4, false},
	} {
		ensureRetries(testCase.name, testCase.shouldRetry, testCase.f, testCase.res, testCase.success)
	}
}

func testPermanent(t *testing.T, f impl) {
	want := errors.New("foo")
	other := errors.New("bar")
	var err error = f.Permanent(want)

	got := errors.Unwrap(err)
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}

	if is := errors.Is(err, want); !is {
		t.Errorf("err: %v is not %v", err, want)
	}

	if is := errors.Is(err, other); is {
		t.Errorf("err: %v is %v", err, other)
	}

	err = f.Permanent(nil)
	if err != nil {
		t.Errorf("got %v, want nil", err)
	}
}

func testBackOff(t *testing.T, f impl) {
	var (
		testInitialInterval     = 500 * time.Millisecond
		testRandomizationFactor = 0.1
		testMultiplier          = 2.0
		testMaxInterval         = 5 * time.Second
	)
	p := policy{MaxAttempts: 1, BaseDelay: testInitialInterval, MaxDelay: testMaxInterval, Multiplier: testMultiplier, Jitter: testRandomizationFactor}
	next := f.Waits(p)

	var expectedResults = []time.Duration{500, 1000, 2000, 4000, 5000, 5000, 5000, 5000, 5000, 5000}
	for i, d := range expectedResults {
		expectedResults[i] = d * time.Millisecond
	}

	for n, expected := range expectedResults {
		assertEquals(t, expected, f.Ceiling(p, n))
		// Assert that the next backoff falls in the expected range.
		var minInterval = expected - time.Duration(testRandomizationFactor*float64(expected))
		var maxInterval = expected + time.Duration(testRandomizationFactor*float64(expected))
		var actualInterval = next()
		if !(minInterval <= actualInterval && actualInterval <= maxInterval) {
			t.Error("error")
		}
	}
}

func testBackOffOverflow(t *testing.T, f impl) {
	var (
		testInitialInterval time.Duration = math.MaxInt64 / 2
		testMaxInterval     time.Duration = math.MaxInt64
		testMultiplier                    = 2.1
	)
	p := policy{MaxAttempts: 1, BaseDelay: testInitialInterval, MaxDelay: testMaxInterval, Multiplier: testMultiplier}
	// Assert that when an overflow is possible, the current interval time.Duration is set to the max interval time.Duration.
	assertEquals(t, testMaxInterval, f.Ceiling(p, 1))
}

func assertEquals(t *testing.T, expected, value time.Duration) {
	t.Helper()
	if expected != value {
		t.Errorf("got: %d, expected: %d", value, expected)
	}
}

func testConstantBackOff(t *testing.T, f impl) {
	next := f.Waits(policy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Multiplier: 1})
	if next() != time.Second {
		t.Error("invalid interval")
	}
}
