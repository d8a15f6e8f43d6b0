//go:build microkata_hidden

package breaker_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/breaker"
	ref "github.com/microkata/microkata/solutions/breaker"
)

// hErr is the error of a failing request.
var hErr = errors.New("hidden: dependency failed")

func hOK() (int, error)   { return 1, nil }
func hFail() (int, error) { return 0, hErr }

// hTripOnFirst opens the breaker on the first failure in the closed state.
func hTripOnFirst(c breaker.Counts) bool { return c.ConsecutiveFailures >= 1 }

// hChange is one call of OnStateChange.
type hChange struct {
	Name     string
	From, To breaker.State
}

// hLog records OnStateChange calls without calling the breaker. Sequential
// tests read it right after a call: the callbacks a call causes have
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

// hTrip trips a breaker whose ReadyToTrip is the default: six failures.
func hTrip(t *testing.T, b *breaker.Breaker[int]) {
	t.Helper()
	for i := range 6 {
		_, err := b.Execute(hFail)
		require.ErrorIs(t, err, hErr, "failure %d of 6", i+1)
	}
	require.Equal(t, breaker.StateOpen, b.State(), "after six consecutive failures")
}

// hAllow is Allow that requires admission.
func hAllow(t *testing.T, b *breaker.Breaker[int], what string) func(bool) {
	t.Helper()
	done, err := b.Allow()
	require.NoError(t, err, "%s: Allow", what)
	require.NotNil(t, done, "%s: Allow returned a nil done", what)
	return done
}

// hHalfOpen returns a breaker (Timeout 10 s, the given MaxRequests, the
// default ReadyToTrip) that tripped at the bubble's start and is now,
// 10 s + 1 ns later, half-open.
func hHalfOpen(t *testing.T, maxRequests uint32, log *hLog) *breaker.Breaker[int] {
	t.Helper()
	st := breaker.Settings{Name: "probe", Timeout: 10 * time.Second, MaxRequests: maxRequests}
	if log != nil {
		st.OnStateChange = log.record
	}
	b := breaker.New[int](st)
	hTrip(t, b)
	time.Sleep(10*time.Second + time.Nanosecond)
	require.Equal(t, breaker.StateHalfOpen, b.State(), "10 s + 1 ns after the trip")
	if log != nil {
		log.take()
	}
	return b
}

// TestHiddenDefaultsForZeroAndNegativeSettings: zero and negative settings
// mean the defaults: Timeout 60 s, Counts never cleared while closed, one
// half-open probe (rule 1).
//
// Category: config
func TestHiddenDefaultsForZeroAndNegativeSettings(t *testing.T) {
	for _, timeout := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		t.Run(fmt.Sprintf("Timeout %v", timeout), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := breaker.New[int](breaker.Settings{Timeout: timeout})
				hTrip(t, b)
				time.Sleep(60 * time.Second)
				assert.Equal(t, breaker.StateOpen, b.State(), "60 s after the trip")
				time.Sleep(time.Nanosecond)
				assert.Equal(t, breaker.StateHalfOpen, b.State(), "60 s + 1 ns after the trip")
			})
		})
	}
	for _, interval := range []time.Duration{0, -time.Nanosecond, -time.Hour} {
		t.Run(fmt.Sprintf("Interval %v", interval), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := breaker.New[int](breaker.Settings{Interval: interval})
				for range 5 {
					_, err := b.Execute(hFail)
					require.ErrorIs(t, err, hErr)
					time.Sleep(1000 * time.Hour)
				}
				want := breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}
				assert.Equal(t, want, b.Counts(), "5 failures 1000 h apart")
				_, err := b.Execute(hFail)
				require.ErrorIs(t, err, hErr)
				assert.Equal(t, breaker.StateOpen, b.State(), "the sixth failure, 5000 h later, trips")
			})
		})
	}
	t.Run("MaxRequests 0", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := hHalfOpen(t, 0, nil)
			done := hAllow(t, b, "first probe")
			_, err := b.Allow()
			assert.ErrorIs(t, err, breaker.ErrTooManyRequests, "second probe")
			done(true)
			assert.Equal(t, breaker.StateClosed, b.State(), "one success closes it")
		})
	})
}

// TestHiddenTimeoutBoundaryExact: opened at T with Timeout 10 s, the breaker
// is open at exactly T + 10 s and half-open 1 ns later, whichever method
// looks first (rules 4, 12).
//
// Category: timing
func TestHiddenTimeoutBoundaryExact(t *testing.T) {
	// tripped returns a breaker with Timeout 10 s that tripped one minute
	// after New (the trip, not New, starts the timeout), and sleeps until
	// exactly T + Timeout.
	tripped := func(t *testing.T) *breaker.Breaker[int] {
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		time.Sleep(time.Minute)
		hTrip(t, b)
		time.Sleep(10 * time.Second)
		return b
	}
	t.Run("State", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			assert.Equal(t, breaker.StateOpen, b.State(), "at exactly T + Timeout")
			time.Sleep(time.Nanosecond)
			assert.Equal(t, breaker.StateHalfOpen, b.State(), "at T + Timeout + 1 ns")
		})
	})
	t.Run("Execute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			_, err := b.Execute(hOK)
			assert.ErrorIs(t, err, breaker.ErrOpenState, "Execute at exactly T + Timeout")
			time.Sleep(time.Nanosecond)
			v, err := b.Execute(hOK)
			assert.NoError(t, err, "Execute at T + Timeout + 1 ns is the probe")
			assert.Equal(t, 1, v, "the probe's value")
			assert.Equal(t, breaker.StateClosed, b.State(), "after the successful probe")
		})
	})
	t.Run("Allow", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := tripped(t)
			done, err := b.Allow()
			assert.ErrorIs(t, err, breaker.ErrOpenState, "Allow at exactly T + Timeout")
			assert.Nil(t, done, "done of the rejected Allow")
			time.Sleep(time.Nanosecond)
			done = hAllow(t, b, "at T + Timeout + 1 ns")
			assert.Equal(t, breaker.StateHalfOpen, b.State(), "while the probe is out")
			assert.Equal(t, breaker.Counts{Requests: 1}, b.Counts(), "while the probe is out")
			done(true)
			assert.Equal(t, breaker.StateClosed, b.State(), "after the successful probe")
		})
	})
}

