//go:build microkata_hidden

package slidingwindow_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/slidingwindow"
	ref "github.com/microkata/microkata/solutions/slidingwindow"
)

// Every failure message names the calls that led to it as Go, each stamped
// with its virtual time since the limiter was made ("at 1s:"), what came
// back and what was expected: a learner sees only the test's name, category
// and message. Errors are named by the sentinel they match.

// hErrName names an error by the sentinel it matches.
func hErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, slidingwindow.ErrLimited):
		return "ErrLimited"
	case errors.Is(err, slidingwindow.ErrTooManyKeys):
		return "ErrTooManyKeys"
	case errors.Is(err, slidingwindow.ErrExceedsLimit):
		return "ErrExceedsLimit"
	case errors.Is(err, slidingwindow.ErrInvalidConfig):
		return "ErrInvalidConfig"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hRefErrName names an error of the reference.
func hRefErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, ref.ErrLimited):
		return "ErrLimited"
	case errors.Is(err, ref.ErrTooManyKeys):
		return "ErrTooManyKeys"
	case errors.Is(err, ref.ErrExceedsLimit):
		return "ErrExceedsLimit"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hGoDur prints a duration as a Go expression.
func hGoDur(d time.Duration) string {
	switch d {
	case slidingwindow.MaxWindow:
		return "slidingwindow.MaxWindow"
	case slidingwindow.MaxWindow + 1:
		return "slidingwindow.MaxWindow + 1"
	}
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "time.Hour"}, {time.Minute, "time.Minute"}, {time.Second, "time.Second"}, {time.Millisecond, "time.Millisecond"}}
	for _, u := range units {
		if d != 0 && d%u.d == 0 {
			if d == u.d {
				return u.name
			}
			return fmt.Sprintf("%d * %s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("time.Duration(%d)", int64(d))
}

// hDur prints a duration for a learner: time.Duration's String, and the
// exact number of nanoseconds when that rounds.
func hDur(d time.Duration) string {
	switch d {
	case slidingwindow.MaxWindow:
		return "MaxWindow"
	case 2 * slidingwindow.MaxWindow:
		return "2·MaxWindow"
	}
	return d.String()
}

// hGoInt prints an int, by name at the extremes.
func hGoInt(n int) string {
	switch n {
	case math.MaxInt:
		return "math.MaxInt"
	case math.MinInt:
		return "math.MinInt"
	}
	return fmt.Sprint(n)
}

// hGoConfig prints a Config as a Go expression.
func hGoConfig(c slidingwindow.Config) string {
	return fmt.Sprintf("slidingwindow.Config{Limit: %s, Window: %s, MaxKeys: %s}", hGoInt(c.Limit), hGoDur(c.Window), hGoInt(c.MaxKeys))
}

// hKinds are the two constructors; tests marked "both" run for each.
var hKinds = []string{"Log", "Counter"}

// hConstruct calls NewLog or NewCounter; ok is false for a nil limiter.
func hConstruct(kind string, c slidingwindow.Config) (l slidingwindow.Limiter, ok bool, err error) {
	if kind == "Log" {
		lg, err := slidingwindow.NewLog(c)
		return lg, lg != nil, err
	}
	ct, err := slidingwindow.NewCounter(c)
	return ct, ct != nil, err
}

// hTry runs fn and returns the value it panicked with, or nil. The stub's
// "not implemented" panic is not recovered.
func hTry(fn func()) (pv any) {
	defer func() {
		pv = recover()
		if pv == "not implemented" { // the stub: the grader reports it as not started
			panic(pv)
		}
	}()
	fn()
	return nil
}

// hCall is one call made by a test and what it returned; times counts
// identical calls in a row at the same instant.
type hCall struct {
	at, text, result string
	times            int
}

// hLim is a limiter under test: it stamps every call with the virtual time
// since the constructor and keeps the calls for messages.
type hLim struct {
	t     *testing.T
	l     slidingwindow.Limiter
	setup string
	start time.Time
	calls []hCall
}

// hNew makes a limiter at the current virtual time and stops the test
// unless the constructor returns one and a nil error.
func hNew(t *testing.T, kind string, c slidingwindow.Config, note string) *hLim {
	t.Helper()
	setup := fmt.Sprintf("l, err := slidingwindow.New%s(%s)", kind, hGoConfig(c))
	if note != "" {
		setup = note + ": " + setup
	}
	var (
		l   slidingwindow.Limiter
		ok  bool
		err error
	)
	start := time.Now()
	if pv := hTry(func() { l, ok, err = hConstruct(kind, c) }); pv != nil {
		t.Fatalf("%s panicked: %v", setup, pv)
	}
	if err != nil || !ok {
		t.Fatalf("%s returned (%s, %s); want a limiter and nil", setup, map[bool]string{true: "a limiter", false: "nil"}[ok], hErrName(err))
	}
	return &hLim{t: t, l: l, setup: setup, start: start}
}

func (s *hLim) now() string { return time.Since(s.start).String() }

// history prints the setup and every call so far.
func (s *hLim) history() string {
	var b strings.Builder
	b.WriteString(s.setup)
	for _, c := range s.calls {
		b.WriteString("; at " + c.at + ": ")
		if c.times > 1 {
			fmt.Fprintf(&b, "%d× ", c.times)
		}
		b.WriteString(c.text + " = " + c.result)
	}
	return b.String()
}

func (s *hLim) record(text, result string) {
	at := s.now()
	if n := len(s.calls); n > 0 && s.calls[n-1].at == at && s.calls[n-1].text == text && s.calls[n-1].result == result {
		s.calls[n-1].times++
		return
	}
	s.calls = append(s.calls, hCall{at: at, text: text, result: result, times: 1})
}

func (s *hLim) do(text string, fn func()) {
	s.t.Helper()
	if pv := hTry(fn); pv != nil {
		s.t.Fatalf("%s; at %s: %s panicked: %v", s.history(), s.now(), text, pv)
	}
}

func (s *hLim) fail(text, got, want, why string) {
	s.t.Helper()
	msg := fmt.Sprintf("%s; at %s: %s = %s, want %s", s.history(), s.now(), text, got, want)
	if why != "" {
		msg += " (" + why + ")"
	}
	s.t.Error(msg)
}

// allowN calls AllowN(key, n), records it and returns its results.
func (s *hLim) allowN(key string, n int) (time.Duration, error) {
	s.t.Helper()
	text := fmt.Sprintf("l.AllowN(%q, %s)", key, hGoInt(n))
	var (
		d   time.Duration
		err error
	)
	s.do(text, func() { d, err = s.l.AllowN(key, n) })
	s.record(text, fmt.Sprintf("(%s, %s)", hDur(d), hErrName(err)))
	return d, err
}

// wantAllowN calls AllowN(key, n) and checks both results.
func (s *hLim) wantAllowN(key string, n int, wantD time.Duration, wantErr error, why string) bool {
	s.t.Helper()
	text := fmt.Sprintf("l.AllowN(%q, %s)", key, hGoInt(n))
	var (
		d   time.Duration
		err error
	)
	s.do(text, func() { d, err = s.l.AllowN(key, n) })
	got := fmt.Sprintf("(%s, %s)", hDur(d), hErrName(err))
	ok := d == wantD && (wantErr == nil && err == nil || wantErr != nil && errors.Is(err, wantErr))
	if !ok {
		s.fail(text, got, fmt.Sprintf("(%s, %s)", hDur(wantD), hErrName(wantErr)), why)
	}
	s.record(text, got)
	return ok
}

// wantAllow calls Allow(key) times times and checks each result.
func (s *hLim) wantAllow(key string, times int, want bool, why string) bool {
	s.t.Helper()
	text := fmt.Sprintf("l.Allow(%q)", key)
	for i := range times {
		var got bool
		s.do(text, func() { got = s.l.Allow(key) })
		if got != want {
			if times > 1 {
				why = fmt.Sprintf("call %d of %d; %s", i+1, times, why)
			}
			s.fail(text, fmt.Sprint(got), fmt.Sprint(want), why)
			s.record(text, fmt.Sprint(got))
			return false
		}
		s.record(text, fmt.Sprint(got))
	}
	return true
}

// length calls Len() and records it.
func (s *hLim) length() int {
	s.t.Helper()
	var got int
	s.do("l.Len()", func() { got = s.l.Len() })
	s.record("l.Len()", fmt.Sprint(got))
	return got
}

// wantLen calls Len() and checks it.
func (s *hLim) wantLen(want int, why string) bool {
	s.t.Helper()
	var got int
	s.do("l.Len()", func() { got = s.l.Len() })
	if got != want {
		s.fail("l.Len()", fmt.Sprint(got), fmt.Sprint(want), why)
	}
	s.record("l.Len()", fmt.Sprint(got))
	return got == want
}

// hRetryExact checks a refusal's retryAfter as rule 5 defines it: the
// call returns (d, wantErr); the same call after d − 1 ns is still
// refused, with retryAfter 1 ns; after d more it is admitted. It sleeps d.
func (s *hLim) retryExact(key string, n int, d time.Duration, wantErr error, why string) bool {
	s.t.Helper()
	if !s.wantAllowN(key, n, d, wantErr, why) {
		return false
	}
	time.Sleep(d - time.Nanosecond)
	if !s.wantAllowN(key, n, time.Nanosecond, wantErr, fmt.Sprintf("1ns before the retryAfter of %s has passed, the same call must still be refused: retryAfter is the least wait", hDur(d))) {
		return false
	}
	time.Sleep(time.Nanosecond)
	return s.wantAllowN(key, n, 0, nil, fmt.Sprintf("after waiting exactly the retryAfter of %s, with no call in between, the same call must be admitted", hDur(d)))
}

// hBubbles runs f in n fresh synctest bubbles, stopping at the first that
// fails. A solution that forgets keys with a timer at their idle instant
// passes one bubble about half the time: the timer and the test's call are
// due at the same virtual instant, and either may run first.
func hBubbles(t *testing.T, n int, f func(t *testing.T, note string)) {
	t.Helper()
	for i := range n {
		synctest.Test(t, func(t *testing.T) {
			note := fmt.Sprintf("in fresh bubble %d of %d", i+1, n)
			if i > 0 {
				note += fmt.Sprintf(" (the first %d passed: a timer or goroutine racing the call at the same instant? Forget idle keys in the calls themselves, R13)", i)
			}
			f(t, note)
		})
	}
}

// TestHiddenNoGoroutines: both limiters, used on 100 keys, leave no
// goroutine behind: idle keys are forgotten by later calls, not by a
// cleaner goroutine or timer (rule 13).
//
// Category: behaviour
func TestHiddenNoGoroutines(t *testing.T) {
	katatest.Guard(t)
	katatest.NoLeaks(t)
	cfg := slidingwindow.Config{Limit: 3, Window: time.Hour, MaxKeys: 100}
	for _, kind := range hKinds {
		l := hNew(t, kind, cfg, "")
		for i := range 100 {
			key := fmt.Sprintf("user-%03d", i)
			l.wantAllowN(key, 3, 0, nil, "")
			if _, err := l.allowN(key, 1); !errors.Is(err, slidingwindow.ErrLimited) {
				l.t.Errorf("%s: the 4th request of %q within the hour returned %s, want ErrLimited", l.history(), key, hErrName(err))
				break
			}
		}
		l.wantLen(100, "")
		if _, err := l.allowN("one too many", 1); !errors.Is(err, slidingwindow.ErrTooManyKeys) {
			l.t.Errorf("%s: a 101st key with MaxKeys 100 returned %s, want ErrTooManyKeys", l.history(), hErrName(err))
		}
	}
}

// TestHiddenConfigEdges: the edges of the valid Config (MaxWindow is
// accepted, 1 << 62 is not; negative Limit or MaxKeys, Window 0), without
// a panic; and with Window MaxWindow the retryAfter of a Limit-1 key is
// MaxWindow for the Log and 2·MaxWindow for the Counter, which must not
// overflow (rules 1, 8, 10).
//
// Category: config
func TestHiddenConfigEdges(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		name string
		cfg  slidingwindow.Config
		ok   bool
	}{
		{"Window MaxWindow", slidingwindow.Config{Limit: 1, Window: slidingwindow.MaxWindow, MaxKeys: 1}, true},
		{"Window MaxWindow + 1", slidingwindow.Config{Limit: 1, Window: slidingwindow.MaxWindow + 1, MaxKeys: 1}, false},
		{"Window math.MaxInt64", slidingwindow.Config{Limit: 1, Window: math.MaxInt64, MaxKeys: 1}, false},
		{"Window 0", slidingwindow.Config{Limit: 1, Window: 0, MaxKeys: 1}, false},
		{"Window 1ns", slidingwindow.Config{Limit: 1, Window: 1, MaxKeys: 1}, true},
		{"Limit -1", slidingwindow.Config{Limit: -1, Window: time.Second, MaxKeys: 1}, false},
		{"Limit math.MinInt", slidingwindow.Config{Limit: math.MinInt, Window: time.Second, MaxKeys: 1}, false},
		{"Limit math.MaxInt", slidingwindow.Config{Limit: math.MaxInt, Window: time.Second, MaxKeys: 1}, true},
		{"MaxKeys -1", slidingwindow.Config{Limit: 1, Window: time.Second, MaxKeys: -1}, false},
		{"MaxKeys math.MaxInt", slidingwindow.Config{Limit: 1, Window: time.Second, MaxKeys: math.MaxInt}, true},
	}
	for _, kind := range hKinds {
		for _, tc := range cases {
			call := fmt.Sprintf("slidingwindow.New%s(%s)", kind, hGoConfig(tc.cfg))
			var (
				ok  bool
				err error
			)
			if pv := hTry(func() { _, ok, err = hConstruct(kind, tc.cfg) }); pv != nil {
				t.Errorf("%s: %s panicked: %v; want no panic", tc.name, call, pv)
				continue
			}
			got := fmt.Sprintf("(%s, %s)", map[bool]string{true: "a limiter", false: "nil"}[ok], hErrName(err))
			switch {
			case tc.ok && (!ok || err != nil):
				t.Errorf("%s: %s = %s, want (a limiter, nil)", tc.name, call, got)
			case !tc.ok && (ok || !errors.Is(err, slidingwindow.ErrInvalidConfig)):
				t.Errorf("%s: %s = %s, want (nil, ErrInvalidConfig)", tc.name, call, got)
			}
		}
	}
	wants := map[string]time.Duration{"Log": slidingwindow.MaxWindow, "Counter": 2 * slidingwindow.MaxWindow}
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, kind, slidingwindow.Config{Limit: 1, Window: slidingwindow.MaxWindow, MaxKeys: 1}, "")
				l.wantAllow("a", 1, true, "")
				why := "the Log frees the slot when the request of 0s stops counting, at MaxWindow"
				if kind == "Counter" {
					why = "window 1 starts at MaxWindow with the previous count 1 at full weight, so the wait ends at the start of window 2, 2·MaxWindow; the sum fits an int64"
				}
				l.wantAllowN("a", 1, wants[kind], slidingwindow.ErrLimited, why)
			})
		})
	}
}

