//go:build microkata_hidden

package tokenbucket_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// hT0 is the base time of the tests that pass times explicitly.
var hT0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// hTick is 1/64 s: with rates of 0.5 to 8 per second, balances after whole
// ticks are exact in float64.
const hTick = 15625 * time.Microsecond

// hAt returns hT0 + d.
func hAt(d time.Duration) time.Time { return hT0.Add(d) }

// hNew is New that fails the test on error.
func hNew(t testing.TB, r tokenbucket.Limit, burst int) *tokenbucket.Limiter {
	t.Helper()
	l, err := tokenbucket.New(r, burst)
	require.NoError(t, err, "New(%v, %d)", r, burst)
	require.NotNil(t, l, "New(%v, %d)", r, burst)
	return l
}

// blocked starts f on a new goroutine and returns the channel that receives
// its result. Call it inside a bubble.
func blocked(f func() error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return done
}

// requireStillBlocked fails the test if the call behind done has returned.
// Call it inside a bubble; it waits until every other goroutine is blocked.
func requireStillBlocked(t *testing.T, done <-chan error, what string) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-done:
		require.Failf(t, "returned too early", "%s returned %v, but it must still be blocked", what, err)
	default:
	}
}

// TestHiddenZeroValueLimiter: the zero Limiter works and behaves like
// New(0, 0): only requests for no tokens are granted (rule 4).
//
// Category: config
func TestHiddenZeroValueLimiter(t *testing.T) {
	var l tokenbucket.Limiter
	assert.Equal(t, tokenbucket.Limit(0), l.Limit(), "Limit()")
	assert.Equal(t, 0, l.Burst(), "Burst()")
	assert.Equal(t, 0.0, l.TokensAt(hT0), "TokensAt(t0)")
	assert.False(t, l.AllowN(hT0, 1), "AllowN(t0, 1)")
	assert.True(t, l.AllowN(hT0, 0), "AllowN(t0, 0)")
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		assert.ErrorIs(t, l.WaitN(ctx, 1), tokenbucket.ErrExceedsBurst, "WaitN(ctx, 1)")
		assert.NoError(t, l.WaitN(ctx, 0), "WaitN(ctx, 0)")
		assert.Equal(t, time.Duration(0), time.Since(start), "WaitN returned after")
	})
	// Like New(0, 0): a larger burst adds no tokens, and limit 0 earns none.
	require.NoError(t, l.SetBurstAt(hT0, 2))
	assert.Equal(t, 0.0, l.TokensAt(hAt(time.Hour)), "TokensAt after SetBurstAt(t0, 2) with limit 0")
	assert.False(t, l.AllowN(hAt(time.Hour), 1), "AllowN(t0+1h, 1) after SetBurstAt(t0, 2)")
	require.NoError(t, l.SetLimitAt(hAt(time.Hour), 8))
	assert.True(t, l.AllowN(hAt(time.Hour+125*time.Millisecond), 1), "one token 125 ms after SetLimitAt(8)")
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
		assert.Equal(t, tc.want, tokenbucket.Every(tc.d), "Every(%v)", tc.d)
	}
}

// TestHiddenBurstZeroFiniteRate: with a finite limit and burst 0 nothing is
// ever granted, and WaitN refuses at once instead of blocking (rules 11, 16a).
//
// Category: boundary
func TestHiddenBurstZeroFiniteRate(t *testing.T) {
	t.Run("AllowN", func(t *testing.T) {
		l := hNew(t, 10, 0)
		assert.False(t, l.AllowN(hT0, 1), "AllowN(t0, 1)")
		assert.False(t, l.AllowN(hAt(time.Hour), 1), "AllowN(t0+1h, 1)")
		assert.Equal(t, 0.0, l.TokensAt(hAt(time.Hour)))
		assert.True(t, l.AllowN(hAt(time.Hour), 0), "AllowN(t0+1h, 0)")
	})
	t.Run("WaitN", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 10, 0)
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			assert.ErrorIs(t, l.WaitN(ctx, 1), tokenbucket.ErrExceedsBurst)
			assert.Equal(t, time.Duration(0), time.Since(start), "WaitN(ctx, 1) returned after")
			assert.NoError(t, l.WaitN(ctx, 0), "WaitN(ctx, 0)")
			assert.Equal(t, 0.0, l.Tokens())
		})
	})
}