// TestHiddenRejectionsDoNotExtendOpen: calls rejected while open do not move
// the end of the open period (rules 6, 12).
//
// Category: timing
func TestHiddenRejectionsDoNotExtendOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		hTrip(t, b)
		time.Sleep(3 * time.Second)
		_, err := b.Execute(hOK)
		require.ErrorIs(t, err, breaker.ErrOpenState, "Execute at 3 s")
		time.Sleep(6 * time.Second)
		_, err = b.Allow()
		require.ErrorIs(t, err, breaker.ErrOpenState, "Allow at 9 s")
		_, err = b.Execute(hOK)
		require.ErrorIs(t, err, breaker.ErrOpenState, "Execute at 9 s")
		time.Sleep(time.Second)
		assert.Equal(t, breaker.StateOpen, b.State(), "at 10 s")
		time.Sleep(time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "at 10 s + 1 ns, despite the rejections")
	})
}

// TestHiddenHalfOpenFailureReopensWithFreshTimeout: a failed probe at 12 s
// opens the breaker for a whole new Timeout, counted from 12 s (rule 14).
//
// Category: timing
func TestHiddenHalfOpenFailureReopensWithFreshTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b := breaker.New[int](breaker.Settings{Name: "db", Timeout: 10 * time.Second, OnStateChange: log.record})
		hTrip(t, b)
		time.Sleep(12 * time.Second)
		_, err := b.Execute(hFail)
		require.ErrorIs(t, err, hErr, "the probe at 12 s")
		assert.Equal(t, []hChange{
			{"db", breaker.StateClosed, breaker.StateOpen},
			{"db", breaker.StateOpen, breaker.StateHalfOpen},
			{"db", breaker.StateHalfOpen, breaker.StateOpen},
		}, log.take(), "after the failed probe")
		assert.Equal(t, breaker.StateOpen, b.State(), "right after the failed probe")
		_, err = b.Allow()
		assert.ErrorIs(t, err, breaker.ErrOpenState, "Allow right after the failed probe")
		time.Sleep(10 * time.Second)
		assert.Equal(t, breaker.StateOpen, b.State(), "at 22 s")
		time.Sleep(time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "at 22 s + 1 ns")
		assert.Equal(t, []hChange{{"db", breaker.StateOpen, breaker.StateHalfOpen}}, log.take(), "at 22 s + 1 ns")
	})
}

// TestHiddenHalfOpenNeedsMaxRequestsSuccesses: with MaxRequests 3 the
// breaker closes on the third consecutive probe success, not before
// (rule 14).
//
// Category: behaviour
func TestHiddenHalfOpenNeedsMaxRequestsSuccesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := hHalfOpen(t, 3, nil)
		for i := range 2 {
			v, err := b.Execute(hOK)
			require.NoError(t, err, "probe %d", i+1)
			require.Equal(t, 1, v, "probe %d", i+1)
		}
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "after 2 of 3 successes")
		assert.Equal(t, breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}, b.Counts(), "after 2 of 3 successes")
		_, err := b.Execute(hOK)
		require.NoError(t, err, "probe 3")
		assert.Equal(t, breaker.StateClosed, b.State(), "after the third success")
	})
}

// TestHiddenHalfOpenHasNoTimeout: a probe that never reports keeps the
// breaker half-open, with its slot taken, for as long as it is out
// (rules 13, 14).
//
// Category: timing
func TestHiddenHalfOpenHasNoTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b := hHalfOpen(t, 1, &log)
		done := hAllow(t, b, "the probe")
		time.Sleep(time.Hour)
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "an hour later")
		assert.Equal(t, breaker.Counts{Requests: 1}, b.Counts(), "an hour later")
		_, err := b.Allow()
		assert.ErrorIs(t, err, breaker.ErrTooManyRequests, "Allow an hour later")
		_, err = b.Execute(hOK)
		assert.ErrorIs(t, err, breaker.ErrTooManyRequests, "Execute an hour later")
		assert.Empty(t, log.take(), "transitions during the hour")
		done(true)
		assert.Equal(t, breaker.StateClosed, b.State(), "the probe reports success after an hour")
	})
}

