//go:build microkata_hidden

package leastconn_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/leastconn"
	ref "github.com/microkata/microkata/solutions/leastconn"
)

// hCatch runs f and returns what it panicked with, or nil. The stub's "not
// implemented" panic goes through, so the grader reports the kata as not
// started.
func hCatch(f func()) (p any) {
	defer func() {
		p = recover()
		if p == "not implemented" {
			panic(p)
		}
	}()
	f()
	return nil
}

// hDoneText describes a done as Pick returned it.
func hDoneText(done func()) string {
	if done == nil {
		return "a nil done"
	}
	return "a done"
}

// hRecover, deferred, reports a panic of the code under test as a failure
// of t, with what the test was doing; the stub's panic goes through.
func hRecover(t *testing.T, what string) {
	if pv := recover(); pv != nil {
		if pv == "not implemented" {
			panic(pv)
		}
		t.Errorf("%s: a call panicked: %v", what, pv)
	}
}

// hB is a backend of the tests: an item name and a weight.
type hB struct {
	item   string
	weight int
}

// hW formats a weight, MaxWeight by name.
func hW(w int) string {
	switch w {
	case leastconn.MaxWeight:
		return "MaxWeight"
	case leastconn.MaxWeight - 1:
		return "MaxWeight-1"
	case leastconn.MaxWeight + 1:
		return "MaxWeight+1"
	}
	return fmt.Sprint(w)
}

// hSet formats backends as the README does: [{a 1} {b 2}], or nil.
func hSet(bs []hB) string {
	if bs == nil {
		return "nil"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("{%s %s}", b.item, hW(b.weight))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// hGoSet formats backends as Go: []leastconn.Backend[string]{{"a", 1}}.
func hGoSet(bs []hB) string {
	if bs == nil {
		return "nil"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = fmt.Sprintf("{%q, %s}", b.item, hW(b.weight))
	}
	return "[]leastconn.Backend[string]{" + strings.Join(parts, ", ") + "}"
}

// hBackends converts to the kata's type; nil stays nil.
func hBackends(bs []hB) []leastconn.Backend[string] {
	if bs == nil {
		return nil
	}
	out := make([]leastconn.Backend[string], len(bs))
	for i, b := range bs {
		out[i] = leastconn.Backend[string]{Item: b.item, Weight: b.weight}
	}
	return out
}

// hRefBackends converts to the reference's type; nil stays nil.
func hRefBackends(bs []hB) []ref.Backend[string] {
	if bs == nil {
		return nil
	}
	out := make([]ref.Backend[string], len(bs))
	for i, b := range bs {
		out[i] = ref.Backend[string]{Item: b.item, Weight: b.weight}
	}
	return out
}

// hOnes builds weight-1 backends with the given names.
func hOnes(items ...string) []hB {
	bs := make([]hB, len(items))
	for i, it := range items {
		bs[i] = hB{it, 1}
	}
	return bs
}

// hErrName names the kata's errors for messages.
func hErrName(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, leastconn.ErrNoBackends):
		return "ErrNoBackends"
	case errors.Is(err, leastconn.ErrInvalidWeight):
		return "ErrInvalidWeight"
	case errors.Is(err, leastconn.ErrDuplicateBackend):
		return "ErrDuplicateBackend"
	}
	return fmt.Sprintf("error %q", err)
}

// hRefErrName names the reference's errors as hErrName names the kata's.
func hRefErrName(err error) string {
	switch {
	case errors.Is(err, ref.ErrNoBackends):
		return "ErrNoBackends"
	case errors.Is(err, ref.ErrInvalidWeight):
		return "ErrInvalidWeight"
	case errors.Is(err, ref.ErrDuplicateBackend):
		return "ErrDuplicateBackend"
	}
	return hErrName(err)
}

// hScript is a scripted random source: rnd returns the queued values in
// turn (0 once they are used up) and records every call.
type hScript struct {
	mu     sync.Mutex
	values []int
	calls  []int
	drawn  []string
}

func (s *hScript) rnd(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, n)
	if len(s.values) == 0 {
		s.drawn = append(s.drawn, fmt.Sprintf("rnd(%d) = 0, the script's values used up", n))
		return 0
	}
	v := s.values[0]
	s.values = s.values[1:]
	s.drawn = append(s.drawn, fmt.Sprintf("rnd(%d) = %d", n, v))
	return v
}

func (s *hScript) takeDrawn() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.drawn) == 0 {
		return ""
	}
	d := " (" + strings.Join(s.drawn, ", ") + ")"
	s.drawn = nil
	return d
}

func (s *hScript) callList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return "none"
	}
	return strings.Trim(fmt.Sprint(s.calls), "[]")
}

// hSession is a picker of string backends that records every call made
// through it, with its result, for messages.
type hSession struct {
	t     *testing.T
	name  string // lc or p2c
	p     leastconn.Picker[string]
	rnd   *hScript // P2C only
	calls []string
	dones int
}

func (s *hSession) String() string { return strings.Join(s.calls, "; ") }

func (s *hSession) drawn() string {
	if s.rnd == nil {
		return ""
	}
	return s.rnd.takeDrawn()
}

// hKinds lists the two pickers for the tests that run on both.
var hKinds = []string{"LeastConn", "P2C"}

// hNew calls NewLeastConn(bs) or NewP2C(bs, rnd) with a script of the given
// values (for P2C) and stops the test unless it returns a picker and a nil
// error.
func hNew(t *testing.T, kind string, bs []hB, values ...int) *hSession {
	t.Helper()
	s := &hSession{t: t}
	var (
		err   error
		isNil bool
		call  string
	)
	if kind == "LeastConn" {
		s.name = "lc"
		call = fmt.Sprintf("lc, err := leastconn.NewLeastConn(%s)", hSet(bs))
		if pv := hCatch(func() {
			var lc *leastconn.LeastConn[string]
			lc, err = leastconn.NewLeastConn(hBackends(bs))
			s.p, isNil = lc, lc == nil
		}); pv != nil {
			t.Fatalf("%s panicked: %v", call, pv)
		}
	} else {
		s.name = "p2c"
		s.rnd = &hScript{values: values}
		call = fmt.Sprintf("p2c, err := leastconn.NewP2C(%s, rnd)", hSet(bs))
		if len(values) > 0 {
			call = fmt.Sprintf("rnd returns %s in turn; %s", strings.Trim(fmt.Sprint(values), "[]"), call)
		}
		if pv := hCatch(func() {
			var p *leastconn.P2C[string]
			p, err = leastconn.NewP2C(hBackends(bs), s.rnd.rnd)
			s.p, isNil = p, p == nil
		}); pv != nil {
			t.Fatalf("%s panicked: %v", call, pv)
		}
	}
	if err != nil || isNil {
		t.Fatalf("%s returned a nil picker or the error %s; want a picker and a nil error", call, hErrName(err))
	}
	s.calls = []string{call}
	return s
}

