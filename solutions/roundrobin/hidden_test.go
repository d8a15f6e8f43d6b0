//go:build microkata_hidden

package roundrobin_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/roundrobin"
	ref "github.com/microkata/microkata/solutions/roundrobin"
)

// hiddenPicks calls Pick n times and joins the results, so that a failure
// shows the whole sequence. Every pick must succeed.
func hiddenPicks(t *testing.T, p roundrobin.Picker[string], n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		s, err := p.Pick()
		require.NoError(t, err, "pick %d", i)
		b.WriteString(s)
	}
	return b.String()
}

// hiddenWeighted builds SWRR entries named a, b, c, … with the given weights.
func hiddenWeighted(weights ...int) []roundrobin.Weighted[string] {
	items := make([]roundrobin.Weighted[string], len(weights))
	for i, w := range weights {
		items[i] = roundrobin.Weighted[string]{Item: string(rune('a' + i)), Weight: w}
	}
	return items
}

// TestHiddenRoundRobinDefensiveCopy overwrites the caller's slice after
// NewRoundRobin and after Update: no pick changes.
//
// Category: behaviour
func TestHiddenRoundRobinDefensiveCopy(t *testing.T) {
	backends := []string{"a", "b", "c"}
	rr, err := roundrobin.NewRoundRobin(backends)
	require.NoError(t, err)
	backends[0], backends[1], backends[2] = "x", "y", "z"
	assert.Equal(t, "abc", hiddenPicks(t, rr, 3), "picks 0-2 after overwriting the slice given to NewRoundRobin")

	updated := []string{"p", "q"}
	rr.Update(updated)
	updated[0], updated[1] = "m", "n"
	assert.Equal(t, "qpqp", hiddenPicks(t, rr, 4), "picks 3-6 after overwriting the slice given to Update")
}

// TestHiddenRoundRobinUpdateKeepsRotation checks that Update neither
// restarts the numbering of picks nor forgets the start: pick k uses
// (start + k) mod the new length.
//
// Category: behaviour
func TestHiddenRoundRobinUpdateKeepsRotation(t *testing.T) {
	tests := []struct {
		name         string
		start        int
		before, want string
	}{
		{"start 0", 0, "abca", "wxyz"},
		{"start 5", 5, "cabc", "xyzw"},
		{"start 1, two picks first", 1, "bc", "zwxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := roundrobin.NewRoundRobin([]string{"a", "b", "c"}, roundrobin.WithStart(tt.start))
			require.NoError(t, err)
			n := len(tt.before)
			assert.Equal(t, tt.before, hiddenPicks(t, rr, n), "picks 0-%d on [a b c]", n-1)
			rr.Update([]string{"w", "x", "y", "z"})
			assert.Equal(t, tt.want, hiddenPicks(t, rr, 4), "picks %d-%d after Update([w x y z])", n, n+3)
		})
	}
}

// TestHiddenRoundRobinEmptyThenUpdate starts with no backends and a start of
// 1: picks on an empty set fail with ErrNoBackends and use up no number, and
// the start applies once Update brings backends.
//
// Category: boundary
func TestHiddenRoundRobinEmptyThenUpdate(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin[string](nil, roundrobin.WithStart(1))
	require.NoError(t, err, "NewRoundRobin(nil, WithStart(1))")
	require.NotNil(t, rr)

	emptyPick := func(when string) {
		t.Helper()
		got, err := rr.Pick()
		assert.ErrorIs(t, err, roundrobin.ErrNoBackends, "Pick %s", when)
		assert.Equal(t, "", got, "Pick %s must return the zero value", when)
	}
	emptyPick("on the new, empty picker")
	emptyPick("on the new, empty picker, a second time")

	rr.Update([]string{"a", "b", "c"})
	assert.Equal(t, "bca", hiddenPicks(t, rr, 3), "picks 0-2 after Update([a b c]): the failed picks used no number")

	rr.Update(nil)
	emptyPick("after Update(nil)")

	rr.Update([]string{"a", "b", "c"})
	assert.Equal(t, "b", hiddenPicks(t, rr, 1), "pick 3 after Update([a b c]) again")
}

// TestHiddenRoundRobinLargeStart checks starts at and beyond the length of
// the set, up to math.MaxInt, where start + k no longer fits in an int.
//
// Category: boundary
func TestHiddenRoundRobinLargeStart(t *testing.T) {
	tests := []struct {
		name  string
		start int
		want  string
	}{
		{"math.MaxInt", math.MaxInt, "bcabca"},
		{"7", 7, "bca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr, err := roundrobin.NewRoundRobin([]string{"a", "b", "c"}, roundrobin.WithStart(tt.start))
			require.NoError(t, err, "WithStart(%d)", tt.start)
			var got string
			assert.NotPanics(t, func() { got = hiddenPicks(t, rr, len(tt.want)) }, "WithStart(%d): start + k must not overflow", tt.start)
			assert.Equal(t, tt.want, got, "WithStart(%d) on [a b c]", tt.start)
		})
	}
}