// TestHiddenLogBoundaryExact: a request admitted at a counts until
// a + W − 1 ns and not at a + W, when all Limit pass again; also on a key
// that stays active through a later admission (rule 7).
//
// Category: boundary
func TestHiddenLogBoundaryExact(t *testing.T) {
	katatest.Guard(t)
	hBubbles(t, 20, func(t *testing.T, note string) {
		l := hNew(t, "Log", slidingwindow.Config{Limit: 4, Window: time.Second, MaxKeys: 4}, note)
		time.Sleep(250 * time.Millisecond)
		l.wantAllowN("a", 4, 0, nil, "")
		time.Sleep(time.Second - time.Nanosecond)
		l.wantAllowN("a", 1, time.Nanosecond, slidingwindow.ErrLimited, "requests admitted at 250ms count until 1.25s − 1ns")
		time.Sleep(time.Nanosecond)
		l.wantAllowN("a", 4, 0, nil, "requests admitted at 250ms no longer count at exactly 250ms + Window")
	})
	hBubbles(t, 20, func(t *testing.T, note string) {
		l := hNew(t, "Log", slidingwindow.Config{Limit: 4, Window: time.Second, MaxKeys: 4}, note)
		time.Sleep(250 * time.Millisecond)
		l.wantAllowN("a", 3, 0, nil, "")
		time.Sleep(500 * time.Millisecond)
		l.wantAllow("a", 1, true, "")
		time.Sleep(500*time.Millisecond - time.Nanosecond)
		l.wantAllowN("a", 3, time.Nanosecond, slidingwindow.ErrLimited, "the 3 admitted at 250ms count until 1.25s − 1ns")
		time.Sleep(time.Nanosecond)
		l.wantAllowN("a", 3, 0, nil, "the 3 admitted at 250ms no longer count at exactly 250ms + Window; only the 1 of 750ms does")
		l.wantAllowN("a", 1, 500*time.Millisecond, slidingwindow.ErrLimited, "the oldest that counts now was admitted at 750ms")
	})
}

