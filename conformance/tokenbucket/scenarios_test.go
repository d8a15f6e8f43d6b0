package tokenbucket

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/conformance/internal/harness"
)

// The tests of x/time/rate v0.15.0 (rate/rate_test.go), ported to the
// kata's API with their assertions and messages. The library's tests drive
// a fake clock through unexported hooks (lim.wait with a fake timer,
// lim.reserveN); here the same scenarios use the public WaitN in a
// testing/synctest bubble, where time.Now and timers are virtual, and a
// reservation is a WaitN started at the reservation's time on its own
// goroutine (its "time to act" is when it returns).
var scenarios = []harness.Case[impl]{
	{Name: "TestLimit", Adapted: "Limit(10) == Inf becomes New(10, 1).Limit() == Inf", Run: testLimit},
	{Name: "TestEvery", Run: testEvery},
	{Name: "TestLimiterBurst1", Run: testLimiterBurst1},
	{Name: "TestLimiterBurst3", Run: testLimiterBurst3},
	{Name: "TestLimiter_noTruncationErrors", Run: testNoTruncationErrors},
	{Name: "TestSimultaneousRequests", Adapted: "in a synctest bubble, so that no token can refill while the goroutines run", Run: testSimultaneousRequests},
	{Name: "TestLongRunningQPS", Adapted: "the fake clock is a local time.Time advanced by 2 ms", Run: testLongRunningQPS},
	{Name: "TestSimpleReserve", Adapted: "reserveN(t, n) is WaitN(ctx, n) started at t in a synctest bubble", Run: testSimpleReserve},
	{Name: "TestMix", Adapted: "reserveN(t, n) is WaitN(ctx, n) started at t in a synctest bubble", Run: testMix},
	{Name: "TestCancelInvalid", Adapted: "an invalid reservation is a WaitN refused at once; there is nothing to cancel", Run: testCancelInvalid},
	{Name: "TestCancelLast", Adapted: "CancelAt(t) is the wait's context cancelled at t", Run: testCancelLast},
	{Name: "TestCancelTooLate", Adapted: "CancelAt(t) is the wait's context cancelled at t (after the wait returned)", Run: testCancelTooLate},
	{Name: "TestCancel0Tokens", Adapted: "CancelAt(t) is the wait's context cancelled at t", Run: testCancel0Tokens},
	{Name: "TestReserveSetLimit", Adapted: "reserveN(t, n) is WaitN(ctx, n) started at t in a synctest bubble", Run: testReserveSetLimit},
	{Name: "TestReserveSetLimitCancel", Adapted: "CancelAt(t) is the wait's context cancelled at t", Run: testReserveSetLimitCancel},
	{Name: "TestWaitSimple", Adapted: "lim.wait with a fake timer is WaitN in a synctest bubble", Run: testWaitSimple},
	{Name: "TestWaitCancel", Adapted: "lim.wait with a fake timer is WaitN in a synctest bubble; the unexported fields it logs are not read", Run: testWaitCancel},
	{Name: "TestWaitTimeout", Adapted: "lim.wait with a fake timer is WaitN in a synctest bubble", Run: testWaitTimeout},
	{Name: "TestWaitInf", Adapted: "lim.wait with a fake timer is WaitN in a synctest bubble", Run: testWaitInf},
	{Name: "TestZeroLimit", Run: testZeroLimit},
	{Name: "TestSetAfterZeroLimit", Adapted: "in a synctest bubble", Run: testSetAfterZeroLimit},
	{Name: "TestTinyLimit", Run: testTinyLimit},
}

func TestScenarios(t *testing.T) {
	harness.Scenarios(t, reference, library, scenarios)
	harness.NotPorted(map[string]string{
		"TestLimiterJumpBackwards":               "time moving backwards earns nothing in the kata: it is the reproduction of TB-1",
		"TestReserveJumpBack":                    "reserves at a time before the last one (TB-1); WaitN cannot be called in the past",
		"TestReserveJumpBackCancel":              "reserves and cancels at times before the last one (TB-1)",
		"TestReserveSetBurst":                    "reserves at t0 after SetBurstAt(t3, …), a time before the last one (TB-1)",
		"TestCancel1Token":                       "partial refund of a cancelled reservation: the kata gives all or nothing (TB-3)",
		"TestCancelMulti":                        "partial refund of a cancelled reservation: it is the reproduction of TB-3",
		"TestReserveMax":                         "a reservation whose time to act equals the limit is allowed by rate, refused by the kata's WaitN (TB-4)",
		"sometimes_test.go":                      "Sometimes is not in the kata's API",
		"BenchmarkAllowN, BenchmarkWaitNNoDelay": "benchmarks: BenchmarkABBA/AllowN and /WaitNoDelay here",
	})
}