// TestHiddenStaleGenerationIgnored: an outcome reported after its
// generation ended (by an Interval rollover or by state changes) changes no
// Counts and causes no transition (rules 9, 10).
//
// Category: behaviour
func TestHiddenStaleGenerationIgnored(t *testing.T) {
	t.Run("across a rollover", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: 30 * time.Second, ReadyToTrip: hTripOnFirst})
			time.Sleep(29 * time.Second)
			done := hAllow(t, b, "at 29 s")
			time.Sleep(2 * time.Second)
			done(false) // at 31 s: the period that admitted it ended at 30 s
			assert.Equal(t, breaker.StateClosed, b.State(), "a stale failure must not trip")
			assert.Equal(t, breaker.Counts{}, b.Counts(), "a stale failure must not count")
		})
	})
	t.Run("across a trip", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var log hLog
			b := breaker.New[int](breaker.Settings{Name: "x", Timeout: 10 * time.Second, OnStateChange: log.record})
			slowOK := hAllow(t, b, "slow request 1")
			slowFail := hAllow(t, b, "slow request 2")
			hTrip(t, b)
			slowOK(true)
			assert.Equal(t, breaker.Counts{}, b.Counts(), "a success admitted before the trip, reported while open")
			assert.Equal(t, breaker.StateOpen, b.State())

			time.Sleep(10*time.Second + time.Nanosecond)
			probe := hAllow(t, b, "the probe")
			log.take()
			slowFail(false)
			assert.Equal(t, breaker.StateHalfOpen, b.State(), "a stale failure must not reopen a half-open breaker")
			assert.Equal(t, breaker.Counts{Requests: 1}, b.Counts(), "Counts of the half-open generation")
			assert.Empty(t, log.take(), "transitions caused by the stale failure")
			probe(true)
			assert.Equal(t, breaker.StateClosed, b.State(), "the real probe decides")
		})
	})
	t.Run("a stale success in half-open", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
			slow := hAllow(t, b, "slow request")
			hTrip(t, b)
			time.Sleep(10*time.Second + time.Nanosecond)
			slow(true)
			assert.Equal(t, breaker.StateHalfOpen, b.State(), "a stale success must not close a half-open breaker")
			assert.Equal(t, breaker.Counts{}, b.Counts())
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
	const interval = 10 * time.Second
	five := breaker.Counts{Requests: 5, TotalFailures: 5, ConsecutiveFailures: 5}
	failures := func(t *testing.T, b *breaker.Breaker[int], n int) {
		t.Helper()
		for range n {
			_, err := b.Execute(hFail)
			require.ErrorIs(t, err, hErr)
		}
	}
	t.Run("sixth failure at exactly Interval trips", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(time.Second)
			failures(t, b, 5)
			time.Sleep(9 * time.Second)
			assert.Equal(t, five, b.Counts(), "at exactly Interval after New")
			failures(t, b, 1)
			assert.Equal(t, breaker.StateOpen, b.State(), "the sixth failure at exactly 10 s")
		})
	})
	t.Run("sixth failure 1 ns later does not", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(time.Second)
			failures(t, b, 5)
			time.Sleep(9*time.Second + time.Nanosecond)
			failures(t, b, 1)
			assert.Equal(t, breaker.StateClosed, b.State(), "the sixth failure at 10 s + 1 ns")
			assert.Equal(t, breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}, b.Counts(), "a new period started at 10 s + 1 ns")
		})
	})
	t.Run("next period starts at the rollover", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(25 * time.Second)
			failures(t, b, 1) // rolls over at 25 s, then counts
			time.Sleep(interval)
			assert.Equal(t, breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}, b.Counts(), "at 35 s (the period started at 25 s)")
			time.Sleep(time.Nanosecond)
			assert.Equal(t, breaker.Counts{}, b.Counts(), "at 35 s + 1 ns")
		})
	})
	t.Run("period restarts on closing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval, Timeout: 5 * time.Second, ReadyToTrip: hTripOnFirst})
			failures(t, b, 1)
			time.Sleep(5*time.Second + time.Nanosecond)
			time.Sleep(2 * time.Second)
			_, err := b.Execute(hOK) // closes at 7 s + 1 ns
			require.NoError(t, err)
			require.Equal(t, breaker.StateClosed, b.State(), "after the probe at 7 s + 1 ns")
			b2 := breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}
			time.Sleep(time.Second)
			_, err = b.Execute(hOK)
			require.NoError(t, err)
			time.Sleep(9 * time.Second) // 17 s + 1 ns: exactly Interval after closing
			_, err = b.Execute(hOK)
			require.NoError(t, err)
			assert.Equal(t, b2, b.Counts(), "at exactly Interval after closing")
			time.Sleep(time.Nanosecond)
			assert.Equal(t, breaker.Counts{}, b.Counts(), "1 ns later")
		})
	})
	t.Run("first period starts at New", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := breaker.New[int](breaker.Settings{Interval: interval})
			time.Sleep(6 * time.Second)
			failures(t, b, 5)
			time.Sleep(4*time.Second + time.Nanosecond)
			assert.Equal(t, breaker.Counts{}, b.Counts(), "at 10 s + 1 ns after New, though the first request came at 6 s")
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
	looks := []struct {
		name string
		look func(b *breaker.Breaker[int]) any
		want any
	}{
		{"State", func(b *breaker.Breaker[int]) any { return b.State() }, breaker.StateHalfOpen},
		{"Counts", func(b *breaker.Breaker[int]) any { return b.Counts() }, breaker.Counts{}},
	}
	for _, tc := range looks {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log hLog
				b := breaker.New[int](breaker.Settings{Name: "lazy", Timeout: 10 * time.Second, ReadyToTrip: hTripOnFirst, OnStateChange: log.record})
				_, err := b.Execute(hFail)
				require.ErrorIs(t, err, hErr)
				require.Equal(t, []hChange{{"lazy", breaker.StateClosed, breaker.StateOpen}}, log.take(), "the trip")
				time.Sleep(10*time.Second + time.Nanosecond)
				assert.Equal(t, tc.want, tc.look(b), "first %s after the Timeout", tc.name)
				assert.Equal(t, []hChange{{"lazy", breaker.StateOpen, breaker.StateHalfOpen}}, log.take(), "after the first %s", tc.name)
				time.Sleep(time.Minute)
				assert.Equal(t, tc.want, tc.look(b), "second %s", tc.name)
				assert.Empty(t, log.take(), "after the second %s", tc.name)
				assert.Equal(t, breaker.StateHalfOpen, b.State())
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
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b := breaker.New[int](breaker.Settings{
			Name:        "orders",
			Timeout:     10 * time.Second,
			ReadyToTrip: hTripOnFirst,
			OnStateChange: func(name string, from, to breaker.State) {
				time.Sleep(time.Millisecond) // a slow callback
				log.record(name, from, to)
			},
		})
		done := hAllow(t, b, "first request")
		done(false)
		assert.Equal(t, []hChange{{"orders", breaker.StateClosed, breaker.StateOpen}}, log.take(), "when done(false) returns")

		time.Sleep(10 * time.Second)
		_, err := b.Execute(hFail) // half-open, then a failed probe: open again
		require.ErrorIs(t, err, hErr)
		assert.Equal(t, []hChange{
			{"orders", breaker.StateOpen, breaker.StateHalfOpen},
			{"orders", breaker.StateHalfOpen, breaker.StateOpen},
		}, log.take(), "when the failed probe's Execute returns")

		time.Sleep(10 * time.Second)
		_, err = b.Execute(hOK)
		require.NoError(t, err)
		assert.Equal(t, []hChange{
			{"orders", breaker.StateOpen, breaker.StateHalfOpen},
			{"orders", breaker.StateHalfOpen, breaker.StateClosed},
		}, log.take(), "when the successful probe's Execute returns")
		assert.Equal(t, breaker.StateClosed, b.State())
		assert.Empty(t, log.take(), "State of a closed breaker")
	})
}

