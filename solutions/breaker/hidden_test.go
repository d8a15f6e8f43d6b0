//go:build microkata_hidden

package breaker_test

import (
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
	"github.com/microkata/microkata/katas/breaker"
	ref "github.com/microkata/microkata/solutions/breaker"
)

// Every failure message names the calls that led to it (with the virtual
// time since New where time matters), what came back and what was
// expected: a learner sees only the test's name, category and message.

// hErr is the error of a failing request.
var hErr = errors.New("hidden: dependency failed")

func hOK() (int, error)   { return 1, nil }
func hFail() (int, error) { return 0, hErr }

// hTripOnFirst opens the breaker on the first failure in the closed state.
func hTripOnFirst(c breaker.Counts) bool { return c.ConsecutiveFailures >= 1 }

// hSt names a State by the kata's constants, not by the learner's String.
func hSt(s breaker.State) string {
	switch s {
	case breaker.StateClosed:
		return "closed"
	case breaker.StateHalfOpen:
		return "half-open"
	case breaker.StateOpen:
		return "open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// hC prints Counts field by field, in decimal.
func hC(c breaker.Counts) string {
	return fmt.Sprintf("{Requests:%d TotalSuccesses:%d TotalFailures:%d ConsecutiveSuccesses:%d ConsecutiveFailures:%d}",
		c.Requests, c.TotalSuccesses, c.TotalFailures, c.ConsecutiveSuccesses, c.ConsecutiveFailures)
}

// hErrName names an error by the sentinel it matches.
func hErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, breaker.ErrOpenState):
		return "ErrOpenState"
	case errors.Is(err, breaker.ErrTooManyRequests):
		return "ErrTooManyRequests"
	case err == hErr:
		return "the request's error"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hWantState checks b.State(); after says what was called before it.
func hWantState(t *testing.T, b *breaker.Breaker[int], want breaker.State, after string) bool {
	t.Helper()
	if got := b.State(); got != want {
		t.Errorf("%s: State() = %s, want %s", after, hSt(got), hSt(want))
		return false
	}
	return true
}

// hWantCounts checks b.Counts(); after says what was called before it.
func hWantCounts(t *testing.T, b *breaker.Breaker[int], want breaker.Counts, after string) bool {
	t.Helper()
	if got := b.Counts(); got != want {
		t.Errorf("%s: Counts() = %s, want %s", after, hC(got), hC(want))
		return false
	}
	return true
}

// hWantResult checks what a call of Execute returned: the request's own
// error unchanged, or an error matching a sentinel.
func hWantResult(t *testing.T, call string, v int, err error, wantV int, wantErr error) bool {
	t.Helper()
	ok := err == wantErr
	if wantErr == breaker.ErrOpenState || wantErr == breaker.ErrTooManyRequests {
		ok = errors.Is(err, wantErr)
	}
	if v != wantV || !ok {
		t.Errorf("%s = (%d, %s), want (%d, %s)", call, v, hErrName(err), wantV, hErrName(wantErr))
		return false
	}
	return true
}

// hWantRejected checks that an Allow was rejected with an error matching
// want and a nil done.
func hWantRejected(t *testing.T, call string, done func(bool), err error, want error) bool {
	t.Helper()
	if done != nil || !errors.Is(err, want) {
		d := "nil"
		if done != nil {
			d = "a done"
		}
		t.Errorf("%s = (%s, %s), want (nil, %s)", call, d, hErrName(err), hErrName(want))
		return false
	}
	return true
}

// hChange is one call of OnStateChange.
type hChange struct {
	name     string
	from, to breaker.State
}

// hChanges prints OnStateChange calls.
func hChanges(cs []hChange) string {
	if len(cs) == 0 {
		return "none"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("(%q, %s, %s)", c.name, hSt(c.from), hSt(c.to))
	}
	return strings.Join(parts, ", ")
}

// hLog records OnStateChange calls without calling the breaker. Sequential
// tests check it right after a call: the callbacks a call causes have
// returned before it returns (rule 15).
type hLog struct {
	mu  sync.Mutex
	got []hChange
}

func (l *hLog) record(name string, from, to breaker.State) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, hChange{name, from, to})
}

// take returns the calls recorded since the last take.
func (l *hLog) take() []hChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// want checks the calls recorded since the last take; during names the
// calls that should have made them.
func (l *hLog) want(t *testing.T, during string, want ...hChange) bool {
	t.Helper()
	if got := l.take(); hChanges(got) != hChanges(want) {
		t.Errorf("OnStateChange calls during %s: %s, want %s", during, hChanges(got), hChanges(want))
		return false
	}
	return true
}

// hTrip trips a breaker whose ReadyToTrip is the default: six failures.
// setup describes the breaker and the calls before, for messages.
func hTrip(t *testing.T, b *breaker.Breaker[int], setup string) {
	t.Helper()
	for i := range 6 {
		v, err := b.Execute(hFail)
		if !hWantResult(t, fmt.Sprintf("%s; Execute(fail) #%d of 6", setup, i+1), v, err, 0, hErr) {
			t.FailNow()
		}
	}
	if !hWantState(t, b, breaker.StateOpen, setup+"; 6× Execute(fail)") {
		t.FailNow()
	}
}

// hAllow is Allow that requires admission; call describes it for messages.
func hAllow(t *testing.T, b *breaker.Breaker[int], call string) func(bool) {
	t.Helper()
	done, err := b.Allow()
	if err != nil || done == nil {
		d := "nil"
		if done != nil {
			d = "a done"
		}
		t.Fatalf("%s = (%s, %s), want (a done, nil)", call, d, hErrName(err))
	}
	return done
}

// hHalfOpen returns a breaker (Timeout 10 s, the given MaxRequests, the
// default ReadyToTrip) that tripped at the bubble's start and is now,
// 10 s + 1 ns later, half-open, and a description of how it got there.
func hHalfOpen(t *testing.T, maxRequests uint32, log *hLog) (*breaker.Breaker[int], string) {
	t.Helper()
	st := breaker.Settings{Name: "probe", Timeout: 10 * time.Second, MaxRequests: maxRequests}
	setup := fmt.Sprintf(`New(Settings{Name: "probe", Timeout: 10s, MaxRequests: %d`, maxRequests)
	if log != nil {
		st.OnStateChange = log.record
		setup += ", OnStateChange: record"
	}
	setup += "})"
	b := breaker.New[int](st)
	hTrip(t, b, setup)
	time.Sleep(10*time.Second + time.Nanosecond)
	setup += "; 6× Execute(fail) at 0s; at 10.000000001s"
	if !hWantState(t, b, breaker.StateHalfOpen, setup) {
		t.FailNow()
	}
	if log != nil {
		log.take()
	}
	return b, setup + " State() = half-open"
}

// TestHiddenDefaultsForZeroAndNegativeSettings: zero and negative settings
// mean the defaults: Timeout 60 s, Counts never cleared while closed, one
// half-open probe (rule 1).
//
// Category: config
func TestHiddenDefaultsForZeroAndNegativeSettings(t *testing.T) {
	katatest.Guard(t)
	for _, timeout := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		t.Run(fmt.Sprintf("Timeout %v", timeout), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				setup := fmt.Sprintf("New(Settings{Timeout: %v})", timeout)
				b := breaker.New[int](breaker.Settings{Timeout: timeout})
				hTrip(t, b, setup)
				setup += "; 6× Execute(fail) at 0s"
				time.Sleep(60 * time.Second)
				hWantState(t, b, breaker.StateOpen, setup+"; at 60s (the default Timeout)")
				time.Sleep(time.Nanosecond)
				hWantState(t, b, breaker.StateHalfOpen, setup+"; at 60.000000001s")
			})
		})
	}
	for _, interval := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		t.Run(fmt.Sprintf("Interval %v", interval), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				setup := fmt.Sprintf("New(Settings{Interval: %v}); Execute(fail) at 0s, 1000h, 2000h, 3000h and 4000h", interval)
				b := breaker.New[int](breaker.Settings{Interval: interval})
				for i := range 5 {
					v, err := b.Execute(hFail)
					if !hWantResult(t, fmt.Sprintf("New(Settings{Interval: %v}); Execute(fail) #%d at %dh", interval, i+1, 1000*i), v, err, 0, hErr) {
						return
					}
					time.Sleep(1000 * time.Hour)
				}
				hWantCounts(t, b, breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}, setup+"; at 5000h (Counts are never cleared while closed)")
				v, err := b.Execute(hFail)
				if hWantResult(t, setup+"; Execute(fail) at 5000h", v, err, 0, hErr) {
					hWantState(t, b, breaker.StateOpen, setup+"; Execute(fail) at 5000h (the sixth failure in a row trips)")
				}
			})
		})
	}
	t.Run("MaxRequests 0", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b, setup := hHalfOpen(t, 0, nil)
			done := hAllow(t, b, setup+"; Allow() #1")
			d2, err := b.Allow()
			hWantRejected(t, setup+"; Allow() #1 (admitted, not reported); Allow() #2", d2, err, breaker.ErrTooManyRequests)
			done(true)
			hWantState(t, b, breaker.StateClosed, setup+"; Allow() #1, done(true) (MaxRequests 0 means 1: one success closes it)")
		})
	})
}