// TestHiddenLogRetryAfterExact: the Log's retryAfter is the time until
// enough admissions stop counting for n more: a_j + W − t with
// j = c + n − L, for n = 1, 3 and 5; each is refused 1 ns earlier and
// admitted at the instant (rules 5, 8).
//
// Category: timing
func TestHiddenLogRetryAfterExact(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		n    int
		d    time.Duration
		why  string
		name string
	}{
		{1, 2 * time.Second, "n 1 needs 1 slot: the oldest admission, at 0s, stops counting at 10s", "n=1"},
		{3, 5 * time.Second, "n 3 needs 3 slots: the 2 of 0s and the 1 of 3s, which stops counting at 13s", "n=3"},
		{5, 9 * time.Second, "n 5 needs all 5 slots: the last of them, admitted at 7s, stops counting at 17s", "n=5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, "Log", slidingwindow.Config{Limit: 5, Window: 10 * time.Second, MaxKeys: 4}, "")
				l.wantAllowN("a", 2, 0, nil, "")
				time.Sleep(3 * time.Second)
				l.wantAllowN("a", 1, 0, nil, "")
				time.Sleep(4 * time.Second)
				l.wantAllowN("a", 2, 0, nil, "")
				time.Sleep(time.Second)
				l.retryExact("a", tc.n, tc.d, slidingwindow.ErrLimited, tc.why)
			})
		})
	}
}