// TestHiddenReadyToTripOnlyAfterClosedFailures: ReadyToTrip sees the Counts
// including the failure just recorded, is never called after a success and
// never in the half-open state (rule 11).
//
// Category: behaviour
func TestHiddenReadyToTripOnlyAfterClosedFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []breaker.Counts
		b := breaker.New[int](breaker.Settings{
			Timeout:  10 * time.Second,
			Interval: time.Hour,
			ReadyToTrip: func(c breaker.Counts) bool {
				seen = append(seen, c)
				return c.ConsecutiveFailures >= 2
			},
		})
		for i, req := range []func() (int, error){hOK, hFail, hOK, hFail, hFail} {
			b.Execute(req)
			if i < 4 {
				require.Equal(t, breaker.StateClosed, b.State(), "after request %d", i+1)
			}
		}
		assert.Equal(t, breaker.StateOpen, b.State(), "after two failures in a row")
		assert.Equal(t, []breaker.Counts{
			{Requests: 2, TotalSuccesses: 1, TotalFailures: 1, ConsecutiveFailures: 1},
			{Requests: 4, TotalSuccesses: 2, TotalFailures: 2, ConsecutiveFailures: 1},
			{Requests: 5, TotalSuccesses: 2, TotalFailures: 3, ConsecutiveFailures: 2},
		}, seen, "ReadyToTrip calls in the closed state")

		seen = nil
		time.Sleep(10*time.Second + time.Nanosecond)
		_, err := b.Execute(hFail)
		require.ErrorIs(t, err, hErr)
		assert.Equal(t, breaker.StateOpen, b.State(), "a half-open failure reopens, whatever ReadyToTrip says")
		time.Sleep(10*time.Second + time.Nanosecond)
		_, err = b.Execute(hOK)
		require.NoError(t, err)
		assert.Equal(t, breaker.StateClosed, b.State())
		assert.Empty(t, seen, "ReadyToTrip calls outside the closed state")
	})
}

// TestHiddenIsSuccessfulCustom: IsSuccessful decides the outcome, and the
// request's error comes back unchanged either way (rule 7).
//
// Category: config
func TestHiddenIsSuccessfulCustom(t *testing.T) {
	errNotFound := errors.New("hidden: not found")
	var classified []error
	b := breaker.New[int](breaker.Settings{
		IsSuccessful: func(err error) bool {
			classified = append(classified, err)
			return err == nil || errors.Is(err, errNotFound)
		},
	})
	for i := range 10 {
		v, err := b.Execute(func() (int, error) { return 404, errNotFound })
		require.Equal(t, errNotFound, err, "call %d: the request's error, unchanged", i+1)
		require.Equal(t, 404, v, "call %d", i+1)
	}
	assert.Equal(t, breaker.StateClosed, b.State(), "10 errors classified as successes")
	assert.Equal(t, breaker.Counts{Requests: 10, TotalSuccesses: 10, ConsecutiveSuccesses: 10}, b.Counts())
	assert.Len(t, classified, 10, "IsSuccessful calls")
	assert.Equal(t, errNotFound, classified[0], "IsSuccessful receives the request's error")

	_, err := b.Execute(hFail)
	require.Equal(t, hErr, err)
	_, err = b.Execute(hOK)
	require.NoError(t, err)
	assert.Equal(t, breaker.Counts{Requests: 12, TotalSuccesses: 11, TotalFailures: 1, ConsecutiveSuccesses: 1}, b.Counts(), "other errors still fail")
	assert.Nil(t, classified[len(classified)-1], "IsSuccessful(nil) for a nil error")
}

