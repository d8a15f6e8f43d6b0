package leastconn

import (
	"errors"
	"testing"

	"google.golang.org/grpc/balancer"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/leastconn"
)

// The documented differences between the kata's P2C and grpc-go's
// least-request picker. Each reproduction asserts the kata's rule
// (katas/leastconn/README.md) on the reference and grpc's behaviour on
// grpc, on the same calls.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "LC-1", "P2C draws two distinct backends (rule 9); grpc draws with replacement, so it may compare a backend with itself and pick it although another is idle", testDrawsWithReplacement)
	harness.Exclusion(t, "LC-2", "only a done's first call counts (rule 3); grpc's Done decrements at every call, down to negative counts", testDoneTwice)
	harness.Exclusion(t, "LC-3", "two entries with equal Items are refused with ErrDuplicateBackend and change nothing (rule 1); grpc keeps one endpoint and reports no error", testDuplicates)
	harness.Exclusion(t, "LC-4", "an empty set is valid and Pick on it returns ErrNoBackends (rules 1, 5); grpc's update reports balancer.ErrBadResolverState and its picker fails with its own error", testEmptySet)
	harness.Exclusion(t, "LC-5", "with one backend P2C returns it without calling rnd (rule 9); grpc draws twice", testOneBackend)
}

func testDrawsWithReplacement(t *testing.T) {
	// a holds one request, b none. The kata's rnd returns 0 twice: i = 0
	// (a), j′ = 0 < i is false, so j = 1 (b): b, less loaded. grpc draws a
	// twice and returns a.
	r := mustNew(t, newRef, []string{"a", "b"}, pairsRaw(0, 0, 0, 0))
	r.Pick() // a: a tie, the first draw
	if item, _, _ := r.Pick(); item != "b" {
		t.Errorf("reference: [a b], a holding one; rnd returns 0, 0: Pick() = %q; want \"b\" (the second draw is the other backend)", item)
	}
	l := mustNew(t, newLib, []string{"a", "b"}, nil).(*libPicker)
	l.raw = []int{0, 0, 0, 0} // grpc's draws as they are: a, a; then a, a
	l.Pick()
	if item, _, _ := l.Pick(); item != "a" {
		t.Errorf("grpc: [a b], a holding one; both draws a: Pick() = %q; documented \"a\"", item)
	}
}

// pairsRaw returns an rnd that returns ds in turn.
func pairsRaw(ds ...int) func(int) int {
	k := 0
	return func(int) int { d := ds[k%len(ds)]; k++; return d }
}

func testDoneTwice(t *testing.T) {
	for _, s := range []struct {
		name string
		f    newPicker
		want int
	}{{"reference", newRef, 0}, {"grpc", newLib, -1}} {
		p := mustNew(t, s.f, []string{"a"}, nil)
		_, done, _ := p.Pick()
		done()
		done()
		if got := p.InFlight("a"); got != s.want {
			t.Errorf("%s: [a]; _, done, _ := Pick(); done(); done(); InFlight(\"a\") = %d; documented %d", s.name, got, s.want)
		}
	}
}

func testDuplicates(t *testing.T) {
	if p, err := ref.NewP2C(backends([]string{"a", "a"}), nil); p != nil || !errors.Is(err, ref.ErrDuplicateBackend) {
		t.Errorf("reference: NewP2C([a a]) = (%v, %v); want (nil, ErrDuplicateBackend)", p, err)
	}
	l := mustNew(t, newLib, []string{"a", "b"}, nil).(*libPicker)
	if err := l.Update([]string{"a", "a"}); err != nil || len(l.items) != 1 {
		t.Errorf("grpc: Update([a a]) = %v, its picker holds %v; documented nil, [a]", err, l.items)
	}
}

func testEmptySet(t *testing.T) {
	r := mustNew(t, newRef, []string{"a"}, nil)
	if err := r.Update(nil); err != nil {
		t.Errorf("reference: Update(nil) = %v; want nil", err)
	}
	if item, done, err := r.Pick(); item != "" || done != nil || !errors.Is(err, ref.ErrNoBackends) {
		t.Errorf("reference: Update(nil); Pick() = (%q, done, %v); want (\"\", nil, ErrNoBackends)", item, err)
	}
	l := mustNew(t, newLib, []string{"a"}, nil)
	uerr := l.Update(nil)
	_, _, err := l.Pick()
	if !errors.Is(uerr, balancer.ErrBadResolverState) || err == nil || errors.Is(err, ref.ErrNoBackends) {
		t.Errorf("grpc: Update(nil) = %v, then Pick() fails with %v; documented ErrBadResolverState, its own error", uerr, err)
	}
}

func testOneBackend(t *testing.T) {
	calls := 0
	r := mustNew(t, newRef, []string{"a"}, func(int) int { calls++; return 0 })
	if item, _, _ := r.Pick(); item != "a" || calls != 0 {
		t.Errorf("reference: [a]; Pick() = %q after %d rnd calls; want \"a\", 0", item, calls)
	}
	l := mustNew(t, newLib, []string{"a"}, nil).(*libPicker)
	if item, _, _ := l.Pick(); item != "a" || l.calls != 2 {
		t.Errorf("grpc: [a]; Pick() = %q after %d draws; documented \"a\", 2", item, l.calls)
	}
}