// pick calls Pick, which must succeed, and returns the item and its done,
// which records its calls.
func (s *hSession) pick() (string, func()) {
	s.t.Helper()
	var (
		item string
		done func()
		err  error
	)
	call := s.name + ".Pick()"
	if pv := hCatch(func() { item, done, err = s.p.Pick() }); pv != nil {
		s.calls = append(s.calls, call+s.drawn())
		s.t.Fatalf("%v panicked: %v", s, pv)
	}
	if err != nil || done == nil {
		s.calls = append(s.calls, call+s.drawn())
		s.t.Fatalf("%v = %q, %s, %s; want a backend, a non-nil done and a nil error", s, item, hDoneText(done), hErrName(err))
	}
	s.dones++
	name := fmt.Sprintf("done%d", s.dones)
	s.calls = append(s.calls, fmt.Sprintf("%s = %q, %s%s", call, item, name, s.drawn()))
	return item, func() {
		s.t.Helper()
		s.calls = append(s.calls, name+"()")
		if pv := hCatch(done); pv != nil {
			s.t.Fatalf("%v panicked: %v", s, pv)
		}
	}
}

// picks makes n picks and returns the items as one string. With release,
// each done is called at once; otherwise the dones are returned.
func (s *hSession) picks(n int, release bool) (string, []func()) {
	s.t.Helper()
	var (
		b     strings.Builder
		dones []func()
	)
	for range n {
		item, done := s.pick()
		b.WriteString(item)
		if release {
			done()
		} else {
			dones = append(dones, done)
		}
	}
	return b.String(), dones
}

// update calls Update(bs) and checks its error by name ("nil" for success).
func (s *hSession) update(bs []hB, want string) {
	s.t.Helper()
	call := fmt.Sprintf("%s.Update(%s)", s.name, hSet(bs))
	var err error
	if pv := hCatch(func() { err = s.p.Update(hBackends(bs)) }); pv != nil {
		s.calls = append(s.calls, call)
		s.t.Fatalf("%v panicked: %v", s, pv)
	}
	s.calls = append(s.calls, call)
	if got := hErrName(err); got != want {
		s.t.Fatalf("%v = %s, want %s", s, got, want)
	}
	if err != nil {
		s.calls[len(s.calls)-1] += " = " + hErrName(err)
	}
}

// inFlight checks InFlight of every item given as "a=1"; passing checks are
// not added to the sequence.
func (s *hSession) inFlight(why string, want ...string) bool {
	s.t.Helper()
	ok := true
	for _, w := range want {
		item, count, _ := strings.Cut(w, "=")
		var n int
		if pv := hCatch(func() { n = s.p.InFlight(item) }); pv != nil {
			s.t.Fatalf("%v; %s.InFlight(%q) panicked: %v", s, s.name, item, pv)
		}
		if got := fmt.Sprint(n); got != count {
			s.t.Errorf("%v; %s.InFlight(%q) = %s, want %s: %s", s, s.name, item, got, count, why)
			ok = false
		}
	}
	return ok
}

// expect fails the test unless got equals want.
func (s *hSession) expect(got, want, what string) {
	s.t.Helper()
	if got != want {
		s.t.Errorf("%v: %s returned %s, want %s", s, what, got, want)
	}
}

// hConstruct calls a constructor and returns whether the picker is nil and
// the error, or the panic value.
func hConstruct(kind string, bs []hB) (call string, isNil bool, err error, pv any) {
	if kind == "LeastConn" {
		call = fmt.Sprintf("leastconn.NewLeastConn(%s)", hSet(bs))
		pv = hCatch(func() {
			var lc *leastconn.LeastConn[string]
			lc, err = leastconn.NewLeastConn(hBackends(bs))
			isNil = lc == nil
		})
		return
	}
	call = fmt.Sprintf("leastconn.NewP2C(%s, nil)", hSet(bs))
	pv = hCatch(func() {
		var p *leastconn.P2C[string]
		p, err = leastconn.NewP2C(hBackends(bs), nil)
		isNil = p == nil
	})
	return
}

// TestHiddenValidationOrderAndNoChange checks that every weight is checked
// before any duplicate, wherever they sit in the slice, and that a failed
// Update leaves the set, the counts and LeastConn's cursor as they were.
//
// Category: config
func TestHiddenValidationOrderAndNoChange(t *testing.T) {
	katatest.Guard(t)
	tests := []struct {
		bs   []hB
		want string
	}{
		{[]hB{{"a", -1}, {"a", 1}}, "ErrInvalidWeight"},
		{[]hB{{"a", 1}, {"a", 1}, {"b", -1}}, "ErrInvalidWeight"},
		{[]hB{{"a", 1}, {"a", 2}, {"b", leastconn.MaxWeight + 1}}, "ErrInvalidWeight"},
		{[]hB{{"a", 1}, {"b", 1}, {"c", 1}, {"b", 2}}, "ErrDuplicateBackend"},
	}
	for _, tt := range tests {
		for _, kind := range hKinds {
			call, isNil, err, pv := hConstruct(kind, tt.bs)
			switch {
			case pv != nil:
				t.Errorf("%s panicked: %v", call, pv)
			case hErrName(err) != tt.want || !isNil:
				got := "a picker"
				if isNil {
					got = "a nil picker"
				}
				t.Errorf("%s returned %s and %s; want a nil picker and %s: every weight is checked before any duplicate", call, got, hErrName(err), tt.want)
			}
		}
	}

	// LeastConn: a held on [a b c], b picked and released, so the cursor is
	// on c. Failed Updates keep the set, a's count and the cursor.
	s := hNew(t, "LeastConn", hOnes("a", "b", "c"))
	s.picks(1, false)
	s.picks(1, true)
	for _, tt := range []struct {
		bs   []hB
		want string
	}{
		{[]hB{{"x", 1}, {"a", -1}}, "ErrInvalidWeight"},
		{[]hB{{"b", 1}, {"b", 1}}, "ErrDuplicateBackend"},
		{[]hB{{"c", 5}, {"x", 1}, {"x", 1}}, "ErrDuplicateBackend"},
	} {
		s.update(tt.bs, tt.want)
	}
	s.inFlight("failed Updates change no count, and x never joined", "a=1", "b=0", "c=0", "x=0")
	seq, _ := s.picks(3, false)
	s.expect(fmt.Sprintf("%q", seq), `"cbc"`, "3 more picks held")

	// P2C: a held on [a b]; failed Updates keep the set and the count.
	s = hNew(t, "P2C", hOnes("a", "b"), 0, 0, 0, 0, 0, 0)
	s.picks(1, false)
	s.update([]hB{{"x", 1}, {"a", -1}}, "ErrInvalidWeight")
	s.update([]hB{{"x", 1}, {"x", 1}}, "ErrDuplicateBackend")
	s.inFlight("failed Updates change no count, and x never joined", "a=1", "b=0", "x=0")
	seq, _ = s.picks(2, false)
	s.expect(fmt.Sprintf("%q", seq), `"ba"`, "2 more picks held")
}