// TestHiddenTimeoutBoundaryExact: opened at T with Timeout 10 s, the breaker
// is open at exactly T + 10 s and half-open 1 ns later, whichever method
// looks first (rules 4, 12).
//
// Category: timing
func TestHiddenTimeoutBoundaryExact(t *testing.T) {
	katatest.Guard(t)
	// tripped returns a breaker with Timeout 10 s that tripped one minute
	// after New (the trip, not New, starts the timeout), and sleeps until
	// exactly T + Timeout.
	const setup = "New(Settings{Timeout: 10s}); 6× Execute(fail) at T = 1m0s"
	tripped := func(t *testing.T) *breaker.Breaker[int] {
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		time.Sleep(time.Minute)
		hTrip(t, b, "New(Settings{Timeout: 10s}); at 1m0s")
		time.Sleep(10 * time.Second)
		return b
	}
	t.Run("State", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			hWantState(t, b, breaker.StateOpen, setup+"; at exactly T + Timeout (1m10s)")
			time.Sleep(time.Nanosecond)
			hWantState(t, b, breaker.StateHalfOpen, setup+"; State() at T + Timeout; at 1m10.000000001s")
		})
	})
	t.Run("Execute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			v, err := b.Execute(hOK)
			hWantResult(t, setup+"; Execute(ok) at exactly T + Timeout (1m10s)", v, err, 0, breaker.ErrOpenState)
			time.Sleep(time.Nanosecond)
			v, err = b.Execute(hOK)
			if hWantResult(t, setup+"; Execute(ok) at 1m10s; Execute(ok) at 1m10.000000001s (the probe)", v, err, 1, nil) {
				hWantState(t, b, breaker.StateClosed, setup+"; the probe Execute(ok) at 1m10.000000001s succeeded")
			}
		})
	})
	t.Run("Allow", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			done, err := b.Allow()
			hWantRejected(t, setup+"; Allow() at exactly T + Timeout (1m10s)", done, err, breaker.ErrOpenState)
			time.Sleep(time.Nanosecond)
			const probe = setup + "; Allow() at 1m10.000000001s"
			done = hAllow(t, b, probe)
			hWantState(t, b, breaker.StateHalfOpen, probe+" (the probe, not reported yet)")
			hWantCounts(t, b, breaker.Counts{Requests: 1}, probe+" (the probe, not reported yet)")
			done(true)
			hWantState(t, b, breaker.StateClosed, probe+"; done(true)")
		})
	})
}

// TestHiddenRejectionsDoNotExtendOpen: calls rejected while open do not move
// the end of the open period (rules 6, 12).
//
// Category: timing
func TestHiddenRejectionsDoNotExtendOpen(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const setup = "New(Settings{Timeout: 10s}); 6× Execute(fail) at 0s"
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		hTrip(t, b, "New(Settings{Timeout: 10s})")
		time.Sleep(3 * time.Second)
		v, err := b.Execute(hOK)
		if !hWantResult(t, setup+"; Execute(ok) at 3s", v, err, 0, breaker.ErrOpenState) {
			return
		}
		time.Sleep(6 * time.Second)
		done, err := b.Allow()
		if !hWantRejected(t, setup+"; Execute(ok) at 3s; Allow() at 9s", done, err, breaker.ErrOpenState) {
			return
		}
		v, err = b.Execute(hOK)
		if !hWantResult(t, setup+"; Execute(ok) at 3s; Allow() at 9s; Execute(ok) at 9s", v, err, 0, breaker.ErrOpenState) {
			return
		}
		const rejected = setup + "; rejected Execute(ok) at 3s, Allow() and Execute(ok) at 9s"
		time.Sleep(time.Second)
		hWantState(t, b, breaker.StateOpen, rejected+"; at 10s")
		time.Sleep(time.Nanosecond)
		hWantState(t, b, breaker.StateHalfOpen, rejected+"; at 10.000000001s (rejections do not extend the open period)")
	})
}

// TestHiddenHalfOpenFailureReopensWithFreshTimeout: a failed probe at 12 s
// opens the breaker for a whole new Timeout, counted from 12 s (rule 14).
//
// Category: timing
func TestHiddenHalfOpenFailureReopensWithFreshTimeout(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		const setup = `New(Settings{Name: "db", Timeout: 10s, OnStateChange: record}); 6× Execute(fail) at 0s; the probe Execute(fail) at 12s`
		b := breaker.New[int](breaker.Settings{Name: "db", Timeout: 10 * time.Second, OnStateChange: log.record})
		hTrip(t, b, `New(Settings{Name: "db", Timeout: 10s, OnStateChange: record})`)
		time.Sleep(12 * time.Second)
		v, err := b.Execute(hFail)
		if !hWantResult(t, setup, v, err, 0, hErr) {
			return
		}
		log.want(t, setup,
			hChange{"db", breaker.StateClosed, breaker.StateOpen},
			hChange{"db", breaker.StateOpen, breaker.StateHalfOpen},
			hChange{"db", breaker.StateHalfOpen, breaker.StateOpen})
		hWantState(t, b, breaker.StateOpen, setup+"; at 12s")
		done, err := b.Allow()
		hWantRejected(t, setup+"; Allow() at 12s", done, err, breaker.ErrOpenState)
		time.Sleep(10 * time.Second)
		hWantState(t, b, breaker.StateOpen, setup+"; at 22s (12s + Timeout)")
		time.Sleep(time.Nanosecond)
		hWantState(t, b, breaker.StateHalfOpen, setup+"; at 22.000000001s")
		log.want(t, setup+"; State() at 22s and at 22.000000001s", hChange{"db", breaker.StateOpen, breaker.StateHalfOpen})
	})
}

// TestHiddenHalfOpenNeedsMaxRequestsSuccesses: with MaxRequests 3 the
// breaker closes on the third consecutive probe success, not before
// (rule 14).
//
// Category: behaviour
func TestHiddenHalfOpenNeedsMaxRequestsSuccesses(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		b, setup := hHalfOpen(t, 3, nil)
		for i := range 2 {
			v, err := b.Execute(hOK)
			if !hWantResult(t, fmt.Sprintf("%s; probe Execute(ok) #%d", setup, i+1), v, err, 1, nil) {
				return
			}
		}
		hWantState(t, b, breaker.StateHalfOpen, setup+"; 2× Execute(ok)")
		hWantCounts(t, b, breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}, setup+"; 2× Execute(ok)")
		v, err := b.Execute(hOK)
		if hWantResult(t, setup+"; 2× Execute(ok); probe Execute(ok) #3", v, err, 1, nil) {
			hWantState(t, b, breaker.StateClosed, setup+"; 3× Execute(ok)")
		}
	})
}

// TestHiddenHalfOpenHasNoTimeout: a probe that never reports keeps the
// breaker half-open, with its slot taken, for as long as it is out
// (rules 13, 14).
//
// Category: timing
func TestHiddenHalfOpenHasNoTimeout(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b, setup := hHalfOpen(t, 1, &log)
		done := hAllow(t, b, setup+"; Allow() (the probe)")
		setup += "; the probe Allow() at 10.000000001s, not reported; 1h later"
		time.Sleep(time.Hour)
		hWantState(t, b, breaker.StateHalfOpen, setup)
		hWantCounts(t, b, breaker.Counts{Requests: 1}, setup)
		d, err := b.Allow()
		hWantRejected(t, setup+": Allow()", d, err, breaker.ErrTooManyRequests)
		v, err := b.Execute(hOK)
		hWantResult(t, setup+": Execute(ok)", v, err, 0, breaker.ErrTooManyRequests)
		log.want(t, setup)
		done(true)
		hWantState(t, b, breaker.StateClosed, setup+": the probe's done(true)")
	})
}

// TestHiddenStaleGenerationIgnored: an outcome reported after its
// generation ended (by an Interval rollover or by state changes) changes no
// Counts and causes no transition (rules 9, 10).
//
// Category: behaviour
func TestHiddenStaleGenerationIgnored(t *testing.T) {
	katatest.Guard(t)
	t.Run("across a rollover", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 30s, ReadyToTrip: ConsecutiveFailures >= 1}); Allow() at 29s; its done(false) at 31s (after the period that admitted it ended at 30s)"
			b := breaker.New[int](breaker.Settings{Interval: 30 * time.Second, ReadyToTrip: hTripOnFirst})
			time.Sleep(29 * time.Second)
			done := hAllow(t, b, "New(Settings{Interval: 30s, ReadyToTrip: ConsecutiveFailures >= 1}); Allow() at 29s")
			time.Sleep(2 * time.Second)
			done(false)
			hWantState(t, b, breaker.StateClosed, setup)
			hWantCounts(t, b, breaker.Counts{}, setup)
		})
	})
	t.Run("across a trip", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var log hLog
			const setup = `New(Settings{Name: "x", Timeout: 10s, OnStateChange: record}); d1 := Allow(); d2 := Allow(); 6× Execute(fail) at 0s`
			b := breaker.New[int](breaker.Settings{Name: "x", Timeout: 10 * time.Second, OnStateChange: log.record})
			slowOK := hAllow(t, b, `New(Settings{Name: "x", Timeout: 10s, OnStateChange: record}); Allow()`)
			slowFail := hAllow(t, b, `New(Settings{Name: "x", Timeout: 10s, OnStateChange: record}); Allow(); Allow()`)
			hTrip(t, b, `New(Settings{Name: "x", Timeout: 10s, OnStateChange: record}); d1 := Allow(); d2 := Allow()`)
			slowOK(true)
			hWantCounts(t, b, breaker.Counts{}, setup+"; d1(true) while open")
			hWantState(t, b, breaker.StateOpen, setup+"; d1(true) while open")

			time.Sleep(10*time.Second + time.Nanosecond)
			const later = setup + "; d1(true); probe := Allow() at 10.000000001s; d2(false)"
			probe := hAllow(t, b, setup+"; d1(true); Allow() at 10.000000001s")
			log.take()
			slowFail(false)
			hWantState(t, b, breaker.StateHalfOpen, later+" (a stale failure must not reopen it)")
			hWantCounts(t, b, breaker.Counts{Requests: 1}, later)
			log.want(t, later+": d2(false)")
			probe(true)
			hWantState(t, b, breaker.StateClosed, later+"; probe(true)")
		})
	})
	t.Run("a stale success in half-open", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Timeout: 10s}); d := Allow(); 6× Execute(fail) at 0s; d(true) at 10.000000001s"
			b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
			slow := hAllow(t, b, "New(Settings{Timeout: 10s}); Allow()")
			hTrip(t, b, "New(Settings{Timeout: 10s}); d := Allow()")
			time.Sleep(10*time.Second + time.Nanosecond)
			slow(true)
			hWantState(t, b, breaker.StateHalfOpen, setup+" (a stale success must not close it)")
			hWantCounts(t, b, breaker.Counts{}, setup)
		})
	})
}