// TestHiddenLogLargeLimit: Limit math.MaxInt works; nothing proportional
// to Limit is allocated up front; "" is a valid key (rules 3, 13).
//
// Category: boundary
func TestHiddenLogLargeLimit(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "Log", slidingwindow.Config{Limit: math.MaxInt, Window: time.Second, MaxKeys: 1000}, "")
		for _, key := range []string{"a", "b", ""} {
			l.wantAllow(key, 1, true, "Limit math.MaxInt: allocate per request, never per Limit; \"\" is a key like any other")
		}
		l.wantAllowN("a", 1000, 0, nil, "")
		l.wantLen(3, "")
	})
}

// TestHiddenCounterRoundsUp: the previous window's share is rounded up, so
// a Limit-1 key admitted in window k is blocked until window k + 2 starts,
// exactly (cakephp/cakephp#19287); and 9.3 counts as 10 (rules 9, 10).
//
// Category: boundary
func TestHiddenCounterRoundsUp(t *testing.T) {
	katatest.Guard(t)
	hBubbles(t, 20, func(t *testing.T, note string) {
		l := hNew(t, "Counter", slidingwindow.Config{Limit: 1, Window: time.Minute, MaxKeys: 4}, note)
		time.Sleep(30 * time.Second)
		l.wantAllow("a", 1, true, "")
		time.Sleep(30*time.Second + time.Nanosecond)
		if !l.wantAllowN("a", 1, time.Minute-time.Nanosecond, slidingwindow.ErrLimited,
			"1ns into window 1 the previous window's 1 weighs 1 × (1m − 1ns)/1m, rounded up to 1: nothing fits until window 2 starts at 2m") {
			return
		}
		time.Sleep(time.Minute - 2*time.Nanosecond)
		if !l.wantAllowN("a", 1, time.Nanosecond, slidingwindow.ErrLimited,
			"1ns before window 2 the share 1 × 1ns/1m still rounds up to 1") {
			return
		}
		time.Sleep(time.Nanosecond)
		l.wantAllow("a", 1, true, "window 2 starts at 2m: window 0 no longer weighs anything")
	})
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, "Counter", slidingwindow.Config{Limit: 10, Window: time.Second, MaxKeys: 4}, "")
		l.wantAllowN("a", 10, 0, nil, "")
		time.Sleep(1070 * time.Millisecond)
		l.wantAllowN("a", 1, 30*time.Millisecond, slidingwindow.ErrLimited, "70ms into window 1 the share 10 × 0.93 = 9.3 rounds up to 10")
	})
}

// TestHiddenCounterExactArithmetic: the weighted comparison is exact:
// 0.28 × 25 is 7, not 7.000000000000001; a case where float64 admits one
// request too many; and products past 2^63 (rules 9, 10).
//
// Category: behaviour
func TestHiddenCounterExactArithmetic(t *testing.T) {
	katatest.Guard(t)
	t.Run("25 × 0.28", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 25, Window: time.Second, MaxKeys: 4}, "")
			l.wantAllowN("a", 25, 0, nil, "")
			time.Sleep(1720 * time.Millisecond)
			l.wantAllowN("a", 18, 0, nil, "720ms into window 1: 25 × 280/1000 is exactly 7, and 7 + 18 <= 25 (in float64, 25 × 0.28 = 7.000000000000001)")
			l.wantAllowN("a", 1, 40*time.Millisecond, slidingwindow.ErrLimited, "18 + ⌈25 × (1s − e)/1s⌉ + 1 <= 25 from e = 760ms")
		})
	})
	t.Run("float64 admits too many", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const limit, n = 999_999_937, 996_618_103
			l := hNew(t, "Counter", slidingwindow.Config{Limit: limit, Window: time.Hour, MaxKeys: 4}, "")
			l.wantAllowN("a", limit, 0, nil, "")
			time.Sleep(time.Hour + 3_587_825_396_833)
			l.retryExact("a", n, time.Nanosecond, slidingwindow.ErrLimited,
				"999999937 × (1h − e) > (999999937 − 996618103) × 1h by 1.1·10^7 at e = 3587825396833ns: compare 128-bit integer products, not floats")
		})
	})
	t.Run("products past 2^63", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const limit, n = 3_000_000, 1_000_000
			l := hNew(t, "Counter", slidingwindow.Config{Limit: limit, Window: time.Hour, MaxKeys: 4}, "")
			l.wantAllowN("a", limit, 0, nil, "")
			time.Sleep(time.Hour + 5*time.Minute)
			l.retryExact("a", n, 15*time.Minute, slidingwindow.ErrLimited,
				"5m into window 1, 3000000 × 55m = 9.9·10^18 ns overflows an int64 (2^63 ≈ 9.2·10^18); it must exceed 2000000 × 1h = 7.2·10^18 ns: use bits.Mul64")
		})
	})
}