// TestHiddenExecuteReturnsResults: Execute runs the request once and returns
// its value and error unchanged; a rejected Execute returns the zero value
// (rules 6, 7).
//
// Category: behaviour
func TestHiddenExecuteReturnsResults(t *testing.T) {
	type payload struct {
		ID   int
		Tags []string
	}
	b := breaker.New[*payload](breaker.Settings{ReadyToTrip: func(c breaker.Counts) bool { return c.TotalFailures >= 2 }, Timeout: time.Hour})
	p := &payload{ID: 7, Tags: []string{"a"}}
	calls := 0
	got, err := b.Execute(func() (*payload, error) { calls++; return p, nil })
	require.NoError(t, err)
	assert.Same(t, p, got, "the request's value")
	assert.Equal(t, 1, calls, "the request ran once")

	errPartial := fmt.Errorf("hidden: partial result: %w", hErr)
	got, err = b.Execute(func() (*payload, error) { calls++; return p, errPartial })
	assert.Equal(t, errPartial, err, "the request's error, unchanged")
	assert.Same(t, p, got, "a failed request's value comes back too")
	assert.Equal(t, 2, calls, "the request ran once")

	got, err = b.Execute(func() (*payload, error) { calls++; return p, errPartial })
	assert.Equal(t, errPartial, err)
	assert.Same(t, p, got)
	require.Equal(t, breaker.StateOpen, b.State(), "after two failures")

	got, err = b.Execute(func() (*payload, error) { calls++; return p, nil })
	assert.ErrorIs(t, err, breaker.ErrOpenState)
	assert.Nil(t, got, "a rejected Execute returns the zero value")
	assert.Equal(t, 3, calls, "a rejected request is not run")
}

// TestHiddenRejectedCallsNotCounted: rejected calls, whether open or
// half-open, change no Counts, and the Counts start from zero after closing
// (rules 6, 9).
//
// Category: behaviour
func TestHiddenRejectedCallsNotCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second})
		hTrip(t, b)
		ran := 0
		for range 50 {
			_, err := b.Execute(func() (int, error) { ran++; return 1, nil })
			require.ErrorIs(t, err, breaker.ErrOpenState)
			_, err = b.Allow()
			require.ErrorIs(t, err, breaker.ErrOpenState)
		}
		assert.Equal(t, 0, ran, "requests run while open")
		assert.Equal(t, breaker.Counts{}, b.Counts(), "after 100 rejections while open")

		time.Sleep(10*time.Second + time.Nanosecond)
		done := hAllow(t, b, "the probe")
		for range 50 {
			_, err := b.Execute(func() (int, error) { ran++; return 1, nil })
			require.ErrorIs(t, err, breaker.ErrTooManyRequests)
			_, err = b.Allow()
			require.ErrorIs(t, err, breaker.ErrTooManyRequests)
		}
		assert.Equal(t, 0, ran, "requests run beyond MaxRequests")
		assert.Equal(t, breaker.Counts{Requests: 1}, b.Counts(), "after 100 rejections while half-open")
		done(true)
		require.Equal(t, breaker.StateClosed, b.State())
		assert.Equal(t, breaker.Counts{}, b.Counts(), "right after closing")
		_, err := b.Execute(hOK)
		require.NoError(t, err)
		assert.Equal(t, breaker.Counts{Requests: 1, TotalSuccesses: 1, ConsecutiveSuccesses: 1}, b.Counts(), "the first request after closing")
	})
}

// TestHiddenDoneIsIdempotent: only the first call of a done counts; later
// calls do nothing at all, not even a due time-based change (rule 8).
//
// Category: behaviour
func TestHiddenDoneIsIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		b := breaker.New[int](breaker.Settings{Name: "idem", Timeout: 10 * time.Second, OnStateChange: log.record})
		done := hAllow(t, b, "request")
		done(false)
		done(false)
		fail1 := breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}
		assert.Equal(t, fail1, b.Counts(), "done(false) twice")
		done(true)
		assert.Equal(t, fail1, b.Counts(), "done(true) after done(false)")

		_, err := b.Execute(hOK) // resets ConsecutiveFailures
		require.NoError(t, err)
		hTrip(t, b)
		log.take()
		time.Sleep(10*time.Second + time.Nanosecond)
		done(true) // a repeated done: not even the change to half-open
		assert.Empty(t, log.take(), "transitions reported by a repeated done")
		assert.Equal(t, breaker.StateHalfOpen, b.State())
		assert.Equal(t, []hChange{{"idem", breaker.StateOpen, breaker.StateHalfOpen}}, log.take(), "reported by State")
	})
}