// TestHiddenIntervalRollover: with Interval 10 s the closed Counts are
// cleared by the first call strictly more than 10 s after the period
// started; the first period starts at New, the next at the rollover, and a
// period restarts when the breaker closes (rules 3, 10).
//
// Category: timing
func TestHiddenIntervalRollover(t *testing.T) {
	katatest.Guard(t)
	const interval = 10 * time.Second
	five := breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}
	one := breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}
	failures := func(t *testing.T, b *breaker.Breaker[int], n int, setup string) {
		t.Helper()
		for i := range n {
			v, err := b.Execute(hFail)
			if !hWantResult(t, fmt.Sprintf("%s; Execute(fail) #%d", setup, i+1), v, err, 0, hErr) {
				t.FailNow()
			}
		}
	}
	t.Run("sixth failure at exactly Interval trips", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 10s}); 5× Execute(fail) at 1s"
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(time.Second)
			failures(t, b, 5, "New(Settings{Interval: 10s}); at 1s")
			time.Sleep(9 * time.Second)
			hWantCounts(t, b, five, setup+"; at exactly 10s (Interval after New)")
			failures(t, b, 1, setup+"; at 10s")
			hWantState(t, b, breaker.StateOpen, setup+"; Execute(fail) at exactly 10s")
		})
	})
	t.Run("sixth failure 1 ns later does not", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 10s}); 5× Execute(fail) at 1s; Execute(fail) at 10.000000001s"
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(time.Second)
			failures(t, b, 5, "New(Settings{Interval: 10s}); at 1s")
			time.Sleep(9*time.Second + time.Nanosecond)
			failures(t, b, 1, "New(Settings{Interval: 10s}); 5× Execute(fail) at 1s; at 10.000000001s")
			hWantState(t, b, breaker.StateClosed, setup)
			hWantCounts(t, b, one, setup+" (a new period started at 10.000000001s)")
		})
	})
	t.Run("next period starts at the rollover", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 10s}); Execute(fail) at 25s (rolls over, then counts)"
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(25 * time.Second)
			failures(t, b, 1, "New(Settings{Interval: 10s}); at 25s")
			time.Sleep(interval)
			hWantCounts(t, b, one, setup+"; at 35s (the period started at 25s)")
			time.Sleep(time.Nanosecond)
			hWantCounts(t, b, breaker.Counts{}, setup+"; at 35.000000001s")
		})
	})
	t.Run("period restarts on closing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 10s, Timeout: 5s, ReadyToTrip: ConsecutiveFailures >= 1}); Execute(fail) at 0s; the probe Execute(ok) at 7.000000001s closes it; Execute(ok) at 8.000000001s"
			b := breaker.New[int](breaker.Settings{Interval: interval, Timeout: 5 * time.Second, ReadyToTrip: hTripOnFirst})
			failures(t, b, 1, "New(Settings{Interval: 10s, Timeout: 5s, ReadyToTrip: ConsecutiveFailures >= 1})")
			time.Sleep(5*time.Second + time.Nanosecond)
			time.Sleep(2 * time.Second)
			v, err := b.Execute(hOK) // closes at 7 s + 1 ns
			if !hWantResult(t, "New(Settings{Interval: 10s, Timeout: 5s, ReadyToTrip: ConsecutiveFailures >= 1}); Execute(fail) at 0s; the probe Execute(ok) at 7.000000001s", v, err, 1, nil) ||
				!hWantState(t, b, breaker.StateClosed, "New(Settings{Interval: 10s, Timeout: 5s, ReadyToTrip: ConsecutiveFailures >= 1}); Execute(fail) at 0s; the probe Execute(ok) at 7.000000001s") {
				return
			}
			two := breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}
			time.Sleep(time.Second)
			v, err = b.Execute(hOK)
			if !hWantResult(t, setup, v, err, 1, nil) {
				return
			}
			time.Sleep(9 * time.Second) // 17 s + 1 ns: exactly Interval after closing
			v, err = b.Execute(hOK)
			if !hWantResult(t, setup+"; Execute(ok) at 17.000000001s", v, err, 1, nil) {
				return
			}
			hWantCounts(t, b, two, setup+"; Execute(ok) at 17.000000001s (exactly Interval after closing)")
			time.Sleep(time.Nanosecond)
			hWantCounts(t, b, breaker.Counts{}, setup+"; Execute(ok) at 17.000000001s; at 17.000000002s")
		})
	})
	t.Run("first period starts at New", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(6 * time.Second)
			failures(t, b, 5, "New(Settings{Interval: 10s}); at 6s")
			time.Sleep(4*time.Second + time.Nanosecond)
			hWantCounts(t, b, breaker.Counts{}, "New(Settings{Interval: 10s}); 5× Execute(fail) at 6s; at 10.000000001s (the first period started at New, not at the first request)")
		})
	})
}

// TestHiddenLazyTransitionFiresOnce: when the Timeout has passed and only
// State or only Counts is called, they apply the change to half-open, and
// it is reported exactly once, before the first of them returns (rules 4,
// 15).
//
// Category: behaviour
func TestHiddenLazyTransitionFiresOnce(t *testing.T) {
	katatest.Guard(t)
	looks := []struct {
		name string
		look func(b *breaker.Breaker[int]) string
		want string
	}{
		{"State", func(b *breaker.Breaker[int]) string { return hSt(b.State()) }, "half-open"},
		{"Counts", func(b *breaker.Breaker[int]) string { return hC(b.Counts()) }, hC(breaker.Counts{})},
	}
	for _, tc := range looks {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log hLog
				const setup = `New(Settings{Name: "lazy", Timeout: 10s, ReadyToTrip: ConsecutiveFailures >= 1, OnStateChange: record}); Execute(fail) at 0s`
				b := breaker.New[int](breaker.Settings{Name: "lazy", Timeout: 10 * time.Second, ReadyToTrip: hTripOnFirst, OnStateChange: log.record})
				v, err := b.Execute(hFail)
				if !hWantResult(t, setup, v, err, 0, hErr) || !log.want(t, setup, hChange{"lazy", breaker.StateClosed, breaker.StateOpen}) {
					return
				}
				time.Sleep(10*time.Second + time.Nanosecond)
				first := fmt.Sprintf("%s; %s() at 10.000000001s", setup, tc.name)
				if got := tc.look(b); got != tc.want {
					t.Errorf("%s = %s, want %s", first, got, tc.want)
				}
				log.want(t, first, hChange{"lazy", breaker.StateOpen, breaker.StateHalfOpen})
				time.Sleep(time.Minute)
				second := fmt.Sprintf("%s; %s() again at 1m10.000000001s", first, tc.name)
				if got := tc.look(b); got != tc.want {
					t.Errorf("%s = %s, want %s", second, got, tc.want)
				}
				log.want(t, second)
				hWantState(t, b, breaker.StateHalfOpen, second)
			})
		})
	}
}

// TestHiddenOnStateChangeOrder: sequential calls report their transitions
// in order, with Settings.Name, and each callback has returned before the
// call that caused it returns, even a callback that takes time (rule 15).
//
// Category: behaviour
func TestHiddenOnStateChangeOrder(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		const setup = `New(Settings{Name: "orders", Timeout: 10s, ReadyToTrip: ConsecutiveFailures >= 1, OnStateChange: a callback that sleeps 1ms, then records})`
		b := breaker.New[int](breaker.Settings{
			Name:        "orders",
			Timeout:     10 * time.Second,
			ReadyToTrip: hTripOnFirst,
			OnStateChange: func(name string, from, to breaker.State) {
				time.Sleep(time.Millisecond) // a slow callback
				log.record(name, from, to)
			},
		})
		done := hAllow(t, b, setup+"; Allow()")
		done(false)
		const first = setup + "; Allow() and done(false) at 0s"
		log.want(t, first, hChange{"orders", breaker.StateClosed, breaker.StateOpen})

		time.Sleep(10 * time.Second)
		v, err := b.Execute(hFail) // half-open, then a failed probe: open again
		const second = first + "; the probe Execute(fail) at 10.001s"
		if !hWantResult(t, second, v, err, 0, hErr) {
			return
		}
		log.want(t, second,
			hChange{"orders", breaker.StateOpen, breaker.StateHalfOpen},
			hChange{"orders", breaker.StateHalfOpen, breaker.StateOpen})

		time.Sleep(10 * time.Second)
		v, err = b.Execute(hOK)
		const third = second + "; the probe Execute(ok) at 20.003s"
		if !hWantResult(t, third, v, err, 1, nil) {
			return
		}
		log.want(t, third,
			hChange{"orders", breaker.StateOpen, breaker.StateHalfOpen},
			hChange{"orders", breaker.StateHalfOpen, breaker.StateClosed})
		hWantState(t, b, breaker.StateClosed, third)
		log.want(t, third+"; State()")
	})
}

