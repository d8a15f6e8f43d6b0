//go:build microkata_hidden

package tokenbucket_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/tokenbucket"
	ref "github.com/microkata/microkata/solutions/tokenbucket"
)

// hT0 is the base time of the tests that pass times explicitly. Failure
// messages write times as t0+125ms.
var hT0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// hTick is 1/64 s: with rates of 0.5 to 8 per second, balances after whole
// ticks are exact in float64.
const hTick = 15625 * time.Microsecond

// hAt returns hT0 + d.
func hAt(d time.Duration) time.Time { return hT0.Add(d) }

// hScript drives a limiter with explicit times and records every call as Go
// code, so that a failure message shows the sequence that led to it:
// "l, _ := tokenbucket.New(8, 2); l.AllowN(t0, 1) = true; l.AllowN(t0, 1)".
// A call that panics fails the test with that sequence and the panic value.
type hScript struct {
	t     testing.TB
	l     *tokenbucket.Limiter
	calls []string // the calls so far, each with its result
	last  string   // the latest call, without its result
}

// hNew is New that fails the test on error.
func hNew(t testing.TB, r tokenbucket.Limit, burst int) *hScript {
	t.Helper()
	call := fmt.Sprintf("tokenbucket.New(%s, %d)", hLimit(r), burst)
	var (
		l   *tokenbucket.Limiter
		err error
	)
	if p := hCatch(func() { l, err = tokenbucket.New(r, burst) }); p != nil {
		t.Fatalf("%s panicked: %v", call, p)
	}
	require.NoError(t, err, call)
	require.NotNil(t, l, "%s returned a nil limiter", call)
	return &hScript{t: t, l: l, calls: []string{"l, _ := " + call}}
}

// String is the sequence of calls so far, the latest without its result:
// testify prints the expected and the actual result after it.
func (s *hScript) String() string {
	if s.last == "" {
		return strings.Join(s.calls, "; ")
	}
	return strings.Join(s.calls[:len(s.calls)-1], "; ") + "; " + s.last
}

// do runs the call text on the limiter and records it with its result.
func (s *hScript) do(text string, call func() any) any {
	s.t.Helper()
	s.last = "l." + text
	var result any
	if p := hCatch(func() { result = call() }); p != nil {
		s.calls = append(s.calls, s.last)
		s.t.Fatalf("%v panicked: %v", s, p)
	}
	s.calls = append(s.calls, fmt.Sprintf("%s = %s", s.last, hResult(result)))
	return result
}

func (s *hScript) AllowN(d time.Duration, n int) bool {
	s.t.Helper()
	return s.do(fmt.Sprintf("AllowN(%s, %d)", hTime(d), n), func() any { return s.l.AllowN(hAt(d), n) }).(bool)
}

func (s *hScript) TokensAt(d time.Duration) float64 {
	s.t.Helper()
	return s.do(fmt.Sprintf("TokensAt(%s)", hTime(d)), func() any { return s.l.TokensAt(hAt(d)) }).(float64)
}

func (s *hScript) SetLimitAt(d time.Duration, r tokenbucket.Limit) error {
	s.t.Helper()
	err, _ := s.do(fmt.Sprintf("SetLimitAt(%s, %s)", hTime(d), hLimit(r)), func() any { return s.l.SetLimitAt(hAt(d), r) }).(error)
	return err
}

func (s *hScript) SetBurstAt(d time.Duration, b int) error {
	s.t.Helper()
	err, _ := s.do(fmt.Sprintf("SetBurstAt(%s, %d)", hTime(d), b), func() any { return s.l.SetBurstAt(hAt(d), b) }).(error)
	return err
}

func (s *hScript) Limit() tokenbucket.Limit {
	s.t.Helper()
	return s.do("Limit()", func() any { return s.l.Limit() }).(tokenbucket.Limit)
}

func (s *hScript) Burst() int {
	s.t.Helper()
	return s.do("Burst()", func() any { return s.l.Burst() }).(int)
}

// hResult writes a call's result for a message.
func hResult(v any) string {
	switch v := v.(type) {
	case error:
		return hErr(v)
	case nil:
		return "nil"
	case tokenbucket.Limit:
		return hLimit(v)
	}
	return fmt.Sprint(v)
}

// hSteps records what a test in a synctest bubble did, with the virtual
// time of each step, for failure messages: "l, _ := tokenbucket.New(8, 1);
// l.Allow() = true; go l.Wait(ctx); at 125ms: l.Tokens()". Make it inside
// the bubble.
type hSteps struct {
	start time.Time
	when  time.Duration // the virtual time of the latest step
	steps []string
}

func hBegin(first string) *hSteps { return &hSteps{start: time.Now(), steps: []string{first}} }

// stamp prefixes step with the virtual time if that has moved since the
// latest step.
func (s *hSteps) stamp(step string) string {
	if now := time.Since(s.start); now != s.when {
		s.when = now
		return "at " + hDur(now) + ": " + step
	}
	return step
}

// call records a call about to be made, stamped with the virtual time
// now, and returns the message for it: the steps so far, this one last.
// Make the call after call returns, so that its stamp is the time it was
// made.
func (s *hSteps) call(format string, args ...any) string {
	s.steps = append(s.steps, s.stamp(fmt.Sprintf(format, args...)))
	return strings.Join(s.steps, "; ")
}

// result adds the latest call's result to its step.
func (s *hSteps) result(format string, args ...any) {
	s.steps[len(s.steps)-1] += " = " + fmt.Sprintf(format, args...)
}

// hTime writes t0 + d: t0, t0+62.5ms, t0-1h.
func hTime(d time.Duration) string {
	switch {
	case d == 0:
		return "t0"
	case d < 0:
		return "t0-" + hDur(-d)
	}
	return "t0+" + hDur(d)
}

// hDur is d.String() without trailing zero units: 1h, not 1h0m0s.
func hDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// hLimit writes a limit as a Go expression.
func hLimit(r tokenbucket.Limit) string {
	switch {
	case r == tokenbucket.Inf:
		return "tokenbucket.Inf"
	case math.IsNaN(float64(r)):
		return "tokenbucket.Limit(math.NaN())"
	case math.IsInf(float64(r), 0):
		return fmt.Sprintf("tokenbucket.Limit(math.Inf(%d))", int(math.Copysign(1, float64(r))))
	}
	return fmt.Sprint(float64(r))
}

// hErr names an error by the sentinel it matches.
func hErr(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{tokenbucket.ErrInvalidLimit, "ErrInvalidLimit"},
		{tokenbucket.ErrInvalidBurst, "ErrInvalidBurst"},
		{tokenbucket.ErrExceedsBurst, "ErrExceedsBurst"},
		{context.Canceled, "context.Canceled"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return "nil"
	}
	return fmt.Sprintf("%q", err.Error())
}

// hWantErr fails the test unless err matches want (nil: err is nil).
func hWantErr(t testing.TB, err, want error, call string) bool {
	t.Helper()
	if want == nil && err == nil || want != nil && errors.Is(err, want) {
		return true
	}
	what := "an error matching " + hErr(want)
	if want == nil {
		what = "nil"
	}
	t.Errorf("%s returned %s, want %s", call, hErr(err), what)
	return false
}

// hCatch runs f and returns what it panicked with, or nil.
func hCatch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// hGo starts the call f on a new goroutine and returns the channel that
// receives its result. Call it inside a bubble.
func hGo(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

// hRecv waits for the call behind done to return, at most limit of
// virtual time. Call it inside a bubble, with the context of the call
// cancelled by a defer, so that the call can end if the test fails.
func hRecv(t *testing.T, done <-chan error, limit time.Duration, call string) (error, bool) {
	t.Helper()
	select {
	case err := <-done:
		return err, true
	case <-time.After(limit):
		t.Errorf("%s has not returned %v later", call, limit)
		return nil, false
	}
}

// hStillBlocked fails the test if the call behind done has returned. Call
// it inside a bubble; it waits until every other goroutine is blocked.
func hStillBlocked(t *testing.T, done <-chan error, call string) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-done:
		t.Fatalf("%s returned %s, but it must still be blocked", call, hErr(err))
	default:
	}
}