// TestHiddenInfNoNaN: Inf grants at identical times without a NaN, +Inf is
// stored as Inf, and leaving Inf leaves a full bucket (rules 1, 13, 15).
//
// Category: boundary
func TestHiddenInfNoNaN(t *testing.T) {
	t.Run("burst 0", func(t *testing.T) {
		l := hNew(t, tokenbucket.Inf, 0)
		assert.True(t, l.AllowN(hT0, 1))
		assert.True(t, l.AllowN(hT0, 1))
		assert.True(t, l.AllowN(hT0, 1000))
		tokens := l.TokensAt(hT0)
		assert.False(t, math.IsNaN(tokens), "TokensAt is NaN")
		assert.Equal(t, 0.0, tokens)
	})
	t.Run("+Inf", func(t *testing.T) {
		l := hNew(t, tokenbucket.Limit(math.Inf(1)), 2)
		assert.Equal(t, tokenbucket.Inf, l.Limit(), "New(+Inf, 2).Limit()")
		assert.True(t, l.AllowN(hT0, 5), "AllowN(t0, 5) with limit Inf")
		assert.Equal(t, 2.0, l.TokensAt(hT0), "TokensAt with limit Inf is Burst()")
		require.NoError(t, l.SetLimitAt(hT0, 1))
		assert.Equal(t, 2.0, l.TokensAt(hT0), "TokensAt after leaving Inf at the same t")
		require.NoError(t, l.SetLimitAt(hT0, tokenbucket.Limit(math.Inf(1))))
		assert.Equal(t, tokenbucket.Inf, l.Limit(), "SetLimitAt(t0, +Inf) then Limit()")
		assert.Equal(t, 2.0, l.TokensAt(hT0))
	})
}

// TestHiddenFailedRequestDoesNotConsume: a refused request, whether AllowN
// or a WaitN refused on its deadline, changes nothing: no tokens and no
// remembered time (rules 12, 16e).
//
// Category: behaviour
func TestHiddenFailedRequestDoesNotConsume(t *testing.T) {
	t.Run("n > burst", func(t *testing.T) {
		l := hNew(t, 1, 2)
		assert.False(t, l.AllowN(hT0, 3))
		assert.True(t, l.AllowN(hT0, 2), "AllowN(t0, 2) after a refusal")
	})
	t.Run("not enough tokens", func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(hT0, 2))
		assert.False(t, l.AllowN(hAt(500*time.Millisecond), 1))
		assert.Equal(t, 0.5, l.TokensAt(hAt(500*time.Millisecond)))
		assert.True(t, l.AllowN(hAt(time.Second), 1))
	})
	t.Run("remembered time stays", func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(hT0, 2))
		assert.False(t, l.AllowN(hAt(1500*time.Millisecond), 2), "1.5 tokens at 1.5 s")
		assert.True(t, l.AllowN(hAt(time.Second), 1), "1 token at 1 s")
		assert.Equal(t, 0.0, l.TokensAt(hAt(time.Second)), "the refusal at 1.5 s must not have moved the remembered time")
		assert.Equal(t, 0.5, l.TokensAt(hAt(1500*time.Millisecond)))
	})
	t.Run("WaitN refused on its deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 8, 2)
			require.True(t, l.AllowN(time.Now(), 2))
			time.Sleep(4 * hTick) // half a token
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			assert.ErrorIs(t, l.WaitN(ctx, 1), context.DeadlineExceeded, "due in 62.5 ms, deadline in 50 ms")
			assert.Equal(t, 0.5, l.Tokens())
			time.Sleep(4 * hTick)
			assert.Equal(t, 1.0, l.Tokens())
		})
	})
}

// TestHiddenClockBackwardsNoMint: a time earlier than the remembered time
// counts as the remembered time; it never moves it back, so it can never
// re-earn tokens (rule 7).
//
// Category: behaviour
func TestHiddenClockBackwardsNoMint(t *testing.T) {
	t.Run("AllowN", func(t *testing.T) {
		l := hNew(t, 1, 2)
		t1 := hAt(time.Hour)
		require.True(t, l.AllowN(t1, 1))
		require.True(t, l.AllowN(t1.Add(-time.Second), 1), "AllowN(t1-1s, 1) counts as t1")
		assert.False(t, l.AllowN(t1, 1), "AllowN(t1, 1) after spending both tokens")
		assert.Equal(t, 0.0, l.TokensAt(t1.Add(-10*time.Second)))
		assert.Equal(t, 0.5, l.TokensAt(t1.Add(500*time.Millisecond)))
	})
	t.Run("SetLimitAt", func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(hAt(time.Second), 2))
		require.NoError(t, l.SetLimitAt(hT0, 8)) // counts as t0+1s
		assert.Equal(t, 1.0, l.TokensAt(hAt(time.Second+125*time.Millisecond)))
	})
	t.Run("SetBurstAt", func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(hAt(time.Second), 2))
		require.NoError(t, l.SetBurstAt(hT0, 4)) // counts as t0+1s
		assert.Equal(t, 0.5, l.TokensAt(hAt(1500*time.Millisecond)))
	})
}

