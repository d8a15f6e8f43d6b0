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

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/roundrobin"
	ref "github.com/microkata/microkata/solutions/roundrobin"
)

// hiddenTry runs fn and returns the value it panicked with, or nil. The stub's
// "not implemented" panic is not recovered.
func hiddenTry(fn func()) (pv any) {
	defer func() {
		pv = recover()
		if pv == "not implemented" { // the stub: the grader reports it as not started
			panic(pv)
		}
	}()
	fn()
	return nil
}

// hiddenNewRR calls NewRoundRobin(backends), with WithStart(start[0]) if a
// start is given, and stops the test unless it returns a picker and a nil
// error. It returns the picker and the call as the README writes it, for
// messages.
func hiddenNewRR(t *testing.T, backends []string, start ...int) (*roundrobin.RoundRobin[string], string) {
	t.Helper()
	call := fmt.Sprintf("NewRoundRobin(%s)", hiddenSet(backends))
	var opts []roundrobin.Option
	if len(start) > 0 {
		call = fmt.Sprintf("NewRoundRobin(%s, WithStart(%d))", hiddenSet(backends), start[0])
		opts = append(opts, roundrobin.WithStart(start[0]))
	}
	var (
		rr  *roundrobin.RoundRobin[string]
		err error
	)
	if pv := hiddenTry(func() { rr, err = roundrobin.NewRoundRobin(backends, opts...) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	hiddenMustBuild(t, call, rr != nil, err)
	return rr, call
}

// hiddenNewSW calls NewSmoothWeighted with entries named a, b, c, … of the
// given weights and stops the test unless it returns a picker and a nil
// error. It returns the picker and the call, for messages.
func hiddenNewSW(t *testing.T, weights ...int) (*roundrobin.SmoothWeighted[string], string) {
	t.Helper()
	call := "NewSmoothWeighted(weights " + hiddenBraces(weights) + ")"
	var (
		sw  *roundrobin.SmoothWeighted[string]
		err error
	)
	if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(hiddenWeighted(weights...)) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	hiddenMustBuild(t, call, sw != nil, err)
	return sw, call
}

func hiddenMustBuild(t *testing.T, call string, picker bool, err error) {
	t.Helper()
	switch {
	case err != nil:
		t.Fatalf("%s returned error %q; want a picker and a nil error", call, err)
	case !picker:
		t.Fatalf("%s returned a nil picker and a nil error; want a picker", call)
	}
}

// hiddenPicks calls Pick n times and joins the results, so that a failure
// shows the whole sequence. after says what was called before, for
// messages. Every pick must succeed.
func hiddenPicks(t *testing.T, p roundrobin.Picker[string], n int, after string) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		var (
			s   string
			err error
		)
		if pv := hiddenTry(func() { s, err = p.Pick() }); pv != nil {
			t.Fatalf("%s, then Pick() call %d panicked: %v (the calls before returned %q)", after, i+1, pv, b.String())
		}
		if err != nil {
			t.Fatalf("%s, then Pick() call %d = %q, %v; want a backend and a nil error (the calls before returned %q)", after, i+1, s, err, b.String())
		}
		b.WriteString(s)
	}
	return b.String()
}

// hiddenUpdate calls rr.Update(backends), stops the test if it panics, and
// returns after extended with the call.
func hiddenUpdate(t *testing.T, rr *roundrobin.RoundRobin[string], backends []string, after string) string {
	t.Helper()
	after += "; Update(" + hiddenSet(backends) + ")"
	if pv := hiddenTry(func() { rr.Update(backends) }); pv != nil {
		t.Fatalf("%s panicked: %v", after, pv)
	}
	return after
}

// hiddenWeighted builds SWRR entries named a, b, c, … with the given weights.
func hiddenWeighted(weights ...int) []roundrobin.Weighted[string] {
	items := make([]roundrobin.Weighted[string], len(weights))
	for i, w := range weights {
		items[i] = roundrobin.Weighted[string]{Item: hiddenName(i), Weight: w}
	}
	return items
}

// hiddenName names entry i: a, b, …, z, then e26, e27, ….
func hiddenName(i int) string {
	if i < 26 {
		return string(rune('a' + i))
	}
	return fmt.Sprintf("e%d", i)
}

// hiddenSet formats a backend set as the README does: [a b c], nil or [].
func hiddenSet(s []string) string {
	if s == nil {
		return "nil"
	}
	return fmt.Sprint(s)
}