// TestHiddenZeroValueLimiter: the zero Limiter works and behaves like
// New(0, 0): only requests for no tokens are granted (rule 4).
//
// Category: config
func TestHiddenZeroValueLimiter(t *testing.T) {
	katatest.Guard(t)
	s := &hScript{t: t, l: &tokenbucket.Limiter{}, calls: []string{"var l tokenbucket.Limiter"}}
	assert.Equal(t, "0", hLimit(s.Limit()), "%v: the zero Limiter is like New(0, 0)", s)
	assert.Equal(t, 0, s.Burst(), "%v: the zero Limiter is like New(0, 0)", s)
	assert.Equal(t, 0.0, s.TokensAt(0), "%v: the zero Limiter is like New(0, 0)", s)
	assert.False(t, s.AllowN(0, 1), "%v: the zero Limiter is like New(0, 0)", s)
	assert.True(t, s.AllowN(0, 0), "%v: n <= 0 is always granted", s)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		var err error
		call := "var l tokenbucket.Limiter; l.WaitN(ctx, 1) with a 1h timeout"
		if p := hCatch(func() { err = s.l.WaitN(ctx, 1) }); p != nil {
			t.Fatalf("%s panicked: %v", call, p)
		}
		hWantErr(t, err, tokenbucket.ErrExceedsBurst, call)
		assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
		call = "var l tokenbucket.Limiter; l.WaitN(ctx, 0) with a 1h timeout"
		hWantErr(t, s.l.WaitN(ctx, 0), nil, call)
		assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
	})
	// Like New(0, 0): a larger burst adds no tokens, and limit 0 earns none.
	require.NoError(t, s.SetBurstAt(0, 2), "%v", s)
	assert.Equal(t, 0.0, s.TokensAt(time.Hour), "%v: a larger burst adds no tokens, and limit 0 earns none", s)
	assert.False(t, s.AllowN(time.Hour, 1), "%v: limit 0 earns nothing", s)
	require.NoError(t, s.SetLimitAt(time.Hour, 8), "%v", s)
	assert.True(t, s.AllowN(time.Hour+125*time.Millisecond, 1), "%v: 8 per second earn a token in 125ms", s)
}

// TestHiddenEvery: Every(d) is one token per d, and Inf for d <= 0 (rule 2).
//
// Category: config
func TestHiddenEvery(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want tokenbucket.Limit
	}{
		{200 * time.Millisecond, 5},
		{time.Second, 1},
		{125 * time.Millisecond, 8},
		{2 * time.Second, 0.5},
		{4 * time.Second, 0.25},
		{500 * time.Millisecond, 2},
		{0, tokenbucket.Inf},
		{-time.Second, tokenbucket.Inf},
	}
	for _, tc := range cases {
		if got := tokenbucket.Every(tc.d); got != tc.want {
			t.Errorf("tokenbucket.Every(%v) = %s, want %s", tc.d, hLimit(got), hLimit(tc.want))
		}
	}
}

// TestHiddenBurstZeroFiniteRate: with a finite limit and burst 0 nothing is
// ever granted, and WaitN refuses at once instead of blocking (rules 11, 16a).
//
// Category: boundary
func TestHiddenBurstZeroFiniteRate(t *testing.T) {
	katatest.Guard(t)
	t.Run("AllowN", func(t *testing.T) {
		s := hNew(t, 10, 0)
		assert.False(t, s.AllowN(0, 1), "%v: n > burst", s)
		assert.False(t, s.AllowN(time.Hour, 1), "%v: n > burst", s)
		assert.Equal(t, 0.0, s.TokensAt(time.Hour), "%v: capped at burst 0", s)
		assert.True(t, s.AllowN(time.Hour, 0), "%v: n <= 0 is always granted", s)
	})
	t.Run("WaitN", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(10, 0)
			require.NoError(t, err, "tokenbucket.New(10, 0)")
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			call := "l, _ := tokenbucket.New(10, 0); l.WaitN(ctx, 1) with a 1h timeout"
			hWantErr(t, l.WaitN(ctx, 1), tokenbucket.ErrExceedsBurst, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			call = "l, _ := tokenbucket.New(10, 0); l.WaitN(ctx, 1); l.WaitN(ctx, 0) with a 1h timeout"
			hWantErr(t, l.WaitN(ctx, 0), nil, call)
			assert.Equal(t, 0.0, l.Tokens(), "l, _ := tokenbucket.New(10, 0); l.WaitN(ctx, 1); l.WaitN(ctx, 0); l.Tokens()")
		})
	})
}

// TestHiddenInfNoNaN: Inf grants at identical times without a NaN, +Inf is
// stored as Inf, and leaving Inf leaves a full bucket (rules 1, 13, 15).
//
// Category: boundary
func TestHiddenInfNoNaN(t *testing.T) {
	katatest.Guard(t)
	t.Run("burst 0", func(t *testing.T) {
		s := hNew(t, tokenbucket.Inf, 0)
		assert.True(t, s.AllowN(0, 1), "%v: limit Inf grants everything", s)
		assert.True(t, s.AllowN(0, 1), "%v: limit Inf grants everything", s)
		assert.True(t, s.AllowN(0, 1000), "%v: limit Inf grants everything", s)
		tokens := s.TokensAt(0)
		assert.False(t, math.IsNaN(tokens), "%v is NaN: with limit Inf it is Burst()", s)
		assert.Equal(t, 0.0, tokens, "%v: with limit Inf it is Burst()", s)
	})
	t.Run("+Inf", func(t *testing.T) {
		s := hNew(t, tokenbucket.Limit(math.Inf(1)), 2)
		assert.Equal(t, "tokenbucket.Inf", hLimit(s.Limit()), "%v: +Inf is stored as Inf", s)
		assert.True(t, s.AllowN(0, 5), "%v: limit Inf grants any n", s)
		assert.Equal(t, 2.0, s.TokensAt(0), "%v: with limit Inf it is Burst()", s)
		require.NoError(t, s.SetLimitAt(0, 1), "%v", s)
		assert.Equal(t, 2.0, s.TokensAt(0), "%v: leaving Inf fills the bucket", s)
		require.NoError(t, s.SetLimitAt(0, tokenbucket.Limit(math.Inf(1))), "%v", s)
		assert.Equal(t, "tokenbucket.Inf", hLimit(s.Limit()), "%v: +Inf is stored as Inf", s)
		assert.Equal(t, 2.0, s.TokensAt(0), "%v: with limit Inf it is Burst()", s)
	})
}

// TestHiddenFailedRequestDoesNotConsume: a refused request, whether AllowN
// or a WaitN refused on its deadline, changes nothing: no tokens and no
// remembered time (rules 12, 16e).
//
// Category: behaviour
func TestHiddenFailedRequestDoesNotConsume(t *testing.T) {
	katatest.Guard(t)
	t.Run("n > burst", func(t *testing.T) {
		s := hNew(t, 1, 2)
		assert.False(t, s.AllowN(0, 3), "%v: n > burst", s)
		assert.True(t, s.AllowN(0, 2), "%v: the refusal took nothing", s)
	})
	t.Run("not enough tokens", func(t *testing.T) {
		s := hNew(t, 1, 2)
		require.True(t, s.AllowN(0, 2), "%v", s)
		assert.False(t, s.AllowN(500*time.Millisecond, 1), "%v: half a token", s)
		assert.Equal(t, 0.5, s.TokensAt(500*time.Millisecond), "%v: the refusal took nothing", s)
		assert.True(t, s.AllowN(time.Second, 1), "%v: the refusal took nothing", s)
	})
	t.Run("remembered time stays", func(t *testing.T) {
		s := hNew(t, 1, 2)
		require.True(t, s.AllowN(0, 2), "%v", s)
		assert.False(t, s.AllowN(1500*time.Millisecond, 2), "%v: 1.5 tokens", s)
		assert.True(t, s.AllowN(time.Second, 1), "%v: a refusal does not move the remembered time", s)
		assert.Equal(t, 0.0, s.TokensAt(time.Second), "%v: a refusal does not move the remembered time", s)
		assert.Equal(t, 0.5, s.TokensAt(1500*time.Millisecond), "%v", s)
	})
	t.Run("WaitN refused on its deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(8, 2)
			require.NoError(t, err, "tokenbucket.New(8, 2)")
			st := hBegin("l, _ := tokenbucket.New(8, 2)")
			require.True(t, l.AllowN(time.Now(), 2), st.call("l.AllowN(time.Now(), 2)"))
			st.result("true")
			time.Sleep(4 * hTick) // half a token
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			msg := st.call("l.WaitN(ctx, 1) with a 50ms timeout (due in 62.5ms)")
			err = l.WaitN(ctx, 1)
			hWantErr(t, err, context.DeadlineExceeded, msg)
			st.result("%s", hErr(err))
			tokens := l.Tokens()
			assert.Equal(t, 0.5, tokens, "%s: the refused WaitN took nothing", st.call("l.Tokens()"))
			st.result("%v", tokens)
			time.Sleep(4 * hTick)
			assert.Equal(t, 1.0, l.Tokens(), "%s: the refused WaitN took nothing", st.call("l.Tokens()"))
		})
	})
}