// TestHiddenCountsZeroAfterEveryTransition: each of the four kinds of
// transition starts a generation with zero Counts (rule 9).
//
// Category: behaviour
func TestHiddenCountsZeroAfterEveryTransition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := breaker.New[int](breaker.Settings{Timeout: 10 * time.Second, MaxRequests: 2})
		_, err := b.Execute(hOK)
		require.NoError(t, err)
		hTrip(t, b) // closed → open
		assert.Equal(t, breaker.Counts{}, b.Counts(), "after closed → open")

		time.Sleep(10*time.Second + time.Nanosecond)
		assert.Equal(t, breaker.Counts{}, b.Counts(), "after open → half-open")
		require.Equal(t, breaker.StateHalfOpen, b.State())

		_, err = b.Execute(hOK)
		require.NoError(t, err)
		_, err = b.Execute(hFail)
		require.ErrorIs(t, err, hErr)
		require.Equal(t, breaker.StateOpen, b.State(), "a half-open failure")
		assert.Equal(t, breaker.Counts{}, b.Counts(), "after half-open → open")

		time.Sleep(10*time.Second + time.Nanosecond)
		for range 2 {
			_, err = b.Execute(hOK)
			require.NoError(t, err)
		}
		require.Equal(t, breaker.StateClosed, b.State(), "two half-open successes")
		assert.Equal(t, breaker.Counts{}, b.Counts(), "after half-open → closed")
	})
}

// TestHiddenConcurrentHalfOpenProbesExact: 8 goroutines race for the
// half-open slots: exactly MaxRequests are admitted, and their concurrent
// successes close the breaker exactly once (rules 13, 15, 16).
//
// Category: concurrency
func TestHiddenConcurrentHalfOpenProbesExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maxRequests = 5
		var log hLog
		b := hHalfOpen(t, maxRequests, &log)
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
		require.Len(t, dones, maxRequests, "probes admitted by 400 concurrent Allow calls")
		assert.Equal(t, int64(400-maxRequests), tooMany.Load(), "ErrTooManyRequests")
		assert.Zero(t, otherErr.Load(), "other errors")
		assert.Equal(t, breaker.Counts{Requests: maxRequests}, b.Counts())

		katatest.Hammer(maxRequests, 1, func(g, i int) { dones[g](true) })
		assert.Equal(t, breaker.StateClosed, b.State())
		assert.Equal(t, []hChange{{"probe", breaker.StateHalfOpen, breaker.StateClosed}}, log.take(), "transitions")
	})
}

// TestHiddenConcurrentTripReportedOnce: many goroutines fail at once: the
// breaker opens exactly once, every call either ran and failed or was
// rejected, and late outcomes of the old generation are ignored (rules 9,
// 15, 16).
//
// Category: concurrency
func TestHiddenConcurrentTripReportedOnce(t *testing.T) {
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
		assert.Equal(t, []hChange{{"trip", breaker.StateClosed, breaker.StateOpen}}, log.take(), "transitions")
		assert.Equal(t, breaker.StateOpen, b.State())
		assert.Equal(t, breaker.Counts{}, b.Counts(), "Counts of the open generation")
		assert.Zero(t, other.Load(), "other errors")
		assert.Equal(t, ran.Load(), failed.Load(), "requests run and failures returned")
		assert.GreaterOrEqual(t, failed.Load(), int64(6), "failures before the trip")
		assert.Equal(t, int64(800), failed.Load()+rejected.Load(), "calls")
	})
}

// TestHiddenConcurrentCountsExactWithAllow: admissions on many goroutines,
// outcomes reported from other goroutines, each done called twice: the
// Counts are exact (rules 8, 16).
//
// Category: concurrency
func TestHiddenConcurrentCountsExactWithAllow(t *testing.T) {
	b := breaker.New[int](breaker.Settings{ReadyToTrip: func(breaker.Counts) bool { return false }})
	const goroutines, per = 8, 500
	dones := make(chan func(bool), goroutines*per)
	katatest.Hammer(goroutines, per, func(g, i int) {
		done, err := b.Allow()
		if err != nil {
			panic(fmt.Sprintf("Allow on a closed breaker: %v", err))
		}
		dones <- done
	})
	close(dones)
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
	c := b.Counts()
	assert.Equal(t, uint32(goroutines*per), c.Requests, "Requests")
	assert.Equal(t, uint32(goroutines*per/2), c.TotalSuccesses, "TotalSuccesses")
	assert.Equal(t, uint32(goroutines*per/2), c.TotalFailures, "TotalFailures")
	assert.Equal(t, breaker.StateClosed, b.State())
}

// TestHiddenDifferential runs the learner's breaker and the reference side
// by side in one bubble through 5,000 random steps per configuration:
// Execute successes and failures, Allow with done later (sometimes twice),
// sleeps that land on and next to the Timeout and Interval boundaries,
// State and Counts. Errors, States, Counts and OnStateChange logs must agree
// after every step (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	configs := []struct {
		maxRequests       uint32
		interval, timeout time.Duration
		tripAfter         uint32 // 0: the default ReadyToTrip
	}{
		{0, 0, 0, 0},
		{3, 10 * time.Second, 5 * time.Second, 2},
		{2, 3 * time.Second, 7 * time.Second, 1},
		{4, -time.Second, -time.Second, 3},
	}
	for ci, cfg := range configs {
		t.Run(fmt.Sprintf("config %d", ci), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				hDifferential(t, uint64(ci), cfg.maxRequests, cfg.interval, cfg.timeout, cfg.tripAfter)
			})
		})
	}
}

