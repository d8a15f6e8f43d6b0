package leastconn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/microkata/microkata/conformance/internal/report"
	"github.com/microkata/microkata/conformance/internal/shrink"
)

type opKind int

const (
	opPick opKind = iota
	opDone
	opUpdate
)

// op is one call: a Pick with the raw values of its two draws (taken
// modulo n and n − 1), the done of the i-th pending pick, or an Update.
type op struct {
	kind   opKind
	r1, r2 int
	i      int
	items  []string
}

func (o op) String() string {
	switch o.kind {
	case opPick:
		return fmt.Sprintf("p.Pick() /* draws %d, %d */", o.r1, o.r2)
	case opDone:
		return fmt.Sprintf("done#%d()", o.i)
	}
	return fmt.Sprintf("p.Update(%v)", o.items)
}

var universe = []string{"a", "b", "c", "d", "e", "f"}

// run replays ops on a fresh picker over first; the outcome of a step is
// its result and every Item's InFlight after it.
func run(f newPicker, first []string, ops []op) []string {
	var cur *op
	second := false
	rnd := func(n int) int {
		if !second {
			second = true
			return cur.r1 % n
		}
		return cur.r2 % n
	}
	p, err := f(first, rnd)
	if err != nil {
		return []string{"New failed: " + err.Error()}
	}
	type pending struct {
		item string
		done func()
	}
	var dones []pending
	var out []string
	for k := range ops {
		o := &ops[k]
		var res string
		switch o.kind {
		case opPick:
			cur, second = o, false
			item, done, err := p.Pick()
			res = fmt.Sprintf("%q, done#%d, %v", item, len(dones), err)
			if err == nil {
				dones = append(dones, pending{item, done})
			}
		case opDone:
			if len(dones) == 0 {
				res = "no pending done"
				break
			}
			i := o.i % len(dones)
			dones[i].done()
			res = "released " + dones[i].item
			dones = append(dones[:i], dones[i+1:]...) // each done is called once (LC-2)
		case opUpdate:
			res = fmt.Sprint(p.Update(o.items))
		}
		var counts []string
		for _, it := range universe {
			counts = append(counts, fmt.Sprintf("%s:%d", it, p.InFlight(it)))
		}
		out = append(out, res+"; InFlight "+strings.Join(counts, " "))
	}
	return out
}

func firstMismatch(a, b []string) int {
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

func describe(first []string, ops []op, r, l []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "p, _ := leastconn.NewP2C(%v, rnd)", first)
	i := firstMismatch(r, l)
	for j := 0; j <= i && j < len(ops); j++ {
		fmt.Fprintf(&b, "; %s → %s", ops[j], r[j])
		if j == i {
			fmt.Fprintf(&b, " (grpc: %s)", l[j])
		}
	}
	return b.String()
}

// subset draws a non-empty subset of the universe in a random order.
func subset(rng *rand.Rand) []string {
	p := rng.Perm(len(universe))[:1+rng.IntN(len(universe))]
	s := make([]string, len(p))
	for i, k := range p {
		s[i] = universe[k]
	}
	return s
}

func genOps(rng *rand.Rand, n int) []op {
	ops := make([]op, n)
	for i := range ops {
		o := op{kind: opPick, r1: rng.IntN(1 << 20), r2: rng.IntN(1 << 20), i: rng.IntN(8)}
		switch r := rng.IntN(20); {
		case r < 8:
			o.kind = opDone
		case r == 8:
			o.kind, o.items = opUpdate, subset(rng)
		}
		ops[i] = o
	}
	return ops
}

// TestDifferential runs 10 seeded runs of 5000 random steps (50 000 in
// all) on the reference's P2C and grpc's least-request picker with the
// same draws: picks, dones (late, out of order, after their backend left
// or left and came back) and Updates to random non-empty sets in random
// orders; every pick and every Item's InFlight after every step are
// compared.
func TestDifferential(t *testing.T) {
	const seeds, steps = 10, 5000
	total, mismatches := 0, 0
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 18))
		first := subset(rng)
		ops := genOps(rng, steps)
		r, l := run(newRef, first, ops), run(newLib, first, ops)
		total += len(ops)
		i := firstMismatch(r, l)
		if i < 0 {
			continue
		}
		mismatches++
		fails := func(ops []op) bool { return firstMismatch(run(newRef, first, ops), run(newLib, first, ops)) >= 0 }
		short := shrink.Minimal(ops[:i+1], fails, 2*time.Second)
		t.Errorf("seed %d: the reference and grpc differ at step %d; shortest sequence found: %s", seed, i+1, describe(first, short, run(newRef, first, short), run(newLib, first, short)))
	}
	report.AddDiff(report.Diff{
		Name: "Pick/done/Update (P2C against least_request_experimental with choiceCount 2)", Steps: total, Mismatches: mismatches,
		Avoids: "a done called twice (LC-2), duplicate Items (LC-3), empty sets (LC-4); both sides draw distinct pairs (LC-1); weights are all 1 (grpc has none)",
	})
}