// TestHiddenDefensiveCopy overwrites the caller's slice after the
// constructor and after Update: no pick changes.
//
// Category: behaviour
func TestHiddenDefensiveCopy(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			bs := hBackends(hOnes("a", "b"))
			s := &hSession{t: t, name: "lc"}
			var err error
			call := "bs := [{a 1} {b 1}]; "
			if kind == "LeastConn" {
				call += "lc, _ := leastconn.NewLeastConn(bs)"
				if pv := hCatch(func() {
					var lc *leastconn.LeastConn[string]
					if lc, err = leastconn.NewLeastConn(bs); lc != nil {
						s.p = lc
					}
				}); pv != nil {
					t.Fatalf("%s panicked: %v", call, pv)
				}
			} else {
				s.name, s.rnd = "p2c", &hScript{values: []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0}}
				call = "rnd returns 0, 0, 0, 0, 0, 0, 0, 0, then 1, 0, 1, 0, 1, 0, 1, 0; " + call + "p2c, _ := leastconn.NewP2C(bs, rnd)"
				if pv := hCatch(func() {
					var p *leastconn.P2C[string]
					if p, err = leastconn.NewP2C(bs, s.rnd.rnd); p != nil {
						s.p = p
					}
				}); pv != nil {
					t.Fatalf("%s panicked: %v", call, pv)
				}
			}
			if err != nil || s.p == nil {
				t.Fatalf("%s returned a nil picker or the error %s; want a picker and a nil error", call, hErrName(err))
			}
			bs[0] = leastconn.Backend[string]{Item: "x", Weight: 1}
			bs[1].Weight = 5
			s.calls = []string{call, "bs[0] = {x 1}; bs[1].Weight = 5"}
			seq, _ := s.picks(4, false)
			s.expect(fmt.Sprintf("%q", seq), `"abab"`, "4 picks held (the set is the one given to the constructor, copied)")

			up := hBackends(hOnes("c", "d"))
			s.calls = append(s.calls, "up := [{c 1} {d 1}]", s.name+".Update(up)")
			if pv := hCatch(func() { err = s.p.Update(up) }); pv != nil || err != nil {
				t.Fatalf("%v panicked (%v) or returned %s; want nil", s, pv, hErrName(err))
			}
			up[0].Item, up[1].Weight = "y", 3
			s.calls = append(s.calls, `up[0].Item = "y"; up[1].Weight = 3`)
			seq, _ = s.picks(4, false)
			want := `"cdcd"`
			if kind == "P2C" {
				want = `"dcdc"`
			}
			s.expect(fmt.Sprintf("%q", seq), want, "4 picks held (the set is the one given to Update, copied)")
			s.inFlight("Update made a copy", "c=2", "d=2", "x=0", "y=0")
		})
	}
}

// TestHiddenWeightZeroIsOne checks that weight 0 counts as 1: {a 0}, {b 1}
// alternate like two equal backends.
//
// Category: boundary
func TestHiddenWeightZeroIsOne(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			s := hNew(t, kind, []hB{{"a", 0}, {"b", 1}}, 0, 0, 0, 0, 0, 0, 0, 0)
			seq, _ := s.picks(4, false)
			s.expect(fmt.Sprintf("%q", seq), `"abab"`, "4 picks held (weight 0 means 1)")
			s.inFlight("weight 0 means 1", "a=2", "b=2")
		})
	}
}

// TestHiddenExactWeightedComparison checks loads 3/2 against 1/1: a is more
// loaded, although integer division makes the two equal.
//
// Category: behaviour
func TestHiddenExactWeightedComparison(t *testing.T) {
	katatest.Guard(t)
	weights := []hB{{"a", 2}, {"b", 1}}

	s := hNew(t, "LeastConn", weights)
	seq, dones := s.picks(7, false)
	s.expect(fmt.Sprintf("%q", seq), `"ababaab"`, "7 picks held")
	if !s.inFlight("7 picks held", "a=4", "b=3") {
		return
	}
	dones[0]() // a
	dones[1]() // b
	dones[3]() // b
	s.inFlight("one a and two b's released", "a=3", "b=1")
	item, _ := s.pick()
	s.expect(fmt.Sprintf("%q", item), `"b"`, "Pick with a at 3 in flight / weight 2 and b at 1 / 1 (3·1 > 1·2: b is less loaded; 3/2 and 1/1 are only equal in integer division)")

	s = hNew(t, "P2C", weights, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	seq, _ = s.picks(5, false)
	s.expect(fmt.Sprintf("%q", seq), `"abaab"`, "5 picks held, each comparing a (first draw) with b (the last is a at 3/2 against b at 1/1: b is strictly less loaded)")
}

// TestHiddenCursorFollowsThePick continues the visible test
// TestLeastConnPicksLeastLoaded: the cursor moves past the backend picked,
// not one step per pick.
//
// Category: behaviour
func TestHiddenCursorFollowsThePick(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, "LeastConn", hOnes("a", "b", "c", "d"))
	_, dones := s.picks(3, false)
	dones[1]()
	dones[2]()
	seq, _ := s.picks(3, false)
	s.expect(fmt.Sprintf("%q", seq), `"dbc"`, "3 picks held")
	dones[0]()
	if !s.inFlight("a released", "a=0", "b=1", "c=1", "d=1") {
		return
	}
	seq, _ = s.picks(5, false)
	s.expect(fmt.Sprintf("%q", seq), `"abcda"`, "5 picks held: a is the only idle backend, then the cursor is past a, on b")
	s.inFlight("after the 5 picks", "a=2", "b=2", "c=2", "d=2")
}

// TestHiddenCursorResetByUpdate checks that every successful Update puts
// the cursor back to position 0, even with the same set.
//
// Category: behaviour
func TestHiddenCursorResetByUpdate(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, "LeastConn", hOnes("a", "b", "c"))
	s.picks(1, true)
	s.update(hOnes("a", "b", "c"), "nil")
	seq, _ := s.picks(3, true)
	s.expect(fmt.Sprintf("%q", seq), `"abc"`, "3 picks, each released at once, after an Update: the cursor is back on position 0")

	s.picks(2, true)
	s.update(hOnes("c", "b", "a", "d"), "nil")
	seq, _ = s.picks(4, true)
	s.expect(fmt.Sprintf("%q", seq), `"cbad"`, "4 picks, each released at once, after an Update that reorders: the new positions, from 0")
}

// TestHiddenUpdateNewWeight checks that an Update that keeps a membership
// applies its new weight and keeps its count.
//
// Category: behaviour
func TestHiddenUpdateNewWeight(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			// P2C: a then b held; after the Update, i = 1 (a), j = 0 (b).
			s := hNew(t, kind, hOnes("a", "b"), 0, 0, 1, 0, 1, 0, 1, 0, 1, 0)
			seq, _ := s.picks(2, false)
			if seq != "ab" {
				t.Fatalf("%v: 2 picks held returned %q, want \"ab\"", s, seq)
			}
			s.update([]hB{{"b", 1}, {"a", 3}}, "nil")
			s.inFlight("the Update keeps a and b", "a=1", "b=1")
			seq, _ = s.picks(3, false)
			if kind == "LeastConn" {
				s.expect(fmt.Sprintf("%q", seq), `"aab"`, "3 picks held: a at 1, then 2 in flight / weight 3 is below b at 1/1; then a at 3/3 ties with b, and the cursor is on b")
				s.inFlight("after the 3 picks", "a=3", "b=2")
			} else {
				s.expect(fmt.Sprintf("%q", seq), `"aaa"`, "3 picks held, each drawing a first and b second: a at 1, then 2 in flight / weight 3 is below b at 1/1; then a at 3/3 ties with b, and a tie goes to the first draw")
				s.inFlight("after the 3 picks", "a=4", "b=1")
			}
		})
	}
}