const d = 100 * time.Millisecond

// times returns t0 … t9 as the library's test defines them.
func times(t0 time.Time) (t1, t2, t3, t4, t5, t9 time.Time) {
	return t0.Add(1 * d), t0.Add(2 * d), t0.Add(3 * d), t0.Add(4 * d), t0.Add(5 * d), t0.Add(9 * d)
}

func mustNew(t *testing.T, f impl, r float64, b int) limiter {
	t.Helper()
	l, err := f.New(r, b)
	if err != nil {
		t.Fatalf("New(%v, %d): %v", r, b, err)
	}
	return l
}

func testLimit(t *testing.T, f impl) {
	if mustNew(t, f, 10, 1).Limit() == inf {
		t.Errorf("Limit(10) == Inf should be false")
	}
}

func closeEnough(a, b float64) bool {
	return (math.Abs(a/b) - 1.0) < 1e-9
}

func testEvery(t *testing.T, f impl) {
	cases := []struct {
		interval time.Duration
		lim      float64
	}{
		{0, inf},
		{-1, inf},
		{1 * time.Nanosecond, 1e9},
		{1 * time.Microsecond, 1e6},
		{1 * time.Millisecond, 1e3},
		{10 * time.Millisecond, 100},
		{100 * time.Millisecond, 10},
		{1 * time.Second, 1},
		{2 * time.Second, 0.5},
		{time.Duration(2.5 * float64(time.Second)), 0.4},
		{4 * time.Second, 0.25},
		{10 * time.Second, 0.1},
		{time.Duration(math.MaxInt64), 1e9 / float64(math.MaxInt64)},
	}
	for _, tc := range cases {
		lim := f.Every(tc.interval)
		if !closeEnough(lim, tc.lim) {
			t.Errorf("Every(%v) = %v want %v", tc.interval, lim, tc.lim)
		}
	}
}

type allow struct {
	t    time.Time
	toks float64
	n    int
	ok   bool
}

func run(t *testing.T, lim limiter, allows []allow) {
	t.Helper()
	for i, allow := range allows {
		if toks := lim.TokensAt(allow.t); toks != allow.toks {
			t.Errorf("step %d: lim.TokensAt(%v) = %v want %v",
				i, allow.t, toks, allow.toks)
		}
		ok := lim.AllowN(allow.t, allow.n)
		if ok != allow.ok {
			t.Errorf("step %d: lim.AllowN(%v, %v) = %v want %v",
				i, allow.t, allow.n, ok, allow.ok)
		}
	}
}

// t0 is a fixed instant for the tests with explicit times (the library's
// is time.Now() at package init; any instant will do).
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func testLimiterBurst1(t *testing.T, f impl) {
	t1, t2, _, _, _, _ := times(t0)
	run(t, mustNew(t, f, 10, 1), []allow{
		{t0, 1, 1, true},
		{t0, 0, 1, false},
		{t0, 0, 1, false},
		{t1, 1, 1, true},
		{t1, 0, 1, false},
		{t1, 0, 1, false},
		{t2, 1, 2, false}, // burst size is 1, so n=2 always fails
		{t2, 1, 1, true},
		{t2, 0, 1, false},
	})
}

func testLimiterBurst3(t *testing.T, f impl) {
	t1, t2, t3, t4, _, t9 := times(t0)
	run(t, mustNew(t, f, 10, 3), []allow{
		{t0, 3, 2, true},
		{t0, 1, 2, false},
		{t0, 1, 1, true},
		{t0, 0, 1, false},
		{t1, 1, 4, false},
		{t2, 2, 1, true},
		{t3, 2, 1, true},
		{t4, 2, 1, true},
		{t4, 1, 1, true},
		{t4, 0, 1, false},
		{t4, 0, 1, false},
		{t9, 3, 3, true},
		{t9, 0, 0, true},
	})
}