// TestHiddenFrequentPollingAccrues: polling faster than tokens arrive still
// earns them at the full rate; nothing is rounded away (rule 6).
//
// Category: behaviour
func TestHiddenFrequentPollingAccrues(t *testing.T) {
	l := hNew(t, 4, 1)
	require.True(t, l.AllowN(hT0, 1))
	var grants []int
	for i := 1; i <= 16; i++ { // every 62.5 ms for one second
		if l.AllowN(hAt(time.Duration(i)*4*hTick), 1) {
			grants = append(grants, i)
		}
	}
	assert.Equal(t, []int{4, 8, 12, 16}, grants, "polls (every 62.5 ms) that were granted")
}

// TestHiddenFractionalRateFirstAllow: a new limiter is full whatever its
// rate (rule 5; golang/go#34861).
//
// Category: boundary
func TestHiddenFractionalRateFirstAllow(t *testing.T) {
	const r = tokenbucket.Limit(0.7692307692307693)
	l := hNew(t, r, 1)
	assert.True(t, l.Allow(), "first Allow")
	l = hNew(t, r, 1)
	assert.Equal(t, 1.0, l.TokensAt(hT0))
	assert.True(t, l.AllowN(hT0, 1), "first AllowN")
}

// TestHiddenLongIdleNoOverflow: centuries of idle time neither overflow
// nor lose the tokens a slow rate earns in them (rules 6, 9).
//
// Category: boundary
func TestHiddenLongIdleNoOverflow(t *testing.T) {
	t.Run("fast rate", func(t *testing.T) {
		l := hNew(t, 1e9, 5)
		require.True(t, l.AllowN(hT0, 5))
		for _, years := range []int{200, 1000} {
			later := hT0.AddDate(years, 0, 0)
			assert.Equal(t, 5.0, l.TokensAt(later), "TokensAt %d years later", years)
		}
		later := hT0.AddDate(1000, 0, 0)
		assert.True(t, l.AllowN(later, 5))
		assert.Equal(t, 0.0, l.TokensAt(later))
	})
	t.Run("slow rate", func(t *testing.T) {
		// 1000 years is longer than a time.Duration can hold; at 1e-9 per
		// second they earn about 31.6 tokens.
		const r = 1e-9
		l := hNew(t, r, 100)
		require.True(t, l.AllowN(hT0, 100))
		later := hT0.AddDate(1000, 0, 0)
		want := r * float64(later.Unix()-hT0.Unix())
		assert.InDelta(t, want, l.TokensAt(later), 1e-6, "TokensAt 1000 years later")
	})
}

// TestHiddenSetBurstAndSetLimit: reconfiguration settles the balance under
// the old values first; a larger burst adds no tokens, a smaller one caps;
// invalid values change nothing (rules 3, 15).
//
// Category: behaviour
func TestHiddenSetBurstAndSetLimit(t *testing.T) {
	l := hNew(t, 1, 1)
	require.True(t, l.AllowN(hT0, 1))

	require.NoError(t, l.SetBurstAt(hT0, 5))
	assert.Equal(t, 5, l.Burst())
	assert.Equal(t, 0.0, l.TokensAt(hT0), "a larger burst adds no tokens")

	require.NoError(t, l.SetLimitAt(hAt(500*time.Millisecond), 8)) // 0.5 tokens earned at 1/s
	assert.Equal(t, tokenbucket.Limit(8), l.Limit())
	assert.Equal(t, 1.0, l.TokensAt(hAt(500*time.Millisecond+4*hTick)), "0.5 at 1/s, then 0.5 at 8/s")

	invalidLimits := []tokenbucket.Limit{-1, tokenbucket.Limit(math.NaN()), tokenbucket.Limit(math.Inf(-1))}
	for _, r := range invalidLimits {
		assert.ErrorIs(t, l.SetLimitAt(hAt(10*time.Second), r), tokenbucket.ErrInvalidLimit, "SetLimitAt(t0+10s, %v)", r)
	}
	assert.ErrorIs(t, l.SetBurstAt(hAt(10*time.Second), -1), tokenbucket.ErrInvalidBurst, "SetBurstAt(t0+10s, -1)")
	assert.Equal(t, tokenbucket.Limit(8), l.Limit(), "Limit() after invalid SetLimitAt")
	assert.Equal(t, 5, l.Burst(), "Burst() after invalid SetBurstAt")
	assert.Equal(t, 1.0, l.TokensAt(hAt(500*time.Millisecond+4*hTick)),
		"invalid Set…At calls at t0+10s must not have moved the remembered time")

	require.NoError(t, l.SetBurstAt(hAt(time.Second), 2)) // 4.5 tokens earned by now
	assert.Equal(t, 2.0, l.TokensAt(hAt(time.Second)), "a smaller burst caps the balance")
	assert.Equal(t, 2.0, l.TokensAt(hAt(time.Hour)))
}