// TestHiddenDoneAfterRemoval holds a pick of a, removes a and adds it back:
// the new membership starts at 0 and the old done never touches it.
//
// Category: behaviour
func TestHiddenDoneAfterRemoval(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			s := hNew(t, kind, hOnes("a", "b"), 0, 0, 0, 0)
			item, oldDone := s.pick()
			if item != "a" {
				t.Fatalf("%v, want \"a\"", s)
			}
			s.update(hOnes("b"), "nil")
			s.inFlight("a is not in the set", "a=0", "b=0")
			s.update(hOnes("a", "b"), "nil")
			s.inFlight("a joined again: a new membership starts at 0", "a=0", "b=0")
			oldDone()
			oldDone()
			s.inFlight("the done of a pick from a's earlier membership does nothing", "a=0", "b=0")
			item, done := s.pick()
			if item != "a" {
				t.Fatalf("%v, want \"a\"", s)
			}
			s.inFlight("a new pick of a", "a=1", "b=0")
			done()
			s.inFlight("its done", "a=0", "b=0")
		})
	}
}

// TestHiddenDoneAfterStayingUpdate holds picks of a and b across an Update
// that drops a and changes b's weight and position, and one that brings it
// back: b's membership lasts throughout, so its old done releases it.
//
// Category: behaviour
func TestHiddenDoneAfterStayingUpdate(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		t.Run(kind, func(t *testing.T) {
			s := hNew(t, kind, hOnes("a", "b"), 0, 0, 1, 0)
			seq, dones := s.picks(2, false)
			if seq != "ab" {
				t.Fatalf("%v: 2 picks held returned %q, want \"ab\"", s, seq)
			}
			s.update([]hB{{"c", 1}, {"b", 5}}, "nil")
			s.inFlight("b stays, a left, c is new", "a=0", "b=1", "c=0")
			s.update(hOnes("b", "c"), "nil")
			s.inFlight("b stays", "a=0", "b=1", "c=0")
			dones[0]()
			s.inFlight("a's done: a's membership ended", "a=0", "b=1", "c=0")
			dones[1]()
			s.inFlight("b's done releases b's membership, which lasted through both Updates", "a=0", "b=0", "c=0")
			dones[1]()
			s.inFlight("b's done again", "a=0", "b=0", "c=0")
		})
	}
}

// TestHiddenEmptyAfterUpdate empties a set while a pick is held, then brings
// the backends back.
//
// Category: boundary
func TestHiddenEmptyAfterUpdate(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range hKinds {
		for _, empty := range [][]hB{nil, {}} {
			t.Run(fmt.Sprintf("%s %s", kind, hSet(empty)), func(t *testing.T) {
				s := hNew(t, kind, hOnes("a", "b"), 0, 0)
				_, done := s.pick()
				s.update(empty, "nil")
				var (
					item string
					d    func()
					err  error
				)
				if pv := hCatch(func() { item, d, err = s.p.Pick() }); pv != nil {
					s.calls = append(s.calls, s.name+".Pick()"+s.drawn())
					t.Fatalf("%v panicked: %v", s, pv)
				}
				s.calls = append(s.calls, s.name+".Pick()"+s.drawn())
				if item != "" || d != nil || !errors.Is(err, leastconn.ErrNoBackends) {
					t.Errorf("%v = %q, %s, %s; want \"\", a nil done and ErrNoBackends", s, item, hDoneText(d), hErrName(err))
				}
				if s.rnd != nil && s.rnd.callList() != "2 1" {
					t.Errorf("%v: rnd was called with n = %s; want the two calls of the first pick only", s, s.rnd.callList())
				}
				s.inFlight("the set is empty", "a=0", "b=0")
				done()
				s.update(hOnes("a"), "nil")
				s.inFlight("a joined again", "a=0")
				item, _ = s.pick()
				s.expect(fmt.Sprintf("%q", item), `"a"`, "Pick")
				s.inFlight("one pick held", "a=1")
			})
		}
	}
}

// TestHiddenP2CTwoBackends checks the draws on two backends, where the
// second draw is always the other backend.
//
// Category: behaviour
func TestHiddenP2CTwoBackends(t *testing.T) {
	katatest.Guard(t)
	// i = 1 (b), j = 0 (a): tie, b. i = 0 (a), j = 1 (b): a is less loaded.
	// i = 1 (b), j = 0 (a): tie, b.
	s := hNew(t, "P2C", hOnes("a", "b"), 1, 0, 0, 0, 1, 0)
	seq, _ := s.picks(3, false)
	s.expect(fmt.Sprintf("%q", seq), `"bab"`, "3 picks held (a tie goes to the first draw)")
	s.expect(s.rnd.callList(), "2 1 2 1 2 1", "the n of every call of rnd")
}

// TestHiddenP2CSecondDrawSkipsFirst checks the mapping of the second draw:
// j = j′ when j′ < i, else j′ + 1, so j′ counts the positions other than i
// in order.
//
// Category: behaviour
func TestHiddenP2CSecondDrawSkipsFirst(t *testing.T) {
	katatest.Guard(t)
	// Three ties (b, c, d held); then i = 2 (c), j′ = 0 → j = 0 (a, idle).
	// After d is released: i = 1 (b), j′ = 2 → j = 3 (d, idle).
	s := hNew(t, "P2C", hOnes("a", "b", "c", "d"), 1, 0, 2, 0, 3, 0, 2, 0, 1, 2)
	seq, dones := s.picks(4, false)
	s.expect(fmt.Sprintf("%q", seq), `"bcda"`, "4 picks held (the last: i = 2, j′ = 0 < i, so j = 0: a, the only idle backend)")
	dones[2]()
	item, _ := s.pick()
	s.expect(fmt.Sprintf("%q", item), `"d"`, "Pick with rnd(4) = 1, rnd(3) = 2 (j′ = 2 >= i = 1, so j = 3: d, the only idle backend)")
}

// TestHiddenP2CSingleBackendNoDraw checks that P2C never calls rnd with
// one backend, before and after Updates.
//
// Category: boundary
func TestHiddenP2CSingleBackendNoDraw(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, "P2C", hOnes("solo"))
	seq, _ := s.picks(3, false)
	s.expect(fmt.Sprintf("%q", seq), `"solosolosolo"`, "3 picks")
	s.expect(s.rnd.callList(), "none", "the calls of rnd")
	s.update(hOnes("x", "solo"), "nil")
	s.update(hOnes("solo"), "nil")
	seq, _ = s.picks(2, true)
	s.expect(fmt.Sprintf("%q", seq), `"solosolo"`, "2 picks")
	s.expect(s.rnd.callList(), "none", "the calls of rnd")
	s.inFlight("three picks held", "solo=3")
}

// TestHiddenP2CBadRandomPanics checks that a result of rnd outside its range
// makes Pick panic: the first draw 4 or -1 on 4 backends, or the second draw
// 3 (rnd(3) must be in [0, 3)). A valid value is queued after the bad one;
// how many calls Pick makes before it panics is not checked.
//
// Category: boundary
func TestHiddenP2CBadRandomPanics(t *testing.T) {
	katatest.Guard(t)
	defer hRecover(t, "leastconn.NewP2C([{a 1} {b 1} {c 1} {d 1}], rnd)")
	for _, tt := range []struct {
		values []int
		why    string
	}{
		{[]int{4, 0}, "rnd(4) returned 4"},
		{[]int{-1, 0}, "rnd(4) returned -1"},
		{[]int{0, 3}, "rnd(3) returned 3"},
	} {
		rnd := &hScript{values: tt.values}
		call := fmt.Sprintf("rnd returns %s in turn; p2c, _ := leastconn.NewP2C([{a 1} {b 1} {c 1} {d 1}], rnd); p2c.Pick()", strings.Trim(fmt.Sprint(tt.values), "[]"))
		p, err := leastconn.NewP2C(hBackends(hOnes("a", "b", "c", "d")), rnd.rnd)
		if err != nil || p == nil {
			t.Fatalf("%s: NewP2C returned the error %s", call, hErrName(err))
		}
		var (
			item string
			done func()
		)
		pv := hCatch(func() { item, done, err = p.Pick() })
		if pv == nil {
			t.Errorf("%s = %q, %s, %s; want a panic: %s, outside its range, so the caller broke the contract of rnd", call, item, hDoneText(done), hErrName(err), tt.why)
		}
	}
}