// TestHiddenClockBackwardsNoMint: a time earlier than the remembered time
// counts as the remembered time; it never moves it back, so it can never
// re-earn tokens (rule 7).
//
// Category: behaviour
func TestHiddenClockBackwardsNoMint(t *testing.T) {
	katatest.Guard(t)
	t.Run("AllowN", func(t *testing.T) {
		s := hNew(t, 1, 2)
		require.True(t, s.AllowN(time.Hour, 1), "%v", s)
		require.True(t, s.AllowN(time.Hour-time.Second, 1), "%v: an earlier t counts as the remembered time", s)
		assert.False(t, s.AllowN(time.Hour, 1), "%v: both tokens are spent; an earlier t earns nothing", s)
		assert.Equal(t, 0.0, s.TokensAt(time.Hour-10*time.Second), "%v: an earlier t counts as the remembered time", s)
		assert.Equal(t, 0.5, s.TokensAt(time.Hour+500*time.Millisecond), "%v", s)
	})
	t.Run("SetLimitAt", func(t *testing.T) {
		s := hNew(t, 1, 2)
		require.True(t, s.AllowN(time.Second, 2), "%v", s)
		require.NoError(t, s.SetLimitAt(0, 8), "%v", s) // counts as t0+1s
		assert.Equal(t, 1.0, s.TokensAt(time.Second+125*time.Millisecond), "%v: the earlier t counts as the remembered time", s)
	})
	t.Run("SetBurstAt", func(t *testing.T) {
		s := hNew(t, 1, 2)
		require.True(t, s.AllowN(time.Second, 2), "%v", s)
		require.NoError(t, s.SetBurstAt(0, 4), "%v", s) // counts as t0+1s
		assert.Equal(t, 0.5, s.TokensAt(1500*time.Millisecond), "%v: the earlier t counts as the remembered time", s)
	})
}

// TestHiddenFrequentPollingAccrues: polling faster than tokens arrive still
// earns them at the full rate; nothing is rounded away (rule 6).
//
// Category: behaviour
func TestHiddenFrequentPollingAccrues(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 4, 1)
	require.True(t, s.AllowN(0, 1), "%v", s)
	var grants []int
	for k := 1; k <= 16; k++ { // every 62.5 ms for one second
		if s.AllowN(time.Duration(k)*4*hTick, 1) {
			grants = append(grants, k)
		}
	}
	if fmt.Sprint(grants) != "[4 8 12 16]" {
		t.Errorf("l, _ := tokenbucket.New(4, 1); l.AllowN(t0, 1); then l.AllowN(t0+k×62.5ms, 1) for k = 1 to 16 granted k = %v, want k = [4 8 12 16] (one token every 250ms)", grants)
	}
}

// TestHiddenFractionalRateFirstAllow: a new limiter is full whatever its
// rate (rule 5; golang/go#34861).
//
// Category: boundary
func TestHiddenFractionalRateFirstAllow(t *testing.T) {
	katatest.Guard(t)
	const r = tokenbucket.Limit(0.7692307692307693)
	l, err := tokenbucket.New(r, 1)
	require.NoError(t, err, "tokenbucket.New(0.7692307692307693, 1)")
	assert.True(t, l.Allow(), "l, _ := tokenbucket.New(0.7692307692307693, 1); l.Allow(): a new limiter is full")
	s := hNew(t, r, 1)
	assert.Equal(t, 1.0, s.TokensAt(0), "%v: a new limiter is full", s)
	assert.True(t, s.AllowN(0, 1), "%v: a new limiter is full", s)
}

// TestHiddenLongIdleNoOverflow: centuries of idle time neither overflow
// nor lose the tokens a slow rate earns in them (rules 6, 9).
//
// Category: boundary
func TestHiddenLongIdleNoOverflow(t *testing.T) {
	katatest.Guard(t)
	t.Run("fast rate", func(t *testing.T) {
		l, err := tokenbucket.New(1e9, 5)
		require.NoError(t, err, "tokenbucket.New(1e9, 5)")
		const setup = "l, _ := tokenbucket.New(1e9, 5); l.AllowN(t0, 5)"
		require.True(t, l.AllowN(hT0, 5), setup)
		for _, years := range []int{200, 1000} {
			assert.Equal(t, 5.0, l.TokensAt(hT0.AddDate(years, 0, 0)), "%s; l.TokensAt(t0.AddDate(%d, 0, 0)): capped at the burst", setup, years)
		}
		later := hT0.AddDate(1000, 0, 0)
		assert.True(t, l.AllowN(later, 5), "%s; l.AllowN(t0.AddDate(1000, 0, 0), 5)", setup)
		assert.Equal(t, 0.0, l.TokensAt(later), "%s; l.AllowN(t0.AddDate(1000, 0, 0), 5); l.TokensAt(t0.AddDate(1000, 0, 0))", setup)
	})
	t.Run("slow rate", func(t *testing.T) {
		// 1000 years is longer than a time.Duration can hold; at 1e-9 per
		// second they earn about 31.6 tokens.
		const r = 1e-9
		l, err := tokenbucket.New(r, 100)
		require.NoError(t, err, "tokenbucket.New(1e-09, 100)")
		const setup = "l, _ := tokenbucket.New(1e-09, 100); l.AllowN(t0, 100)"
		require.True(t, l.AllowN(hT0, 100), setup)
		later := hT0.AddDate(1000, 0, 0)
		want := r * float64(later.Unix()-hT0.Unix())
		assert.InDelta(t, want, l.TokensAt(later), 1e-6,
			"%s; l.TokensAt(t0.AddDate(1000, 0, 0)): 1e-9 tokens per second for %d s", setup, later.Unix()-hT0.Unix())
	})
	t.Run("sub-second parts", func(t *testing.T) {
		// 300 years from t0+0.75s to t0+300y+0.25s: the later time's
		// fraction of a second is below the earlier one's, and the whole
		// gap is longer than a time.Duration can hold. The rate is a power
		// of two, so the tokens earned are exact in float64.
		const r = 1.0 / (1 << 30)
		l, err := tokenbucket.New(r, 100)
		require.NoError(t, err, "tokenbucket.New(1/2^30, 100)")
		from := hT0.Add(750 * time.Millisecond)
		later := hT0.AddDate(300, 0, 0).Add(250 * time.Millisecond)
		const setup = "l, _ := tokenbucket.New(1/2^30, 100); l.AllowN(t0+750ms, 100)"
		require.True(t, l.AllowN(from, 100), setup)
		seconds := float64(later.Unix()-from.Unix()) - 0.5 // whole seconds, minus the half second the fractions lose
		assert.Equal(t, r*seconds, l.TokensAt(later),
			"%s; l.TokensAt(t0.AddDate(300, 0, 0).Add(250ms)): 2^-30 tokens per second for %.1f s", setup, seconds)
	})
}

// TestHiddenSetBurstAndSetLimit: reconfiguration settles the balance under
// the old values first; a larger burst adds no tokens, a smaller one caps;
// invalid values change nothing (rules 3, 15).
//
// Category: behaviour
func TestHiddenSetBurstAndSetLimit(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 1, 1)
	require.True(t, s.AllowN(0, 1), "%v", s)

	require.NoError(t, s.SetBurstAt(0, 5), "%v", s)
	assert.Equal(t, 5, s.Burst(), "%v", s)
	assert.Equal(t, 0.0, s.TokensAt(0), "%v: a larger burst adds no tokens", s)

	require.NoError(t, s.SetLimitAt(500*time.Millisecond, 8), "%v", s) // 0.5 tokens earned at 1/s
	assert.Equal(t, "8", hLimit(s.Limit()), "%v", s)
	assert.Equal(t, 1.0, s.TokensAt(500*time.Millisecond+4*hTick), "%v: 0.5 at 1/s, then 0.5 at 8/s", s)

	invalidLimits := []tokenbucket.Limit{-1, tokenbucket.Limit(math.NaN()), tokenbucket.Limit(math.Inf(-1))}
	for _, r := range invalidLimits {
		hWantErr(t, s.SetLimitAt(10*time.Second, r), tokenbucket.ErrInvalidLimit, s.String())
	}
	hWantErr(t, s.SetBurstAt(10*time.Second, -1), tokenbucket.ErrInvalidBurst, s.String())
	assert.Equal(t, "8", hLimit(s.Limit()), "%v: an invalid SetLimitAt changes nothing", s)
	assert.Equal(t, 5, s.Burst(), "%v: an invalid SetBurstAt changes nothing", s)
	assert.Equal(t, 1.0, s.TokensAt(500*time.Millisecond+4*hTick),
		"%v: the invalid Set…At calls at t0+10s must not have moved the remembered time", s)

	require.NoError(t, s.SetBurstAt(time.Second, 2), "%v", s) // 4.5 tokens earned by now
	assert.Equal(t, 2.0, s.TokensAt(time.Second), "%v: a smaller burst caps the balance", s)
	assert.Equal(t, 2.0, s.TokensAt(time.Hour), "%v: capped at the new burst", s)
}