// TestHiddenReadyToTripOnlyAfterClosedFailures: ReadyToTrip sees the Counts
// including the failure just recorded, is never called after a success and
// never in the half-open state (rule 11).
//
// Category: behaviour
func TestHiddenReadyToTripOnlyAfterClosedFailures(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var seen []breaker.Counts
		const setup = "New(Settings{Timeout: 10s, Interval: 1h, ReadyToTrip: record the Counts, return ConsecutiveFailures >= 2})"
		b := breaker.New[int](breaker.Settings{
			Timeout:  10 * time.Second,
			Interval: time.Hour,
			ReadyToTrip: func(c breaker.Counts) bool {
				seen = append(seen, c)
				return c.ConsecutiveFailures >= 2
			},
		})
		names := []string{"ok", "fail", "ok", "fail", "fail"}
		calls := setup
		for i, req := range []func() (int, error){hOK, hFail, hOK, hFail, hFail} {
			b.Execute(req)
			calls += fmt.Sprintf("; Execute(%s)", names[i])
			if i < 4 && !hWantState(t, b, breaker.StateClosed, calls) {
				return
			}
		}
		hWantState(t, b, breaker.StateOpen, calls+" (two failures in a row)")
		want := []breaker.Counts{
			{Requests: 2, TotalSuccesses: 1, TotalFailures: 1, ConsecutiveFailures: 1},
			{Requests: 4, TotalSuccesses: 2, TotalFailures: 2, ConsecutiveFailures: 1},
			{Requests: 5, TotalSuccesses: 2, TotalFailures: 3, ConsecutiveFailures: 2},
		}
		if hCountsList(seen) != hCountsList(want) {
			t.Errorf("%s: ReadyToTrip was called with %s, want %s (once after each failure, with the failure recorded)", calls, hCountsList(seen), hCountsList(want))
		}

		seen = nil
		time.Sleep(10*time.Second + time.Nanosecond)
		v, err := b.Execute(hFail)
		half := calls + " at 0s; the probe Execute(fail) at 10.000000001s"
		if !hWantResult(t, half, v, err, 0, hErr) || !hWantState(t, b, breaker.StateOpen, half+" (a half-open failure reopens, whatever ReadyToTrip says)") {
			return
		}
		time.Sleep(10*time.Second + time.Nanosecond)
		v, err = b.Execute(hOK)
		half += "; the probe Execute(ok) at 20.000000002s"
		if !hWantResult(t, half, v, err, 1, nil) || !hWantState(t, b, breaker.StateClosed, half) {
			return
		}
		if len(seen) > 0 {
			t.Errorf("%s: ReadyToTrip was called with %s outside the closed state, want no call", half, hCountsList(seen))
		}
	})
}

// hCountsList prints a list of Counts.
func hCountsList(cs []breaker.Counts) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = hC(c)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// TestHiddenIsSuccessfulCustom: IsSuccessful decides the outcome, and the
// request's error comes back unchanged either way (rule 7).
//
// Category: config
func TestHiddenIsSuccessfulCustom(t *testing.T) {
	katatest.Guard(t)
	errNotFound := errors.New("hidden: not found")
	var classified []error
	const setup = "New(Settings{IsSuccessful: err == nil || errors.Is(err, errNotFound)})"
	b := breaker.New[int](breaker.Settings{
		IsSuccessful: func(err error) bool {
			classified = append(classified, err)
			return err == nil || errors.Is(err, errNotFound)
		},
	})
	for i := range 10 {
		v, err := b.Execute(func() (int, error) { return 404, errNotFound })
		if v != 404 || err != errNotFound {
			t.Fatalf("%s; Execute(req returning (404, errNotFound)) #%d = (%d, %v), want (404, errNotFound) unchanged", setup, i+1, v, err)
		}
	}
	const ten = setup + "; 10× Execute(req returning (404, errNotFound))"
	hWantState(t, b, breaker.StateClosed, ten+" (errors classified as successes)")
	hWantCounts(t, b, breaker.Counts{Requests: 10, TotalSuccesses: 10, ConsecutiveSuccesses: 10}, ten)
	if len(classified) != 10 || classified[0] != errNotFound {
		t.Fatalf("%s: IsSuccessful was called %d times with %v, want 10 times with errNotFound", ten, len(classified), classified)
	}

	v, err := b.Execute(hFail)
	if !hWantResult(t, ten+"; Execute(fail)", v, err, 0, hErr) {
		return
	}
	v, err = b.Execute(hOK)
	if !hWantResult(t, ten+"; Execute(fail); Execute(ok)", v, err, 1, nil) {
		return
	}
	hWantCounts(t, b, breaker.Counts{Requests: 12, TotalSuccesses: 11, TotalFailures: 1, ConsecutiveSuccesses: 1}, ten+"; Execute(fail); Execute(ok) (other errors still fail)")
	if last := classified[len(classified)-1]; last != nil {
		t.Errorf("%s; Execute(fail); Execute(ok): IsSuccessful got %v for the request's nil error, want nil", ten, last)
	}
}

// TestHiddenExecuteReturnsResults: Execute runs the request once and returns
// its value and error unchanged; a rejected Execute returns the zero value
// (rules 6, 7).
//
// Category: behaviour
func TestHiddenExecuteReturnsResults(t *testing.T) {
	katatest.Guard(t)
	type payload struct {
		ID   int
		Tags []string
	}
	const setup = "New[*payload](Settings{ReadyToTrip: TotalFailures >= 2, Timeout: 1h})"
	b := breaker.New[*payload](breaker.Settings{ReadyToTrip: func(c breaker.Counts) bool { return c.TotalFailures >= 2 }, Timeout: time.Hour})
	p := &payload{ID: 7, Tags: []string{"a"}}
	show := func(v *payload) string {
		switch v {
		case nil:
			return "nil"
		case p:
			return "p"
		}
		return fmt.Sprintf("another *payload %+v", *v)
	}
	errPartial := fmt.Errorf("hidden: partial result: %w", hErr)
	cases := []struct {
		call    string
		err     error // what req returns with p
		wantV   *payload
		wantErr error
		ran     int // req runs so far
	}{
		{"Execute(req returning (p, nil))", nil, p, nil, 1},
		{"Execute(req returning (p, errPartial))", errPartial, p, errPartial, 2},
		{"Execute(req returning (p, errPartial)) again", errPartial, p, errPartial, 3},
		{"Execute(req returning (p, nil)) while open", nil, nil, breaker.ErrOpenState, 3},
	}
	calls, sofar := 0, setup
	for _, tc := range cases {
		got, err := b.Execute(func() (*payload, error) { calls++; return p, tc.err })
		sofar += "; " + tc.call
		errOK := err == tc.wantErr || tc.wantErr == breaker.ErrOpenState && errors.Is(err, tc.wantErr)
		if got != tc.wantV || !errOK {
			t.Errorf("%s = (%s, %v), want (%s, %v)", sofar, show(got), err, show(tc.wantV), tc.wantErr)
		}
		if calls != tc.ran {
			t.Errorf("%s: the requests ran %d times in all, want %d", sofar, calls, tc.ran)
		}
	}
}

// TestHiddenRejectedCallsNotCounted: rejected calls, whether open or
// half-open, change no Counts, and the Counts start from zero after closing
// (rules 6, 9).
//
// Category: behaviour
func TestHiddenRejectedCallsNotCounted(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const setup = "New(Settings{Timeout: 10s}); 6× Execute(fail) at 0s"
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		hTrip(t, b, "New(Settings{Timeout: 10s})")
		ran := 0
		for i := range 50 {
			v, err := b.Execute(func() (int, error) { ran++; return 1, nil })
			if !hWantResult(t, fmt.Sprintf("%s; Execute(ok) #%d while open", setup, i+1), v, err, 0, breaker.ErrOpenState) {
				return
			}
			d, err := b.Allow()
			if !hWantRejected(t, fmt.Sprintf("%s; Allow() #%d while open", setup, i+1), d, err, breaker.ErrOpenState) {
				return
			}
		}
		const open = setup + "; 50× Execute(ok) and 50× Allow() while open"
		if ran != 0 {
			t.Errorf("%s: requests ran %d times, want 0", open, ran)
		}
		hWantCounts(t, b, breaker.Counts{}, open)

		time.Sleep(10*time.Second + time.Nanosecond)
		const probe = setup + "; probe := Allow() at 10.000000001s"
		done := hAllow(t, b, setup+"; Allow() at 10.000000001s")
		for i := range 50 {
			v, err := b.Execute(func() (int, error) { ran++; return 1, nil })
			if !hWantResult(t, fmt.Sprintf("%s; Execute(ok) #%d", probe, i+1), v, err, 0, breaker.ErrTooManyRequests) {
				return
			}
			d, err := b.Allow()
			if !hWantRejected(t, fmt.Sprintf("%s; Allow() #%d", probe, i+1), d, err, breaker.ErrTooManyRequests) {
				return
			}
		}
		const half = probe + "; 50× Execute(ok) and 50× Allow() while the probe is out"
		if ran != 0 {
			t.Errorf("%s: requests ran %d times, want 0", half, ran)
		}
		hWantCounts(t, b, breaker.Counts{Requests: 1}, half)
		done(true)
		if !hWantState(t, b, breaker.StateClosed, half+"; probe(true)") {
			return
		}
		hWantCounts(t, b, breaker.Counts{}, half+"; probe(true) (closing starts from zero)")
		v, err := b.Execute(hOK)
		if hWantResult(t, half+"; probe(true); Execute(ok)", v, err, 1, nil) {
			hWantCounts(t, b, breaker.Counts{Requests: 1, TotalSuccesses: 1, ConsecutiveSuccesses: 1}, half+"; probe(true); Execute(ok)")
		}
	})
}

