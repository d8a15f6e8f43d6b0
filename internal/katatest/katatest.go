// Package katatest holds the helpers that every kata's tests share: a
// real-time watchdog and hang guard for tests that a wrong solution could
// hang, a concurrency hammer, and a goroutine-leak check that works next to
// testing/synctest bubbles.
//
// The helpers never sleep on the wall clock in a passing run: the watchdog
// and the guard are timers that only fire when something is already wrong.
package katatest

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/microkata/microkata/internal/leakreport"
)

// DefaultHang is the real time after which Watchdog and Within give up on a
// test. A correct solution finishes every kata test in well under a second;
// ten seconds leaves room for a loaded CI machine running -race.
const DefaultHang = 10 * time.Second

// GuardTimeout is the real time after which Guard gives up on a test. Every
// kata test finishes in milliseconds with a correct solution (a few hundred
// with -race on a loaded machine); a test still running after five seconds
// is stuck, and the commonest reason, a Lock without its Unlock, should cost
// the learner seconds, not the test binary's whole -timeout.
const GuardTimeout = 5 * time.Second

// Panicker is called by Watchdog when it fires. Tests of this package replace
// it; kata tests leave it nil, which means panic.
type Panicker func(msg string)

// Watchdog guards a test that runs in a testing/synctest bubble and could
// hang on a wrong solution: a goroutine that waits on a sync.Mutex held
// across a sleep is not durably blocked, so virtual time never advances and
// the bubble never returns. Call it at the start of the test, outside the
// bubble. If the test is still running after d of real time, the watchdog
// panics with a message naming the test and cause, the likely reason. The
// panic ends the test binary (nothing else can stop a stuck bubble), so tests
// that use a watchdog go last in their file.
//
// The watchdog is stopped by t.Cleanup; it never fires in a correct run.
func Watchdog(t testing.TB, d time.Duration, cause string) {
	t.Helper()
	watchdog(t, d, cause, nil)
}

// Guard guards a test against hanging: call it first in any test that a
// plausible wrong solution could deadlock (a lock that is never released, a
// lock taken twice, a wait for a wake-up that never comes), in or around a
// synctest bubble. If the test is still running after GuardTimeout of real
// time, Guard panics with the test's name and what the goroutines of the
// code under test are waiting for, e.g. "2 goroutines: blocked in
// sync.(*Mutex).Lock [sync.Mutex.Lock] called from lru.(*Cache).Get (a Lock
// without its Unlock on some path, or a lock taken twice?)". Like Watchdog,
// the panic ends the test binary: nothing else can stop a goroutine stuck on
// a mutex.
//
// An optional cause names the likely bug in the words of the kata ("does
// Take sleep while holding the lock?"); it comes first in the message, before
// what the goroutines wait for.
func Guard(t testing.TB, cause ...string) {
	t.Helper()
	watchdog(t, GuardTimeout, strings.Join(cause, "; "), nil)
}

func watchdog(t testing.TB, d time.Duration, cause string, p Panicker) {
	name := t.Name()
	timer := time.AfterFunc(d, func() {
		why := cause
		if stuck := Stuck(); stuck != "" {
			if why != "" {
				why += "; "
			}
			why += stuck
		}
		if why == "" {
			why = "a deadlock or an endless loop?"
		}
		msg := fmt.Sprintf("katatest: watchdog: %s still running after %v of real time: %s", name, d, why)
		if p != nil {
			p(msg)
			return
		}
		panic(msg)
	})
	t.Cleanup(func() { timer.Stop() })
}

// Stuck describes, in one line, what the goroutines running the code under
// test are waiting for right now (see internal/leakreport), or returns "" if
// none is waiting. The watchdog and Within add it to their messages, so a
// hang names the lock or channel it is stuck on.
func Stuck() string { return stuck("/internal/katatest.") }