// hiddenBraces formats weights as the README does: {5,1,1}, with
// MaxTotalWeight and math.MaxInt by name.
func hiddenBraces(weights []int) string {
	s := make([]string, len(weights))
	for i, w := range weights {
		switch w {
		case roundrobin.MaxTotalWeight:
			s[i] = "MaxTotalWeight"
		case math.MaxInt:
			s[i] = "math.MaxInt"
		case roundrobin.MaxTotalWeight - 1:
			s[i] = "MaxTotalWeight-1"
		case roundrobin.MaxTotalWeight + 1:
			s[i] = "MaxTotalWeight+1"
		case math.MaxInt - 1:
			s[i] = "math.MaxInt-1"
		default:
			s[i] = fmt.Sprint(w)
		}
	}
	return "{" + strings.Join(s, ",") + "}"
}

// hiddenPicker says what a constructor returned in place of the picker.
func hiddenPicker(ok bool) string {
	if ok {
		return "a picker"
	}
	return "nil"
}

// hiddenErrName names the roundrobin errors for messages.
func hiddenErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, roundrobin.ErrNoBackends):
		return "ErrNoBackends"
	case errors.Is(err, roundrobin.ErrInvalidWeight):
		return "ErrInvalidWeight"
	case errors.Is(err, roundrobin.ErrInvalidStart):
		return "ErrInvalidStart"
	}
	return fmt.Sprintf("error %q", err)
}

// hiddenRefErrName names the reference's errors as hiddenErrName names the
// code under test's.
func hiddenRefErrName(err error) string {
	switch {
	case errors.Is(err, ref.ErrNoBackends):
		return "ErrNoBackends"
	case errors.Is(err, ref.ErrInvalidWeight):
		return "ErrInvalidWeight"
	case errors.Is(err, ref.ErrInvalidStart):
		return "ErrInvalidStart"
	}
	return hiddenErrName(err)
}

// TestHiddenRoundRobinDefensiveCopy overwrites the caller's slice after
// NewRoundRobin and after Update: no pick changes.
//
// Category: behaviour
func TestHiddenRoundRobinDefensiveCopy(t *testing.T) {
	katatest.Guard(t)
	backends := []string{"a", "b", "c"}
	rr, call := hiddenNewRR(t, backends)
	backends[0], backends[1], backends[2] = "x", "y", "z"
	call += "; then the caller's slice is overwritten with [x y z]"
	assert.Equal(t, "abc", hiddenPicks(t, rr, 3, call), "3 Pick() calls after %s", call)

	updated := []string{"p", "q"}
	call = hiddenUpdate(t, rr, updated, call+"; 3 Pick() calls")
	updated[0], updated[1] = "m", "n"
	call += "; then the caller's slice is overwritten with [m n]"
	assert.Equal(t, "qpqp", hiddenPicks(t, rr, 4, call), "4 Pick() calls after %s", call)
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
			katatest.Guard(t)
			rr, call := hiddenNewRR(t, []string{"a", "b", "c"}, tt.start)
			n := len(tt.before)
			assert.Equal(t, tt.before, hiddenPicks(t, rr, n, call), "%d Pick() calls after %s", n, call)
			call = hiddenUpdate(t, rr, []string{"w", "x", "y", "z"}, fmt.Sprintf("%s; %d Pick() calls", call, n))
			assert.Equal(t, tt.want, hiddenPicks(t, rr, 4, call), "4 Pick() calls after %s: picks number %d to %d", call, n, n+3)
		})
	}
}

// TestHiddenRoundRobinEmptyThenUpdate starts with no backends and a start of
// 1: picks on an empty set fail with ErrNoBackends and use up no number, and
// the start applies once Update brings backends.
//
// Category: boundary
func TestHiddenRoundRobinEmptyThenUpdate(t *testing.T) {
	katatest.Guard(t)
	rr, call := hiddenNewRR(t, nil, 1)

	emptyPick := func() {
		t.Helper()
		var (
			got string
			err error
		)
		if pv := hiddenTry(func() { got, err = rr.Pick() }); pv != nil {
			t.Fatalf("%s, then Pick() panicked: %v", call, pv)
		}
		if got != "" || !errors.Is(err, roundrobin.ErrNoBackends) {
			t.Errorf("%s, then Pick() = %q, %s; want \"\", ErrNoBackends (the set is empty)", call, got, hiddenErrName(err))
		}
		call += "; Pick()"
	}
	emptyPick()
	emptyPick()

	call = hiddenUpdate(t, rr, []string{"a", "b", "c"}, call)
	assert.Equal(t, "bca", hiddenPicks(t, rr, 3, call), "3 Pick() calls after %s: the failed picks used up no number", call)
	call += "; 3 Pick() calls"

	call = hiddenUpdate(t, rr, nil, call)
	emptyPick()

	call = hiddenUpdate(t, rr, []string{"a", "b", "c"}, call)
	assert.Equal(t, "b", hiddenPicks(t, rr, 1, call), "Pick() after %s: pick number 3", call)
}