// TestHiddenRoundRobinDifferential runs 10 000 random steps, each a Pick or
// an Update with a set of 0 to 7 backends, on pickers with random starts
// from 0 to 100, and compares every pick with the reference.
//
// Category: differential
func TestHiddenRoundRobinDifferential(t *testing.T) {
	const steps = 10000
	r := rand.New(rand.NewPCG(3, 4))
	randomSet := func(tag int) []string {
		set := make([]string, r.IntN(8))
		for i := range set {
			set[i] = fmt.Sprintf("%d.%d", tag, i)
		}
		return set
	}

	var (
		got   *roundrobin.RoundRobin[string]
		want  *ref.RoundRobin[string]
		start int
		set   []string // the set in force
	)
	for step := range steps {
		if step%1000 == 0 {
			start, set = r.IntN(101), randomSet(step)
			var err error
			got, err = roundrobin.NewRoundRobin(set, roundrobin.WithStart(start))
			require.NoError(t, err, "seed PCG(3, 4), step %d: NewRoundRobin(%v, WithStart(%d))", step, set, start)
			want, err = ref.NewRoundRobin(set, ref.WithStart(start))
			require.NoError(t, err)
		}
		if r.IntN(10) < 3 {
			set = randomSet(step)
			got.Update(set)
			want.Update(set)
			continue
		}
		g, gerr := got.Pick()
		w, werr := want.Pick()
		if g != w || errors.Is(gerr, roundrobin.ErrNoBackends) != errors.Is(werr, ref.ErrNoBackends) || (gerr == nil) != (werr == nil) {
			assert.Equal(t, fmt.Sprintf("%q, %v", w, werr), fmt.Sprintf("%q, %v", g, gerr),
				"seed PCG(3, 4), step %d: Pick with start %d on %v", step, start, set)
			return
		}
	}
}

// TestHiddenSmoothWeightedVectors checks every example of rule S4 over two
// full periods, an entry list whose only positive weight is last, and equal
// Items, which are separate entries.
//
// Category: behaviour
func TestHiddenSmoothWeightedVectors(t *testing.T) {
	tests := []struct {
		items  []roundrobin.Weighted[string]
		period string
	}{
		{hiddenWeighted(5, 1, 1), "aabacaa"},
		{hiddenWeighted(4, 2, 1), "abacaba"},
		{hiddenWeighted(3, 2, 1), "abacba"},
		{hiddenWeighted(1, 2, 3), "cbacbc"},
		{hiddenWeighted(3, 1), "aaba"},
		{hiddenWeighted(2, 2), "abab"},
		{hiddenWeighted(5, 0, 1), "aaacaa"},
		{hiddenWeighted(7, 3), "abaaabaaba"},
		{hiddenWeighted(0, 0, 1), "c"},
		{[]roundrobin.Weighted[string]{{Item: "a", Weight: 2}, {Item: "b", Weight: 1}, {Item: "a", Weight: 1}}, "abaa"},
	}
	for _, tt := range tests {
		name := fmt.Sprint(tt.items)
		t.Run(name, func(t *testing.T) {
			sw, err := roundrobin.NewSmoothWeighted(tt.items)
			require.NoError(t, err)
			assert.Equal(t, tt.period+tt.period, hiddenPicks(t, sw, 2*len(tt.period)), "two periods of %s", name)
		})
	}
}