// TestHiddenCounterOriginIsNew: windows start at the limiter's origin,
// the time NewCounter was called, not at round clock times (rules 2, 9,
// 10).
//
// Category: timing
func TestHiddenCounterOriginIsNew(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		time.Sleep(123 * time.Millisecond)
		l := hNew(t, "Counter", slidingwindow.Config{Limit: 2, Window: time.Second, MaxKeys: 4}, "made 123ms into the bubble; times below count from NewCounter, where window 0 starts")
		time.Sleep(500 * time.Millisecond)
		l.wantAllowN("a", 2, 0, nil, "")
		time.Sleep(500*time.Millisecond - time.Nanosecond)
		l.wantAllowN("a", 1, 500*time.Millisecond+time.Nanosecond, slidingwindow.ErrLimited,
			"still window 0 (it ends 1s after NewCounter): the 2 fill it; in window 1 they weigh 2 × (1s − e)/1s, and 1 more fits from e = 500ms")
		time.Sleep(500 * time.Millisecond)
		l.wantAllowN("a", 1, time.Nanosecond, slidingwindow.ErrLimited, "1ns before 500ms into window 1")
		time.Sleep(time.Nanosecond)
		l.wantAllow("a", 1, true, "500ms into window 1: 2 × 0.5 = 1, 1 + 1 <= 2")
	})
}

// TestHiddenCounterRetryAfterCases: the three ways a Counter's wait ends:
// later in this window, in the next window, at the start of the one after
// (rule 10); each checked 1 ns before and at the instant (rule 5).
//
// Category: timing
func TestHiddenCounterRetryAfterCases(t *testing.T) {
	katatest.Guard(t)
	t.Run("next window", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 4, Window: 10 * time.Second, MaxKeys: 4}, "")
			time.Sleep(2 * time.Second)
			l.wantAllowN("a", 3, 0, nil, "")
			l.retryExact("a", 2, 8*time.Second+3_333_333_334, slidingwindow.ErrLimited,
				"3 + 2 > 4 in window 0; in window 1 the 3 weigh 3 × (10s − e)/10s and 2 fit once that is <= 2: e' = 10s − ⌊2 × 10s / 3⌋ = 3.333333334s")
		})
	})
	t.Run("window after next", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 4, Window: 10 * time.Second, MaxKeys: 4}, "")
			time.Sleep(2 * time.Second)
			l.wantAllowN("a", 3, 0, nil, "")
			l.retryExact("a", 4, 18*time.Second, slidingwindow.ErrLimited,
				"n = Limit fits only when the previous window is empty: at the start of window 2, 20s")
		})
	})
	t.Run("this window", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 4}, "")
			l.wantAllowN("a", 3, 0, nil, "")
			time.Sleep(1100 * time.Millisecond)
			l.retryExact("a", 1, 233_333_334, slidingwindow.ErrLimited,
				"100ms into window 1 the previous 3 weigh 3 × 0.9 = 2.7 → 3; 1 fits once 3 × (1s − e)/1s <= 2, from e = 1s − ⌊2s/3⌋ = 333.333334ms")
		})
	})
}

// TestHiddenCounterLongIdle: a key admitted in window 0 and not seen again
// starts from empty state in window 2: its old count is not the previous
// window's (rules 9, 11).
//
// Category: behaviour
func TestHiddenCounterLongIdle(t *testing.T) {
	katatest.Guard(t)
	for _, at := range []time.Duration{2 * time.Second, 3 * time.Second, 11 * time.Second} {
		t.Run(fmt.Sprint("again at ", at), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, "Counter", slidingwindow.Config{Limit: 5, Window: time.Second, MaxKeys: 4}, "")
				time.Sleep(500 * time.Millisecond)
				l.wantAllowN("a", 5, 0, nil, "")
				time.Sleep(at - 500*time.Millisecond)
				l.wantAllowN("a", 5, 0, nil, "the window before this one had no admission of a: its previous count is 0 however old the key's history")
			})
		})
	}
}

// hEvent is one call of a scripted run and what it returned, for comparing
// two runs.
type hEvent struct{ at, text, result string }

// hStep is one step of a script: a sleep, then AllowN(key, n) or Len();
// noise steps make their call times times, and only in the noisy run.
type hStep struct {
	sleep time.Duration
	key   string
	n     int
	len   bool
	noise bool
	times int
}

// TestHiddenRefusedChangeNothing: refused calls (ErrLimited,
// ErrExceedsLimit) and calls with n <= 0 change nothing: every later
// decision, retryAfter and Len() is what it is in the same run without
// them (rules 3, 4, 11).
//
// Category: behaviour
func TestHiddenRefusedChangeNothing(t *testing.T) {
	katatest.Guard(t)
	script := []hStep{
		{key: "a", n: 2},
		{sleep: 400 * time.Millisecond, key: "a", n: 1},
		{noise: true, key: "a", n: 1, times: 25},
		{noise: true, key: "a", n: 4, times: 25},
		{noise: true, key: "a", n: 0, times: 25},
		{noise: true, key: "b", n: -2, times: 25},
		{len: true},
		{sleep: 800 * time.Millisecond, noise: true, key: "a", n: 3, times: 50},
		{noise: true, key: "c", n: 4, times: 25},
		{noise: true, key: "a", n: -1, times: 25},
		{len: true},
		{sleep: 200 * time.Millisecond, len: true},
		{key: "a", n: 3},
		{key: "b", n: 1},
		{sleep: 600 * time.Millisecond, len: true},
		{key: "a", n: 1},
		{sleep: 500 * time.Millisecond, len: true},
		{key: "b", n: 3},
		{sleep: 500 * time.Millisecond, len: true},
		{sleep: 1 * time.Second, len: true},
	}
	run := func(t *testing.T, kind string, noise bool) (*hLim, []hEvent) {
		l := hNew(t, kind, slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 2}, "")
		var out []hEvent
		for _, st := range script {
			time.Sleep(st.sleep)
			if st.noise {
				if noise {
					for range st.times {
						l.allowN(st.key, st.n)
					}
				}
				continue
			}
			if st.len {
				n := l.length()
				out = append(out, hEvent{l.now(), "l.Len()", fmt.Sprint(n)})
				continue
			}
			d, err := l.allowN(st.key, st.n)
			out = append(out, hEvent{l.now(), fmt.Sprintf("l.AllowN(%q, %d)", st.key, st.n), fmt.Sprintf("(%s, %s)", hDur(d), hErrName(err))})
		}
		return l, out
	}
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			var (
				want []hEvent
				ok   bool
			)
			synctest.Test(t, func(t *testing.T) {
				_, want = run(t, kind, false)
				ok = true
			})
			if !ok {
				return
			}
			synctest.Test(t, func(t *testing.T) {
				l, got := run(t, kind, true)
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("at %s: %s = %s, but %s in the same run without the 200 refused and n <= 0 calls (they must change nothing); the calls: %s",
							got[i].at, got[i].text, got[i].result, want[i].result, l.history())
						return
					}
				}
			})
		})
	}
}