// TestHiddenRoundRobinStartValues checks starts at the edges R2 names: 0,
// one below, at and beyond the length of the set, and math.MaxInt, where
// start + k no longer fits in an int.
//
// Category: boundary
func TestHiddenRoundRobinStartValues(t *testing.T) {
	tests := []struct {
		name  string
		start int
		want  string
	}{
		{"0", 0, "abcabc"},
		{"2 (the last index)", 2, "cabcab"},
		{"3 (the length)", 3, "abcabc"},
		{"7", 7, "bcabca"},
		{"math.MaxInt", math.MaxInt, "bcabca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			katatest.Guard(t)
			rr, call := hiddenNewRR(t, []string{"a", "b", "c"}, tt.start)
			call = strings.Replace(call, fmt.Sprint(math.MaxInt), "math.MaxInt", 1)
			assert.Equal(t, tt.want, hiddenPicks(t, rr, len(tt.want), call), "%d Pick() calls after %s", len(tt.want), call)
		})
	}
}

// hiddenRROp is one step of the round-robin differential test: a Pick, or
// an Update with set.
type hiddenRROp struct {
	update bool
	set    []string
}

// hiddenRRCase is a start, an initial set and the steps that follow.
type hiddenRRCase struct {
	start   int
	initial []string
	ops     []hiddenRROp
}

// hiddenRRMismatch replays c on a new picker of the code under test and of
// the reference. It returns the index of the first step whose result
// differs and what each returned, -2 if NewRoundRobin itself differs, or -1
// if nothing differs.
func hiddenRRMismatch(c hiddenRRCase) (at int, got, want string) {
	var (
		g   *roundrobin.RoundRobin[string]
		w   *ref.RoundRobin[string]
		err error
	)
	if pv := hiddenTry(func() { g, err = roundrobin.NewRoundRobin(c.initial, roundrobin.WithStart(c.start)) }); pv != nil || err != nil || g == nil {
		if pv != nil {
			return -2, fmt.Sprintf("panicked: %v", pv), "a picker, nil"
		}
		return -2, fmt.Sprintf("%s, %s", hiddenPicker(g != nil), hiddenErrName(err)), "a picker, nil"
	}
	w, _ = ref.NewRoundRobin(c.initial, ref.WithStart(c.start))
	for i, op := range c.ops {
		if op.update {
			if pv := hiddenTry(func() { g.Update(op.set) }); pv != nil {
				return i, fmt.Sprintf("panicked: %v", pv), "no panic"
			}
			w.Update(op.set)
			continue
		}
		var (
			gv   string
			gerr error
		)
		pv := hiddenTry(func() { gv, gerr = g.Pick() })
		wv, werr := w.Pick()
		want := fmt.Sprintf("%q, %s", wv, hiddenRefErrName(werr))
		if pv != nil {
			return i, fmt.Sprintf("panicked: %v", pv), want
		}
		if got := fmt.Sprintf("%q, %s", gv, hiddenErrName(gerr)); got != want {
			return i, got, want
		}
	}
	return -1, "", ""
}

// hiddenShrinkRR makes a failing case smaller while it still fails: it cuts
// the steps after the first mismatch, drops chunks of steps and single
// backends, and lowers the start.
func hiddenShrinkRR(c hiddenRRCase) hiddenRRCase {
	fails := func(c hiddenRRCase) bool { at, _, _ := hiddenRRMismatch(c); return at != -1 }
	cut := func(c hiddenRRCase) hiddenRRCase {
		at, _, _ := hiddenRRMismatch(c)
		c.ops = c.ops[:max(at+1, 0)]
		return c
	}
	c = cut(c)
	for changed := true; changed; {
		changed = false
		for size := len(c.ops) / 2; size >= 1; size /= 2 {
			for i := 0; i+size <= len(c.ops); {
				try := c
				try.ops = slices.Concat(c.ops[:i], c.ops[i+size:])
				if fails(try) {
					c, changed = cut(try), true
				} else {
					i++
				}
			}
		}
		for _, s := range []int{0, c.start / 2, c.start - 1} {
			if s >= 0 && s < c.start {
				if try := (hiddenRRCase{s, c.initial, c.ops}); fails(try) {
					c, changed = cut(try), true
					break
				}
			}
		}
		// Drop one backend from a set (the initial one is set -1).
		for j := -1; j < len(c.ops); j++ {
			set := c.initial
			if j >= 0 {
				if !c.ops[j].update {
					continue
				}
				set = c.ops[j].set
			}
			for k := range set {
				try := c
				smaller := slices.Delete(slices.Clone(set), k, k+1)
				if j < 0 {
					try.initial = smaller
				} else {
					try.ops = slices.Clone(c.ops)
					try.ops[j].set = smaller
				}
				if fails(try) {
					c, changed = cut(try), true
					break
				}
			}
		}
	}
	return c
}