// TestHiddenDoneIsIdempotent: only the first call of a done counts; later
// calls do nothing at all, not even a due time-based change (rule 8).
//
// Category: behaviour
func TestHiddenDoneIsIdempotent(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		const setup = `New(Settings{Name: "idem", Timeout: 10s, OnStateChange: record}); d := Allow()`
		b := breaker.New[int](breaker.Settings{Name: "idem", Timeout: 10 * time.Second, OnStateChange: log.record})
		done := hAllow(t, b, `New(Settings{Name: "idem", Timeout: 10s, OnStateChange: record}); Allow()`)
		done(false)
		done(false)
		fail1 := breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}
		hWantCounts(t, b, fail1, setup+"; d(false); d(false)")
		done(true)
		hWantCounts(t, b, fail1, setup+"; d(false); d(false); d(true)")

		v, err := b.Execute(hOK) // resets ConsecutiveFailures
		if !hWantResult(t, setup+"; d(false) ×2; d(true); Execute(ok)", v, err, 1, nil) {
			return
		}
		hTrip(t, b, setup+"; d(false) ×2; d(true); Execute(ok)")
		log.take()
		time.Sleep(10*time.Second + time.Nanosecond)
		const again = setup + "; d(false) ×2; d(true); Execute(ok); 6× Execute(fail) at 0s; d(true) again at 10.000000001s"
		done(true) // a repeated done: not even the change to half-open
		log.want(t, again+" (a repeated done does nothing at all, not even the due change to half-open)")
		hWantState(t, b, breaker.StateHalfOpen, again)
		log.want(t, again+"; State()", hChange{"idem", breaker.StateOpen, breaker.StateHalfOpen})
	})
}

// TestHiddenCountsZeroAfterEveryTransition: each of the four kinds of
// transition starts a generation with zero Counts (rule 9).
//
// Category: behaviour
func TestHiddenCountsZeroAfterEveryTransition(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const setup = "New(Settings{Timeout: 10s, MaxRequests: 2}); Execute(ok)"
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second, MaxRequests: 2})
		v, err := b.Execute(hOK)
		if !hWantResult(t, setup, v, err, 1, nil) {
			return
		}
		hTrip(t, b, setup) // closed → open
		s := setup + "; 6× Execute(fail) at 0s"
		hWantCounts(t, b, breaker.Counts{}, s+" (closed -> open)")

		time.Sleep(10*time.Second + time.Nanosecond)
		s += "; at 10.000000001s"
		hWantCounts(t, b, breaker.Counts{}, s+" (open -> half-open)")
		if !hWantState(t, b, breaker.StateHalfOpen, s) {
			return
		}

		v, err = b.Execute(hOK)
		if !hWantResult(t, s+"; Execute(ok)", v, err, 1, nil) {
			return
		}
		v, err = b.Execute(hFail)
		if !hWantResult(t, s+"; Execute(ok); Execute(fail)", v, err, 0, hErr) {
			return
		}
		s += "; probes Execute(ok), Execute(fail)"
		if !hWantState(t, b, breaker.StateOpen, s) {
			return
		}
		hWantCounts(t, b, breaker.Counts{}, s+" (half-open -> open)")

		time.Sleep(10*time.Second + time.Nanosecond)
		s += "; at 20.000000002s"
		for i := range 2 {
			v, err = b.Execute(hOK)
			if !hWantResult(t, fmt.Sprintf("%s; probe Execute(ok) #%d", s, i+1), v, err, 1, nil) {
				return
			}
		}
		s += " 2× Execute(ok)"
		if hWantState(t, b, breaker.StateClosed, s) {
			hWantCounts(t, b, breaker.Counts{}, s+" (half-open -> closed)")
		}
	})
}

// TestHiddenHugeTimeoutAndInterval: a Timeout or an Interval near the
// largest Duration is valid and means what it says: opened at T, the
// breaker is still open 100 000 h later, and the closed Counts are not
// cleared (rules 10, 12; an expiry kept as now + Timeout in int64
// nanoseconds overflows).
//
// Category: boundary
func TestHiddenHugeTimeoutAndInterval(t *testing.T) {
	katatest.Guard(t)
	const huge = time.Duration(math.MaxInt64)
	t.Run("Timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Timeout: math.MaxInt64}); 6× Execute(fail) at 1s"
			b := breaker.New[int](breaker.Settings{Timeout: huge})
			time.Sleep(time.Second)
			hTrip(t, b, "New(Settings{Timeout: math.MaxInt64}); at 1s")
			hWantState(t, b, breaker.StateOpen, setup+"; at 1s")
			time.Sleep(100000 * time.Hour)
			hWantState(t, b, breaker.StateOpen, setup+"; 100000h later")
			v, err := b.Execute(hOK)
			hWantResult(t, setup+"; Execute(ok) 100000h later", v, err, 0, breaker.ErrOpenState)
		})
	})
	t.Run("Interval", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: math.MaxInt64}); 5× Execute(fail) at 1s"
			b := breaker.New[int](breaker.Settings{Interval: huge})
			time.Sleep(time.Second)
			for i := range 5 {
				v, err := b.Execute(hFail)
				if !hWantResult(t, fmt.Sprintf("New(Settings{Interval: math.MaxInt64}); Execute(fail) #%d at 1s", i+1), v, err, 0, hErr) {
					return
				}
			}
			five := breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}
			hWantCounts(t, b, five, setup+"; at 1s")
			time.Sleep(100000 * time.Hour)
			hWantCounts(t, b, five, setup+"; 100000h later")
			v, err := b.Execute(hFail)
			if hWantResult(t, setup+"; Execute(fail) 100000h later", v, err, 0, hErr) {
				hWantState(t, b, breaker.StateOpen, setup+"; Execute(fail) 100000h later (the sixth failure in a row)")
			}
		})
	})
}

// TestHiddenSlowRequestOutcomeAtItsEnd: the outcome of a request that
// takes time inside Execute is applied at the moment the request returns,
// after the time-based changes due then: a slow probe's failure opens the
// breaker for a Timeout counted from its end, and a slow request that ends
// after its counting period rolled over is ignored (rules 4, 9, 10, 14).
//
// Category: timing
func TestHiddenSlowRequestOutcomeAtItsEnd(t *testing.T) {
	katatest.Guard(t)
	slowFail := func(d time.Duration) func() (int, error) {
		return func() (int, error) { time.Sleep(d); return 0, hErr }
	}
	t.Run("slow probe fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Timeout: 10s}); 6× Execute(fail) at 0s; the probe Execute(req that takes 3s, then fails) at 12s, returning at 15s"
			b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
			hTrip(t, b, "New(Settings{Timeout: 10s})")
			time.Sleep(12 * time.Second)
			v, err := b.Execute(slowFail(3 * time.Second))
			if !hWantResult(t, setup, v, err, 0, hErr) || !hWantState(t, b, breaker.StateOpen, setup) {
				return
			}
			time.Sleep(10 * time.Second)
			hWantState(t, b, breaker.StateOpen, setup+"; at 25s (the new open period started at 15s)")
			time.Sleep(time.Nanosecond)
			hWantState(t, b, breaker.StateHalfOpen, setup+"; at 25.000000001s")
		})
	})
	t.Run("slow request ends after the period", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const setup = "New(Settings{Interval: 30s, ReadyToTrip: ConsecutiveFailures >= 1}); Execute(req that takes 2s, then fails) at 29s, returning at 31s (the period that admitted it ended at 30s)"
			b := breaker.New[int](breaker.Settings{Interval: 30 * time.Second, ReadyToTrip: hTripOnFirst})
			time.Sleep(29 * time.Second)
			v, err := b.Execute(slowFail(2 * time.Second))
			if !hWantResult(t, setup, v, err, 0, hErr) {
				return
			}
			hWantState(t, b, breaker.StateClosed, setup+" (a stale failure must not trip)")
			hWantCounts(t, b, breaker.Counts{}, setup)
		})
	})
}