// stuck is Stuck with the helper packages whose frames do not count as code
// under test.
func stuck(helpers ...string) string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= 16<<20 {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	// Goroutines that run a kata's own code come first: a library the
	// kata uses (grpc, say) also counts as code under test, but its
	// goroutines are rarely where the learner's bug waits.
	var kata, other []leakreport.Goroutine
	for _, g := range leakreport.Parse(string(buf)) {
		if g.State == "running" || g.State == "runnable" || g.State == "syscall" {
			continue
		}
		if !leakreport.RunsCodeUnderTest(g, helpers...) {
			continue
		}
		if runsKata(g) {
			kata = append(kata, g)
		} else {
			other = append(other, g)
		}
	}
	// A wait for a mutex is the likeliest cause of a hang; a listener's
	// Accept or a connection's Read that waits beside it is its victim.
	all := append(kata, other...)
	slices.SortStableFunc(all, func(a, b leakreport.Goroutine) int {
		return boolInt(!mutexWait(a)) - boolInt(!mutexWait(b))
	})
	return leakreport.Summarize(all, 2)
}

// mutexWait reports whether g waits for a sync.Mutex or sync.RWMutex.
func mutexWait(g leakreport.Goroutine) bool {
	return strings.HasPrefix(g.State, "sync.Mutex") || strings.HasPrefix(g.State, "sync.RWMutex")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// runsKata reports whether g runs a function of a kata package (its import
// path has a "/katas/" element), not only libraries.
func runsKata(g leakreport.Goroutine) bool {
	for _, f := range g.Frames {
		if strings.Contains(f, "/katas/") {
			return true
		}
	}
	return false
}

// Within runs fn in a new goroutine and waits at most d of real time for it
// to return. If fn has not returned by then, Within marks t failed with a
// message naming cause, the likely reason (for example "the eviction
// callback runs while the cache's lock is held"), and returns; the stuck
// goroutine is abandoned. It reports whether fn returned in time.
//
// Use it for scenarios that deadlock on a wrong solution without a synctest
// bubble (a callback that re-enters a locked cache). fn runs on another
// goroutine, so it must report failures with t.Error or assert, never with
// t.Fatal or require.
func Within(t testing.TB, d time.Duration, cause string, fn func()) bool {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		why := cause
		if stuck := Stuck(); stuck != "" {
			why += "; " + stuck
		}
		t.Errorf("katatest: did not finish within %v of real time: %s", d, why)
		return false
	}
}

// Hammer runs fn concurrently from goroutines goroutines, each calling it
// iterations times with its goroutine index g and iteration i. All
// goroutines are released at the same moment to maximise contention, and
// Hammer returns when every call has returned. A panic in fn is re-raised on
// the caller's goroutine with the goroutine index.
func Hammer(goroutines, iterations int, fn func(g, i int)) {
	if goroutines < 1 || iterations < 0 {
		panic(fmt.Sprintf("katatest: Hammer(%d, %d): need at least one goroutine and no negative iterations", goroutines, iterations))
	}
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		first any
	)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Sprintf("goroutine %d: %v", g, r)
					}
					mu.Unlock()
				}
			}()
			<-start
			for i := range iterations {
				fn(g, i)
			}
		}()
	}
	close(start)
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// NoLeaks fails t if goroutines started during the test are still running
// when it ends. Call it first in the test, outside any synctest bubble: it
// records the goroutines that exist at that moment and, in t.Cleanup, waits
// a short while for new ones to exit (goleak's retry), then reports any that
// remain with their stacks. synctest's own goroutines are gone by then, so
// it composes with synctest.Test. Do not use it in tests that call
// t.Parallel: goroutines of other parallel tests would be reported.
func NoLeaks(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			// The first line says where each goroutine is blocked and who
			// started it (the scorecard shows it); goleak's stacks follow.
			t.Errorf("katatest: goroutine leak: %s\n%v", leakreport.Summarize(leakreport.Parse(err.Error()), 3), err)
		}
	})
}