// TestHiddenNonPositiveNDoesNotRefund: AllowN(key, n <= 0) gives nothing
// back and is not an admission: a full key stays full, and a key whose
// only admission stopped counting is idle however recently n <= 0 was
// asked (rules 3, 4, 11).
//
// Category: behaviour
func TestHiddenNonPositiveNDoesNotRefund(t *testing.T) {
	katatest.Guard(t)
	// Log: the 3 of 0s stop counting at 1s. Counter: in window 1 the 3 of
	// window 0 weigh 3 × (1s − e)/1s, and 1 more fits from
	// e = 1s − ⌊2 × 1s/3⌋ = 333.333334ms (rule 10).
	retry := map[string]time.Duration{"Log": time.Second, "Counter": time.Second + 333_333_334}
	for _, kind := range hKinds {
		t.Run(kind+" full key", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, kind, slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 2}, "")
				l.wantAllowN("k", 3, 0, nil, "")
				l.wantAllowN("k", -5, 0, nil, "")
				l.wantAllowN("k", 1, retry[kind], slidingwindow.ErrLimited, "AllowN with n <= 0 must not give requests back")
				l.wantLen(1, "")
			})
		})
	}
	t.Run("Log idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Log", slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 2}, "")
			l.wantAllow("a", 1, true, "")
			time.Sleep(500 * time.Millisecond)
			l.wantAllowN("a", 0, 0, nil, "")
			time.Sleep(500 * time.Millisecond)
			l.wantLen(0, "a's only admission, at 0s, stops counting at 1s; AllowN(\"a\", 0) admitted nothing")
		})
	})
	t.Run("Counter idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 2}, "")
			l.wantAllow("a", 1, true, "")
			time.Sleep(1500 * time.Millisecond)
			l.wantAllowN("a", 0, 0, nil, "")
			time.Sleep(500 * time.Millisecond)
			l.wantLen(0, "a's only admission is in window 0, so a is idle from the start of window 2; AllowN(\"a\", 0) admitted nothing")
		})
	})
}

// TestHiddenIdleAtExactInstant: a key is active until 1 ns before its idle
// instant and idle at it: a + W for the Log, the start of window
// k_last + 2 for the Counter (rule 11).
//
// Category: boundary
func TestHiddenIdleAtExactInstant(t *testing.T) {
	katatest.Guard(t)
	t.Run("Log", func(t *testing.T) {
		hBubbles(t, 20, func(t *testing.T, note string) {
			l := hNew(t, "Log", slidingwindow.Config{Limit: 2, Window: time.Second, MaxKeys: 2}, note)
			time.Sleep(300 * time.Millisecond)
			l.wantAllow("a", 1, true, "")
			time.Sleep(time.Second - time.Nanosecond)
			l.wantLen(1, "a's last admission, at 300ms, counts until 1.3s − 1ns")
			time.Sleep(time.Nanosecond)
			l.wantLen(0, "a is idle at exactly 300ms + Window")
		})
	})
	t.Run("Counter", func(t *testing.T) {
		hBubbles(t, 20, func(t *testing.T, note string) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 4, Window: time.Second, MaxKeys: 2}, note)
			time.Sleep(900 * time.Millisecond)
			l.wantAllowN("a", 4, 0, nil, "")
			time.Sleep(200 * time.Millisecond)
			l.wantAllowN("a", 1, 150*time.Millisecond, slidingwindow.ErrLimited, "100ms into window 1 the 4 of window 0 weigh 3.6 → 4")
			time.Sleep(900*time.Millisecond - time.Nanosecond)
			l.wantLen(1, "a's last admission is in window 0: a stays active through window 1, until 2s − 1ns")
			time.Sleep(time.Nanosecond)
			l.wantLen(0, "a is idle at exactly the start of window 2, 2s")
			l.wantAllowN("a", 4, 0, nil, "")
		})
	})
}