// TestHiddenConcurrentHalfOpenProbesExact: 8 goroutines race for the
// half-open slots: exactly MaxRequests are admitted, and their concurrent
// successes close the breaker exactly once (rules 13, 15, 16).
//
// Category: concurrency
func TestHiddenConcurrentHalfOpenProbesExact(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		const maxRequests = 5
		var log hLog
		b, setup := hHalfOpen(t, maxRequests, &log)
		var (
			mu       sync.Mutex
			dones    []func(bool)
			tooMany  atomic.Int64
			otherErr atomic.Int64
		)
		katatest.Hammer(8, 50, func(g, i int) {
			done, err := b.Allow()
			switch {
			case err == nil:
				mu.Lock()
				dones = append(dones, done)
				mu.Unlock()
			case errors.Is(err, breaker.ErrTooManyRequests):
				tooMany.Add(1)
			default:
				otherErr.Add(1)
			}
		})
		setup += "; Allow() 50 times on each of 8 goroutines at once"
		if len(dones) != maxRequests || tooMany.Load() != 400-maxRequests || otherErr.Load() != 0 {
			t.Fatalf("%s: %d admitted, %d ErrTooManyRequests, %d other errors; want %d admitted (MaxRequests) and %d ErrTooManyRequests",
				setup, len(dones), tooMany.Load(), otherErr.Load(), maxRequests, 400-maxRequests)
		}
		hWantCounts(t, b, breaker.Counts{Requests: maxRequests}, setup)

		katatest.Hammer(maxRequests, 1, func(g, i int) { dones[g](true) })
		setup += "; the 5 admitted dones called with true at once"
		hWantState(t, b, breaker.StateClosed, setup)
		log.want(t, setup, hChange{"probe", breaker.StateHalfOpen, breaker.StateClosed})
	})
}

// TestHiddenConcurrentTripReportedOnce: many goroutines fail at once: the
// breaker opens exactly once, every call either ran and failed or was
// rejected, and late outcomes of the old generation are ignored (rules 9,
// 15, 16).
//
// Category: concurrency
func TestHiddenConcurrentTripReportedOnce(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b := breaker.New[int](breaker.Settings{Name: "trip", OnStateChange: log.record})
		var ran, failed, rejected, other atomic.Int64
		katatest.Hammer(8, 100, func(g, i int) {
			_, err := b.Execute(func() (int, error) { ran.Add(1); return 0, hErr })
			switch {
			case errors.Is(err, hErr):
				failed.Add(1)
			case errors.Is(err, breaker.ErrOpenState):
				rejected.Add(1)
			default:
				other.Add(1)
			}
		})
		const setup = `New(Settings{Name: "trip", OnStateChange: record}); Execute(fail) 100 times on each of 8 goroutines at once`
		log.want(t, setup, hChange{"trip", breaker.StateClosed, breaker.StateOpen})
		hWantState(t, b, breaker.StateOpen, setup)
		hWantCounts(t, b, breaker.Counts{}, setup+" (the open generation)")
		if other.Load() != 0 || ran.Load() != failed.Load() || failed.Load() < 6 || failed.Load()+rejected.Load() != 800 {
			t.Errorf("%s: %d requests ran, %d calls returned the request's error, %d ErrOpenState, %d other errors; want every run to return its error, at least 6 of them, and the other calls ErrOpenState",
				setup, ran.Load(), failed.Load(), rejected.Load(), other.Load())
		}
	})
}

// TestHiddenConcurrentCountsExactWithAllow: admissions on many goroutines,
// outcomes reported from other goroutines, each done called twice: the
// Counts are exact (rules 8, 16).
//
// Category: concurrency
func TestHiddenConcurrentCountsExactWithAllow(t *testing.T) {
	katatest.Guard(t)
	b := breaker.New[int](breaker.Settings{ReadyToTrip: func(breaker.Counts) bool { return false }})
	const goroutines, per = 8, 500
	dones := make(chan func(bool), goroutines*per)
	var rejected atomic.Value
	katatest.Hammer(goroutines, per, func(g, i int) {
		done, err := b.Allow()
		if err != nil {
			rejected.CompareAndSwap(nil, hErrName(err))
			return
		}
		dones <- done
	})
	close(dones)
	const setup = "New(Settings{ReadyToTrip: never}); Allow() 500 times on each of 8 goroutines at once"
	if r := rejected.Load(); r != nil {
		t.Fatalf("%s: an Allow on a closed breaker returned %s, want a done and nil", setup, r)
	}
	all := make([]func(bool), 0, goroutines*per)
	for d := range dones {
		all = append(all, d)
	}
	// Each done is called twice, from two different goroutines; even
	// indices succeed, odd ones fail.
	katatest.Hammer(goroutines, 2*per, func(g, i int) {
		k := (g*2*per + i) % len(all)
		all[k](k%2 == 0)
	})
	const calls = setup + "; each of the 4000 dones called twice from two goroutines, half with true, half with false"
	got := b.Counts()
	if got.Requests != goroutines*per || got.TotalSuccesses != goroutines*per/2 || got.TotalFailures != goroutines*per/2 {
		t.Errorf("%s: Counts() = %s, want Requests:4000 TotalSuccesses:2000 TotalFailures:2000", calls, hC(got))
	}
	hWantState(t, b, breaker.StateClosed, calls)
}

// hDiffConfig is one configuration of TestHiddenDifferential.
type hDiffConfig struct {
	name              string
	maxRequests       uint32
	interval, timeout time.Duration
	tripAfter         uint32 // 0: the default ReadyToTrip
}

// hGoDuration prints d as a Go expression.
func hGoDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d * time.Second", d/time.Second)
	}
	return fmt.Sprintf("time.Duration(%d)", int64(d))
}

// newCall prints the New call of the configuration, as Go.
func (c hDiffConfig) newCall() string {
	f := []string{`Name: "diff"`}
	if c.maxRequests != 0 {
		f = append(f, fmt.Sprintf("MaxRequests: %d", c.maxRequests))
	}
	if c.interval != 0 {
		f = append(f, "Interval: "+hGoDuration(c.interval))
	}
	if c.timeout != 0 {
		f = append(f, "Timeout: "+hGoDuration(c.timeout))
	}
	if c.tripAfter > 0 {
		f = append(f, fmt.Sprintf("ReadyToTrip: func(c breaker.Counts) bool { return c.ConsecutiveFailures >= %d }", c.tripAfter))
	}
	f = append(f, "OnStateChange: record")
	return "b := breaker.New[int](breaker.Settings{" + strings.Join(f, ", ") + "})"
}

// hOpKind is a kind of step of the differential test.
type hOpKind uint8

const (
	hOpExecOK hOpKind = iota
	hOpExecFail
	hOpAllow
	hOpDone
	hOpSleep
	hOpState
	hOpCounts
)

// hOp is one step: a call on both breakers, or a sleep.
type hOp struct {
	kind hOpKind
	id   int           // hOpAllow: the id of the done it returns; hOpDone: the done to call
	ok   bool          // hOpDone: the outcome
	d    time.Duration // hOpSleep
}

// hObs is what one side observed during a step: the call's result and the
// OnStateChange calls made before it returned.
type hObs struct{ res, cbs string }

// hPair is a learner's breaker and a reference breaker made from the same
// configuration at the same virtual time.
type hPair struct {
	got   *breaker.Breaker[int]
	want  *ref.Breaker[int]
	start time.Time

	mu                sync.Mutex // guards the callback logs
	gotCB, wantCB     []string
	gotDone, wantDone map[int]func(bool)
}

func hNewPair(c hDiffConfig) *hPair {
	p := &hPair{start: time.Now(), gotDone: map[int]func(bool){}, wantDone: map[int]func(bool){}}
	gs := breaker.Settings{
		Name: "diff", MaxRequests: c.maxRequests, Interval: c.interval, Timeout: c.timeout,
		OnStateChange: func(name string, from, to breaker.State) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.gotCB = append(p.gotCB, fmt.Sprintf("OnStateChange(%q, %s, %s)", name, hSt(from), hSt(to)))
		},
	}
	ws := ref.Settings{
		Name: "diff", MaxRequests: c.maxRequests, Interval: c.interval, Timeout: c.timeout,
		OnStateChange: func(name string, from, to ref.State) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.wantCB = append(p.wantCB, fmt.Sprintf("OnStateChange(%q, %s, %s)", name, from, to))
		},
	}
	if n := c.tripAfter; n > 0 {
		gs.ReadyToTrip = func(c breaker.Counts) bool { return c.ConsecutiveFailures >= n }
		ws.ReadyToTrip = func(c ref.Counts) bool { return c.ConsecutiveFailures >= n }
	}
	p.got = breaker.New[int](gs)
	p.want = ref.New[int](ws)
	return p
}

// hRefErrName names an error of the reference.
func hRefErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ref.ErrOpenState):
		return "ErrOpenState"
	case errors.Is(err, ref.ErrTooManyRequests):
		return "ErrTooManyRequests"
	case err == hErr:
		return "the request's error"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hDoneName prints the done that Allow returned.
func hDoneName(admitted bool) string {
	if admitted {
		return "a done"
	}
	return "nil"
}