// TestHiddenTokensAtChangesNothing: TokensAt, Limit and Burst only read;
// asking about a later time does not move the remembered time (rule 8).
//
// Category: behaviour
func TestHiddenTokensAtChangesNothing(t *testing.T) {
	l := hNew(t, 1, 1)
	require.True(t, l.AllowN(hT0, 1))
	assert.Equal(t, 1.0, l.TokensAt(hAt(time.Second)))
	assert.Equal(t, tokenbucket.Limit(1), l.Limit())
	assert.Equal(t, 1, l.Burst())
	assert.Equal(t, 0.5, l.TokensAt(hAt(500*time.Millisecond)), "after TokensAt(t0+1s)")
	assert.False(t, l.AllowN(hAt(500*time.Millisecond), 1), "AllowN(t0+0.5s, 1) after TokensAt(t0+1s)")
	assert.Equal(t, 0.0, l.TokensAt(hT0.Add(-time.Second)), "a time before the remembered time counts as it")
}

// TestHiddenWaitDecisionOrder: WaitN checks n > burst before the context,
// and the context before n <= 0 or Inf (rule 16a–c).
//
// Category: behaviour
func TestHiddenWaitDecisionOrder(t *testing.T) {
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
				l := hNew(t, tc.r, tc.burst)
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				if tc.cancelled {
					cancel()
				}
				start := time.Now()
				err := l.WaitN(ctx, tc.n)
				if tc.want == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tc.want)
				}
				assert.Equal(t, time.Duration(0), time.Since(start), "WaitN returned after")
				assert.Equal(t, float64(tc.burst), l.Tokens(), "WaitN took tokens")
			})
		})
	}
}

// TestHiddenAlreadyDoneCtx: a context that is already done is reported at
// once even when tokens are available, and nothing is taken (rule 16b).
//
// Category: timing
func TestHiddenAlreadyDoneCtx(t *testing.T) {
	t.Run("cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 8, 2)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			start := time.Now()
			assert.ErrorIs(t, l.WaitN(ctx, 1), context.Canceled)
			assert.Equal(t, time.Duration(0), time.Since(start), "WaitN returned after")
			assert.Equal(t, 2.0, l.Tokens())
		})
	})
	t.Run("past its deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 8, 2)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			time.Sleep(2 * time.Second)
			start := time.Now()
			assert.ErrorIs(t, l.WaitN(ctx, 1), context.DeadlineExceeded)
			assert.Equal(t, time.Duration(0), time.Since(start), "WaitN returned after")
			assert.Equal(t, 2.0, l.Tokens())
		})
	})
}

// TestHiddenDeadlineFailsFast: a Wait whose due time is not strictly before
// the deadline fails at once and takes nothing; one due just before the
// deadline waits (rule 16e).
//
// Category: timing
func TestHiddenDeadlineFailsFast(t *testing.T) {
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
				l := hNew(t, 8, 1)
				require.True(t, l.Allow(), "take the only token")
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				start := time.Now()
				err := l.Wait(ctx) // due in 125 ms
				if !tc.ok {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
					assert.Equal(t, time.Duration(0), time.Since(start), "Wait returned after")
					assert.Equal(t, 0.0, l.Tokens(), "the refused Wait took nothing")
					return
				}
				assert.NoError(t, err)
				assert.Equal(t, 125*time.Millisecond, time.Since(start), "Wait returned after")
				assert.Equal(t, 0.0, l.Tokens())
			})
		})
	}
}

// TestHiddenWaitFractionalBalance: the due time counts the partial token
// already earned (rules 6, 16e, 17).
//
// Category: timing
func TestHiddenWaitFractionalBalance(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 8, 2)
		require.True(t, l.AllowN(time.Now(), 2))
		time.Sleep(4 * hTick) // 62.5 ms: half a token
		start := time.Now()
		require.NoError(t, l.WaitN(context.Background(), 2)) // 1.5 tokens missing
		assert.Equal(t, 12*hTick, time.Since(start), "WaitN(ctx, 2) returned after")
		assert.Equal(t, 0.0, l.Tokens())
	})
}