// hDifferential is one configuration of TestHiddenDifferential.
func hDifferential(t *testing.T, seed uint64, maxRequests uint32, interval, timeout time.Duration, tripAfter uint32) {
	const steps = 5000
	rng := rand.New(rand.NewPCG(seed, 42))
	type change struct{ name, from, to string }
	var gotLog, wantLog []change
	gotSt := breaker.Settings{
		Name: "diff", MaxRequests: maxRequests, Interval: interval, Timeout: timeout,
		OnStateChange: func(name string, from, to breaker.State) {
			gotLog = append(gotLog, change{name, from.String(), to.String()})
		},
	}
	wantSt := ref.Settings{
		Name: "diff", MaxRequests: maxRequests, Interval: interval, Timeout: timeout,
		OnStateChange: func(name string, from, to ref.State) {
			wantLog = append(wantLog, change{name, from.String(), to.String()})
		},
	}
	if tripAfter > 0 {
		gotSt.ReadyToTrip = func(c breaker.Counts) bool { return c.ConsecutiveFailures >= tripAfter }
		wantSt.ReadyToTrip = func(c ref.Counts) bool { return c.ConsecutiveFailures >= tripAfter }
	}
	got := breaker.New[int](gotSt)
	want := ref.New[int](wantSt)

	effTimeout := timeout
	if effTimeout <= 0 {
		effTimeout = 60 * time.Second
	}
	sleeps := []time.Duration{0, time.Nanosecond, time.Second, effTimeout - time.Nanosecond, effTimeout, effTimeout + time.Nanosecond}
	if interval > 0 {
		sleeps = append(sleeps, interval-time.Nanosecond, interval, interval+time.Nanosecond)
	}
	type pending struct {
		got, want func(bool)
		calls     int
	}
	var out []*pending
	start := time.Now()
	// errName names an error by the sentinel it matches.
	errName := func(err error, open, tooMany error) string {
		switch {
		case err == nil:
			return "nil"
		case errors.Is(err, open):
			return "ErrOpenState"
		case errors.Is(err, tooMany):
			return "ErrTooManyRequests"
		case err == hErr:
			return "the request's error"
		}
		return fmt.Sprintf("unexpected error %q", err)
	}
	var what string
	step := 0
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d, step %d at %v, %s: %s", seed, step, time.Since(start), what, fmt.Sprintf(format, args...))
	}
	checkLogs := func() {
		t.Helper()
		if len(gotLog) != len(wantLog) {
			fail("OnStateChange calls: learner %v, reference %v", gotLog, wantLog)
		}
		for k := range gotLog {
			if gotLog[k] != wantLog[k] {
				fail("OnStateChange calls: learner %v, reference %v", gotLog, wantLog)
			}
		}
		gotLog, wantLog = gotLog[:0], wantLog[:0]
	}
	checkCounts := func() {
		t.Helper()
		if g, w := got.Counts(), breaker.Counts(want.Counts()); g != w {
			fail("Counts(): learner %+v, reference %+v", g, w)
		}
	}
	for step = range steps {
		switch op := rng.IntN(20); {
		case op < 5:
			ok := rng.IntN(3) > 0
			what = fmt.Sprintf("Execute(success=%v)", ok)
			req := hFail
			if ok {
				req = hOK
			}
			gv, gerr := got.Execute(req)
			wv, werr := want.Execute(req)
			g := errName(gerr, breaker.ErrOpenState, breaker.ErrTooManyRequests)
			w := errName(werr, ref.ErrOpenState, ref.ErrTooManyRequests)
			if gv != wv || g != w {
				fail("learner (%d, %s), reference (%d, %s)", gv, g, wv, w)
			}
		case op < 9:
			what = "Allow()"
			gd, gerr := got.Allow()
			wd, werr := want.Allow()
			g := errName(gerr, breaker.ErrOpenState, breaker.ErrTooManyRequests)
			w := errName(werr, ref.ErrOpenState, ref.ErrTooManyRequests)
			if (gd != nil) != (wd != nil) || g != w {
				fail("learner (done != nil: %v, %s), reference (done != nil: %v, %s)", gd != nil, g, wd != nil, w)
			}
			if wd != nil {
				out = append(out, &pending{got: gd, want: wd})
			}
		case op < 13:
			if len(out) == 0 {
				continue
			}
			k := rng.IntN(len(out))
			p := out[k]
			ok := rng.IntN(2) == 0
			p.calls++
			what = fmt.Sprintf("done(%v) of a request admitted earlier, call %d", ok, p.calls)
			p.got(ok)
			p.want(ok)
			if p.calls >= 2 || rng.IntN(3) > 0 {
				out = append(out[:k], out[k+1:]...)
			}
		case op < 17:
			d := sleeps[rng.IntN(len(sleeps))]
			what = fmt.Sprintf("Sleep(%v)", d)
			time.Sleep(d)
		case op < 19:
			what = "State()"
			if g, w := got.State().String(), want.State().String(); g != w {
				fail("learner %s, reference %s", g, w)
			}
		default:
			what = "Counts()"
			checkCounts()
		}
		checkLogs()
		if rng.IntN(4) == 0 {
			what += ", then Counts()"
			checkCounts()
			checkLogs()
		}
	}
	what = "all pending requests succeed"
	for _, p := range out {
		p.got(true)
		p.want(true)
	}
	if g, w := got.State().String(), want.State().String(); g != w {
		fail("State(): learner %s, reference %s", g, w)
	}
	checkLogs()
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
	katatest.Within(t, hGuard, "Execute holds the breaker's lock while the request runs", func() {
		b := breaker.New[int](breaker.Settings{Name: "reentrant"})
		v, err := b.Execute(func() (int, error) {
			assert.Equal(t, breaker.StateClosed, b.State(), "State inside the request")
			assert.Equal(t, breaker.Counts{Requests: 1}, b.Counts(), "Counts inside the request")
			assert.Equal(t, "reentrant", b.Name(), "Name inside the request")
			inner, err := b.Execute(hOK)
			assert.NoError(t, err, "Execute inside the request")
			assert.Equal(t, 1, inner, "Execute inside the request")
			return 5, nil
		})
		assert.NoError(t, err)
		assert.Equal(t, 5, v)
		assert.Equal(t, breaker.Counts{Requests: 2, TotalSuccesses: 2, ConsecutiveSuccesses: 2}, b.Counts())
	})
}