// TestHiddenMaxKeysExact: ErrTooManyKeys's retryAfter is the time until
// the first active key is idle, exactly; the freed slot is taken at that
// instant (no Len() call before); no number of new keys changes a
// decision for an active key; and n > Limit is ErrExceedsLimit even for a
// new key on a full table (rules 3, 12).
//
// Category: boundary
func TestHiddenMaxKeysExact(t *testing.T) {
	katatest.Guard(t)
	t.Run("Log", func(t *testing.T) {
		hBubbles(t, 20, func(t *testing.T, note string) {
			l := hNew(t, "Log", slidingwindow.Config{Limit: 2, Window: time.Second, MaxKeys: 2}, note)
			l.wantAllow("a", 1, true, "")
			time.Sleep(300 * time.Millisecond)
			l.wantAllow("b", 1, true, "")
			time.Sleep(200 * time.Millisecond)
			l.retryExact("c", 1, 500*time.Millisecond, slidingwindow.ErrTooManyKeys, "a and b are active; a is idle first, at 0s + 1s")
			l.wantAllowN("d", 1, 300*time.Millisecond, slidingwindow.ErrTooManyKeys, "b and c are active; b is idle first, at 300ms + 1s")
		})
	})
	t.Run("Counter", func(t *testing.T) {
		hBubbles(t, 20, func(t *testing.T, note string) {
			l := hNew(t, "Counter", slidingwindow.Config{Limit: 2, Window: time.Second, MaxKeys: 2}, note)
			time.Sleep(200 * time.Millisecond)
			l.wantAllow("a", 1, true, "")
			time.Sleep(1300 * time.Millisecond)
			l.wantAllow("b", 1, true, "")
			time.Sleep(100 * time.Millisecond)
			l.retryExact("c", 1, 400*time.Millisecond, slidingwindow.ErrTooManyKeys, "a (last admitted in window 0) is idle from the start of window 2, 2s")
			l.wantAllowN("d", 1, time.Second, slidingwindow.ErrTooManyKeys, "b and c are active; b (window 1) is idle from 3s")
		})
	})
	// The retryAfter of a new key (a and b, admitted at 0s, are idle at 1s
	// for the Log and 2s for the Counter) and of AllowN("a", 1) on the
	// full a (the Log: at 1s; the Counter: 500ms into window 1, when the 2
	// of window 0 weigh 1).
	wants := map[string][2]time.Duration{"Log": {900 * time.Millisecond, 900 * time.Millisecond}, "Counter": {1900 * time.Millisecond, 1400 * time.Millisecond}}
	for _, kind := range hKinds {
		t.Run(kind+" flood", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, kind, slidingwindow.Config{Limit: 2, Window: time.Second, MaxKeys: 2}, "")
				l.wantAllowN("a", 2, 0, nil, "")
				l.wantAllow("b", 1, true, "")
				time.Sleep(100 * time.Millisecond)
				// The flood is recorded as one line: 1000 calls on
				// different keys would bury the message.
				for i := range 1000 {
					key := fmt.Sprintf("new-%d", i)
					var (
						d   time.Duration
						err error
					)
					l.do(fmt.Sprintf("l.AllowN(%q, 1)", key), func() { d, err = l.l.AllowN(key, 1) })
					if d != wants[kind][0] || !errors.Is(err, slidingwindow.ErrTooManyKeys) {
						if i > 0 {
							l.record(fmt.Sprintf("%d× l.AllowN(\"new-<i>\", 1) for i < %d", i, i), fmt.Sprintf("(%s, ErrTooManyKeys)", hDur(wants[kind][0])))
						}
						l.fail(fmt.Sprintf("l.AllowN(%q, 1)", key), fmt.Sprintf("(%s, %s)", hDur(d), hErrName(err)), fmt.Sprintf("(%s, ErrTooManyKeys)", hDur(wants[kind][0])), "a and b are active: a full table refuses new keys")
						return
					}
				}
				l.record(`1000× l.AllowN("new-<i>", 1) for i < 1000`, fmt.Sprintf("(%s, ErrTooManyKeys)", hDur(wants[kind][0])))
				l.wantAllowN("one more new key", 3, 0, slidingwindow.ErrExceedsLimit, "n > Limit is decided before the table is looked at (rule 3b before 3c)")
				l.wantAllowN("a", 1, wants[kind][1], slidingwindow.ErrLimited, "a is still full: new keys never evict an active key")
				l.wantAllow("b", 1, true, "b still has room for 1")
				l.wantLen(2, "")
			})
		})
	}
}

// TestHiddenConcurrentKeys: 64 goroutines at one instant, 8 on each of 8
// keys, on a table with room for 6 keys of Limit 3: exactly 6 keys get 3
// admissions each, the other 2 only ErrTooManyKeys; the same again once
// all are idle (rules 12, 14). Run with -race.
//
// Category: concurrency
func TestHiddenConcurrentKeys(t *testing.T) {
	katatest.Guard(t)
	idle := map[string]time.Duration{"Log": time.Second, "Counter": 2 * time.Second}
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := hNew(t, kind, slidingwindow.Config{Limit: 3, Window: time.Second, MaxKeys: 6}, "")
				for round := range 2 {
					if round == 1 {
						time.Sleep(idle[kind])
					}
					what := fmt.Sprintf("%s; at %s: 64 goroutines call l.AllowN(key, 1) at once, 8 on each of the keys k0…k7", l.setup, l.now())
					var (
						mu      sync.Mutex
						results = map[string][]string{}
						panics  []string
						wg      sync.WaitGroup
					)
					start := make(chan struct{})
					for g := range 64 {
						key := fmt.Sprintf("k%d", g%8)
						wg.Go(func() {
							<-start
							var err error
							pv := hTry(func() { _, err = l.l.AllowN(key, 1) })
							mu.Lock()
							defer mu.Unlock()
							if pv != nil {
								panics = append(panics, fmt.Sprint(pv))
								return
							}
							results[key] = append(results[key], hErrName(err))
						})
					}
					close(start)
					wg.Wait()
					if len(panics) > 0 {
						t.Fatalf("%s: %d calls panicked, the first with %s", what, len(panics), panics[0])
					}
					full, refused := 0, 0
					var summary []string
					for k := range 8 {
						key := fmt.Sprintf("k%d", k)
						counts := map[string]int{}
						for _, r := range results[key] {
							counts[r]++
						}
						summary = append(summary, fmt.Sprintf("%s: %d nil, %d ErrLimited, %d ErrTooManyKeys", key, counts["nil"], counts["ErrLimited"], counts["ErrTooManyKeys"]))
						switch {
						case counts["nil"] == 3 && counts["ErrLimited"] == 5:
							full++
						case counts["ErrTooManyKeys"] == 8:
							refused++
						}
					}
					if full != 6 || refused != 2 {
						t.Errorf("%s (round %d of 2): %s; want 6 keys with 3 nil and 5 ErrLimited, 2 keys with 8 ErrTooManyKeys", what, round+1, strings.Join(summary, "; "))
						return
					}
					if n := l.length(); n != 6 {
						t.Errorf("%s (round %d of 2); then l.Len() = %d, want 6", what, round+1, n)
						return
					}
				}
			})
		})
	}
}

// Differential test: random calls on the learner's limiter and the
// reference side by side, in one bubble.

// hOp is one step of the differential test: AllowN, Len or a sleep.
type hOp struct {
	kind  byte // 'A' AllowN, 'L' Len, 'S' sleep
	key   string
	n     int
	sleep time.Duration
}