// TestHiddenCancelledWaitReturnsTokens: a Wait cancelled before its due
// time gives its tokens back (rule 18).
//
// Category: timing
func TestHiddenCancelledWaitReturnsTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, 1)
		require.True(t, l.Allow())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(500*time.Millisecond, cancel)
		start := time.Now()
		assert.ErrorIs(t, l.Wait(ctx), context.Canceled)
		assert.Equal(t, 500*time.Millisecond, time.Since(start), "Wait returned after")
		assert.Equal(t, 0.5, l.Tokens(), "balance after the cancelled Wait gave its token back")
		time.Sleep(500 * time.Millisecond)
		assert.True(t, l.Allow(), "Allow at 1 s")
	})
}

// TestHiddenConcurrentAllowAndSet: AllowN races with readers and with
// Set…At calls that leave the configuration as it was; the grants still
// add up exactly (rule 20; run with -race).
//
// Category: concurrency
func TestHiddenConcurrentAllowAndSet(t *testing.T) {
	const burst = 50
	l := hNew(t, 8, burst)
	var granted atomic.Int64
	katatest.Hammer(6, 40, func(g, i int) {
		switch g {
		case 0:
			assert.NoError(t, l.SetLimitAt(hT0, 8))
			_ = l.Limit()
		case 1:
			assert.NoError(t, l.SetBurstAt(hT0, burst))
			_ = l.Burst()
			_ = l.TokensAt(hT0)
		default:
			if l.AllowN(hT0, 1) {
				granted.Add(1)
			}
		}
	})
	assert.Equal(t, int64(burst), granted.Load(), "requests granted at one instant from a burst of 50")
	assert.Equal(t, 0.0, l.TokensAt(hT0))
}

// refStep is one step of the differential script, for failure messages.
type refStep struct {
	i    int
	at   time.Duration
	what string
}

func (s refStep) String() string { return fmt.Sprintf("step %d at t0%+v: %s", s.i, s.at, s.what) }

// errClass names the sentinel an error matches, so that errors from the
// learner's package and from the reference can be compared.
func errClass(err error, invalidLimit, invalidBurst error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, invalidLimit):
		return "ErrInvalidLimit"
	case errors.Is(err, invalidBurst):
		return "ErrInvalidBurst"
	default:
		return "other: " + err.Error()
	}
}

// TestHiddenDifferential drives the learner's limiter and the reference
// with the same 10,000 random AllowN, TokensAt, SetLimitAt, SetBurstAt,
// Limit and Burst calls, with exact binary rates and times that mostly move
// forward and sometimes step back, and requires the same answers (all
// rules).
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	const steps = 10_000
	rng := rand.New(rand.NewPCG(1, 2))
	rates := []float64{0, 0.5, 1, 2, 4, 8, 8}
	r0, b0 := rates[rng.IntN(len(rates))], rng.IntN(9)
	got := hNew(t, tokenbucket.Limit(r0), b0)
	want, err := ref.New(ref.Limit(r0), b0)
	require.NoError(t, err)

	fail := func(s refStep, g, w any) {
		t.Helper()
		t.Fatalf("seed (1, 2), New(%v, %d), %v: learner %v, reference %v", r0, b0, s, g, w)
	}
	now := hT0
	for i := range steps {
		if rng.IntN(5) == 0 {
			now = now.Add(-time.Duration(1+rng.IntN(64)) * hTick)
		} else {
			now = now.Add(time.Duration(rng.IntN(33)) * hTick)
		}
		s := refStep{i: i, at: now.Sub(hT0)}
		switch op := rng.IntN(20); {
		case op < 10:
			n := rng.IntN(11) - 1
			s.what = fmt.Sprintf("AllowN(t, %d)", n)
			if g, w := got.AllowN(now, n), want.AllowN(now, n); g != w {
				fail(s, g, w)
			}
		case op < 14:
			s.what = "TokensAt(t)"
			if g, w := got.TokensAt(now), want.TokensAt(now); math.Abs(g-w) > 1e-9 || math.IsNaN(g) {
				fail(s, g, w)
			}
		case op < 17:
			r := rates[rng.IntN(len(rates))]
			switch rng.IntN(10) {
			case 0:
				r = -1
			case 1:
				r = math.NaN()
			}
			s.what = fmt.Sprintf("SetLimitAt(t, %v)", r)
			g := errClass(got.SetLimitAt(now, tokenbucket.Limit(r)), tokenbucket.ErrInvalidLimit, tokenbucket.ErrInvalidBurst)
			w := errClass(want.SetLimitAt(now, ref.Limit(r)), ref.ErrInvalidLimit, ref.ErrInvalidBurst)
			if g != w {
				fail(s, g, w)
			}
		case op < 19:
			b := rng.IntN(10) - 1
			s.what = fmt.Sprintf("SetBurstAt(t, %d)", b)
			g := errClass(got.SetBurstAt(now, b), tokenbucket.ErrInvalidLimit, tokenbucket.ErrInvalidBurst)
			w := errClass(want.SetBurstAt(now, b), ref.ErrInvalidLimit, ref.ErrInvalidBurst)
			if g != w {
				fail(s, g, w)
			}
		default:
			s.what = "Limit() and Burst()"
			if g, w := float64(got.Limit()), float64(want.Limit()); g != w {
				fail(s, g, w)
			}
			if g, w := got.Burst(), want.Burst(); g != w {
				fail(s, g, w)
			}
		}
		// A read after every step catches a wrong state early.
		probe := now.Add(time.Duration(rng.IntN(17)) * hTick)
		if g, w := got.TokensAt(probe), want.TokensAt(probe); math.Abs(g-w) > 1e-9 || math.IsNaN(g) {
			s.what += fmt.Sprintf(", then TokensAt(t0%+v)", probe.Sub(hT0))
			fail(s, g, w)
		}
	}
}