// TestHiddenTokensAtChangesNothing: TokensAt, Limit and Burst only read;
// asking about a later time does not move the remembered time (rule 8).
//
// Category: behaviour
func TestHiddenTokensAtChangesNothing(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 1, 1)
	require.True(t, s.AllowN(0, 1), "%v", s)
	assert.Equal(t, 1.0, s.TokensAt(time.Second), "%v", s)
	assert.Equal(t, "1", hLimit(s.Limit()), "%v", s)
	assert.Equal(t, 1, s.Burst(), "%v", s)
	assert.Equal(t, 0.5, s.TokensAt(500*time.Millisecond), "%v: TokensAt changes nothing", s)
	assert.False(t, s.AllowN(500*time.Millisecond, 1), "%v: TokensAt changes nothing", s)
	assert.Equal(t, 0.0, s.TokensAt(-time.Second), "%v: a time before the remembered time counts as it", s)
}

// TestHiddenWaitDecisionOrder: WaitN checks n > burst before the context,
// and the context before n <= 0 or Inf (rule 16a–c).
//
// Category: behaviour
func TestHiddenWaitDecisionOrder(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		name      string
		r         tokenbucket.Limit
		burst     int
		n         int
		cancelled bool
		want      error
	}{
		{"n > burst beats a done ctx", 8, 1, 2, true, tokenbucket.ErrExceedsBurst},
		{"Inf ignores burst", tokenbucket.Inf, 1, 2, false, nil},
		{"a done ctx beats n == 0", 8, 1, 0, true, context.Canceled},
		{"a done ctx beats Inf", tokenbucket.Inf, 0, 1, true, context.Canceled},
		{"n < 0", 8, 0, -1, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				newCall := fmt.Sprintf("tokenbucket.New(%s, %d)", hLimit(tc.r), tc.burst)
				l, err := tokenbucket.New(tc.r, tc.burst)
				require.NoError(t, err, newCall)
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				ctxText := "a 1h timeout"
				if tc.cancelled {
					cancel()
					ctxText = "ctx already cancelled"
				}
				start := time.Now()
				call := fmt.Sprintf("l, _ := %s; l.WaitN(ctx, %d) with %s", newCall, tc.n, ctxText)
				hWantErr(t, l.WaitN(ctx, tc.n), tc.want, call)
				assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
				assert.Equal(t, float64(tc.burst), l.Tokens(), "%s; l.Tokens(): WaitN took tokens", call)
			})
		})
	}
}

// TestHiddenAlreadyDoneCtx: a context that is already done is reported at
// once even when tokens are available, and nothing is taken (rule 16b).
//
// Category: timing
func TestHiddenAlreadyDoneCtx(t *testing.T) {
	katatest.Guard(t)
	t.Run("cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(8, 2)
			require.NoError(t, err, "tokenbucket.New(8, 2)")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(8, 2); l.WaitN(ctx, 1) with ctx already cancelled"
			hWantErr(t, l.WaitN(ctx, 1), context.Canceled, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			assert.Equal(t, 2.0, l.Tokens(), "%s; l.Tokens(): the refused WaitN took nothing", call)
		})
	})
	t.Run("past its deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(8, 2)
			require.NoError(t, err, "tokenbucket.New(8, 2)")
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			time.Sleep(2 * time.Second)
			start := time.Now()
			const call = "l, _ := tokenbucket.New(8, 2); at 2s: l.WaitN(ctx, 1) with ctx whose 1s timeout has passed"
			hWantErr(t, l.WaitN(ctx, 1), context.DeadlineExceeded, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			assert.Equal(t, 2.0, l.Tokens(), "%s; l.Tokens(): the refused WaitN took nothing", call)
		})
	})
}

// TestHiddenDeadlineFailsFast: a Wait whose due time is not strictly before
// the deadline fails at once and takes nothing; one due just before the
// deadline waits (rule 16e).
//
// Category: timing
func TestHiddenDeadlineFailsFast(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		timeout time.Duration
		ok      bool
	}{
		{100 * time.Millisecond, false},
		{125 * time.Millisecond, false}, // due exactly at the deadline
		{125*time.Millisecond + time.Nanosecond, true},
		{time.Hour, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint("timeout ", tc.timeout), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := tokenbucket.New(8, 1)
				require.NoError(t, err, "tokenbucket.New(8, 1)")
				require.True(t, l.Allow(), "l, _ := tokenbucket.New(8, 1); l.Allow()")
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				start := time.Now()
				call := fmt.Sprintf("l, _ := tokenbucket.New(8, 1); l.Allow(); l.Wait(ctx) with a %v timeout (due in 125ms)", tc.timeout)
				err = l.Wait(ctx)
				if !tc.ok {
					hWantErr(t, err, context.DeadlineExceeded, call)
					assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
					assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens(): the refused Wait took nothing", call)
					return
				}
				hWantErr(t, err, nil, call)
				assert.Equal(t, 125*time.Millisecond, time.Since(start), "%s returned after", call)
				assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens()", call)
			})
		})
	}
}

// TestHiddenWaitFractionalBalance: the due time counts the partial token
// already earned (rules 6, 16e, 17).
//
// Category: timing
func TestHiddenWaitFractionalBalance(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 2)
		require.NoError(t, err, "tokenbucket.New(8, 2)")
		require.True(t, l.AllowN(time.Now(), 2), "l, _ := tokenbucket.New(8, 2); l.AllowN(time.Now(), 2)")
		time.Sleep(4 * hTick) // 62.5 ms: half a token
		start := time.Now()
		const call = "l, _ := tokenbucket.New(8, 2); l.AllowN(time.Now(), 2); at 62.5ms: l.WaitN(ctx, 2) (1.5 tokens missing)"
		hWantErr(t, l.WaitN(context.Background(), 2), nil, call)
		assert.Equal(t, 12*hTick, time.Since(start), "%s returned after", call)
		assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens()", call)
	})
}

// TestHiddenCancelledWaitReturnsTokens: a Wait cancelled before its due
// time gives its tokens back (rule 18).
//
// Category: timing
func TestHiddenCancelledWaitReturnsTokens(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(1, 1)
		require.NoError(t, err, "tokenbucket.New(1, 1)")
		require.True(t, l.Allow(), "l, _ := tokenbucket.New(1, 1); l.Allow()")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(500*time.Millisecond, cancel)
		start := time.Now()
		const call = "l, _ := tokenbucket.New(1, 1); l.Allow(); l.Wait(ctx) with ctx cancelled 500ms later"
		hWantErr(t, l.Wait(ctx), context.Canceled, call)
		assert.Equal(t, 500*time.Millisecond, time.Since(start), "%s returned after", call)
		assert.Equal(t, 0.5, l.Tokens(), "%s; at 500ms: l.Tokens(): the cancelled Wait gives its token back", call)
		time.Sleep(500 * time.Millisecond)
		assert.True(t, l.Allow(), "%s; at 1s: l.Allow()", call)
	})
}

// TestHiddenWaitExactBalanceRememberedLater: a WaitN that finds exactly n
// tokens takes them at once, also when the remembered time is later than
// now (an earlier AllowN was given a later t): now counts as the
// remembered time (rules 7, 16d).
//
// Category: behaviour
func TestHiddenWaitExactBalanceRememberedLater(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(1, 2)
		require.NoError(t, err, "tokenbucket.New(1, 2)")
		start := time.Now()
		require.True(t, l.AllowN(start.Add(time.Hour), 1), "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now().Add(time.Hour), 1)")
		// One token left, remembered at now+1h.
		const call = "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now().Add(time.Hour), 1); l.WaitN(ctx, 1) (exactly 1 token left)"
		hWantErr(t, l.WaitN(context.Background(), 1), nil, call)
		assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
		assert.Equal(t, 0.0, l.TokensAt(start.Add(time.Hour)),
			"%s; l.TokensAt(time.Now().Add(time.Hour)): WaitN took the token at the remembered time, now+1h", call)
	})
}