// hiddenRRCalls prints a case as Go calls, ending with the first mismatch.
func hiddenRRCalls(c hiddenRRCase) string {
	goSet := func(s []string) string {
		if s == nil {
			return "nil"
		}
		q := make([]string, len(s))
		for i, v := range s {
			q[i] = fmt.Sprintf("%q", v)
		}
		return "[]string{" + strings.Join(q, ", ") + "}"
	}
	at, got, want := hiddenRRMismatch(c)
	var b strings.Builder
	fmt.Fprintf(&b, "rr, err := roundrobin.NewRoundRobin(%s, roundrobin.WithStart(%d))", goSet(c.initial), c.start)
	if at == -2 {
		fmt.Fprintf(&b, " = %s, want %s", got, want)
		return b.String()
	}
	for i, op := range c.ops {
		if at >= 0 && i > at {
			break
		}
		if op.update {
			fmt.Fprintf(&b, "; rr.Update(%s)", goSet(op.set))
		} else {
			b.WriteString("; rr.Pick()")
		}
		if i == at {
			fmt.Fprintf(&b, " = %s, want %s", got, want)
		}
	}
	if at == -1 {
		b.WriteString(" (no mismatch)")
	}
	return b.String()
}

// TestHiddenRoundRobinDifferential runs 10 rounds of 1000 random steps, each
// a Pick or an Update with a set of 0 to 7 backends, on pickers with random
// starts from 0 to 100, and compares every pick with the reference. A
// mismatch is shrunk to a short sequence of calls that reproduces it.
//
// Category: differential
func TestHiddenRoundRobinDifferential(t *testing.T) {
	katatest.Guard(t)
	r := rand.New(rand.NewPCG(3, 4))
	for range 10 {
		tag := 0
		randomSet := func() []string {
			set := make([]string, r.IntN(8))
			for i := range set {
				set[i] = fmt.Sprintf("%c%d", 'a'+tag%26, i)
			}
			tag++
			return set
		}
		c := hiddenRRCase{start: r.IntN(101), initial: randomSet()}
		for range 1000 {
			if r.IntN(10) < 3 {
				c.ops = append(c.ops, hiddenRROp{update: true, set: randomSet()})
			} else {
				c.ops = append(c.ops, hiddenRROp{})
			}
		}
		if at, _, _ := hiddenRRMismatch(c); at != -1 {
			t.Fatalf("differs from the reference: %s", hiddenRRCalls(hiddenShrinkRR(c)))
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
		weights []int
		period  string
	}{
		{[]int{5, 1, 1}, "aabacaa"},
		{[]int{4, 2, 1}, "abacaba"},
		{[]int{3, 2, 1}, "abacba"},
		{[]int{1, 2, 3}, "cbacbc"},
		{[]int{3, 1}, "aaba"},
		{[]int{2, 2}, "abab"},
		{[]int{5, 0, 1}, "aaacaa"},
		{[]int{7, 3}, "abaaabaaba"},
		{[]int{0, 0, 1}, "c"},
	}
	for _, tt := range tests {
		t.Run(hiddenBraces(tt.weights), func(t *testing.T) {
			katatest.Guard(t)
			sw, call := hiddenNewSW(t, tt.weights...)
			n := 2 * len(tt.period)
			assert.Equal(t, tt.period+tt.period, hiddenPicks(t, sw, n, call), "%d Pick() calls (two periods) after %s, entries named a, b, c", n, call)
		})
	}
	t.Run("equal items", func(t *testing.T) {
		katatest.Guard(t)
		items := []roundrobin.Weighted[string]{{Item: "a", Weight: 2}, {Item: "b", Weight: 1}, {Item: "a", Weight: 1}}
		call := "NewSmoothWeighted([{a 2} {b 1} {a 1}])"
		var (
			sw  *roundrobin.SmoothWeighted[string]
			err error
		)
		if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(items) }); pv != nil {
			t.Fatalf("%s panicked: %v", call, pv)
		}
		hiddenMustBuild(t, call, sw != nil, err)
		assert.Equal(t, "abaaabaa", hiddenPicks(t, sw, 8, call), "8 Pick() calls after %s: equal Items are separate entries", call)
	})
}