// TestHiddenSmoothWeightedSmoothness checks that {5,1,1} never returns a
// more than 4 times in a row, across period boundaries too, and that 700
// picks hold exactly 500 a, 100 b and 100 c.
//
// Category: behaviour
func TestHiddenSmoothWeightedSmoothness(t *testing.T) {
	sw, err := roundrobin.NewSmoothWeighted(hiddenWeighted(5, 1, 1))
	require.NoError(t, err)
	seq := hiddenPicks(t, sw, 700)

	longest, run := 0, 0
	for _, c := range seq {
		if c == 'a' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	assert.Equal(t, 4, longest, "longest run of a in 700 picks of {5,1,1}")
	assert.Equal(t, 500, strings.Count(seq, "a"), "a in 700 picks")
	assert.Equal(t, 100, strings.Count(seq, "b"), "b in 700 picks")
	assert.Equal(t, 100, strings.Count(seq, "c"), "c in 700 picks")
}

// TestHiddenSmoothWeightedPeriod draws 200 random weight vectors (1 to 8
// entries, weights 0 to 20, at least one positive). For each, the first
// period of total picks returns every entry exactly Weight times, and the
// second period repeats the first.
//
// Category: behaviour
func TestHiddenSmoothWeightedPeriod(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 200 {
		items := make([]roundrobin.Weighted[int], 1+r.IntN(8))
		total := 0
		for i := range items {
			items[i] = roundrobin.Weighted[int]{Item: i, Weight: r.IntN(21)}
			total += items[i].Weight
		}
		if total == 0 {
			items[0].Weight, total = 1, 1
		}
		weights := make([]int, len(items))
		for i, it := range items {
			weights[i] = it.Weight
		}
		where := fmt.Sprintf("seed PCG(5, 6), round %d, weights %v", round, weights)

		sw, err := roundrobin.NewSmoothWeighted(items)
		require.NoError(t, err, where)
		seq := make([]int, 2*total)
		counts := make([]int, len(items))
		for k := range seq {
			item, err := sw.Pick()
			if err != nil || item < 0 || item >= len(items) {
				require.NoError(t, err, "%s: pick %d", where, k)
				require.Failf(t, "not an item", "%s: pick %d returned %d", where, k, item)
			}
			seq[k] = item
			if k < total {
				counts[item]++
			}
		}
		require.Equal(t, weights, counts, "%s: how often each entry was returned in the first period", where)
		require.Equal(t, seq[:total], seq[total:], "%s: the second period must repeat the first", where)
	}
}

// TestHiddenSmoothWeightedValidation checks every error of NewSmoothWeighted
// and its order (a negative weight first, then the cap on the sum, then no
// positive weight), the cap at its edge, and sums that overflow an int.
//
// Category: config
func TestHiddenSmoothWeightedValidation(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		want    error // nil: accepted
	}{
		{"{-1,5}", []int{-1, 5}, roundrobin.ErrInvalidWeight},
		{"{-1,0}", []int{-1, 0}, roundrobin.ErrInvalidWeight},
		{"{5,-1}", []int{5, -1}, roundrobin.ErrInvalidWeight},
		{"{MaxTotalWeight}", []int{roundrobin.MaxTotalWeight}, nil},
		{"{MaxTotalWeight-1,1}", []int{roundrobin.MaxTotalWeight - 1, 1}, nil},
		{"{MaxTotalWeight,1}", []int{roundrobin.MaxTotalWeight, 1}, roundrobin.ErrInvalidWeight},
		{"{MaxInt,MaxInt}", []int{math.MaxInt, math.MaxInt}, roundrobin.ErrInvalidWeight},
		{"{MaxInt,MaxInt,2}", []int{math.MaxInt, math.MaxInt, 2}, roundrobin.ErrInvalidWeight},
		{"{0}", []int{0}, roundrobin.ErrNoBackends},
		{"{}", []int{}, roundrobin.ErrNoBackends},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, err := roundrobin.NewSmoothWeighted(hiddenWeighted(tt.weights...))
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				assert.Nil(t, sw, "the picker must be nil with its error")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, sw)
			assert.Equal(t, "aa", hiddenPicks(t, sw, 2), "the first two picks")
		})
	}
}

// TestHiddenSmoothWeightedDefensiveCopy overwrites the caller's items and
// weights after NewSmoothWeighted: no pick changes.
//
// Category: behaviour
func TestHiddenSmoothWeightedDefensiveCopy(t *testing.T) {
	items := hiddenWeighted(5, 1, 1)
	sw, err := roundrobin.NewSmoothWeighted(items)
	require.NoError(t, err)
	items[0] = roundrobin.Weighted[string]{Item: "z", Weight: 0}
	items[1].Weight = 100
	items[2].Item = "y"
	assert.Equal(t, "aabacaa"+"aabacaa", hiddenPicks(t, sw, 14))
}

// TestHiddenSmoothWeightedDifferential compares 1000 picks with the
// reference for each of 50 random weight vectors (1 to 10 entries, weights 0
// to 30).
//
// Category: differential
func TestHiddenSmoothWeightedDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 50 {
		var (
			items    = make([]roundrobin.Weighted[int], 1+r.IntN(10))
			refItems = make([]ref.Weighted[int], len(items))
			weights  = make([]int, len(items))
		)
		for i := range items {
			weights[i] = r.IntN(31)
		}
		if slices.Max(weights) == 0 {
			weights[r.IntN(len(weights))] = 1
		}
		for i, w := range weights {
			items[i] = roundrobin.Weighted[int]{Item: i, Weight: w}
			refItems[i] = ref.Weighted[int]{Item: i, Weight: w}
		}
		where := fmt.Sprintf("seed PCG(7, 8), round %d, weights %v", round, weights)
		got, err := roundrobin.NewSmoothWeighted(items)
		require.NoError(t, err, where)
		want, err := ref.NewSmoothWeighted(refItems)
		require.NoError(t, err, where)
		for k := range 1000 {
			g, gerr := got.Pick()
			w, _ := want.Pick()
			if gerr != nil || g != w {
				require.NoError(t, gerr, "%s: pick %d", where, k)
				require.Equal(t, w, g, "%s: pick %d", where, k)
			}
		}
	}
}