// Ensure that tokensFromDuration doesn't produce
// rounding errors by truncating nanoseconds.
// See golang.org/issues/34861.
func testNoTruncationErrors(t *testing.T, f impl) {
	if !mustNew(t, f, 0.7692307692307693, 1).Allow() {
		t.Fatal("expected true")
	}
}

func testSimultaneousRequests(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		const (
			limit       = 1
			burst       = 5
			numRequests = 15
		)
		var (
			wg    sync.WaitGroup
			numOK = uint32(0)
		)

		// Very slow replenishing bucket.
		lim := mustNew(t, f, limit, burst)

		// Tries to take a token, atomically updates the counter and decreases the wait
		// group counter.
		f := func() {
			defer wg.Done()
			if ok := lim.Allow(); ok {
				atomic.AddUint32(&numOK, 1)
			}
		}

		wg.Add(numRequests)
		for i := 0; i < numRequests; i++ {
			go f()
		}
		wg.Wait()
		if numOK != burst {
			t.Errorf("numOK = %d, want %d", numOK, burst)
		}
	})
}

func testLongRunningQPS(t *testing.T, f impl) {
	// The test runs for a few (fake) seconds executing many requests
	// and then checks that overall number of requests is reasonable.
	const (
		limit = 100
		burst = 100
	)
	var (
		numOK = int32(0)
		now   = t0
	)

	lim := mustNew(t, f, limit, burst)

	start := now
	end := start.Add(5 * time.Second)
	for now.Before(end) {
		if ok := lim.AllowN(now, 1); ok {
			numOK++
		}

		// This will still offer ~500 requests per second, but won't consume
		// outrageous amount of CPU.
		now = now.Add(2 * time.Millisecond)
	}
	elapsed := now.Sub(start)
	ideal := burst + (limit * float64(elapsed) / float64(time.Second))

	// We should never get more requests than allowed.
	if want := int32(ideal + 1); numOK > want {
		t.Errorf("numOK = %d, want %d (ideal %f)", numOK, want, ideal)
	}
	// We should get very close to the number of requests allowed.
	if want := int32(0.999 * ideal); numOK < want {
		t.Errorf("numOK = %d, want %d (ideal %f)", numOK, want, ideal)
	}
}

// bubble holds a scenario's virtual clock: t0 is when the bubble started.
type bubble struct {
	t     *testing.T
	t0    time.Time
	lim   limiter
	waits sync.WaitGroup
}

// reservation is a WaitN started by reserve: act is when it returned.
type reservation struct {
	cancel context.CancelFunc
	done   chan struct{}
	act    time.Time
	err    error
}

// dSince returns multiples of d since t0, rounded to the nearest.
func (b *bubble) dSince(t time.Time) int { return int((t.Sub(b.t0) + d/2) / d) }

// at sleeps until t0 + k×d (the bubble's clock never goes back).
func (b *bubble) at(k int) {
	if dt := time.Until(b.t0.Add(time.Duration(k) * d)); dt > 0 {
		time.Sleep(dt)
	}
	synctest.Wait() // every wait due by now has returned
}

// reserve is runReserve: at t0 + k×d it starts WaitN(ctx, n) and checks,
// once it has returned, that it acted at t0 + act×d (ok) or was refused at
// once (!ok).
func (b *bubble) reserve(k, n, act int, ok bool) *reservation {
	return b.reserveCtx(context.Background(), k, n, act, ok)
}

func (b *bubble) reserveCtx(parent context.Context, k, n, act int, ok bool) *reservation {
	b.t.Helper()
	b.at(k)
	ctx, cancel := context.WithCancel(parent)
	r := &reservation{cancel: cancel, done: make(chan struct{})}
	b.waits.Add(1)
	go func() {
		defer b.waits.Done()
		r.err = b.lim.WaitN(ctx, n)
		r.act = time.Now()
		close(r.done)
	}()
	synctest.Wait()
	select {
	case <-r.done: // acted (or was refused) at once
		if r.err != nil != !ok || ok && b.dSince(r.act) != act {
			b.t.Errorf("lim.WaitN at t%d, n=%d = (t%d, %v) want (t%d, ok=%v)", k, n, b.dSince(r.act), errKind(r.err), act, ok)
		}
	default:
		b.waits.Add(1)
		go func() {
			defer b.waits.Done()
			<-r.done
			if r.err != nil != !ok || ok && b.dSince(r.act) != act {
				b.t.Errorf("lim.WaitN at t%d, n=%d = (t%d, %v) want (t%d, ok=%v)", k, n, b.dSince(r.act), errKind(r.err), act, ok)
			}
		}()
	}
	return r
}