// The tests below call the limiter while a Wait is pending, so they use a
// real-time watchdog: a solution that sleeps while holding its lock stops
// virtual time (a goroutine waiting for a sync.Mutex is not durably
// blocked), and only the watchdog's panic can end such a test. They stay
// last in the file.

// lockHeld is the watchdogs' explanation.
const lockHeld = "virtual time stopped while a Wait was pending: does WaitN sleep while holding the limiter's lock?"

// TestHiddenZeroRateOnlyInitialBurst: with limit 0 the initial burst is all
// there will ever be; a Wait with a deadline gives up at once and one
// without a deadline blocks until cancelled, taking nothing (rules 14, 16e,
// 19).
//
// Category: boundary
func TestHiddenZeroRateOnlyInitialBurst(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	t.Run("AllowN over an hour", func(t *testing.T) {
		l := hNew(t, 0, 3)
		granted := 0
		for m := 0; m <= 60; m += 5 {
			if l.AllowN(hAt(time.Duration(m)*time.Minute), 1) {
				granted++
			}
		}
		assert.Equal(t, 3, granted, "requests granted over an hour")
		assert.Equal(t, 0.0, l.TokensAt(hAt(1000*time.Hour)))
	})
	t.Run("held tokens stay", func(t *testing.T) {
		l := hNew(t, 0, 3)
		require.True(t, l.AllowN(hT0, 2))
		assert.Equal(t, 1.0, l.TokensAt(hAt(1000*time.Hour)))
		assert.True(t, l.AllowN(hAt(1000*time.Hour), 1))
		assert.False(t, l.AllowN(hAt(2000*time.Hour), 1))
	})
	t.Run("Wait with a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 0, 3)
			require.True(t, l.AllowN(time.Now(), 3))
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			assert.ErrorIs(t, l.Wait(ctx), context.DeadlineExceeded)
			assert.Equal(t, time.Duration(0), time.Since(start), "Wait returned after")
			assert.Equal(t, 0.0, l.Tokens(), "the refused Wait took nothing")
		})
	})
	t.Run("Wait without a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, 0, 3)
			require.True(t, l.AllowN(time.Now(), 3))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			done := blocked(func() error { return l.Wait(ctx) })
			time.Sleep(time.Hour)
			requireStillBlocked(t, done, "Wait on limit 0 without a deadline")
			assert.Equal(t, 0.0, l.Tokens(), "a Wait that can never be served takes nothing")
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
			assert.Equal(t, time.Hour, time.Since(start), "Wait returned after")
			assert.Equal(t, 0.0, l.Tokens())
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
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	const r = 1e-10 // the next token is 317 years away
	t.Run("Allow", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, r, 1)
			assert.True(t, l.Allow(), "first Allow")
			assert.False(t, l.Allow(), "second Allow")
		})
	})
	t.Run("Wait with a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, r, 1)
			require.True(t, l.Allow())
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			start := time.Now()
			assert.ErrorIs(t, l.Wait(ctx), context.DeadlineExceeded)
			assert.Equal(t, time.Duration(0), time.Since(start), "Wait returned after")
			assert.Equal(t, 0.0, l.Tokens())
		})
	})
	t.Run("Wait without a deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := hNew(t, r, 1)
			require.True(t, l.Allow())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			start := time.Now()
			done := blocked(func() error { return l.Wait(ctx) })
			time.Sleep(24 * time.Hour)
			requireStillBlocked(t, done, "Wait due in 317 years")
			assert.InDelta(t, r*86400, l.Tokens(), 1e-12, "the blocked Wait must take nothing")
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
			assert.Equal(t, 24*time.Hour, time.Since(start), "Wait returned after")
		})
	})
}