// TestHiddenP2CDefaultRandom checks that a nil rnd means math/rand/v2's
// IntN: 10 000 picks, each released at once, reach every one of 5
// backends.
//
// Category: behaviour
func TestHiddenP2CDefaultRandom(t *testing.T) {
	katatest.Guard(t)
	defer hRecover(t, "leastconn.NewP2C([{a 1} {b 1} {c 1} {d 1} {e 1}], nil), then InFlight")
	const call = "p2c, _ := leastconn.NewP2C([{a 1} {b 1} {c 1} {d 1} {e 1}], nil); 10000 × (p2c.Pick(), then its done)"
	p, err := leastconn.NewP2C(hBackends(hOnes("a", "b", "c", "d", "e")), nil)
	if err != nil || p == nil {
		t.Fatalf("leastconn.NewP2C([{a 1} {b 1} {c 1} {d 1} {e 1}], nil) returned a nil picker or the error %s", hErrName(err))
	}
	counts := map[string]int{}
	for i := range 10000 {
		var (
			item string
			done func()
		)
		if pv := hCatch(func() { item, done, err = p.Pick() }); pv != nil {
			t.Fatalf("%s: pick %d panicked: %v (nil means math/rand/v2's IntN)", call, i+1, pv)
		}
		if err != nil || done == nil {
			t.Fatalf("%s: pick %d returned %q, %s, %s", call, i+1, item, hDoneText(done), hErrName(err))
		}
		done()
		counts[item]++
	}
	for _, it := range []string{"a", "b", "c", "d", "e"} {
		if counts[it] == 0 {
			t.Errorf("%s: the picks returned %v, and never %s; want every backend: idle backends tie, so the first draw decides, uniformly", call, counts, it)
		}
	}
}

// hAnyKey is a struct Item for TestHiddenAnyItems.
type hAnyKey struct {
	host string
	port int
}