// TestHiddenWaitDueFromRememberedTime: when the remembered time is later
// than now, the balance grows only from the remembered time, so a Wait's
// due time counts from there, and its reservation keeps that remembered
// time (rules 6, 7, 16e, 17).
//
// Category: timing
func TestHiddenWaitDueFromRememberedTime(t *testing.T) {
	katatest.Guard(t)
	cases := []struct {
		name    string
		timeout time.Duration // 0: no deadline
		want    error
		after   time.Duration
	}{
		{"no deadline", 0, nil, 2 * time.Second},
		{"deadline before the due time", 1500 * time.Millisecond, context.DeadlineExceeded, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l, err := tokenbucket.New(1, 1)
				require.NoError(t, err, "tokenbucket.New(1, 1)")
				start := time.Now()
				require.True(t, l.AllowN(start.Add(time.Second), 1), "l, _ := tokenbucket.New(1, 1); l.AllowN(time.Now().Add(time.Second), 1)")
				// Empty, remembered at now+1s: the next token is due at 2s.
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				ctxText := ""
				if tc.timeout > 0 {
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					ctxText = fmt.Sprintf(" with a %v timeout", tc.timeout)
				}
				defer cancel()
				call := "l, _ := tokenbucket.New(1, 1); l.AllowN(time.Now().Add(time.Second), 1); l.Wait(ctx)" + ctxText
				hWantErr(t, l.Wait(ctx), tc.want, call)
				assert.Equal(t, tc.after, time.Since(start), "%s returned after (the token is due 1s after the remembered time, now+1s)", call)
				if tc.want == nil {
					assert.Equal(t, 0.0, l.Tokens(), "%s; at 2s: l.Tokens()", call)
				}
			})
		})
	}
}

// TestHiddenConcurrentAllowAndSet: AllowN races with readers and with
// Set…At calls that leave the configuration as it was; the grants still
// add up exactly (rule 20; run with -race).
//
// Category: concurrency
func TestHiddenConcurrentAllowAndSet(t *testing.T) {
	katatest.Guard(t)
	const burst = 50
	l, err := tokenbucket.New(8, burst)
	require.NoError(t, err, "tokenbucket.New(8, 50)")
	var granted atomic.Int64
	katatest.Hammer(6, 40, func(g, i int) {
		switch g {
		case 0:
			assert.NoError(t, l.SetLimitAt(hT0, 8), "l.SetLimitAt(t0, 8)")
			_ = l.Limit()
		case 1:
			assert.NoError(t, l.SetBurstAt(hT0, burst), "l.SetBurstAt(t0, 50)")
			_ = l.Burst()
			_ = l.TokensAt(hT0)
		default:
			if l.AllowN(hT0, 1) {
				granted.Add(1)
			}
		}
	})
	const what = "l, _ := tokenbucket.New(8, 50); 4 goroutines call l.AllowN(t0, 1) 40 times each while others call l.SetLimitAt(t0, 8), l.SetBurstAt(t0, 50), l.Limit(), l.Burst() and l.TokensAt(t0)"
	assert.Equal(t, int64(burst), granted.Load(), "%s: how many AllowN were granted", what)
	assert.Equal(t, 0.0, l.TokensAt(hT0), "%s; then l.TokensAt(t0)", what)
}

// hOp is one call of the differential test. Times are offsets from t0.
type hOp struct {
	kind hOpKind
	at   time.Duration
	n    int     // AllowN's n, SetBurstAt's b
	r    float64 // SetLimitAt's r
}

type hOpKind int

const (
	hAllowN hOpKind = iota
	hTokensAt
	hSetLimitAt
	hSetBurstAt
	hLimitOp
	hBurstOp
)

func (o hOp) String() string {
	switch o.kind {
	case hAllowN:
		return fmt.Sprintf("l.AllowN(%s, %d)", hTime(o.at), o.n)
	case hTokensAt:
		return fmt.Sprintf("l.TokensAt(%s)", hTime(o.at))
	case hSetLimitAt:
		return fmt.Sprintf("l.SetLimitAt(%s, %s)", hTime(o.at), hLimit(tokenbucket.Limit(o.r)))
	case hSetBurstAt:
		return fmt.Sprintf("l.SetBurstAt(%s, %d)", hTime(o.at), o.n)
	case hLimitOp:
		return "l.Limit()"
	}
	return "l.Burst()"
}

// hLearnerCall makes op on the learner's limiter and returns its result;
// a panic is a result too.
func hLearnerCall(l *tokenbucket.Limiter, o hOp) (result any) {
	defer func() {
		if p := recover(); p != nil {
			result = fmt.Sprintf("panicked (%v)", p)
		}
	}()
	t := hAt(o.at)
	switch o.kind {
	case hAllowN:
		return l.AllowN(t, o.n)
	case hTokensAt:
		return l.TokensAt(t)
	case hSetLimitAt:
		return hErrClass(l.SetLimitAt(t, tokenbucket.Limit(o.r)), tokenbucket.ErrInvalidLimit, tokenbucket.ErrInvalidBurst)
	case hSetBurstAt:
		return hErrClass(l.SetBurstAt(t, o.n), tokenbucket.ErrInvalidLimit, tokenbucket.ErrInvalidBurst)
	case hLimitOp:
		return hLimit(l.Limit())
	}
	return l.Burst()
}

// hRefCall makes op on the reference limiter.
func hRefCall(l *ref.Limiter, o hOp) any {
	t := hAt(o.at)
	switch o.kind {
	case hAllowN:
		return l.AllowN(t, o.n)
	case hTokensAt:
		return l.TokensAt(t)
	case hSetLimitAt:
		return hErrClass(l.SetLimitAt(t, ref.Limit(o.r)), ref.ErrInvalidLimit, ref.ErrInvalidBurst)
	case hSetBurstAt:
		return hErrClass(l.SetBurstAt(t, o.n), ref.ErrInvalidLimit, ref.ErrInvalidBurst)
	case hLimitOp:
		return hLimit(tokenbucket.Limit(l.Limit()))
	}
	return l.Burst()
}

// hSame compares two results; balances may differ by rounding.
func hSame(got, want any) bool {
	if g, ok := got.(float64); ok {
		w, ok := want.(float64)
		return ok && !math.IsNaN(g) && math.Abs(g-w) <= 1e-9
	}
	return got == want
}

// hErrClass names the sentinel an error matches, so that errors from the
// learner's package and from the reference can be compared.
func hErrClass(err error, invalidLimit, invalidBurst error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, invalidLimit):
		return "ErrInvalidLimit"
	case errors.Is(err, invalidBurst):
		return "ErrInvalidBurst"
	}
	return fmt.Sprintf("%q", err.Error())
}

// hDiff replays ops on a new learner limiter and a new reference limiter,
// both New(r0, b0). It returns the index of the first op whose results
// differ (-1 if none), and the reference's results up to it.
func hDiff(r0 float64, b0 int, ops []hOp) (at int, wants []any, got any) {
	l, err := tokenbucket.New(tokenbucket.Limit(r0), b0)
	if err != nil || l == nil {
		return -1, nil, nil // the test checks New first
	}
	w, _ := ref.New(ref.Limit(r0), b0)
	for i, o := range ops {
		g, want := hLearnerCall(l, o), hRefCall(w, o)
		wants = append(wants, want)
		if !hSame(g, want) {
			return i, wants, g
		}
	}
	return -1, wants, nil
}

// hShrink returns a shorter sequence of ops that still makes the learner's
// limiter differ from the reference: it drops chunks of ops, then single
// ops, while a difference remains, within a budget of replayed calls and
// until the deadline.
func hShrink(r0 float64, b0 int, ops []hOp, deadline time.Time) []hOp {
	budget := 3_000_000
	fails := func(cand []hOp) int {
		budget -= len(cand)
		i, _, _ := hDiff(r0, b0, cand)
		return i
	}
	if i := fails(ops); i >= 0 {
		ops = ops[:i+1]
	}
	for chunk := max(1, len(ops)/2); ; {
		removed := false
		for i := 0; i < len(ops) && budget > 0 && time.Now().Before(deadline); {
			cand := slices.Concat(ops[:i], ops[min(len(ops), i+chunk):])
			if j := fails(cand); j >= 0 {
				ops, removed = cand[:j+1], true
			} else {
				i += chunk
			}
		}
		if budget <= 0 || !time.Now().Before(deadline) || chunk == 1 && !removed {
			return ops
		}
		chunk = max(1, chunk/2)
	}
}