// TestHiddenSmoothWeightedSmoothness checks that {5,1,1} never returns a
// more than 4 times in a row, across period boundaries too, and that 700
// picks hold exactly 500 a, 100 b and 100 c.
//
// Category: behaviour
func TestHiddenSmoothWeightedSmoothness(t *testing.T) {
	katatest.Guard(t)
	sw, call := hiddenNewSW(t, 5, 1, 1)
	seq := hiddenPicks(t, sw, 700, call)

	longest, run := 0, 0
	for _, c := range seq {
		if c == 'a' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	assert.Equal(t, 4, longest, "the longest run of a in 700 Pick() calls after %s (first 21: %s)", call, seq[:21])
	for _, e := range []struct {
		item string
		want int
	}{{"a", 500}, {"b", 100}, {"c", 100}} {
		assert.Equal(t, e.want, strings.Count(seq, e.item), "how often %s was returned by 700 Pick() calls after %s", e.item, call)
	}
}

// hiddenShrinkWeights makes a failing weight vector smaller while fails
// still holds: it drops entries and lowers weights, keeping at least one
// positive weight.
func hiddenShrinkWeights(weights []int, fails func([]int) bool) []int {
	valid := func(w []int) bool { return len(w) > 0 && slices.Max(w) > 0 }
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(weights) && !changed; i++ {
			if try := slices.Delete(slices.Clone(weights), i, i+1); valid(try) && fails(try) {
				weights, changed = try, true
			}
		}
		for i := 0; i < len(weights) && !changed; i++ {
			for _, w := range []int{0, weights[i] / 2, weights[i] - 1} {
				if w < 0 || w >= weights[i] {
					continue
				}
				try := slices.Clone(weights)
				try[i] = w
				if valid(try) && fails(try) {
					weights, changed = try, true
					break
				}
			}
		}
	}
	return weights
}

// hiddenPeriodFault returns what is wrong with the first two periods of
// NewSmoothWeighted(weights), or "" if each holds every entry exactly Weight
// times and the second repeats the first.
func hiddenPeriodFault(weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	call := "NewSmoothWeighted(weights " + hiddenBraces(weights) + ")"
	var (
		sw  *roundrobin.SmoothWeighted[string]
		err error
	)
	if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(hiddenWeighted(weights...)) }); pv != nil {
		return fmt.Sprintf("%s panicked: %v", call, pv)
	}
	if err != nil || sw == nil {
		return fmt.Sprintf("%s = %s, %s; want a picker, nil", call, hiddenPicker(sw != nil), hiddenErrName(err))
	}
	seq := make([]string, 2*total)
	for k := range seq {
		var v string
		if pv := hiddenTry(func() { v, err = sw.Pick() }); pv != nil || err != nil {
			return fmt.Sprintf("%s, then Pick() call %d panicked (%v) or failed (%s)", call, k+1, pv, hiddenErrName(err))
		}
		seq[k] = v
	}
	got := make([]string, len(weights))
	for i, w := range weights {
		n := 0
		for _, v := range seq[:total] {
			if v == hiddenName(i) {
				n++
			}
		}
		got[i] = fmt.Sprintf("%s×%d", hiddenName(i), n)
		if n != w {
			return fmt.Sprintf("%s, then %d Pick() calls (one period) = %s: counts %s; want each entry exactly Weight times", call, total, strings.Join(seq[:total], " "), strings.Join(got, " "))
		}
	}
	if !slices.Equal(seq[:total], seq[total:]) {
		return fmt.Sprintf("%s, then %d Pick() calls = %s, then %s; want the second period to repeat the first", call, 2*total, strings.Join(seq[:total], " "), strings.Join(seq[total:], " "))
	}
	return ""
}

// TestHiddenSmoothWeightedPeriod draws 200 random weight vectors (1 to 8
// entries, weights 0 to 20, at least one positive). For each, the first
// period of total picks returns every entry exactly Weight times, and the
// second period repeats the first. A failure is shrunk to a small vector.
//
// Category: behaviour
func TestHiddenSmoothWeightedPeriod(t *testing.T) {
	katatest.Guard(t)
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		weights := make([]int, 1+r.IntN(8))
		for i := range weights {
			weights[i] = r.IntN(21)
		}
		if slices.Max(weights) == 0 {
			weights[0] = 1
		}
		if hiddenPeriodFault(weights) != "" {
			small := hiddenShrinkWeights(weights, func(w []int) bool { return hiddenPeriodFault(w) != "" })
			t.Fatal(hiddenPeriodFault(small))
		}
	}
}