// cancelAt cancels r's context at t0 + k×d.
func (b *bubble) cancelAt(r *reservation, k int) {
	b.at(k)
	r.cancel()
	synctest.Wait()
}

func inBubble(t *testing.T, f impl, r float64, burst int, fn func(b *bubble)) {
	synctest.Test(t, func(t *testing.T) {
		b := &bubble{t: t, t0: time.Now(), lim: mustNew(t, f, r, burst)}
		fn(b)
		b.waits.Wait()
	})
}

func testSimpleReserve(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		b.reserve(0, 2, 0, true)
		b.reserve(0, 2, 2, true)
		b.reserve(3, 2, 4, true)
	})
}

func testMix(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		t1, _, t3, _, _, _ := times(b.t0)
		b.reserve(0, 3, 1, false) // should return false because n > Burst
		b.reserve(0, 2, 0, true)
		run(b.t, b.lim, []allow{{t1, 1, 2, false}}) // not enough tokens - don't allow
		b.reserve(1, 2, 2, true)
		run(b.t, b.lim, []allow{{t1, -1, 1, false}}) // negative tokens - don't allow
		run(b.t, b.lim, []allow{{t3, 1, 1, true}})
	})
}

func testCancelInvalid(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		b.reserve(0, 2, 0, true)
		r := b.reserve(0, 3, 3, false)
		b.cancelAt(r, 0)         // should have no effect
		b.reserve(0, 2, 2, true) // did not get extra tokens
	})
}

func testCancelLast(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		b.reserve(0, 2, 0, true)
		r := b.reserveCancelled(0, 2, 1)
		b.cancelAt(r, 1) // got 2 tokens back
		b.reserve(1, 2, 2, true)
	})
}

// reserveCancelled starts a wait that will be cancelled at t0 + k×d, before
// its time to act: it must return its context's error then.
func (b *bubble) reserveCancelled(k, n, cancelAt int) *reservation {
	b.t.Helper()
	b.at(k)
	ctx, cancel := context.WithCancel(context.Background())
	r := &reservation{cancel: cancel, done: make(chan struct{})}
	b.waits.Add(1)
	go func() {
		defer b.waits.Done()
		r.err = b.lim.WaitN(ctx, n)
		r.act = time.Now()
		close(r.done)
		if errKind(r.err) != "canceled" || b.dSince(r.act) != cancelAt {
			b.t.Errorf("lim.WaitN at t%d, n=%d cancelled at t%d = (t%d, %v) want (t%d, canceled)", k, n, cancelAt, b.dSince(r.act), errKind(r.err), cancelAt)
		}
	}()
	synctest.Wait()
	return r
}

func testCancelTooLate(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		b.reserve(0, 2, 0, true)
		r := b.reserve(0, 2, 2, true)
		b.cancelAt(r, 3) // too late to cancel - should have no effect
		b.reserve(3, 2, 4, true)
	})
}

func testCancel0Tokens(t *testing.T, f impl) {
	inBubble(t, f, 10, 2, func(b *bubble) {
		b.reserve(0, 2, 0, true)
		r := b.reserveCancelled(0, 1, 0)
		b.reserve(0, 1, 2, true)
		b.cancelAt(r, 0) // got 0 tokens back
		b.reserve(0, 1, 3, true)
	})
}

func testReserveSetLimit(t *testing.T, f impl) {
	inBubble(t, f, 5, 2, func(b *bubble) {
		_, t2, _, _, _, _ := times(b.t0)
		b.reserve(0, 2, 0, true)
		b.reserve(0, 2, 4, true)
		b.at(2)
		b.lim.SetLimitAt(t2, 10)
		b.reserve(2, 1, 4, true) // violates Limit and Burst
	})
}

func testReserveSetLimitCancel(t *testing.T, f impl) {
	inBubble(t, f, 5, 2, func(b *bubble) {
		_, t2, _, _, _, _ := times(b.t0)
		b.reserve(0, 2, 0, true)
		r := b.reserveCancelled(0, 2, 2)
		b.at(2)
		b.lim.SetLimitAt(t2, 10)
		b.cancelAt(r, 2) // 2 tokens back
		b.reserve(2, 2, 3, true)
	})
}