// TestHiddenDifferential drives the learner's limiter and the reference
// with the same 10,000 random AllowN, TokensAt, SetLimitAt, SetBurstAt,
// Limit and Burst calls, with exact binary rates and times that mostly move
// forward and sometimes step back, and requires the same answers. A
// difference is reported as the shortest call sequence found that
// reproduces it (all rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	katatest.Guard(t)
	start := time.Now()
	const steps = 10_000
	rng := rand.New(rand.NewPCG(1, 2))
	rates := []float64{0, 0.5, 1, 2, 4, 8, 8}
	r0, b0 := rates[rng.IntN(len(rates))], rng.IntN(9)
	hNew(t, tokenbucket.Limit(r0), b0)
	var ops []hOp
	var now time.Duration
	for range steps {
		if rng.IntN(5) == 0 {
			now -= time.Duration(1+rng.IntN(64)) * hTick
		} else {
			now += time.Duration(rng.IntN(33)) * hTick
		}
		switch op := rng.IntN(20); {
		case op < 10:
			ops = append(ops, hOp{kind: hAllowN, at: now, n: rng.IntN(11) - 1})
		case op < 14:
			ops = append(ops, hOp{kind: hTokensAt, at: now})
		case op < 17:
			r := rates[rng.IntN(len(rates))]
			switch rng.IntN(10) {
			case 0:
				r = -1
			case 1:
				r = math.NaN()
			}
			ops = append(ops, hOp{kind: hSetLimitAt, at: now, r: r})
		case op < 19:
			ops = append(ops, hOp{kind: hSetBurstAt, at: now, n: rng.IntN(10) - 1})
		default:
			ops = append(ops, hOp{kind: hLimitOp}, hOp{kind: hBurstOp})
		}
		// A read after every step catches a wrong state early.
		ops = append(ops, hOp{kind: hTokensAt, at: now + time.Duration(rng.IntN(17))*hTick})
	}

	i, _, _ := hDiff(r0, b0, ops)
	if i < 0 {
		return
	}
	short := hShrink(r0, b0, ops, start.Add(3*time.Second)) // the hang guard allows 5 s in all
	i, wants, got := hDiff(r0, b0, short)
	calls := []string{fmt.Sprintf("l, _ := tokenbucket.New(%s, %d)", hLimit(tokenbucket.Limit(r0)), b0)}
	for j, o := range short[:i] {
		calls = append(calls, fmt.Sprintf("%v = %s", o, hResult(wants[j])))
	}
	calls = append(calls, fmt.Sprintf("%v = %s, want %s", short[i], hResult(got), hResult(wants[i])))
	t.Fatalf("%s (the shortest sequence found, shrunk from %d random calls)", strings.Join(calls, "; "), len(ops))
}

// The tests below call the limiter while a Wait is pending, so they use a
// real-time watchdog: a solution that sleeps while holding its lock stops
// virtual time (a goroutine waiting for a sync.Mutex is not durably
// blocked), and only the watchdog's panic can end such a test. The
// watchdog fires before the hang guard, so that its message names the
// likely cause. They stay last in the file.

// lockHeld is the watchdogs' explanation.
const lockHeld = "virtual time stopped while a Wait was pending: does WaitN sleep while holding the limiter's lock?"

// hLockHang is the watchdogs' timeout, shorter than the hang guard's.
const hLockHang = katatest.GuardTimeout - time.Second

// TestHiddenZeroRateOnlyInitialBurst: with limit 0 the initial burst is all
// there will ever be; a Wait with a deadline gives up at once and one
// without a deadline blocks until cancelled, taking nothing (rules 14, 16e,
// 19).
//
// Category: boundary
func TestHiddenZeroRateOnlyInitialBurst(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	t.Run("AllowN over an hour", func(t *testing.T) {
		s := hNew(t, 0, 3)
		granted := 0
		for m := 0; m <= 60; m += 5 {
			if s.AllowN(time.Duration(m)*time.Minute, 1) {
				granted++
			}
		}
		assert.Equal(t, 3, granted, "l, _ := tokenbucket.New(0, 3); l.AllowN(t0+k×5m, 1) for k = 0 to 12: how many were granted")
		assert.Equal(t, 0.0, s.TokensAt(1000*time.Hour), "%v: limit 0 earns nothing", s)
	})
	t.Run("held tokens stay", func(t *testing.T) {
		s := hNew(t, 0, 3)
		require.True(t, s.AllowN(0, 2), "%v", s)
		assert.Equal(t, 1.0, s.TokensAt(1000*time.Hour), "%v: limit 0 keeps what is held", s)
		assert.True(t, s.AllowN(1000*time.Hour, 1), "%v: limit 0 keeps what is held", s)
		assert.False(t, s.AllowN(2000*time.Hour, 1), "%v: limit 0 earns nothing", s)
	})
	t.Run("Wait with a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(0, 3)
			require.NoError(t, err, "tokenbucket.New(0, 3)")
			require.True(t, l.AllowN(time.Now(), 3), "l, _ := tokenbucket.New(0, 3); l.AllowN(time.Now(), 3)")
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(0, 3); l.AllowN(time.Now(), 3); l.Wait(ctx) with a 1h timeout"
			hWantErr(t, l.Wait(ctx), context.DeadlineExceeded, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens(): the refused Wait took nothing", call)
		})
	})
	t.Run("Wait without a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(0, 3)
			require.NoError(t, err, "tokenbucket.New(0, 3)")
			require.True(t, l.AllowN(time.Now(), 3), "l, _ := tokenbucket.New(0, 3); l.AllowN(time.Now(), 3)")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(0, 3); l.AllowN(time.Now(), 3); go l.Wait(ctx) without a deadline"
			done := hGo(func() error { return l.Wait(ctx) })
			time.Sleep(time.Hour)
			hStillBlocked(t, done, call+", 1h later")
			assert.Equal(t, 0.0, l.Tokens(), "%s; at 1h: l.Tokens(): a Wait that can never be served takes nothing", call)
			cancel()
			hWantErr(t, <-done, context.Canceled, call+"; at 1h: cancel()")
			assert.Equal(t, time.Hour, time.Since(start), "%s; at 1h: cancel(): Wait returned after", call)
			assert.Equal(t, 0.0, l.Tokens(), "%s; at 1h: cancel(); l.Tokens()", call)
		})
	})
}

// TestHiddenTinyRateNoOverflow: a due time further away than a
// time.Duration can express never comes: a Wait with a deadline gives up at
// once and one without blocks until cancelled, taking nothing (rules 9,
// 16e, 19).
//
// Category: boundary
func TestHiddenTinyRateNoOverflow(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	const r = 1e-10 // the next token is 317 years away
	t.Run("Allow", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(r, 1)
			require.NoError(t, err, "tokenbucket.New(1e-10, 1)")
			assert.True(t, l.Allow(), "l, _ := tokenbucket.New(1e-10, 1); l.Allow(): a new limiter is full")
			assert.False(t, l.Allow(), "l, _ := tokenbucket.New(1e-10, 1); l.Allow(); l.Allow(): the next token is 317 years away")
		})
	})
	t.Run("Wait with a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(r, 1)
			require.NoError(t, err, "tokenbucket.New(1e-10, 1)")
			require.True(t, l.Allow(), "l, _ := tokenbucket.New(1e-10, 1); l.Allow()")
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(1e-10, 1); l.Allow(); l.Wait(ctx) with a 1h timeout (due in 317 years)"
			hWantErr(t, l.Wait(ctx), context.DeadlineExceeded, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens(): the refused Wait took nothing", call)
		})
	})
	t.Run("Wait without a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(r, 1)
			require.NoError(t, err, "tokenbucket.New(1e-10, 1)")
			require.True(t, l.Allow(), "l, _ := tokenbucket.New(1e-10, 1); l.Allow()")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(1e-10, 1); l.Allow(); go l.Wait(ctx) without a deadline (due in 317 years)"
			done := hGo(func() error { return l.Wait(ctx) })
			time.Sleep(24 * time.Hour)
			hStillBlocked(t, done, call+", 24h later")
			assert.InDelta(t, r*86400, l.Tokens(), 1e-12, "%s; at 24h: l.Tokens(): the blocked Wait must take nothing", call)
			cancel()
			hWantErr(t, <-done, context.Canceled, call+"; at 24h: cancel()")
			assert.Equal(t, 24*time.Hour, time.Since(start), "%s; at 24h: cancel(): Wait returned after", call)
		})
	})
}