// TestHiddenSmoothWeightedValidation checks the errors of NewSmoothWeighted
// and their order: a negative weight first, then the cap on the sum, then
// no positive weight.
//
// Category: config
func TestHiddenSmoothWeightedValidation(t *testing.T) {
	tests := []struct {
		weights []int
		want    error
	}{
		{[]int{-1, 5}, roundrobin.ErrInvalidWeight},
		{[]int{-1, 0}, roundrobin.ErrInvalidWeight},
		{[]int{5, -1}, roundrobin.ErrInvalidWeight},
		{[]int{0, -1}, roundrobin.ErrInvalidWeight},
		{[]int{math.MaxInt, math.MaxInt, 2}, roundrobin.ErrInvalidWeight}, // wraps to 0: the cap comes before "no positive weight"
		{[]int{0}, roundrobin.ErrNoBackends},
		{[]int{}, roundrobin.ErrNoBackends},
	}
	for _, tt := range tests {
		t.Run(hiddenBraces(tt.weights), func(t *testing.T) {
			katatest.Guard(t)
			call := "NewSmoothWeighted(weights " + hiddenBraces(tt.weights) + ")"
			var (
				sw  *roundrobin.SmoothWeighted[string]
				err error
			)
			if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(hiddenWeighted(tt.weights...)) }); pv != nil {
				t.Fatalf("%s panicked: %v", call, pv)
			}
			if !errors.Is(err, tt.want) || sw != nil {
				t.Errorf("%s = %s, %s; want nil, %s", call, hiddenPicker(sw != nil), hiddenErrName(err), hiddenErrName(tt.want))
			}
		})
	}
}

// TestHiddenSmoothWeightedTotalCap checks the cap on the sum of weights at
// its edge: a sum equal to MaxTotalWeight is accepted, one more is refused,
// and sums that would overflow an int are refused rather than wrapped,
// whatever the order of the entries.
//
// Category: boundary
func TestHiddenSmoothWeightedTotalCap(t *testing.T) {
	tests := []struct {
		weights []int
		first   string // the first two picks; "": refused
	}{
		{[]int{roundrobin.MaxTotalWeight}, "aa"},
		{[]int{roundrobin.MaxTotalWeight - 1, 1}, "aa"},
		{[]int{1, roundrobin.MaxTotalWeight - 1}, "bb"},
		{[]int{roundrobin.MaxTotalWeight, 0}, "aa"},
		{[]int{roundrobin.MaxTotalWeight, 1}, ""},
		{[]int{1, roundrobin.MaxTotalWeight}, ""},
		{[]int{roundrobin.MaxTotalWeight + 1}, ""},
		{[]int{math.MaxInt}, ""},
		{[]int{1, math.MaxInt}, ""},
		{[]int{math.MaxInt, 1}, ""},
		{[]int{2, math.MaxInt - 1}, ""},
		{[]int{roundrobin.MaxTotalWeight, math.MaxInt}, ""},
		{[]int{math.MaxInt, math.MaxInt}, ""},
	}
	for _, tt := range tests {
		t.Run(hiddenBraces(tt.weights), func(t *testing.T) {
			katatest.Guard(t)
			call := "NewSmoothWeighted(weights " + hiddenBraces(tt.weights) + ")"
			var (
				sw  *roundrobin.SmoothWeighted[string]
				err error
			)
			if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(hiddenWeighted(tt.weights...)) }); pv != nil {
				t.Fatalf("%s panicked: %v", call, pv)
			}
			if tt.first == "" {
				if !errors.Is(err, roundrobin.ErrInvalidWeight) || sw != nil {
					t.Errorf("%s = %s, %s; want nil, ErrInvalidWeight: the sum is above MaxTotalWeight (compute it without overflow)", call, hiddenPicker(sw != nil), hiddenErrName(err))
				}
				return
			}
			hiddenMustBuild(t, call, sw != nil, err)
			assert.Equal(t, tt.first, hiddenPicks(t, sw, 2, call), "2 Pick() calls after %s", call)
		})
	}
}