// The tests below run many goroutines. A wrong solution can deadlock there
// (a lock taken twice, a lock never released), so each runs under a
// real-time hang guard, and they come last.

// TestHiddenRoundRobinFairnessConcurrent makes 16 goroutines pick 1000 times
// each on 4 backends: no number is lost or repeated, so every backend is
// returned exactly 4000 times. Run with -race: an unsynchronised counter is
// reported as a data race.
//
// Category: concurrency
func TestHiddenRoundRobinFairnessConcurrent(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]int{1, 2, 3, 4})
	require.NoError(t, err)

	katatest.Within(t, katatest.DefaultHang, "Pick did not return under concurrent use: a lock that is never released?", func() {
		var counts [5]atomic.Int64 // counts[0] counts errors, panics and values outside the set
		katatest.Hammer(16, 1000, func(g, i int) {
			defer func() {
				if recover() != nil {
					counts[0].Add(1)
				}
			}()
			v, err := rr.Pick()
			if err != nil || v < 1 || v > 4 {
				v = 0
			}
			counts[v].Add(1)
		})
		assert.Zero(t, counts[0].Load(), "picks that failed, panicked or returned a value outside [1 2 3 4]")
		for v := 1; v <= 4; v++ {
			assert.Equal(t, int64(4000), counts[v].Load(), "how often backend %d was returned by 16 000 concurrent picks", v)
		}
	})
}

// TestHiddenRoundRobinUpdateDuringPicks runs 8 pickers while another
// goroutine keeps switching the set between 5 backends and 2 other backends.
// Every pick must return a backend of one of the two sets, with no error and
// no panic.
//
// Category: concurrency
func TestHiddenRoundRobinUpdateDuringPicks(t *testing.T) {
	five := []string{"a1", "a2", "a3", "a4", "a5"}
	two := []string{"b1", "b2"}
	rr, err := roundrobin.NewRoundRobin(five)
	require.NoError(t, err)

	katatest.Within(t, katatest.DefaultHang, "Pick or Update did not return under concurrent use: a lock that is never released?", func() {
		var (
			errs, panics, outside, updates atomic.Int64
			firstOutside                   atomic.Value
			stop                           atomic.Bool
			updaterDone                    = make(chan struct{})
		)
		go func() {
			defer close(updaterDone)
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			for i := 0; !stop.Load(); i++ {
				if i%2 == 0 {
					rr.Update(two)
				} else {
					rr.Update(five)
				}
				updates.Add(1)
			}
		}()
		katatest.Hammer(8, 4000, func(g, i int) {
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			v, err := rr.Pick()
			switch {
			case err != nil:
				errs.Add(1)
			case !slices.Contains(five, v) && !slices.Contains(two, v):
				outside.Add(1)
				firstOutside.CompareAndSwap(nil, v)
			}
		})
		stop.Store(true)
		<-updaterDone
		assert.Positive(t, updates.Load(), "Updates made while the pickers ran")
		assert.Zero(t, panics.Load(), "calls that panicked")
		assert.Zero(t, errs.Load(), "picks that returned an error: the set was never empty")
		assert.Zero(t, outside.Load(), "picks that returned a value from neither set (first: %v)", firstOutside.Load())
	})
}

// TestHiddenSmoothWeightedConcurrentCounts makes 7 goroutines pick 1000
// times each on {5,1,1}: picks are serialised, so the 7000 picks are 1000
// whole periods, exactly 5000 a, 1000 b and 1000 c. Run with -race: an
// unlocked Pick is reported as a data race.
//
// Category: concurrency
func TestHiddenSmoothWeightedConcurrentCounts(t *testing.T) {
	sw, err := roundrobin.NewSmoothWeighted(hiddenWeighted(5, 1, 1))
	require.NoError(t, err)

	katatest.Within(t, katatest.DefaultHang, "Pick did not return under concurrent use: a lock that is never released?", func() {
		var a, b, c, other atomic.Int64
		katatest.Hammer(7, 1000, func(g, i int) {
			defer func() {
				if recover() != nil {
					other.Add(1)
				}
			}()
			v, err := sw.Pick()
			switch {
			case err != nil:
				other.Add(1)
			case v == "a":
				a.Add(1)
			case v == "b":
				b.Add(1)
			case v == "c":
				c.Add(1)
			default:
				other.Add(1)
			}
		})
		assert.Zero(t, other.Load(), "picks that failed, panicked or returned something other than a, b or c")
		assert.Equal(t, int64(5000), a.Load(), "a in 7000 concurrent picks")
		assert.Equal(t, int64(1000), b.Load(), "b in 7000 concurrent picks")
		assert.Equal(t, int64(1000), c.Load(), "c in 7000 concurrent picks")
	})
}