type wait struct {
	name   string
	ctx    context.Context
	n      int
	delay  int // in multiples of d
	nilErr bool
}

func runWait(t *testing.T, lim limiter, w wait) {
	t.Helper()
	start := time.Now()
	err := lim.WaitN(w.ctx, w.n)
	delay := time.Since(start)

	if (w.nilErr && err != nil) || (!w.nilErr && err == nil) || !waitDelayOk(w.delay, delay) {
		errString := "<nil>"
		if !w.nilErr {
			errString = "<non-nil error>"
		}
		t.Errorf("lim.WaitN(%v, lim, %v) = %v with delay %v; want %v with delay %v (±%v)",
			w.name, w.n, err, delay, errString, d*time.Duration(w.delay), d/2)
	}
}

// waitDelayOk is the library's: within half a d below and 150 % above. In
// virtual time the delays are exact, so the tolerance is never used.
func waitDelayOk(wantD int, got time.Duration) bool {
	gotD := int((got + (d / 2)) / d)
	if gotD < wantD {
		return false
	}
	maxD := (wantD*3 + 1) / 2
	return gotD <= maxD
}

func testWaitSimple(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		lim := mustNew(t, f, 10, 3)

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		runWait(t, lim, wait{"already-cancelled", ctx, 1, 0, false})

		runWait(t, lim, wait{"exceed-burst-error", context.Background(), 4, 0, false})

		runWait(t, lim, wait{"act-now", context.Background(), 2, 0, true})
		runWait(t, lim, wait{"act-later", context.Background(), 3, 2, true})
	})
}

func testWaitCancel(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		lim := mustNew(t, f, 10, 3)

		ctx, cancel := context.WithCancel(context.Background())
		runWait(t, lim, wait{"act-now", ctx, 2, 0, true}) // after this lim.tokens = 1
		timer := time.AfterFunc(d, cancel)
		defer timer.Stop()
		runWait(t, lim, wait{"will-cancel", ctx, 3, 1, false})
		// should get 3 tokens back, and have lim.tokens = 2
		runWait(t, lim, wait{"act-now-after-cancel", context.Background(), 2, 0, true})
	})
}

func testWaitTimeout(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		lim := mustNew(t, f, 10, 3)

		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		runWait(t, lim, wait{"act-now", ctx, 2, 0, true})
		runWait(t, lim, wait{"w-timeout-err", ctx, 3, 0, false})
	})
}

func testWaitInf(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		lim := mustNew(t, f, inf, 0)

		runWait(t, lim, wait{"exceed-burst-no-error", context.Background(), 3, 0, true})
	})
}

func testZeroLimit(t *testing.T, f impl) {
	r := mustNew(t, f, 0, 1)
	if !r.Allow() {
		t.Errorf("Limit(0, 1) want true when first used")
	}
	if r.Allow() {
		t.Errorf("Limit(0, 1) want false when already used")
	}
}

func testSetAfterZeroLimit(t *testing.T, f impl) {
	synctest.Test(t, func(t *testing.T) {
		lim := mustNew(t, f, 0, 1)
		// The limiter should start off full, so even though our rate limit is 0, our first request
		// should be allowed…
		if !lim.Allow() {
			t.Errorf("Limit(0, 1) want true when first used")
		}
		// …the token bucket is not being replenished though, so the second request should not succeed
		if lim.Allow() {
			t.Errorf("Limit(0, 1) want false when already used")
		}

		lim.SetLimit(10)

		// We set the limit to 10/s so expect to get another token in 100ms
		runWait(t, lim, wait{"wait-after-set-nonzero-after-zero", context.Background(), 1, 1, true})
	})
}

// TestTinyLimit tests that a limiter does not allow more than burst, when the rate is tiny.
// Prior to resolution of issue 71154, this test
// would fail on amd64 due to overflow in durationFromTokens.
func testTinyLimit(t *testing.T, f impl) {
	lim := mustNew(t, f, 1e-10, 1)

	// The limiter starts with 1 burst token, so the first request should succeed
	if !lim.Allow() {
		t.Errorf("Limit(1e-10, 1) want true when first used")
	}

	// The limiter should not have replenished the token bucket yet, so the second request should fail
	if lim.Allow() {
		t.Errorf("Limit(1e-10, 1) want false when already used")
	}
}