// step applies op to both breakers and returns what each side observed.
// skip reports a done whose Allow was rejected: nothing was called.
func (p *hPair) step(op hOp) (got, want hObs, skip bool) {
	req := hOK
	if op.kind == hOpExecFail {
		req = hFail
	}
	switch op.kind {
	case hOpSleep:
		time.Sleep(op.d)
		return hObs{}, hObs{}, false
	case hOpDone:
		if p.wantDone[op.id] == nil || p.gotDone[op.id] == nil {
			return hObs{}, hObs{}, true
		}
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				got.res = fmt.Sprintf("a panic: %v", r)
			}
		}()
		switch op.kind {
		case hOpExecOK, hOpExecFail:
			v, err := p.got.Execute(req)
			got.res = fmt.Sprintf("(%d, %s)", v, hErrName(err))
		case hOpAllow:
			d, err := p.got.Allow()
			p.gotDone[op.id] = d
			got.res = fmt.Sprintf("(%s, %s)", hDoneName(d != nil), hErrName(err))
		case hOpDone:
			p.gotDone[op.id](op.ok)
		case hOpState:
			got.res = hSt(p.got.State())
		case hOpCounts:
			got.res = hC(p.got.Counts())
		}
	}()
	switch op.kind {
	case hOpExecOK, hOpExecFail:
		v, err := p.want.Execute(req)
		want.res = fmt.Sprintf("(%d, %s)", v, hRefErrName(err))
	case hOpAllow:
		d, err := p.want.Allow()
		p.wantDone[op.id] = d
		want.res = fmt.Sprintf("(%s, %s)", hDoneName(d != nil), hRefErrName(err))
	case hOpDone:
		p.wantDone[op.id](op.ok)
	case hOpState:
		want.res = p.want.State().String()
	case hOpCounts:
		want.res = hC(breaker.Counts(p.want.Counts()))
	}
	p.mu.Lock()
	got.cbs, want.cbs = strings.Join(p.gotCB, ", "), strings.Join(p.wantCB, ", ")
	p.gotCB, p.wantCB = nil, nil
	p.mu.Unlock()
	return got, want, false
}

// hStep is one step of a run: when it was made and what both sides saw.
type hStep struct {
	at        time.Duration
	op        hOp
	got, want hObs
	skip      bool
}

// hReplay runs ops on a fresh pair and returns the steps up to and
// including the first whose observations differ, and whether one did.
func hReplay(c hDiffConfig, ops []hOp) ([]hStep, bool) {
	p := hNewPair(c)
	steps := make([]hStep, 0, len(ops))
	for _, op := range ops {
		s := hStep{at: time.Since(p.start), op: op}
		s.got, s.want, s.skip = p.step(op)
		steps = append(steps, s)
		if s.got != s.want {
			return steps, true
		}
	}
	return steps, false
}

// hShrink returns a shorter sequence of ops that still makes the learner's
// breaker and the reference differ: it drops chunks of ops, then single
// ops, while the difference persists (on fresh breakers each time), within
// a budget of steps, and until stop says the real-time budget is spent.
func hShrink(c hDiffConfig, ops []hOp, stop func() bool) []hOp {
	budget := 150_000
	fails := func(cand []hOp) ([]hOp, bool) {
		if budget <= 0 || stop() {
			return nil, false
		}
		steps, differ := hReplay(c, cand)
		budget -= len(steps)
		if !differ {
			return nil, false
		}
		return cand[:len(steps)], true
	}
	for n := len(ops) / 2; n >= 1; n /= 2 {
		for i := 0; i < len(ops); {
			cand := append(append([]hOp{}, ops[:i]...), ops[min(i+n, len(ops)):]...)
			if s, ok := fails(cand); ok {
				ops = s
				continue
			}
			i += n
		}
	}
	for changed := true; changed && budget > 0 && !stop(); {
		changed = false
		for i := len(ops) - 1; i >= 0 && i < len(ops); i-- {
			cand := append(append([]hOp{}, ops[:i]...), ops[i+1:]...)
			if s, ok := fails(cand); ok {
				ops, changed = s, true
			}
		}
	}
	return ops
}

// hExplain prints a run as Go calls with the virtual time of each, ending
// with the call whose results differ.
func hExplain(c hDiffConfig, steps []hStep) string {
	var b strings.Builder
	b.WriteString(c.newCall())
	b.WriteString(`; ok and fail are requests returning (1, nil) and (0, an error)`)
	names := map[int]int{}
	call := func(op hOp) string {
		switch op.kind {
		case hOpExecOK:
			return "b.Execute(ok)"
		case hOpExecFail:
			return "b.Execute(fail)"
		case hOpAllow:
			names[op.id] = len(names) + 1
			return fmt.Sprintf("d%d, err := b.Allow()", names[op.id])
		case hOpDone:
			return fmt.Sprintf("d%d(%v)", names[op.id], op.ok)
		case hOpState:
			return "b.State()"
		}
		return "b.Counts()"
	}
	show := func(o hObs, withCB bool) string {
		s := o.res
		if withCB {
			cb := o.cbs
			if cb == "" {
				cb = "no OnStateChange call"
			}
			if s == "" {
				return cb
			}
			s += " with " + cb
		}
		return s
	}
	for i, s := range steps {
		if s.skip || s.op.kind == hOpSleep {
			continue
		}
		fmt.Fprintf(&b, "; at %v: %s", s.at, call(s.op))
		if i < len(steps)-1 {
			if o := show(s.got, s.got.cbs != ""); o != "" {
				b.WriteString(" → " + o)
			}
			continue
		}
		withCB := s.got.cbs != "" || s.want.cbs != ""
		sep := " = "
		if s.got.res == "" {
			sep = " made "
		}
		fmt.Fprintf(&b, "%s%s, want %s", sep, show(s.got, withCB), show(s.want, withCB))
	}
	return b.String()
}

// TestHiddenDifferential runs the learner's breaker and the reference side
// by side in one bubble through 5,000 random steps per configuration:
// Execute successes and failures, Allow with done later (sometimes twice),
// sleeps that land on and next to the Timeout and Interval boundaries,
// State and Counts. Results and OnStateChange calls must agree after every
// step; a difference is reported as the shortest call sequence found that
// reproduces it (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	configs := []hDiffConfig{
		{"default settings", 0, 0, 0, 0},
		{"MaxRequests 3, Interval 10s, Timeout 5s, trip at 2", 3, 10 * time.Second, 5 * time.Second, 2},
		{"MaxRequests 2, Interval 3s, Timeout 7s, trip at 1", 2, 3 * time.Second, 7 * time.Second, 1},
		{"MaxRequests 4, Interval -1s, Timeout -1s, trip at 3", 4, -time.Second, -time.Second, 3},
	}
	for ci, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			katatest.Guard(t)
			// Shrinking a difference stops after a second of real time,
			// well before the guard fires.
			var spent atomic.Bool
			budget := time.AfterFunc(time.Second, func() { spent.Store(true) })
			defer budget.Stop()
			synctest.Test(t, func(t *testing.T) {
				if ops, differ := hDifferential(uint64(ci), cfg); differ {
					steps, _ := hReplay(cfg, hShrink(cfg, ops, spent.Load))
					t.Fatal(hExplain(cfg, steps))
				}
			})
		})
	}
}

// hDifferential is one configuration of TestHiddenDifferential: it makes
// random steps on a fresh pair and returns them, up to the first that made
// the two sides differ, if one did.
func hDifferential(seed uint64, c hDiffConfig) ([]hOp, bool) {
	const steps = 5000
	rng := rand.New(rand.NewPCG(seed, 42))
	p := hNewPair(c)
	var ops []hOp
	run := func(op hOp) bool {
		ops = append(ops, op)
		got, want, _ := p.step(op)
		return got == want
	}
	timeout := c.timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	sleeps := []time.Duration{0, time.Nanosecond, time.Second, timeout - time.Nanosecond, timeout, timeout + time.Nanosecond}
	if c.interval > 0 {
		sleeps = append(sleeps, c.interval-time.Nanosecond, c.interval, c.interval+time.Nanosecond)
	}
	type pending struct{ id, calls int }
	var out []*pending
	nextID := 0
	for range steps {
		var op hOp
		switch r := rng.IntN(20); {
		case r < 5:
			op.kind = hOpExecFail
			if rng.IntN(3) > 0 {
				op.kind = hOpExecOK
			}
		case r < 9:
			nextID++
			op = hOp{kind: hOpAllow, id: nextID}
		case r < 13:
			if len(out) == 0 {
				continue
			}
			k := rng.IntN(len(out))
			pd := out[k]
			pd.calls++
			op = hOp{kind: hOpDone, id: pd.id, ok: rng.IntN(2) == 0}
			if pd.calls >= 2 || rng.IntN(3) > 0 {
				out = append(out[:k], out[k+1:]...)
			}
		case r < 17:
			op = hOp{kind: hOpSleep, d: sleeps[rng.IntN(len(sleeps))]}
		case r < 19:
			op.kind = hOpState
		default:
			op.kind = hOpCounts
		}
		if !run(op) {
			return ops, true
		}
		if op.kind == hOpAllow && p.wantDone[op.id] != nil {
			out = append(out, &pending{id: op.id})
		}
		if rng.IntN(4) == 0 && !run(hOp{kind: hOpCounts}) {
			return ops, true
		}
	}
	for _, pd := range out {
		if !run(hOp{kind: hOpDone, id: pd.id, ok: true}) {
			return ops, true
		}
	}
	return ops, !run(hOp{kind: hOpState})
}