// hPanic is the value that a request panics with.
type hPanic struct{ msg string }

// hExecutePanicking runs Execute with a request that panics with v and
// returns what reached recover.
func hExecutePanicking(b *breaker.Breaker[int], v any) (got any) {
	defer func() { got = recover() }()
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
	katatest.Within(t, hGuard, "the breaker's lock stays held after a request panicked", func() {
		b := breaker.New[int](breaker.Settings{})
		v := &hPanic{"request exploded"}
		got := hExecutePanicking(b, v)
		if !assert.NotNil(t, got, "the panic did not reach the caller") {
			return
		}
		assert.Same(t, v, got, "the recovered value")
		assert.Equal(t, breaker.Counts{Requests: 1, TotalFailures: 1, ConsecutiveFailures: 1}, b.Counts(), "after the panic")
		_, err := b.Execute(hOK)
		assert.NoError(t, err, "the breaker works after a panic")

		b = breaker.New[int](breaker.Settings{ReadyToTrip: hTripOnFirst, Timeout: time.Hour})
		assert.Equal(t, "plain string", hExecutePanicking(b, "plain string"), "the recovered value")
		assert.Equal(t, breaker.StateOpen, b.State(), "a panic trips a trip-on-one breaker")
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
	katatest.Watchdog(t, hGuard, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		b := hHalfOpen(t, 2, nil)
		release := make(chan struct{})
		var ran atomic.Int64
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := b.Execute(func() (int, error) {
					ran.Add(1)
					<-release
					return 1, nil
				})
				errs <- err
			}()
		}
		synctest.Wait() // two probes are inside the request, one was rejected
		assert.Equal(t, int64(2), ran.Load(), "requests running")
		require.Len(t, errs, 1, "calls that returned while two probes run")
		assert.ErrorIs(t, <-errs, breaker.ErrTooManyRequests, "the third probe")
		assert.Equal(t, breaker.Counts{Requests: 2}, b.Counts(), "while the probes run")
		assert.Equal(t, breaker.StateHalfOpen, b.State(), "while the probes run")
		close(release)
		for range 2 {
			assert.NoError(t, <-errs, "an admitted probe")
		}
		assert.Equal(t, int64(2), ran.Load(), "requests run in all")
		assert.Equal(t, breaker.StateClosed, b.State(), "after two successes")
	})
}

// TestHiddenOnStateChangeMayReenter: the callback calls State, Counts and
// Name on the same breaker, through a whole cycle: no deadlock, each
// transition reported once, and State inside the callback returns the new
// state (rule 15).
//
// Category: concurrency
func TestHiddenOnStateChangeMayReenter(t *testing.T) {
	katatest.Watchdog(t, hGuard, hHangCause)
	synctest.Test(t, func(t *testing.T) {
		type seen struct {
			From, To, Inside breaker.State
			Counts           breaker.Counts
			Name             string
		}
		var (
			got []seen
			b   *breaker.Breaker[int]
		)
		b = breaker.New[int](breaker.Settings{
			Name:    "reenter",
			Timeout: 10 * time.Second,
			OnStateChange: func(name string, from, to breaker.State) {
				got = append(got, seen{from, to, b.State(), b.Counts(), b.Name()})
			},
		})
		hTrip(t, b)
		time.Sleep(10*time.Second + time.Nanosecond)
		assert.Equal(t, breaker.StateHalfOpen, b.State())
		_, err := b.Execute(hOK)
		require.NoError(t, err)
		assert.Equal(t, []seen{
			{breaker.StateClosed, breaker.StateOpen, breaker.StateOpen, breaker.Counts{}, "reenter"},
			{breaker.StateOpen, breaker.StateHalfOpen, breaker.StateHalfOpen, breaker.Counts{}, "reenter"},
			{breaker.StateHalfOpen, breaker.StateClosed, breaker.StateClosed, breaker.Counts{}, "reenter"},
		}, got)
	})
}