// TestHiddenDueJustBeyondDuration: at one token per 2^63 ns a missing
// token is due exactly 2^63 ns away, one nanosecond beyond the largest
// time.Duration, so its due time never comes: a Wait with a deadline gives
// up at once, one without blocks until cancelled (rules 9, 16e, 19).
//
// Category: boundary
func TestHiddenDueJustBeyondDuration(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	const r = tokenbucket.Limit(1e9 / (1 << 63)) // one token per 2^63 ns
	t.Run("Wait with a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(r, 1)
			require.NoError(t, err, "tokenbucket.New(1e9/2^63, 1)")
			require.True(t, l.Allow(), "l, _ := tokenbucket.New(1e9/2^63, 1); l.Allow()")
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(1e9/2^63, 1); l.Allow(); l.Wait(ctx) with a 1h timeout (due in 2^63 ns, beyond a time.Duration)"
			hWantErr(t, l.Wait(ctx), context.DeadlineExceeded, call)
			assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
			assert.Equal(t, 0.0, l.Tokens(), "%s; l.Tokens(): the refused Wait took nothing", call)
		})
	})
	t.Run("Wait without a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, err := tokenbucket.New(r, 1)
			require.NoError(t, err, "tokenbucket.New(1e9/2^63, 1)")
			require.True(t, l.Allow(), "l, _ := tokenbucket.New(1e9/2^63, 1); l.Allow()")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			const call = "l, _ := tokenbucket.New(1e9/2^63, 1); l.Allow(); go l.Wait(ctx) without a deadline (due in 2^63 ns, beyond a time.Duration)"
			done := hGo(func() error { return l.Wait(ctx) })
			time.Sleep(time.Hour)
			hStillBlocked(t, done, call+", 1h later")
			cancel()
			hWantErr(t, <-done, context.Canceled, call+"; at 1h: cancel()")
			assert.Equal(t, time.Hour, time.Since(start), "%s; at 1h: cancel(): Wait returned after", call)
		})
	})
}

// TestHiddenWaitReservesTokens: a pending Wait has already spent its
// tokens: the balance is negative and later requests queue behind it
// (rules 8, 17).
//
// Category: timing
func TestHiddenWaitReservesTokens(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		st := hBegin("l, _ := tokenbucket.New(8, 1)")
		require.True(t, l.Allow(), st.call("l.Allow()"))
		st.result("true")
		start := time.Now()
		first := hGo(func() error { return l.Wait(ctx) })
		hStillBlocked(t, first, st.call("go l.Wait(ctx) (the first)"))
		assert.Equal(t, -1.0, l.Tokens(), "%s: one Wait is pending", st.call("l.Tokens()"))
		st.result("-1")
		assert.False(t, l.Allow(), "%s: the pending Wait holds the next token", st.call("l.Allow()"))
		st.result("false")
		second := hGo(func() error { return l.Wait(ctx) })
		hStillBlocked(t, second, st.call("go l.Wait(ctx) (the second)"))
		assert.Equal(t, -2.0, l.Tokens(), "%s: two Waits are pending", st.call("l.Tokens()"))
		st.result("-2")

		msg := st.call("the first Wait returns")
		if err, ok := hRecv(t, first, time.Hour, msg); ok {
			hWantErr(t, err, nil, msg)
			assert.Equal(t, 125*time.Millisecond, time.Since(start), "%s after", msg)
		}
		assert.False(t, l.Allow(), "%s: that token is the second Wait's", st.call("l.Allow()"))
		st.result("false")
		msg = st.call("the second Wait returns")
		if err, ok := hRecv(t, second, time.Hour, msg); ok {
			hWantErr(t, err, nil, msg)
			assert.Equal(t, 250*time.Millisecond, time.Since(start), "%s after", msg)
		}
		assert.Equal(t, 0.0, l.Tokens(), st.call("l.Tokens()"))
	})
}

// TestHiddenWaitZeroWhileReserved: WaitN(ctx, 0) returns nil at once and
// changes nothing, also while a pending Wait has made the balance negative
// (rule 16c).
//
// Category: behaviour
func TestHiddenWaitZeroWhileReserved(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		require.True(t, l.Allow(), "l, _ := tokenbucket.New(8, 1); l.Allow()")
		start := time.Now()
		pctx, pcancel := context.WithCancel(context.Background())
		defer pcancel()
		pending := hGo(func() error { return l.Wait(pctx) })
		const setup = "l, _ := tokenbucket.New(8, 1); l.Allow(); go l.Wait(ctx)"
		hStillBlocked(t, pending, setup)
		assert.Equal(t, -1.0, l.Tokens(), "%s; l.Tokens(): one Wait is pending", setup)

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		const call = setup + "; l.WaitN(ctx, 0) with a 100ms timeout"
		hWantErr(t, l.WaitN(ctx, 0), nil, call)
		assert.Equal(t, time.Duration(0), time.Since(start), "%s returned after", call)
		assert.Equal(t, -1.0, l.Tokens(), "%s; l.Tokens(): WaitN(ctx, 0) changes nothing", call)
		if err, ok := hRecv(t, pending, time.Hour, call+": the pending Wait"); ok {
			hWantErr(t, err, nil, call+": the pending Wait")
			assert.Equal(t, 125*time.Millisecond, time.Since(start), "%s: the pending Wait returned after", call)
		}
	})
}

// TestHiddenCancelRefundOnlyForNewest: a cancelled Wait gives its tokens
// back only if every later reservation has been given back; otherwise the
// later Waits keep their due times (rule 18).
//
// Category: timing
func TestHiddenCancelRefundOnlyForNewest(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	type waiter struct {
		done   <-chan error
		cancel context.CancelFunc
	}
	// setup exhausts a 1/s, burst 1 limiter and queues two Waits, due at
	// 1 s and 2 s.
	const setup = "l, _ := tokenbucket.New(1, 1); l.Allow(); go l.Wait(ctx1); go l.Wait(ctx2)"
	start := func(t *testing.T) (*tokenbucket.Limiter, waiter, waiter) {
		l, err := tokenbucket.New(1, 1)
		require.NoError(t, err, "tokenbucket.New(1, 1)")
		require.True(t, l.Allow(), "l, _ := tokenbucket.New(1, 1); l.Allow()")
		var ws [2]waiter
		for i := range ws {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			ws[i] = waiter{hGo(func() error { return l.Wait(ctx) }), cancel}
			hStillBlocked(t, ws[i].done, fmt.Sprintf("l, _ := tokenbucket.New(1, 1); l.Allow(); go l.Wait(ctx%d)", i+1))
		}
		require.Equal(t, -2.0, l.Tokens(), "%s; l.Tokens(): two pending Waits", setup)
		return l, ws[0], ws[1]
	}
	t.Run("older cancelled first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, older, newer := start(t)
			begin := time.Now()
			time.Sleep(500 * time.Millisecond)
			older.cancel()
			const call = setup + "; at 500ms: cancel ctx1"
			hWantErr(t, <-older.done, context.Canceled, call+": l.Wait(ctx1)")
			assert.Equal(t, -1.5, l.Tokens(), "%s; l.Tokens(): nothing is given back while a later Wait holds its reservation", call)
			if err, ok := hRecv(t, newer.done, time.Hour, call+": l.Wait(ctx2)"); ok {
				hWantErr(t, err, nil, call+": l.Wait(ctx2)")
				assert.Equal(t, 2*time.Second, time.Since(begin), "%s: l.Wait(ctx2) returned after (it keeps its due time)", call)
			}
			assert.Equal(t, 0.0, l.Tokens(), "%s; at 2s: l.Tokens()", call)
		})
	})
	t.Run("newer cancelled first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, older, newer := start(t)
			time.Sleep(500 * time.Millisecond)
			newer.cancel()
			const call = setup + "; at 500ms: cancel ctx2"
			hWantErr(t, <-newer.done, context.Canceled, call+": l.Wait(ctx2)")
			assert.Equal(t, -0.5, l.Tokens(), "%s; l.Tokens(): the newest Wait gives its token back", call)
			time.Sleep(250 * time.Millisecond)
			older.cancel()
			const call2 = call + "; at 750ms: cancel ctx1"
			hWantErr(t, <-older.done, context.Canceled, call2+": l.Wait(ctx1)")
			assert.Equal(t, 0.75, l.Tokens(), "%s; l.Tokens(): with the later Wait given back, the older one gives back too", call2)
		})
	})
}