// TestHiddenWaitReservesTokens: a pending Wait has already spent its
// tokens: the balance is negative and later requests queue behind it
// (rules 8, 17).
//
// Category: timing
func TestHiddenWaitReservesTokens(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 8, 1)
		require.True(t, l.Allow())
		start := time.Now()
		first := blocked(func() error { return l.Wait(context.Background()) })
		requireStillBlocked(t, first, "first Wait")
		assert.Equal(t, -1.0, l.Tokens(), "balance while one Wait is pending")
		assert.False(t, l.Allow(), "Allow while a Wait holds the next token")
		second := blocked(func() error { return l.Wait(context.Background()) })
		requireStillBlocked(t, second, "second Wait")
		assert.Equal(t, -2.0, l.Tokens(), "balance while two Waits are pending")

		time.Sleep(125 * time.Millisecond)
		require.NoError(t, <-first)
		assert.Equal(t, 125*time.Millisecond, time.Since(start), "first Wait returned after")
		assert.False(t, l.Allow(), "Allow at 125 ms: that token is the second Wait's")
		require.NoError(t, <-second)
		assert.Equal(t, 250*time.Millisecond, time.Since(start), "second Wait returned after")
		assert.Equal(t, 0.0, l.Tokens())
	})
}

// TestHiddenCancelRefundOnlyForNewest: a cancelled Wait gives its tokens
// back only if every later reservation has been given back; otherwise the
// later Waits keep their due times (rule 18).
//
// Category: timing
func TestHiddenCancelRefundOnlyForNewest(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	type waiter struct {
		done   <-chan error
		cancel context.CancelFunc
	}
	// setup exhausts a 1/s, burst 1 limiter and queues two Waits, due at
	// 1 s and 2 s.
	setup := func(t *testing.T) (*tokenbucket.Limiter, waiter, waiter) {
		l := hNew(t, 1, 1)
		require.True(t, l.Allow())
		var ws [2]waiter
		for i := range ws {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			ws[i] = waiter{blocked(func() error { return l.Wait(ctx) }), cancel}
			requireStillBlocked(t, ws[i].done, fmt.Sprintf("Wait %d", i+1))
		}
		require.Equal(t, -2.0, l.Tokens(), "two pending Waits")
		return l, ws[0], ws[1]
	}
	t.Run("older cancelled first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, older, newer := setup(t)
			start := time.Now()
			time.Sleep(500 * time.Millisecond)
			older.cancel()
			assert.ErrorIs(t, <-older.done, context.Canceled)
			assert.Equal(t, -1.5, l.Tokens(), "nothing is given back while a later Wait holds its reservation")
			assert.NoError(t, <-newer.done)
			assert.Equal(t, 2*time.Second, time.Since(start), "the later Wait keeps its due time")
			assert.Equal(t, 0.0, l.Tokens())
		})
	})
	t.Run("newer cancelled first", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l, older, newer := setup(t)
			time.Sleep(500 * time.Millisecond)
			newer.cancel()
			assert.ErrorIs(t, <-newer.done, context.Canceled)
			assert.Equal(t, -0.5, l.Tokens(), "the newest Wait gives its token back")
			time.Sleep(250 * time.Millisecond)
			older.cancel()
			assert.ErrorIs(t, <-older.done, context.Canceled)
			assert.Equal(t, 0.75, l.Tokens(), "with the later Wait given back, the older one gives back too")
		})
	})
}

// TestHiddenCancelRefundCappedAtBurst: tokens given back by a cancelled
// Wait never lift the balance above burst (rule 18).
//
// Category: timing
func TestHiddenCancelRefundCappedAtBurst(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(time.Now(), 2))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := blocked(func() error { return l.WaitN(ctx, 2) }) // due at 2 s
		requireStillBlocked(t, done, "WaitN(ctx, 2)")
		time.Sleep(500 * time.Millisecond)
		require.NoError(t, l.SetLimit(8)) // -1.5 tokens now, +8 per second
		time.Sleep(375 * time.Millisecond)
		require.Equal(t, 1.5, l.Tokens(), "balance at 0.875 s")
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, 2.0, l.Tokens(), "1.5 + 2 given back, capped at burst 2")
	})
}

