package breaker

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/breaker"
)

// The documented differences between the kata and gobreaker v2.4.0. Each
// reproduction makes the same calls on both and asserts the kata's rule
// (katas/breaker/README.md) on the reference and gobreaker's behaviour on
// gobreaker.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "BR-1", "Counts() applies the changes due now, so it describes the present (rule 4); gobreaker's Counts() shows the last generation until another method applies them", testCountsStale)
	harness.Exclusion(t, "BR-2", "OnStateChange runs after the lock is released and may call the breaker (rule 15); gobreaker calls it under its mutex, so a call back into the breaker blocks (sony/gobreaker#37)", testCallbackUnderLock)
	harness.Exclusion(t, "BR-3", "only the first call of a done counts (rule 8); gobreaker's done counts every call", testDoneTwice)
	harness.Exclusion(t, "BR-4", "a panicking request is a failure whatever IsSuccessful says (rule 7); gobreaker asks IsSuccessful about an error made from the panic value", testPanicIsSuccessful)
	harness.Exclusion(t, "BR-5", "State(n).String() of an unknown state is \"State(n)\" (not in the contract); gobreaker's is \"unknown state: n\"", testUnknownState)
	harness.Exclusion(t, "BR-6", "the rejections are the kata's own sentinels ErrOpenState and ErrTooManyRequests; gobreaker's are different values with different texts", testSentinels)
}

type side struct {
	name string
	f    impl
}

var sides = []side{{"reference", reference.New}, {"gobreaker", library.New}}

func testCountsStale(t *testing.T) {
	for _, s := range []struct {
		side
		want counts
	}{{sides[0], counts{}}, {sides[1], counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}}} {
		synctest.Test(t, func(t *testing.T) {
			b := s.f.New(settings{Interval: time.Second})
			fail(b)
			time.Sleep(time.Second + time.Nanosecond)
			if got := b.Counts(); got != s.want {
				t.Errorf("%s: b := New(Settings{Interval: 1s}); b.Execute(failing); 1s+1ns later b.Counts() = %v, documented %v", s.name, got, s.want)
			}
			b.State()
			if got := b.Counts(); got != (counts{}) {
				t.Errorf("%s: ...; b.State(); b.Counts() = %v, want zero Counts (a new period)", s.name, got)
			}
		})
	}
}

// testCallbackUnderLock: while OnStateChange runs (it waits for release),
// another goroutine calls State(). On the reference it returns at once; on
// gobreaker it waits for the mutex the callback runs under. The test sees
// which by looking at that goroutine's stack; it never sleeps.
func testCallbackUnderLock(t *testing.T) {
	for _, s := range []struct {
		side
		blocks bool
	}{{sides[0], false}, {sides[1], true}} {
		entered, release := make(chan struct{}), make(chan struct{})
		var b breaker
		b = s.f.New(settings{
			ReadyToTrip: func(c counts) bool { return true },
			OnStateChange: func(string, int, int) {
				close(entered)
				<-release
			},
		})
		execDone := make(chan struct{})
		go func() { defer close(execDone); fail(b) }()
		<-entered
		probe := make(chan int, 1)
		go probeState(b, probe)
		blocked, got := false, -1
	wait:
		for i := 0; ; i++ {
			select {
			case got = <-probe:
				break wait
			default:
			}
			if probeWaitsForMutex() {
				blocked = true
				break
			}
			if i > 1_000_000 {
				t.Fatalf("%s: State() called during OnStateChange neither returned nor waited for a mutex", s.name)
			}
			runtime.Gosched()
		}
		close(release)
		<-execDone
		if blocked {
			got = <-probe
		}
		if blocked != s.blocks || got != stateOpen {
			t.Errorf("%s: b := New(Settings{ReadyToTrip: always, OnStateChange: waits}); b.Execute(failing); during the callback b.State() from another goroutine: blocked = %t, then returned %s; documented blocked = %t, open",
				s.name, blocked, s.f.String(got), s.blocks)
		}
	}
}

// probeState is the goroutine testCallbackUnderLock looks for in stacks.
func probeState(b breaker, out chan<- int) { out <- b.State() }

func probeWaitsForMutex() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "breaker.probeState") &&
			(strings.Contains(g, "sync.Mutex.Lock") || strings.Contains(g, "SemacquireMutex") || strings.Contains(g, "lockSlow")) {
			return true
		}
	}
	return false
}

func testDoneTwice(t *testing.T) {
	for _, s := range []struct {
		side
		want counts
	}{{sides[0], counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}}, {sides[1], counts{Requests: 1, TotalFailures: 2, ConsecutiveFailures: 2}}} {
		b := s.f.New(settings{TwoStep: true})
		done, _ := b.Allow()
		done(false)
		done(false)
		if got := b.Counts(); got != s.want {
			t.Errorf("%s: done, _ := b.Allow(); done(false); done(false); b.Counts() = %v, documented %v", s.name, got, s.want)
		}
	}
}

func testPanicIsSuccessful(t *testing.T) {
	for _, s := range []struct {
		side
		want counts
	}{{sides[0], counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}}, {sides[1], counts{Requests: 1, TotalSuccesses: 1, ConsecutiveSuccesses: 1}}} {
		b := s.f.New(settings{IsSuccessful: func(error) bool { return true }})
		if v := panicOf(func() { causePanic(b) }); v != "oops" {
			t.Errorf("%s: b.Execute(panicking) panicked with %v, want oops", s.name, v)
		}
		if got := b.Counts(); got != s.want {
			t.Errorf("%s: b := New(Settings{IsSuccessful: always true}); b.Execute(panics); b.Counts() = %v, documented %v", s.name, got, s.want)
		}
	}
}

func panicOf(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

func testUnknownState(t *testing.T) {
	if got := ref.State(100).String(); got != "State(100)" {
		t.Errorf("reference: State(100).String() = %q, want \"State(100)\"", got)
	}
	if got := gobreaker.State(100).String(); got != "unknown state: 100" {
		t.Errorf("gobreaker: State(100).String() = %q, documented \"unknown state: 100\"", got)
	}
}

func testSentinels(t *testing.T) {
	if errors.Is(ref.ErrOpenState, gobreaker.ErrOpenState) || ref.ErrOpenState.Error() == gobreaker.ErrOpenState.Error() ||
		errors.Is(ref.ErrTooManyRequests, gobreaker.ErrTooManyRequests) || ref.ErrTooManyRequests.Error() == gobreaker.ErrTooManyRequests.Error() {
		t.Errorf("the sentinels: reference %q, %q; gobreaker %q, %q; documented: different values and texts",
			ref.ErrOpenState, ref.ErrTooManyRequests, gobreaker.ErrOpenState, gobreaker.ErrTooManyRequests)
	}
}