// TestHiddenCancelRefundCappedAtBurst: tokens given back by a cancelled
// Wait never lift the balance above burst (rule 18).
//
// Category: timing
func TestHiddenCancelRefundCappedAtBurst(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(1, 2)
		require.NoError(t, err, "tokenbucket.New(1, 2)")
		require.True(t, l.AllowN(time.Now(), 2), "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2)")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := hGo(func() error { return l.WaitN(ctx, 2) }) // due at 2 s
		const setup = "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2); go l.WaitN(ctx, 2)"
		hStillBlocked(t, done, setup)
		time.Sleep(500 * time.Millisecond)
		assert.NoError(t, l.SetLimit(8), setup+"; at 500ms: l.SetLimit(8)") // -1.5 tokens now, +8 per second
		time.Sleep(375 * time.Millisecond)
		const call = setup + "; at 500ms: l.SetLimit(8); at 875ms: l.Tokens()"
		assert.Equal(t, 1.5, l.Tokens(), call)
		cancel()
		const call2 = setup + "; at 500ms: l.SetLimit(8); at 875ms: cancel()"
		hWantErr(t, <-done, context.Canceled, call2+": l.WaitN(ctx, 2)")
		assert.Equal(t, 2.0, l.Tokens(), "%s; l.Tokens(): 1.5 + 2 given back, capped at burst 2", call2)
	})
}

// TestHiddenSetLimitKeepsDueTimes: changing the limit does not move the due
// time of a pending Wait (rule 15).
//
// Category: timing
func TestHiddenSetLimitKeepsDueTimes(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(1, 2)
		require.NoError(t, err, "tokenbucket.New(1, 2)")
		require.True(t, l.AllowN(time.Now(), 2), "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2)")
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := hGo(func() error { return l.WaitN(ctx, 2) }) // due at 2 s
		const setup = "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2); go l.WaitN(ctx, 2)"
		hStillBlocked(t, done, setup)
		time.Sleep(500 * time.Millisecond)
		assert.NoError(t, l.SetLimit(8), setup+"; at 500ms: l.SetLimit(8)")
		assert.NoError(t, l.SetBurst(4), setup+"; at 500ms: l.SetLimit(8); l.SetBurst(4)")
		time.Sleep(time.Second)
		const call = setup + "; at 500ms: l.SetLimit(8); l.SetBurst(4)"
		hStillBlocked(t, done, call+"; at 1.5s: l.WaitN(ctx, 2), due at 2s,")
		assert.Equal(t, 4.0, l.Tokens(), "%s; at 1.5s: l.Tokens(): -1.5 + 8 × 1, capped at 4", call)
		if err, ok := hRecv(t, done, time.Hour, call+": l.WaitN(ctx, 2)"); ok {
			hWantErr(t, err, nil, call+": l.WaitN(ctx, 2)")
			assert.Equal(t, 2*time.Second, time.Since(start), "%s: l.WaitN(ctx, 2) returned after (it keeps its due time)", call)
		}
	})
}

// TestHiddenLeavingInfRefills: leaving Inf for a finite limit fills the
// bucket, whatever pending Waits had reserved; they keep their due times
// (rules 13, 15).
//
// Category: timing
func TestHiddenLeavingInfRefills(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(1, 2)
		require.NoError(t, err, "tokenbucket.New(1, 2)")
		require.True(t, l.AllowN(time.Now(), 2), "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2)")
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := hGo(func() error { return l.Wait(ctx) }) // due at 1 s
		const setup = "l, _ := tokenbucket.New(1, 2); l.AllowN(time.Now(), 2); go l.Wait(ctx)"
		hStillBlocked(t, done, setup)
		assert.Equal(t, -1.0, l.Tokens(), "%s; l.Tokens()", setup)
		time.Sleep(250 * time.Millisecond)
		const call = setup + "; at 250ms: l.SetLimit(tokenbucket.Inf)"
		assert.NoError(t, l.SetLimit(tokenbucket.Inf), call)
		assert.Equal(t, 2.0, l.Tokens(), "%s; l.Tokens(): with limit Inf it is Burst()", call)
		assert.True(t, l.AllowN(time.Now(), 5), "%s; l.AllowN(time.Now(), 5): limit Inf grants any n", call)
		time.Sleep(250 * time.Millisecond)
		const call2 = call + "; l.AllowN(time.Now(), 5); at 500ms: l.SetLimit(1)"
		assert.NoError(t, l.SetLimit(1), call2)
		assert.Equal(t, 2.0, l.Tokens(), "%s; l.Tokens(): leaving Inf fills the bucket", call2)
		if err, ok := hRecv(t, done, time.Hour, call2+": l.Wait(ctx)"); ok {
			hWantErr(t, err, nil, call2+": l.Wait(ctx)")
			assert.Equal(t, time.Second, time.Since(start), "%s: l.Wait(ctx) returned after (it keeps its due time)", call2)
			assert.Equal(t, 2.0, l.Tokens(), "%s; at 1s: l.Tokens()", call2)
		}
	})
}

// TestHiddenConcurrentWaitersFIFO: 40 concurrent Waits on 8/s, burst 1
// return exactly 125 ms apart, the first at once (rules 17, 20, 21).
//
// Category: concurrency
func TestHiddenConcurrentWaitersFIFO(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		const waiters = 40
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		start := time.Now()
		var (
			mu   sync.Mutex
			got  []time.Duration
			errs []string
			wg   sync.WaitGroup
		)
		for range waiters {
			wg.Go(func() {
				err := l.Wait(context.Background())
				mu.Lock()
				defer mu.Unlock()
				got = append(got, time.Since(start))
				if err != nil {
					errs = append(errs, hErr(err))
				}
			})
		}
		wg.Wait()
		const what = "l, _ := tokenbucket.New(8, 1); 40 goroutines call l.Wait(ctx) at once"
		assert.Empty(t, errs, "%s: errors returned", what)
		slices.Sort(got)
		for i, d := range got {
			if want := time.Duration(i) * 125 * time.Millisecond; d != want {
				t.Errorf("%s: Wait number %d (in order of return) returned after %v, want %v (one every 125ms, the first at once)", what, i+1, d, want)
				break
			}
		}
		assert.Equal(t, 4875*time.Millisecond, time.Since(start), "%s: all returned after", what)
		assert.Equal(t, 0.0, l.Tokens(), "%s; at 4.875s: l.Tokens()", what)
	})
}

// TestHiddenWaitDoesNotHoldLock: while a Wait blocks, the other methods
// return without waiting for it (rule 21).
//
// Category: concurrency
func TestHiddenWaitDoesNotHoldLock(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, hLockHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l, err := tokenbucket.New(8, 1)
		require.NoError(t, err, "tokenbucket.New(8, 1)")
		require.True(t, l.Allow(), "l, _ := tokenbucket.New(8, 1); l.Allow()")
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := hGo(func() error { return l.Wait(ctx) })
		const setup = "l, _ := tokenbucket.New(8, 1); l.Allow(); go l.Wait(ctx)"
		hStillBlocked(t, done, setup)
		// Each of these would block on a lock held by the sleeping Wait.
		assert.Equal(t, -1.0, l.Tokens(), "%s; l.Tokens()", setup)
		assert.False(t, l.AllowN(time.Now(), 1), "%s; l.Tokens(); l.AllowN(time.Now(), 1)", setup)
		assert.Equal(t, "8", hLimit(l.Limit()), "%s; l.Limit()", setup)
		assert.NoError(t, l.SetBurst(2), "%s; l.SetBurst(2)", setup)
		assert.Equal(t, 2, l.Burst(), "%s; l.SetBurst(2); l.Burst()", setup)
		assert.Equal(t, time.Duration(0), time.Since(start), "%s; then l.Tokens(), l.AllowN, l.Limit(), l.SetBurst(2) and l.Burst() took (virtual time)", setup)
		if err, ok := hRecv(t, done, time.Hour, setup+": l.Wait(ctx)"); ok {
			hWantErr(t, err, nil, setup+": l.Wait(ctx)")
			assert.Equal(t, 125*time.Millisecond, time.Since(start), "%s: l.Wait(ctx) returned after", setup)
		}
	})
}