// TestHiddenSmoothWeightedDefensiveCopy overwrites the caller's items and
// weights after NewSmoothWeighted: no pick changes.
//
// Category: behaviour
func TestHiddenSmoothWeightedDefensiveCopy(t *testing.T) {
	katatest.Guard(t)
	items := hiddenWeighted(5, 1, 1)
	call := "NewSmoothWeighted(weights {5,1,1})"
	var (
		sw  *roundrobin.SmoothWeighted[string]
		err error
	)
	if pv := hiddenTry(func() { sw, err = roundrobin.NewSmoothWeighted(items) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	hiddenMustBuild(t, call, sw != nil, err)
	items[0] = roundrobin.Weighted[string]{Item: "z", Weight: 0}
	items[1].Weight = 100
	items[2].Item = "y"
	call += "; then the caller's items are overwritten with [{z 0} {b 100} {y 1}]"
	assert.Equal(t, "aabacaa"+"aabacaa", hiddenPicks(t, sw, 14, call), "14 Pick() calls after %s", call)
}

// hiddenSWMismatch builds NewSmoothWeighted(weights) in the code under test
// and the reference and compares up to n picks. It returns the index of the
// first pick that differs, the picks before it and both results, -2 if
// NewSmoothWeighted itself differs, or -1 if nothing differs.
func hiddenSWMismatch(weights []int, n int) (at int, before []string, got, want string) {
	var (
		g   *roundrobin.SmoothWeighted[string]
		err error
	)
	if pv := hiddenTry(func() { g, err = roundrobin.NewSmoothWeighted(hiddenWeighted(weights...)) }); pv != nil || err != nil || g == nil {
		if pv != nil {
			return -2, nil, fmt.Sprintf("panicked: %v", pv), "a picker, nil"
		}
		return -2, nil, fmt.Sprintf("%s, %s", hiddenPicker(g != nil), hiddenErrName(err)), "a picker, nil"
	}
	refItems := make([]ref.Weighted[string], len(weights))
	for i, w := range weights {
		refItems[i] = ref.Weighted[string]{Item: hiddenName(i), Weight: w}
	}
	w, _ := ref.NewSmoothWeighted(refItems)
	for k := range n {
		var gv string
		pv := hiddenTry(func() { gv, err = g.Pick() })
		wv, _ := w.Pick()
		switch {
		case pv != nil:
			return k, before, fmt.Sprintf("panicked: %v", pv), fmt.Sprintf("%q, nil", wv)
		case err != nil || gv != wv:
			return k, before, fmt.Sprintf("%q, %s", gv, hiddenErrName(err)), fmt.Sprintf("%q, nil", wv)
		}
		before = append(before, gv)
	}
	return -1, nil, "", ""
}

// TestHiddenSmoothWeightedDifferential compares 1000 picks with the
// reference for each of 50 random weight vectors (1 to 10 entries, weights 0
// to 30). A mismatch is shrunk to a small vector and its first differing
// pick.
//
// Category: differential
func TestHiddenSmoothWeightedDifferential(t *testing.T) {
	katatest.Guard(t)
	r := rand.New(rand.NewPCG(7, 8))
	const n = 1000
	for range 50 {
		weights := make([]int, 1+r.IntN(10))
		for i := range weights {
			weights[i] = r.IntN(31)
		}
		if slices.Max(weights) == 0 {
			weights[r.IntN(len(weights))] = 1
		}
		if at, _, _, _ := hiddenSWMismatch(weights, n); at == -1 {
			continue
		}
		weights = hiddenShrinkWeights(weights, func(w []int) bool { at, _, _, _ := hiddenSWMismatch(w, n); return at != -1 })
		at, before, got, want := hiddenSWMismatch(weights, n)
		goItems := make([]string, len(weights))
		for i, w := range weights {
			goItems[i] = fmt.Sprintf("{%q, %d}", hiddenName(i), w)
		}
		calls := fmt.Sprintf("sw, err := roundrobin.NewSmoothWeighted([]roundrobin.Weighted[string]{%s})", strings.Join(goItems, ", "))
		if at == -2 {
			t.Fatalf("differs from the reference: %s = %s, want %s", calls, got, want)
		}
		if at > 0 {
			shown := before
			if len(shown) > 30 {
				shown = append(slices.Clone(shown[:30]), "…")
			}
			calls += fmt.Sprintf("; %d × sw.Pick() = %s", at, strings.Join(shown, " "))
		}
		t.Fatalf("differs from the reference: %s; sw.Pick() = %s, want %s", calls, got, want)
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
	katatest.Guard(t)
	rr, err := roundrobin.NewRoundRobin([]int{1, 2, 3, 4})
	if err != nil || rr == nil {
		t.Fatalf("NewRoundRobin([1 2 3 4]) = %s, %s; want a picker, nil", hiddenPicker(rr != nil), hiddenErrName(err))
	}
	const call = "16 goroutines × 1000 Pick() calls after NewRoundRobin([1 2 3 4])"

	katatest.Within(t, katatest.DefaultHang, "Pick did not return under concurrent use: a lock that is never released?", func() {
		var (
			counts          [5]atomic.Int64 // counts[0] counts values outside the set
			errs, panics    atomic.Int64
			firstErr, first atomic.Value
		)
		katatest.Hammer(16, 1000, func(g, i int) {
			defer func() {
				if pv := recover(); pv != nil {
					panics.Add(1)
					first.CompareAndSwap(nil, fmt.Sprint(pv))
				}
			}()
			v, err := rr.Pick()
			switch {
			case err != nil:
				errs.Add(1)
				firstErr.CompareAndSwap(nil, hiddenErrName(err))
			case v < 1 || v > 4:
				counts[0].Add(1)
			default:
				counts[v].Add(1)
			}
		})
		assert.Zero(t, panics.Load(), "%s: calls that panicked (first: %v)", call, first.Load())
		assert.Zero(t, errs.Load(), "%s: calls that returned an error (first: %v)", call, firstErr.Load())
		assert.Zero(t, counts[0].Load(), "%s: calls that returned a value outside [1 2 3 4]", call)
		for v := 1; v <= 4; v++ {
			assert.Equal(t, int64(4000), counts[v].Load(), "%s: how often backend %d was returned", call, v)
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
	katatest.Guard(t)
	five := []string{"a1", "a2", "a3", "a4", "a5"}
	two := []string{"b1", "b2"}
	rr, call := hiddenNewRR(t, five)
	call = "8 goroutines × 4000 Pick() calls after " + call + ", while another goroutine calls Update([b1 b2]) and Update([a1 a2 a3 a4 a5]) in turn"

	katatest.Within(t, katatest.DefaultHang, "Pick or Update did not return under concurrent use: a lock that is never released?", func() {
		var (
			errs, panics, outside, updates atomic.Int64
			firstOutside, firstErr, first  atomic.Value
			stop                           atomic.Bool
			updaterDone                    = make(chan struct{})
		)
		onPanic := func() {
			if pv := recover(); pv != nil {
				panics.Add(1)
				first.CompareAndSwap(nil, fmt.Sprint(pv))
			}
		}
		go func() {
			defer close(updaterDone)
			defer onPanic()
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
			defer onPanic()
			v, err := rr.Pick()
			switch {
			case err != nil:
				errs.Add(1)
				firstErr.CompareAndSwap(nil, hiddenErrName(err))
			case !slices.Contains(five, v) && !slices.Contains(two, v):
				outside.Add(1)
				firstOutside.CompareAndSwap(nil, fmt.Sprintf("%q", v))
			}
		})
		stop.Store(true)
		<-updaterDone
		assert.Positive(t, updates.Load(), "%s: Updates made while the pickers ran", call)
		assert.Zero(t, panics.Load(), "%s: calls that panicked (first: %v)", call, first.Load())
		assert.Zero(t, errs.Load(), "%s: picks that returned an error, though the set was never empty (first: %v)", call, firstErr.Load())
		assert.Zero(t, outside.Load(), "%s: picks that returned a value from neither set (first: %v)", call, firstOutside.Load())
	})
}

// TestHiddenSmoothWeightedConcurrentCounts makes 7 goroutines pick 1000
// times each on {5,1,1}: picks are serialised, so the 7000 picks are 1000
// whole periods, exactly 5000 a, 1000 b and 1000 c. Run with -race: an
// unlocked Pick is reported as a data race.
//
// Category: concurrency
func TestHiddenSmoothWeightedConcurrentCounts(t *testing.T) {
	katatest.Guard(t)
	sw, call := hiddenNewSW(t, 5, 1, 1)
	call = "7 goroutines × 1000 Pick() calls after " + call

	katatest.Within(t, katatest.DefaultHang, "Pick did not return under concurrent use: a lock that is never released?", func() {
		var (
			a, b, c, other atomic.Int64
			firstOther     atomic.Value
		)
		katatest.Hammer(7, 1000, func(g, i int) {
			defer func() {
				if pv := recover(); pv != nil {
					other.Add(1)
					firstOther.CompareAndSwap(nil, fmt.Sprintf("panic: %v", pv))
				}
			}()
			v, err := sw.Pick()
			switch {
			case err != nil:
				other.Add(1)
				firstOther.CompareAndSwap(nil, hiddenErrName(err))
			case v == "a":
				a.Add(1)
			case v == "b":
				b.Add(1)
			case v == "c":
				c.Add(1)
			default:
				other.Add(1)
				firstOther.CompareAndSwap(nil, fmt.Sprintf("%q", v))
			}
		})
		assert.Zero(t, other.Load(), "%s: calls that failed, panicked or returned something other than a, b or c (first: %v)", call, firstOther.Load())
		assert.Equal(t, int64(5000), a.Load(), "%s: how often a was returned", call)
		assert.Equal(t, int64(1000), b.Load(), "%s: how often b was returned", call)
		assert.Equal(t, int64(1000), c.Load(), "%s: how often c was returned", call)
	})
}