// The tests below guard against hangs: a solution that runs the request or
// OnStateChange while holding its lock deadlocks on them. The first ones
// run outside bubbles under katatest.Within, which fails the test and lets
// the others run; the last ones run in bubbles under a real-time watchdog,
// whose panic ends the test binary, so they stay last in the file.

// hGuard is how long the hang guards below wait, in real time. A correct
// solution finishes each of these tests in well under a millisecond, even
// with -race on a busy machine; a shorter guard than katatest.DefaultHang
// keeps a mutant that hangs several of them from costing half a minute.
const hGuard = 3 * time.Second

// TestHiddenExecuteRunsWithoutLock: the request runs without the breaker's
// lock held and after its admission is counted: it may call the breaker
// (rule 7).
//
// Category: concurrency
func TestHiddenExecuteRunsWithoutLock(t *testing.T) {
	katatest.Guard(t)
	katatest.Within(t, hGuard, "Execute holds the breaker's lock while the request runs", func() {
		const setup = `New(Settings{Name: "reentrant"}); Execute(req) where req calls the breaker`
		b := breaker.New[int](breaker.Settings{Name: "reentrant"})
		v, err := b.Execute(func() (int, error) {
			if s := b.State(); s != breaker.StateClosed {
				t.Errorf("%s: State() inside req = %s, want closed", setup, hSt(s))
			}
			if c, want := b.Counts(), (breaker.Counts{Requests: 1}); c != want {
				t.Errorf("%s: Counts() inside req = %s, want %s (the request is admitted before it runs)", setup, hC(c), hC(want))
			}
			if n := b.Name(); n != "reentrant" {
				t.Errorf("%s: Name() inside req = %q, want %q", setup, n, "reentrant")
			}
			inner, err := b.Execute(hOK)
			if inner != 1 || err != nil {
				t.Errorf("%s: Execute(ok) inside req = (%d, %s), want (1, nil)", setup, inner, hErrName(err))
			}
			return 5, nil
		})
		if v != 5 || err != nil {
			t.Errorf("%s (req returns (5, nil)) = (%d, %s), want (5, nil)", setup, v, hErrName(err))
		}
		if c, want := b.Counts(), (breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}); c != want {
			t.Errorf("%s; then Counts() = %s, want %s", setup, hC(c), hC(want))
		}
	})
}

// hPanic is the value that a request panics with.
type hPanic struct{ msg string }

// hPanicValue describes a recovered value without naming test types.
func hPanicValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil (no panic)"
	case string:
		return fmt.Sprintf("the string %q", x)
	case error:
		return fmt.Sprintf("the error %q", x.Error())
	case *hPanic:
		return "another pointer"
	}
	return fmt.Sprintf("a %T: %v", v, v)
}

// hExecutePanicking runs Execute with a request that panics with v and
// returns what reached recover.
func hExecutePanicking(b *breaker.Breaker[int], v any) (got any) {
	defer func() {
		got = recover()
		if got == "not implemented" {
			panic(got) // the untouched stub: the grader reports "not started"
		}
	}()
	b.Execute(func() (int, error) { panic(v) })
	return nil
}

// TestHiddenPanicCountsAsFailure: a request that panics counts as a failure
// and the panic goes on with the very same value. (A solution that holds
// its lock while the request runs never releases it after a panic: the
// hang guard reports that.) (Rule 7.)
//
// Category: behaviour
func TestHiddenPanicCountsAsFailure(t *testing.T) {
	katatest.Guard(t)
	katatest.Within(t, hGuard, "the breaker's lock stays held after a request panicked", func() {
		const setup = `New(Settings{}); Execute(req) where req panics with a pointer p`
		b := breaker.New[int](breaker.Settings{})
		v := &hPanic{"request exploded"}
		got := hExecutePanicking(b, v)
		if got == nil {
			t.Errorf("%s: Execute returned without panicking, want the panic to go on with the same value", setup)
			return
		}
		if p, ok := got.(*hPanic); !ok || p != v {
			t.Errorf("%s: recover() got %s, want the very pointer req panicked with", setup, hPanicValue(got))
		}
		if c, want := b.Counts(), (breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}); c != want {
			t.Errorf("%s; then Counts() = %s, want %s (a panic is a failure)", setup, hC(c), hC(want))
		}
		if v, err := b.Execute(hOK); v != 1 || err != nil {
			t.Errorf("%s; then Execute(ok) = (%d, %s), want (1, nil)", setup, v, hErrName(err))
		}

		const setup2 = `New(Settings{ReadyToTrip: ConsecutiveFailures >= 1, Timeout: 1h}); Execute(req) where req panics with "plain string"`
		b = breaker.New[int](breaker.Settings{ReadyToTrip: hTripOnFirst, Timeout: time.Hour})
		if got := hExecutePanicking(b, "plain string"); got != "plain string" {
			t.Errorf("%s: recover() got %s, want the string \"plain string\"", setup2, hPanicValue(got))
		}
		if s := b.State(); s != breaker.StateOpen {
			t.Errorf("%s; then State() = %s, want open (a panic is a failure, and this one trips)", setup2, hSt(s))
		}
	})
}

// hHangCause is the watchdogs' explanation.
const hHangCause = "virtual time stopped: is OnStateChange or the request run while the breaker's lock is held?"

// TestHiddenHalfOpenConcurrencyLimit: with MaxRequests 2, three probes
// started together while the first two are still running: exactly one gets
// ErrTooManyRequests, the request runs twice, and the two successes close
// the breaker (rule 13).
//
// Category: concurrency
func TestHiddenHalfOpenConcurrencyLimit(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hGuard, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		b, setup := hHalfOpen(t, 2, nil)
		release := make(chan struct{})
		releaseAll := sync.OnceFunc(func() { close(release) })
		var (
			ran atomic.Int64
			wg  sync.WaitGroup
		)
		// A failure below must not leave the probes blocked when the bubble
		// ends: that would hide it behind synctest's deadlock panic.
		defer func() { releaseAll(); wg.Wait() }()
		errs := make(chan error, 3)
		for range 3 {
			wg.Go(func() {
				_, err := b.Execute(func() (int, error) {
					ran.Add(1)
					<-release
					return 1, nil
				})
				errs <- err
			})
		}
		synctest.Wait() // two probes are inside the request, one was rejected
		setup += "; 3 goroutines call Execute(req that waits, then returns (1, nil)) at once"
		if n := ran.Load(); n != 2 || len(errs) != 1 {
			t.Fatalf("%s: %d requests running and %d calls returned, want 2 running (MaxRequests) and 1 returned with ErrTooManyRequests", setup, n, len(errs))
		}
		if err := <-errs; !errors.Is(err, breaker.ErrTooManyRequests) {
			t.Errorf("%s: the third call returned %s, want ErrTooManyRequests", setup, hErrName(err))
		}
		hWantCounts(t, b, breaker.Counts{Requests: 2}, setup+", while two requests run")
		hWantState(t, b, breaker.StateHalfOpen, setup+", while two requests run")
		releaseAll()
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("%s: an admitted probe returned %s, want nil", setup, hErrName(err))
			}
		}
		if n := ran.Load(); n != 2 {
			t.Errorf("%s: requests ran %d times in all, want 2", setup, n)
		}
		hWantState(t, b, breaker.StateClosed, setup+"; both admitted probes succeed")
	})
}

// TestHiddenOnStateChangeMayReenter: the callback calls State, Counts and
// Name on the same breaker, through a whole cycle: no deadlock, each
// transition reported once, and State inside the callback returns the new
// state (rule 15).
//
// Category: concurrency
func TestHiddenOnStateChangeMayReenter(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hGuard, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		var (
			got []string
			b   *breaker.Breaker[int]
		)
		seen := func(from, to, inside breaker.State, c breaker.Counts, name string) string {
			return fmt.Sprintf("(%s -> %s: State() %s, Counts() %s, Name() %q)", hSt(from), hSt(to), hSt(inside), hC(c), name)
		}
		b = breaker.New[int](breaker.Settings{
			Name:    "reenter",
			Timeout: 10 * time.Second,
			OnStateChange: func(name string, from, to breaker.State) {
				got = append(got, seen(from, to, b.State(), b.Counts(), b.Name()))
			},
		})
		const setup = `New(Settings{Name: "reenter", Timeout: 10s, OnStateChange: a callback that calls State(), Counts() and Name()})`
		hTrip(t, b, setup)
		time.Sleep(10*time.Second + time.Nanosecond)
		const all = setup + "; 6× Execute(fail) at 0s; State() at 10.000000001s; the probe Execute(ok)"
		if !hWantState(t, b, breaker.StateHalfOpen, setup+"; 6× Execute(fail) at 0s; at 10.000000001s") {
			return
		}
		v, err := b.Execute(hOK)
		if !hWantResult(t, all, v, err, 1, nil) {
			return
		}
		want := []string{
			seen(breaker.StateClosed, breaker.StateOpen, breaker.StateOpen, breaker.Counts{}, "reenter"),
			seen(breaker.StateOpen, breaker.StateHalfOpen, breaker.StateHalfOpen, breaker.Counts{}, "reenter"),
			seen(breaker.StateHalfOpen, breaker.StateClosed, breaker.StateClosed, breaker.Counts{}, "reenter"),
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") {
			t.Errorf("%s: the callback saw [%s], want [%s]", all, strings.Join(got, ", "), strings.Join(want, ", "))
		}
	})
}