// hDiffConfig is one run of TestHiddenDifferential.
type hDiffConfig struct {
	kind string
	cfg  slidingwindow.Config
}

// hPair is a learner's limiter and the reference, made at the same
// instant.
type hPair struct {
	got   slidingwindow.Limiter
	want  ref.Limiter
	start time.Time
}

func hNewPair(c hDiffConfig) *hPair {
	p := &hPair{start: time.Now()}
	rc := ref.Config{Limit: c.cfg.Limit, Window: c.cfg.Window, MaxKeys: c.cfg.MaxKeys}
	if c.kind == "Log" {
		p.got, _ = slidingwindow.NewLog(c.cfg)
		p.want, _ = ref.NewLog(rc)
	} else {
		p.got, _ = slidingwindow.NewCounter(c.cfg)
		p.want, _ = ref.NewCounter(rc)
	}
	return p
}

// step applies op to both sides and returns what each returned.
func (p *hPair) step(op hOp) (got, want string) {
	switch op.kind {
	case 'S':
		time.Sleep(op.sleep)
		return "", ""
	case 'L':
		if pv := hTry(func() { got = fmt.Sprint(p.got.Len()) }); pv != nil {
			got = fmt.Sprintf("a panic: %v", pv)
		}
		return got, fmt.Sprint(p.want.Len())
	}
	if pv := hTry(func() {
		d, err := p.got.AllowN(op.key, op.n)
		got = fmt.Sprintf("(%s, %s)", hDur(d), hErrName(err))
	}); pv != nil {
		got = fmt.Sprintf("a panic: %v", pv)
	}
	d, err := p.want.AllowN(op.key, op.n)
	return got, fmt.Sprintf("(%s, %s)", hDur(d), hRefErrName(err))
}

// hReplayStep is one step of a replay: when it was made and what both
// sides returned.
type hReplayStep struct {
	at        time.Duration
	op        hOp
	got, want string
}

// hReplay runs ops on a fresh pair and returns the steps up to and
// including the first whose results differ, and whether one did.
func hReplay(c hDiffConfig, ops []hOp) ([]hReplayStep, bool) {
	p := hNewPair(c)
	steps := make([]hReplayStep, 0, len(ops))
	for _, op := range ops {
		s := hReplayStep{at: time.Since(p.start), op: op}
		s.got, s.want = p.step(op)
		steps = append(steps, s)
		if s.got != s.want {
			return steps, true
		}
	}
	return steps, false
}

// hShrink returns a shorter sequence of ops that still makes the two sides
// differ: it drops chunks, then single ops, while the difference persists
// (on fresh pairs), within a budget of steps.
func hShrink(c hDiffConfig, ops []hOp) []hOp {
	budget := 200_000
	fails := func(cand []hOp) ([]hOp, bool) {
		if budget <= 0 {
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
	return ops
}

// hExplain prints a run as Go calls with the virtual time of each, ending
// with the call whose results differ.
func hExplain(c hDiffConfig, steps []hReplayStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l, err := slidingwindow.New%s(%s)", c.kind, hGoConfig(c.cfg))
	for i, s := range steps {
		if s.op.kind == 'S' {
			continue
		}
		call := "l.Len()"
		if s.op.kind == 'A' {
			call = fmt.Sprintf("l.AllowN(%q, %d)", s.op.key, s.op.n)
		}
		fmt.Fprintf(&b, "; at %v: %s", s.at, call)
		if i < len(steps)-1 {
			b.WriteString(" = " + s.got)
			continue
		}
		fmt.Fprintf(&b, " = %s, want %s", s.got, s.want)
	}
	return b.String()
}

// TestHiddenDifferential runs the learner's limiter and the reference side
// by side in one bubble, 20 seeds × 3000 random steps for each kind:
// AllowN on 4 keys ("" among them) with n from −1 to Limit + 1, Len, and sleeps of 1 ns,
// 1 ms, W/3, W − 1 ns and W, with MaxKeys from 1 to 3. Results must agree
// after every step; a difference is reported as the shortest call sequence
// found that reproduces it (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	windows := []time.Duration{time.Second, 10 * time.Millisecond, 3 * time.Millisecond}
	for _, kind := range hKinds {
		for seed := range 20 {
			rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
			c := hDiffConfig{kind: kind, cfg: slidingwindow.Config{
				Limit:   1 + rng.IntN(4),
				Window:  windows[rng.IntN(len(windows))],
				MaxKeys: 1 + rng.IntN(3),
			}}
			t.Run(fmt.Sprintf("%s seed %d", kind, seed), func(t *testing.T) {
				katatest.Guard(t)
				synctest.Test(t, func(t *testing.T) {
					if ops, differ := hDifferential(rng, c); differ {
						steps, _ := hReplay(c, hShrink(c, ops))
						t.Fatal(hExplain(c, steps))
					}
				})
			})
		}
	}
}

// hDifferential makes random steps on a fresh pair and returns them, up to
// the first that made the two sides differ, if one did.
func hDifferential(rng *rand.Rand, c hDiffConfig) ([]hOp, bool) {
	const steps = 3000
	w := c.cfg.Window
	sleeps := []time.Duration{time.Nanosecond, time.Millisecond, w / 3, w - time.Nanosecond, w}
	keys := []string{"a", "b", "c", ""}
	p := hNewPair(c)
	var ops []hOp
	for range steps {
		var op hOp
		switch r := rng.IntN(10); {
		case r < 6:
			op = hOp{kind: 'A', key: keys[rng.IntN(len(keys))], n: rng.IntN(c.cfg.Limit+3) - 1}
		case r < 7:
			op = hOp{kind: 'L'}
		default:
			op = hOp{kind: 'S', sleep: sleeps[rng.IntN(len(sleeps))]}
		}
		ops = append(ops, op)
		if got, want := p.step(op); got != want {
			return ops, true
		}
	}
	return ops, false
}