// TestHiddenSetLimitKeepsDueTimes: changing the limit does not move the due
// time of a pending Wait (rule 15).
//
// Category: timing
func TestHiddenSetLimitKeepsDueTimes(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(time.Now(), 2))
		start := time.Now()
		done := blocked(func() error { return l.WaitN(context.Background(), 2) }) // due at 2 s
		requireStillBlocked(t, done, "WaitN(ctx, 2)")
		time.Sleep(500 * time.Millisecond)
		require.NoError(t, l.SetLimit(8))
		require.NoError(t, l.SetBurst(4))
		time.Sleep(time.Second)
		requireStillBlocked(t, done, "WaitN(ctx, 2) after SetLimit(8)")
		assert.Equal(t, 4.0, l.Tokens(), "balance at 1.5 s: -1.5 + 8 × 1, capped at 4")
		require.NoError(t, <-done)
		assert.Equal(t, 2*time.Second, time.Since(start), "WaitN returned after")
	})
}

// TestHiddenLeavingInfRefills: leaving Inf for a finite limit fills the
// bucket, whatever pending Waits had reserved; they keep their due times
// (rules 13, 15).
//
// Category: timing
func TestHiddenLeavingInfRefills(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 1, 2)
		require.True(t, l.AllowN(time.Now(), 2))
		start := time.Now()
		done := blocked(func() error { return l.Wait(context.Background()) }) // due at 1 s
		requireStillBlocked(t, done, "Wait")
		require.Equal(t, -1.0, l.Tokens())
		time.Sleep(250 * time.Millisecond)
		require.NoError(t, l.SetLimit(tokenbucket.Inf))
		assert.Equal(t, 2.0, l.Tokens(), "limit Inf: Tokens is Burst()")
		assert.True(t, l.AllowN(time.Now(), 5), "limit Inf grants any n")
		time.Sleep(250 * time.Millisecond)
		require.NoError(t, l.SetLimit(1))
		assert.Equal(t, 2.0, l.Tokens(), "leaving Inf fills the bucket")
		require.NoError(t, <-done)
		assert.Equal(t, time.Second, time.Since(start), "the pending Wait keeps its due time")
		assert.Equal(t, 2.0, l.Tokens())
	})
}

// TestHiddenConcurrentWaitersFIFO: 40 concurrent Waits on 8/s, burst 1
// return exactly 125 ms apart, the first at once (rules 17, 20, 21).
//
// Category: concurrency
func TestHiddenConcurrentWaitersFIFO(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		const waiters = 40
		l := hNew(t, 8, 1)
		start := time.Now()
		var (
			mu   sync.Mutex
			got  []time.Duration
			errs []error
			wg   sync.WaitGroup
		)
		for range waiters {
			wg.Go(func() {
				err := l.Wait(context.Background())
				mu.Lock()
				defer mu.Unlock()
				got = append(got, time.Since(start))
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		assert.Empty(t, errs, "errors from Wait")
		want := make([]time.Duration, waiters)
		for i := range want {
			want[i] = time.Duration(i) * 125 * time.Millisecond
		}
		slices.Sort(got)
		assert.Equal(t, want, got, "Wait return times")
		assert.Equal(t, 4875*time.Millisecond, time.Since(start), "all Waits done after")
		assert.Equal(t, 0.0, l.Tokens())
	})
}

// TestHiddenWaitDoesNotHoldLock: while a Wait blocks, the other methods
// return without waiting for it (rule 21).
//
// Category: concurrency
func TestHiddenWaitDoesNotHoldLock(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, lockHeld)
	synctest.Test(t, func(t *testing.T) {
		l := hNew(t, 8, 1)
		require.True(t, l.Allow())
		start := time.Now()
		done := blocked(func() error { return l.Wait(context.Background()) })
		requireStillBlocked(t, done, "Wait")
		// Each of these would block on a lock held by the sleeping Wait.
		assert.Equal(t, -1.0, l.Tokens())
		assert.False(t, l.AllowN(time.Now(), 1))
		assert.Equal(t, tokenbucket.Limit(8), l.Limit())
		require.NoError(t, l.SetBurst(2))
		assert.Equal(t, 2, l.Burst())
		assert.Equal(t, time.Duration(0), time.Since(start), "the calls above took")
		require.NoError(t, <-done)
		assert.Equal(t, 125*time.Millisecond, time.Since(start), "Wait returned after")
	})
}
