package lru

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

type opKind int

const (
	opAdd opKind = iota
	opGet
	opPeek
	opContains
	opRemove
	opRemoveOldest
	opGetOldest
	opResize
	opPurge
	numOps
)

// op is one call; k and v are its arguments where it has them.
type op struct {
	kind opKind
	k, v int
}

func (o op) String() string {
	switch o.kind {
	case opAdd:
		return fmt.Sprintf("c.Add(%d, %d)", o.k, o.v)
	case opGet:
		return fmt.Sprintf("c.Get(%d)", o.k)
	case opPeek:
		return fmt.Sprintf("c.Peek(%d)", o.k)
	case opContains:
		return fmt.Sprintf("c.Contains(%d)", o.k)
	case opRemove:
		return fmt.Sprintf("c.Remove(%d)", o.k)
	case opRemoveOldest:
		return "c.RemoveOldest()"
	case opGetOldest:
		return "c.GetOldest()"
	case opResize:
		return fmt.Sprintf("c.Resize(%d)", o.k)
	case opPurge:
		return "c.Purge()"
	}
	return "?"
}

// outcome is what one step showed: the call's results, the callbacks it
// caused, and the cache's observable state after it.
type outcome struct {
	result, callbacks, state string
}

// run replays ops on a fresh cache and returns one outcome per step.
func run(newImpl newCache, capacity int, ops []op) []outcome {
	var gone []string
	c, err := newImpl(capacity, func(k, v int) { gone = append(gone, fmt.Sprintf("onEvict(%d, %d)", k, v)) })
	if err != nil {
		return []outcome{{result: "New failed: " + err.Error()}}
	}
	out := make([]outcome, 0, len(ops))
	for _, o := range ops {
		gone = gone[:0]
		var res string
		switch o.kind {
		case opAdd:
			res = fmt.Sprint(c.Add(o.k, o.v))
		case opGet:
			v, ok := c.Get(o.k)
			res = fmt.Sprintf("(%d, %t)", v, ok)
		case opPeek:
			v, ok := c.Peek(o.k)
			res = fmt.Sprintf("(%d, %t)", v, ok)
		case opContains:
			res = fmt.Sprint(c.Contains(o.k))
		case opRemove:
			res = fmt.Sprint(c.Remove(o.k))
		case opRemoveOldest:
			k, v, ok := c.RemoveOldest()
			res = fmt.Sprintf("(%d, %d, %t)", k, v, ok)
		case opGetOldest:
			k, v, ok := c.GetOldest()
			res = fmt.Sprintf("(%d, %d, %t)", k, v, ok)
		case opResize:
			n, err := c.Resize(o.k)
			res = fmt.Sprintf("(%d, %s)", n, errText(err))
		case opPurge:
			c.Purge()
			// The order of Purge's callbacks is a documented difference
			// (LRU-2): compare them as a set.
			slices.Sort(gone)
		}
		out = append(out, outcome{
			result:    res,
			callbacks: strings.Join(gone, ", "),
			state:     fmt.Sprintf("Keys() = %v, Values() = %v, Len() = %d, Cap() = %d", c.Keys(), c.Values(), c.Len(), c.Cap()),
		})
	}
	return out
}

// firstMismatch returns the index of the first step whose outcome differs,
// or -1.
func firstMismatch(a, b []outcome) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// describe prints ops as Go calls with the agreed results, the differing
// step last with both sides.
func describe(capacity int, ops []op, ref, lib []outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "c, _ := lru.New[int, int](%d, lru.WithOnEvict(onEvict))", capacity)
	i := firstMismatch(ref, lib)
	for j := 0; j < i && j < len(ops); j++ {
		fmt.Fprintf(&b, "; %s%s", ops[j], resultText(ref[j]))
	}
	if i >= 0 && i < len(ops) {
		r, l := ref[i], lib[i]
		fmt.Fprintf(&b, "; %s:", ops[i])
		if r.result != l.result {
			fmt.Fprintf(&b, " reference = %s, golang-lru = %s;", r.result, l.result)
		}
		if r.callbacks != l.callbacks {
			fmt.Fprintf(&b, " reference calls [%s], golang-lru calls [%s];", r.callbacks, l.callbacks)
		}
		if r.state != l.state {
			fmt.Fprintf(&b, " then reference %s, golang-lru %s", r.state, l.state)
		}
	}
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func resultText(o outcome) string {
	s := ""
	if o.result != "" {
		s = " = " + o.result
	}
	if o.callbacks != "" {
		s += " (" + o.callbacks + ")"
	}
	return s
}

// genOps draws n random steps for a cache of the given capacity. Resize
// always gets a capacity of at least 1: Resize(n <= 0) is a documented
// difference (LRU-1) and is never generated.
func genOps(rng *rand.Rand, capacity, n int) []op {
	keys := 2*capacity + 2
	ops := make([]op, n)
	for i := range ops {
		o := op{kind: opKind(rng.IntN(int(numOps))), k: rng.IntN(keys), v: rng.IntN(100)}
		if rng.IntN(3) == 0 { // Add is the most common call
			o.kind = opAdd
		}
		switch o.kind {
		case opResize:
			o.k = 1 + rng.IntN(2*capacity)
		case opPurge:
			if rng.IntN(4) != 0 { // keep Purge rare, or the cache is mostly empty
				o.kind = opAdd
			}
		}
		ops[i] = o
	}
	return ops
}

// TestDifferential runs 5 seeded runs of 10 000 random steps (50 000 in
// all) on the reference and golang-lru and compares every result, every
// callback and the state after every step (Keys, Values, Len, Cap).
func TestDifferential(t *testing.T) {
	const seeds, steps = 5, 10_000
	total, mismatches := 0, 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 18))
		capacity := 1 + rng.IntN(8)
		ops := genOps(rng, capacity, steps)
		refOut, libOut := run(newRef, capacity, ops), run(newLib, capacity, ops)
		total += len(ops)
		i := firstMismatch(refOut, libOut)
		if i < 0 {
			continue
		}
		mismatches++
		fails := func(ops []op) bool { return firstMismatch(run(newRef, capacity, ops), run(newLib, capacity, ops)) >= 0 }
		min := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
		t.Errorf("seed %d: the reference and golang-lru differ at step %d; shortest sequence found: %s",
			seed, i+1, describe(capacity, min, run(newRef, capacity, min), run(newLib, capacity, min)))
	}
	report.AddDiff(report.Diff{
		Name:       "Add/Get/Peek/Contains/Remove/RemoveOldest/GetOldest/Resize/Purge",
		Steps:      total,
		Mismatches: mismatches,
		Avoids:     "Resize(n <= 0) (LRU-1); Purge's callbacks compared as a set (LRU-2)",
	})
}