// TestHiddenAnyItems checks validation and counting with T = any holding
// values of different dynamic types: 1, int64(1), "1", a struct and nil are
// five different Items, and only equal values of the same type are
// duplicates.
//
// Category: config
func TestHiddenAnyItems(t *testing.T) {
	katatest.Guard(t)
	defer hRecover(t, "leastconn.NewLeastConn[any]([{1 1} {int64(1) 1} {\"1\" 1} {key{\"h\", 1} 1} {nil 1}]); 5 picks; then InFlight")
	items := []any{1, int64(1), "1", hAnyKey{"h", 1}, nil}
	names := []string{"1", "int64(1)", `"1"`, `key{"h", 1}`, "nil"}
	name := func(v any) string {
		if i := slices.Index(items, v); i >= 0 {
			return names[i]
		}
		return fmt.Sprintf("%v", v)
	}
	set := "[{1 1} {int64(1) 1} {\"1\" 1} {key{\"h\", 1} 1} {nil 1}]"
	bs := make([]leastconn.Backend[any], len(items))
	for i, it := range items {
		bs[i] = leastconn.Backend[any]{Item: it, Weight: 1}
	}
	var (
		lc  *leastconn.LeastConn[any]
		err error
	)
	call := "lc, _ := leastconn.NewLeastConn[any](" + set + ")"
	if pv := hCatch(func() { lc, err = leastconn.NewLeastConn(bs) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	if err != nil || lc == nil {
		t.Fatalf("%s returned a nil picker or the error %s; want a picker: the five Items differ (a value of another dynamic type is another Item)", call, hErrName(err))
	}
	for i := range items {
		var got any
		if pv := hCatch(func() { got, _, err = lc.Pick() }); pv != nil || err != nil {
			t.Fatalf("%s; pick %d panicked (%v) or returned the error %s", call, i+1, pv, hErrName(err))
		}
		if got != items[i] {
			t.Errorf("%s; pick %d returned %s, want %s: five idle backends are picked in turn", call, i+1, name(got), names[i])
		}
	}
	for i, it := range items {
		if n := lc.InFlight(it); n != 1 {
			t.Errorf("%s; 5 picks held; lc.InFlight(%s) = %d, want 1", call, names[i], n)
		}
	}
	if n := lc.InFlight(uint(1)); n != 0 {
		t.Errorf("%s; 5 picks held; lc.InFlight(uint(1)) = %d, want 0: uint(1) is not in the set", call, n)
	}

	dup := append(slices.Clone(bs), leastconn.Backend[any]{Item: int64(1), Weight: 2})
	var p *leastconn.P2C[any]
	call = "leastconn.NewP2C[any](" + strings.TrimSuffix(set, "]") + " {int64(1) 2}], nil)"
	if pv := hCatch(func() { p, err = leastconn.NewP2C(dup, nil) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	if !errors.Is(err, leastconn.ErrDuplicateBackend) || p != nil {
		t.Errorf("%s returned the error %s (nil picker: %v); want a nil picker and ErrDuplicateBackend: int64(1) is there twice", call, hErrName(err), p == nil)
	}
}

// TestHiddenMaxWeightProducts fills {a MaxWeight} and {b MaxWeight-1} with
// Σw held picks: each ends with exactly its weight. The loads compared on
// the way multiply counts near 2^16 by weights near 2^16.
//
// Category: boundary
func TestHiddenMaxWeightProducts(t *testing.T) {
	katatest.Guard(t)
	defer hRecover(t, "leastconn.NewLeastConn([{a MaxWeight} {b MaxWeight-1}]); picks; then InFlight")
	bs := []hB{{"a", leastconn.MaxWeight}, {"b", leastconn.MaxWeight - 1}}
	call := fmt.Sprintf("lc, _ := leastconn.NewLeastConn(%s); %d picks held", hSet(bs), 2*leastconn.MaxWeight-1)
	lc, err := leastconn.NewLeastConn(hBackends(bs))
	if err != nil || lc == nil {
		t.Fatalf("%s: NewLeastConn returned a nil picker or the error %s", call, hErrName(err))
	}
	for i := range 2*leastconn.MaxWeight - 1 {
		var (
			done func()
			perr error
		)
		if pv := hCatch(func() { _, done, perr = lc.Pick() }); pv != nil || perr != nil || done == nil {
			t.Fatalf("%s: pick %d panicked (%v) or returned the error %s", call, i+1, pv, hErrName(perr))
		}
	}
	a, b := lc.InFlight("a"), lc.InFlight("b")
	if a != leastconn.MaxWeight || b != leastconn.MaxWeight-1 {
		t.Errorf("%s; then InFlight: a = %d, b = %d; want a = MaxWeight (%d), b = MaxWeight-1 (%d): Σw picks from zero leave each backend its weight (the products reach 2^32: compute them in 64 bits)", call, a, b, leastconn.MaxWeight, leastconn.MaxWeight-1)
	}
}

// TestHiddenWeightedRounds checks rule 7 sequentially: from zero, k·Σw held
// picks leave k·w on every backend.
//
// Category: behaviour
func TestHiddenWeightedRounds(t *testing.T) {
	katatest.Guard(t)
	r := rand.New(rand.NewPCG(14, 1))
	vectors := [][]int{{3, 1, 2}, {1, 2, 3, 2}, {5, 0, 1}, {2, 3}, {7, 3}, {4, 4, 1}}
	for range 30 {
		w := make([]int, 1+r.IntN(6))
		for i := range w {
			w[i] = r.IntN(6)
		}
		vectors = append(vectors, w)
	}
	for _, w := range vectors {
		bs := make([]hB, len(w))
		total := 0
		for i, x := range w {
			bs[i] = hB{string(rune('a' + i)), x}
			total += max(x, 1)
		}
		s := hNew(t, "LeastConn", bs)
		const k = 3
		seq, _ := s.picks(k*total, false)
		s.calls = []string{s.calls[0], fmt.Sprintf("%d picks held = %s", k*total, seq)}
		var want []string
		for i, x := range w {
			want = append(want, fmt.Sprintf("%c=%d", 'a'+i, k*max(x, 1)))
		}
		if !s.inFlight(fmt.Sprintf("%d = 3·Σw picks from zero leave 3·weight on each backend (weight 0 counts as 1)", k*total), want...) {
			return
		}
	}
}

// hDiffOp is one step of the differential test: a Pick (id numbers it), the
// done of the pick with that id, or an Update.
type hDiffOp struct {
	kind int // hOpPick, hOpDone, hOpUpdate
	id   int
	set  []hB
}

const (
	hOpPick = iota
	hOpDone
	hOpUpdate
)

// hDiffCase is one random run: the picker, the seed of P2C's random stream,
// the initial set and the steps.
type hDiffCase struct {
	p2c     bool
	seed    uint64
	initial []hB
	ops     []hDiffOp
}

// hUniverse is every Item the differential test uses.
var hUniverse = []string{"a", "b", "c", "d", "e", "f"}

// hStream is a random source for P2C: call k returns the k-th number of a
// PCG stream reduced to [0, n), so that two streams with the same seed give
// the same values to the same calls. It records the calls since the last
// take. n < 1 is recorded and answered with 0.
type hStream struct {
	r     *rand.Rand
	ns    []int
	drawn []int
}

func (s *hStream) rnd(n int) int {
	v := s.r.Uint64()
	out := 0
	if n >= 1 {
		out = int(v % uint64(n))
	}
	s.ns = append(s.ns, n)
	s.drawn = append(s.drawn, out)
	return out
}

// take returns the n of the calls since the last take and their results.
func (s *hStream) take() (ns, drawn []int) {
	ns, drawn = s.ns, s.drawn
	s.ns, s.drawn = s.ns[len(s.ns):], s.drawn[len(s.drawn):]
	return ns, drawn
}

// hDraws formats calls of rnd: "rnd(4) = 2, rnd(3) = 0", or "no rnd".
func hDraws(ns, drawn []int) string {
	if len(ns) == 0 {
		return "no rnd"
	}
	parts := make([]string, len(ns))
	for i := range ns {
		parts[i] = fmt.Sprintf("rnd(%d) = %d", ns[i], drawn[i])
	}
	return strings.Join(parts, ", ")
}

// hSide is one picker of the differential test behind functions, so that
// the kata's and the reference's types look alike.
type hSide struct {
	pick     func() (string, func(), error)
	update   func([]hB) error
	inFlight func(string) int
	errName  func(error) string
	rnd      *hStream
}

func hNewSides(c hDiffCase) (got, want *hSide, gotErr, wantErr error, pv any) {
	got = &hSide{errName: hErrName}
	want = &hSide{errName: hRefErrName}
	if c.p2c {
		got.rnd = &hStream{r: rand.New(rand.NewPCG(c.seed, 7))}
		want.rnd = &hStream{r: rand.New(rand.NewPCG(c.seed, 7))}
	}
	pv = hCatch(func() {
		if c.p2c {
			var p *leastconn.P2C[string]
			p, gotErr = leastconn.NewP2C(hBackends(c.initial), got.rnd.rnd)
			if p != nil {
				got.pick, got.inFlight = p.Pick, p.InFlight
				got.update = func(bs []hB) error { return p.Update(hBackends(bs)) }
			}
		} else {
			var lc *leastconn.LeastConn[string]
			lc, gotErr = leastconn.NewLeastConn(hBackends(c.initial))
			if lc != nil {
				got.pick, got.inFlight = lc.Pick, lc.InFlight
				got.update = func(bs []hB) error { return lc.Update(hBackends(bs)) }
			}
		}
	})
	if c.p2c {
		p, err := ref.NewP2C(hRefBackends(c.initial), want.rnd.rnd)
		wantErr = err
		want.pick, want.inFlight = p.Pick, p.InFlight
		want.update = func(bs []hB) error { return p.Update(hRefBackends(bs)) }
	} else {
		lc, err := ref.NewLeastConn(hRefBackends(c.initial))
		wantErr = err
		want.pick, want.inFlight = lc.Pick, lc.InFlight
		want.update = func(bs []hB) error { return lc.Update(hRefBackends(bs)) }
	}
	return got, want, gotErr, wantErr, pv
}

// hDiffResult is the outcome of replaying a case: the first mismatch, if
// any ("" for none), the index of its step and, when asked for, the calls
// made, as Go.
type hDiffResult struct {
	calls    []string
	mismatch string
	at       int // the index of the step that differs; -1 for the constructor
}

// hReplay runs c on a new picker of the kata and of the reference, step by
// step, comparing every result and, after every step, InFlight of every
// Item. It stops at the first difference. With record, it also writes
// down every call; otherwise only the failing one.
func hReplay(c hDiffCase, record bool) hDiffResult {
	res := hDiffResult{at: -1}
	name := "lc"
	if c.p2c {
		name = "p2c"
	}
	add := func(call func() string) {
		if record {
			res.calls = append(res.calls, call())
		}
	}
	fail := func(call, mismatch string) hDiffResult {
		if call != "" { // "": the constructor, already written down
			res.calls = append(res.calls, call)
		}
		res.mismatch = mismatch
		return res
	}
	add(func() string {
		if c.p2c {
			return fmt.Sprintf("p2c, err := leastconn.NewP2C(%s, rnd)", hGoSet(c.initial))
		}
		return fmt.Sprintf("lc, err := leastconn.NewLeastConn(%s)", hGoSet(c.initial))
	})
	got, want, gotErr, wantErr, pv := hNewSides(c)
	switch {
	case pv != nil:
		return fail("", fmt.Sprintf("panicked: %v", pv))
	case got.pick == nil && gotErr == nil:
		return fail("", "returned a nil picker and a nil error, want a picker")
	case hErrName(gotErr) != hRefErrName(wantErr):
		return fail("", fmt.Sprintf("err = %s, want %s", hErrName(gotErr), hRefErrName(wantErr)))
	}

	type pair struct {
		got, want func()
		name      int
	}
	dones := map[int]*pair{}
	nDone := 0
	for at, op := range c.ops {
		res.at = at
		switch op.kind {
		case hOpPick:
			var (
				gi, wi         string
				gd, wd         func()
				ge, we         error
				gNs, gDrawn    []int
				wNs, wDrawn    []int
				call           = name + ".Pick()"
				gotOK, wantOK  bool
				gotErr, wantEr string
			)
			pv := hCatch(func() { gi, gd, ge = got.pick() })
			wi, wd, we = want.pick()
			if c.p2c {
				gNs, gDrawn = got.rnd.take()
				wNs, wDrawn = want.rnd.take()
			}
			if we == nil {
				nDone++
			}
			wantRes := func() string {
				r := fmt.Sprintf("%q, %s", wi, hRefErrName(we))
				if we == nil {
					r = fmt.Sprintf("%q, done%d", wi, nDone)
				}
				if c.p2c && len(wNs) > 0 {
					r += " (" + hDraws(wNs, wDrawn) + ")"
				}
				return r
			}
			if pv != nil {
				return fail(call, fmt.Sprintf("panicked: %v; want %s", pv, wantRes()))
			}
			if c.p2c && !slices.Equal(gNs, wNs) {
				return fail(call, fmt.Sprintf("called %s; want %s (rule 9)", hDraws(gNs, gDrawn), hDraws(wNs, wDrawn)))
			}
			gotOK, wantOK = ge == nil && gd != nil, we == nil
			gotErr, wantEr = hErrName(ge), hRefErrName(we)
			if gi != wi || gotOK != wantOK || gotErr != wantEr {
				gotRes := fmt.Sprintf("%q, %s, %s", gi, hDoneText(gd), gotErr)
				return fail(call, fmt.Sprintf("= %s; want %s", gotRes, wantRes()))
			}
			add(func() string { return call + " = " + wantRes() })
			if we == nil {
				dones[op.id] = &pair{gd, wd, nDone}
			}
		case hOpDone:
			d := dones[op.id]
			if d == nil {
				continue // its pick was dropped by the shrinker, or failed
			}
			add(func() string { return fmt.Sprintf("done%d()", d.name) })
			if pv := hCatch(d.got); pv != nil {
				return fail(fmt.Sprintf("done%d()", d.name), fmt.Sprintf("panicked: %v", pv))
			}
			d.want()
		case hOpUpdate:
			call := func() string { return fmt.Sprintf("%s.Update(%s)", name, hGoSet(op.set)) }
			var ge error
			if pv := hCatch(func() { ge = got.update(op.set) }); pv != nil {
				return fail(call(), fmt.Sprintf("panicked: %v", pv))
			}
			we := want.update(op.set)
			if hErrName(ge) != hRefErrName(we) {
				return fail(call(), fmt.Sprintf("= %s; want %s", hErrName(ge), hRefErrName(we)))
			}
			add(func() string {
				if we != nil {
					return call() + " = " + hRefErrName(we)
				}
				return call()
			})
		}
		for _, it := range hUniverse {
			var g int
			if pv := hCatch(func() { g = got.inFlight(it) }); pv != nil {
				return fail(fmt.Sprintf("%s.InFlight(%q)", name, it), fmt.Sprintf("panicked: %v", pv))
			}
			if w := want.inFlight(it); g != w {
				return fail(fmt.Sprintf("%s.InFlight(%q)", name, it), fmt.Sprintf("= %d; want %d", g, w))
			}
		}
	}
	return res
}

// hShrink makes a failing case smaller while it still fails: it drops
// chunks of steps, then single backends and weights of the sets, within a
// time budget.
func hShrink(c hDiffCase, budget time.Duration) hDiffCase {
	deadline := time.Now().Add(budget)
	fails := func(c hDiffCase) bool { return hReplay(c, false).mismatch != "" }
	// Cut the steps after the first mismatch.
	cut := func(c hDiffCase) hDiffCase {
		if res := hReplay(c, false); res.mismatch != "" {
			c.ops = c.ops[:res.at+1]
		}
		return c
	}
	c = cut(c)
	for changed := true; changed && time.Now().Before(deadline); {
		changed = false
		for size := max(len(c.ops)/2, 1); size >= 1 && time.Now().Before(deadline); size /= 2 {
			for i := 0; i+size <= len(c.ops) && time.Now().Before(deadline); {
				try := c
				try.ops = slices.Concat(c.ops[:i], c.ops[i+size:])
				if fails(try) {
					c, changed = cut(try), true
				} else {
					i++
				}
			}
		}
		// Simplify the sets: drop one backend, or make a weight 1.
		for j := -1; j < len(c.ops) && time.Now().Before(deadline); j++ {
			set := c.initial
			if j >= 0 {
				if c.ops[j].kind != hOpUpdate {
					continue
				}
				set = c.ops[j].set
			}
			for k := 0; k < len(set); k++ {
				for _, simpler := range [][]hB{
					slices.Delete(slices.Clone(set), k, k+1),
					slices.Replace(slices.Clone(set), k, k+1, hB{set[k].item, 1}),
				} {
					if slices.Equal(simpler, set) {
						continue
					}
					try := c
					if j < 0 {
						try.initial = simpler
					} else {
						try.ops = slices.Clone(c.ops)
						try.ops[j].set = simpler
					}
					if fails(try) {
						c, set, changed = cut(try), simpler, true
						break
					}
				}
			}
		}
	}
	return cut(c)
}

// hRandomCase builds a random case of steps steps.
func hRandomCase(r *rand.Rand, p2c bool, steps int) hDiffCase {
	randomSet := func() []hB {
		perm := r.Perm(len(hUniverse))
		set := make([]hB, r.IntN(len(hUniverse)+1))
		for i := range set {
			set[i] = hB{hUniverse[perm[i]], r.IntN(4)}
		}
		switch r.IntN(12) {
		case 0:
			if len(set) > 0 {
				set[r.IntN(len(set))].weight = -1
			}
		case 1:
			if len(set) > 1 {
				set[r.IntN(len(set))].item = set[0].item
			}
		}
		return set
	}
	// The initial set is valid: a new picker's errors are the visible
	// tests' business.
	c := hDiffCase{p2c: p2c, seed: r.Uint64(), initial: []hB{{"a", 1}, {"b", 2}, {"c", 0}}}
	if r.IntN(2) == 0 {
		perm := r.Perm(len(hUniverse))
		c.initial = make([]hB, 1+r.IntN(len(hUniverse)))
		for i := range c.initial {
			c.initial[i] = hB{hUniverse[perm[i]], r.IntN(4)}
		}
	}
	var picks []int
	for i := range steps {
		switch x := r.IntN(20); {
		case x < 9:
			c.ops = append(c.ops, hDiffOp{kind: hOpPick, id: i})
			picks = append(picks, i)
		case x < 18:
			if len(picks) > 0 {
				// Mostly recent picks, sometimes an old one (called again,
				// or from an earlier membership).
				k := len(picks) - 1 - r.IntN(min(len(picks), 6))
				if r.IntN(4) == 0 {
					k = r.IntN(len(picks))
				}
				c.ops = append(c.ops, hDiffOp{kind: hOpDone, id: picks[k]})
			}
		default:
			c.ops = append(c.ops, hDiffOp{kind: hOpUpdate, set: randomSet()})
		}
	}
	return c
}

// TestHiddenDifferential runs 20 random cases of 2000 steps on each picker
// (Pick, done, done again, Update to random sets of a to f with weights 0 to
// 3, some invalid) and compares every result and, after every step,
// InFlight of every Item with the reference. P2C gets the same random
// numbers as the reference. A mismatch is shrunk to a short sequence of
// calls that reproduces it.
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	for _, kind := range hKinds {
		r := rand.New(rand.NewPCG(14, 2000))
		for seed := range 20 {
			c := hRandomCase(r, kind == "P2C", 2000)
			// One subtest per case, each with its own hang guard: a case
			// takes milliseconds, the whole test a second under -race.
			ok := t.Run(fmt.Sprintf("%s case %d", kind, seed+1), func(t *testing.T) {
				katatest.Guard(t)
				if hReplay(c, false).mismatch == "" {
					return
				}
				c = hShrink(c, 1500*time.Millisecond)
				res := hReplay(c, true)
				intro := ""
				if c.p2c {
					intro = "rnd returns the values shown in parentheses; "
				}
				t.Fatalf("differs from the reference: %s%s %s", intro, strings.Join(res.calls, "; "), res.mismatch)
			})
			if !ok {
				return
			}
		}
	}
}

// The tests below run many goroutines; a wrong solution can deadlock there
// (a done that takes a lock Pick holds), so they come last.

// TestHiddenWeightedProportions runs 5000 rounds. In each, 8 goroutines,
// released together, pick once each on a new LeastConn with weights 1, 2,
// 3, 2 (Σw = 8) and hold the picks: the counts must be exactly 1, 2, 3, 2,
// as for 8 picks one after the other (rules 7 and 8).
//
// Category: concurrency
func TestHiddenWeightedProportions(t *testing.T) {
	// The rounds take a quarter of a second, several on a loaded machine:
	// the watchdog gives them DefaultHang rather than Guard's five seconds,
	// and the rounds stop early after three.
	katatest.Watchdog(t, katatest.DefaultHang, "Pick did not return under concurrent use: a lock that is never released, or a done that waits for a lock Pick holds?")
	defer hRecover(t, "NewLeastConn([{a 1} {b 2} {c 3} {d 2}]), 8 concurrent picks, then InFlight")
	bs := []hB{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 2}}
	deadline := time.Now().Add(3 * time.Second)
	for round := 0; round < 5000 && time.Now().Before(deadline); round++ {
		lc, err := leastconn.NewLeastConn(hBackends(bs))
		if err != nil || lc == nil {
			t.Errorf("leastconn.NewLeastConn(%s) returned a nil picker or the error %s", hSet(bs), hErrName(err))
			return
		}
		var failed atomic.Value
		katatest.Hammer(8, 1, func(g, i int) {
			defer func() {
				if pv := recover(); pv != nil {
					failed.CompareAndSwap(nil, fmt.Sprintf("panicked: %v", pv))
				}
			}()
			if item, done, err := lc.Pick(); err != nil || done == nil {
				failed.CompareAndSwap(nil, fmt.Sprintf("returned %q, %s, %s", item, hDoneText(done), hErrName(err)))
			}
		})
		if f := failed.Load(); f != nil {
			t.Errorf("round %d: lc, _ := leastconn.NewLeastConn(%s); 8 goroutines call lc.Pick() once each: a call %v", round+1, hSet(bs), f)
			return
		}
		got := fmt.Sprintf("a=%d b=%d c=%d d=%d", lc.InFlight("a"), lc.InFlight("b"), lc.InFlight("c"), lc.InFlight("d"))
		if got != "a=1 b=2 c=3 d=2" {
			t.Errorf("round %d: lc, _ := leastconn.NewLeastConn(%s); 8 goroutines call lc.Pick() once each, at the same moment, and hold the picks; then InFlight gives %s, want a=1 b=2 c=3 d=2, as 8 = Σw picks one after the other give. Each Pick must choose and add to the count in one step (rule 8): a Pick that chooses, releases its lock, then adds lets two picks choose from the same counts", round+1, hSet(bs), got)
			return
		}
	}
}

// TestHiddenConcurrentUpdate runs 8 pickers (half of them hold their picks)
// while another goroutine switches the set between [a b c d e] and
// [c d e f]. Every pick must succeed with an item of one of the sets; after
// the last Update and every done, every count is 0.
//
// Category: concurrency
func TestHiddenConcurrentUpdate(t *testing.T) {
	katatest.Guard(t)
	defer hRecover(t, "NewLeastConn or NewP2C of [{a 1} {b 1} {c 1} {d 1} {e 1}]")
	five, four := hOnes("a", "b", "c", "d", "e"), hOnes("c", "d", "e", "f")
	for _, kind := range hKinds {
		var p leastconn.Picker[string]
		call := fmt.Sprintf("lc, _ := leastconn.NewLeastConn(%s)", hSet(five))
		if kind == "LeastConn" {
			lc, err := leastconn.NewLeastConn(hBackends(five))
			if err != nil || lc == nil {
				t.Fatalf("%s returned the error %s", call, hErrName(err))
			}
			p = lc
		} else {
			call = fmt.Sprintf("p2c, _ := leastconn.NewP2C(%s, nil)", hSet(five))
			pc, err := leastconn.NewP2C(hBackends(five), nil)
			if err != nil || pc == nil {
				t.Fatalf("%s returned the error %s", call, hErrName(err))
			}
			p = pc
		}
		call += fmt.Sprintf("; 8 goroutines make 2000 Pick() calls each (4 of them call each done at once, 4 hold them) while another calls Update(%s) and Update(%s) in turn", hSet(four), hSet(five))
		ok := katatest.Within(t, 4*time.Second, "Pick, done or Update did not return under concurrent use: a lock that is never released, or a done that waits for a lock Pick holds?", func() {
			defer hRecover(t, call+"; then Update, the held dones and InFlight")
			var (
				held        [8][]func()
				failed      atomic.Value
				stop        atomic.Bool
				updates     atomic.Int64
				updaterDone = make(chan struct{})
			)
			onPanic := func() {
				if pv := recover(); pv != nil {
					failed.CompareAndSwap(nil, fmt.Sprintf("panicked: %v", pv))
				}
			}
			go func() {
				defer close(updaterDone)
				defer onPanic()
				for i := 0; !stop.Load(); i++ {
					set := five
					if i%2 == 0 {
						set = four
					}
					if err := p.Update(hBackends(set)); err != nil {
						failed.CompareAndSwap(nil, fmt.Sprintf("Update(%s) returned %s", hSet(set), hErrName(err)))
					}
					updates.Add(1)
				}
			}()
			katatest.Hammer(8, 2000, func(g, i int) {
				defer onPanic()
				item, done, err := p.Pick()
				if err != nil || done == nil || !strings.Contains("abcdef", item) || len(item) != 1 {
					failed.CompareAndSwap(nil, fmt.Sprintf("Pick() returned %q, %s, %s; want an item of one of the two sets", item, hDoneText(done), hErrName(err)))
					return
				}
				if g%2 == 0 {
					done()
				} else {
					held[g] = append(held[g], done)
				}
			})
			stop.Store(true)
			<-updaterDone
			if f := failed.Load(); f != nil {
				t.Errorf("%s: a call %v", call, f)
				return
			}
			if err := p.Update(hBackends(four)); err != nil {
				t.Errorf("%s; then Update(%s) returned %s", call, hSet(four), hErrName(err))
				return
			}
			for _, ds := range held {
				for _, d := range ds {
					d()
					d()
				}
			}
			for _, it := range hUniverse {
				if n := p.InFlight(it); n != 0 {
					t.Errorf("%s; then Update(%s), and every held done called twice; InFlight(%q) = %d, want 0 (%d Updates ran during the picks)", call, hSet(four), it, n, updates.Load())
				}
			}
		})
		if !ok {
			return
		}
	}
}
