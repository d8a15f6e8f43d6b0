package leastconn_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/leastconn"
)

// script is a scripted random source for P2C: rnd returns the queued values
// in turn and records every call, so that a test can check both the picks
// and the draws (rule 9). When the values run out, rnd returns 0 and the
// call is still recorded, so the check of the calls names the extra draw.
type script struct {
	mu     sync.Mutex
	values []int
	calls  []int    // every n rnd was called with
	drawn  []string // "rnd(4) = 2" for the calls not yet shown in a message
}

func newScript(values ...int) *script { return &script{values: values} }

func (s *script) rnd(n int) int {
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

// takeDrawn returns the draws since the last call, as " (rnd(4) = 2, rnd(3) = 1)".
func (s *script) takeDrawn() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.drawn) == 0 {
		return ""
	}
	d := " (" + strings.Join(s.drawn, ", ") + ")"
	s.drawn = nil
	return d
}

// callList prints the n of every call so far: "4 3 4 3", or "none".
func (s *script) callList() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		return "none"
	}
	return strings.Trim(fmt.Sprint(s.calls), "[]")
}

// session is a picker of string backends that records every call made
// through it as Go code with its result, so that a failure shows the
// sequence that led to it:
// `p2c, _ := leastconn.NewP2C([{a 1} {b 1}], rnd); p2c.Pick() = "a", done1 (rnd(2) = 0, rnd(1) = 0); done1(); p2c.InFlight("a") = 1, want 0`.
type session struct {
	t     *testing.T
	name  string // lc or p2c
	p     leastconn.Picker[string]
	rnd   *script // P2C only
	calls []string
	dones int
}

func (s *session) String() string { return strings.Join(s.calls, "; ") }

// doneText describes a done as Pick returned it.
func doneText(done func()) string {
	if done == nil {
		return "a nil done"
	}
	return "a done"
}

// catch runs f and returns what it panicked with, or nil. The stub's "not
// implemented" panic goes through, so the grader reports the kata as not
// started.
func catch(f func()) (p any) {
	defer func() {
		p = recover()
		if p == "not implemented" {
			panic(p)
		}
	}()
	f()
	return nil
}

// set formats backends as the README does: [{a 1} {b MaxWeight}], or nil.
func set(bs []leastconn.Backend[string]) string {
	if bs == nil {
		return "nil"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		w := fmt.Sprint(b.Weight)
		switch b.Weight {
		case leastconn.MaxWeight:
			w = "MaxWeight"
		case leastconn.MaxWeight + 1:
			w = "MaxWeight+1"
		}
		parts[i] = fmt.Sprintf("{%s %s}", b.Item, w)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// backends builds a set of weight-1 backends with the given names.
func backends(items ...string) []leastconn.Backend[string] {
	bs := make([]leastconn.Backend[string], len(items))
	for i, it := range items {
		bs[i] = leastconn.Backend[string]{Item: it, Weight: 1}
	}
	return bs
}

// errName names the kata's errors for messages.
func errName(err error) string {
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

// newLeastConn calls NewLeastConn(bs) and stops the test unless it returns
// a picker and a nil error. The values are for P2C and are ignored.
func newLeastConn(t *testing.T, bs []leastconn.Backend[string], _ ...int) *session {
	t.Helper()
	call := fmt.Sprintf("lc, err := leastconn.NewLeastConn(%s)", set(bs))
	var (
		lc  *leastconn.LeastConn[string]
		err error
	)
	if pv := catch(func() { lc, err = leastconn.NewLeastConn(bs) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	if err != nil || lc == nil {
		t.Fatalf("%s returned a nil picker or the error %s; want a picker and a nil error", call, errName(err))
	}
	return &session{t: t, name: "lc", p: lc, calls: []string{call}}
}

// newP2C calls NewP2C(bs, rnd) with a script of the given values and stops
// the test unless it returns a picker and a nil error.
func newP2C(t *testing.T, bs []leastconn.Backend[string], values ...int) *session {
	t.Helper()
	rnd := newScript(values...)
	call := fmt.Sprintf("p2c, err := leastconn.NewP2C(%s, rnd)", set(bs))
	if len(values) > 0 {
		call = fmt.Sprintf("rnd returns %s in turn; %s", strings.Trim(fmt.Sprint(values), "[]"), call)
	}
	var (
		p   *leastconn.P2C[string]
		err error
	)
	if pv := catch(func() { p, err = leastconn.NewP2C(bs, rnd.rnd) }); pv != nil {
		t.Fatalf("%s panicked: %v", call, pv)
	}
	if err != nil || p == nil {
		t.Fatalf("%s returned a nil picker or the error %s; want a picker and a nil error", call, errName(err))
	}
	return &session{t: t, name: "p2c", p: p, rnd: rnd, calls: []string{call}}
}

// both is the table of the tests that run on both pickers.
var both = []struct {
	name string
	new  func(t *testing.T, bs []leastconn.Backend[string], values ...int) *session
}{
	{"LeastConn", newLeastConn},
	{"P2C", newP2C},
}

func (s *session) drawn() string {
	if s.rnd == nil {
		return ""
	}
	return s.rnd.takeDrawn()
}

// pick calls Pick, which must succeed, and returns the item and its done.
// The done records its calls in the session.
func (s *session) pick() (string, func()) {
	s.t.Helper()
	var (
		item string
		done func()
		err  error
	)
	call := s.name + ".Pick()"
	if pv := catch(func() { item, done, err = s.p.Pick() }); pv != nil {
		s.calls = append(s.calls, call+s.drawn())
		s.t.Fatalf("%v panicked: %v", s, pv)
	}
	if err != nil || done == nil {
		s.calls = append(s.calls, call+s.drawn())
		s.t.Fatalf("%v = %q, %s, %s; want a backend, a non-nil done and a nil error", s, item, doneText(done), errName(err))
	}
	s.dones++
	name := fmt.Sprintf("done%d", s.dones)
	s.calls = append(s.calls, fmt.Sprintf("%s = %q, %s%s", call, item, name, s.drawn()))
	return item, func() {
		s.t.Helper()
		s.calls = append(s.calls, name+"()")
		if pv := catch(done); pv != nil {
			s.t.Fatalf("%v panicked: %v", s, pv)
		}
	}
}

// picks makes n picks and returns the items as one string, "abca". With
// release, each pick's done is called at once; otherwise the dones are
// returned.
func (s *session) picks(n int, release bool) (string, []func()) {
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

// update calls Update(bs), which must succeed.
func (s *session) update(bs []leastconn.Backend[string]) {
	s.t.Helper()
	s.calls = append(s.calls, fmt.Sprintf("%s.Update(%s)", s.name, set(bs)))
	var err error
	if pv := catch(func() { err = s.p.Update(bs) }); pv != nil {
		s.t.Fatalf("%v panicked: %v", s, pv)
	}
	if err != nil {
		s.t.Fatalf("%v = %s, want nil", s, errName(err))
	}
}

// inFlight checks InFlight(item) of every item given as "a=1". A check that
// passes is not added to the sequence.
func (s *session) inFlight(why string, want ...string) {
	s.t.Helper()
	for _, w := range want {
		item, count, _ := strings.Cut(w, "=")
		var n int
		if pv := catch(func() { n = s.p.InFlight(item) }); pv != nil {
			s.t.Fatalf("%v; %s.InFlight(%q) panicked: %v", s, s.name, item, pv)
		}
		if got := fmt.Sprint(n); got != count {
			s.t.Errorf("%v; %s.InFlight(%q) = %s, want %s: %s", s, s.name, item, got, count, why)
		}
	}
}

// R1: an invalid weight or a duplicate Item is refused with a nil picker,
// and Update refuses them too; weight 0, MaxWeight and an empty set are
// valid.
func TestValidation(t *testing.T) {
	katatest.Guard(t)
	tests := []struct {
		bs   []leastconn.Backend[string]
		want error
	}{
		{[]leastconn.Backend[string]{{Item: "a", Weight: -1}}, leastconn.ErrInvalidWeight},
		{[]leastconn.Backend[string]{{Item: "a", Weight: 1}, {Item: "b", Weight: leastconn.MaxWeight + 1}}, leastconn.ErrInvalidWeight},
		{[]leastconn.Backend[string]{{Item: "a", Weight: 1}, {Item: "a", Weight: 2}}, leastconn.ErrDuplicateBackend},
		{[]leastconn.Backend[string]{{Item: "a", Weight: 1}, {Item: "b", Weight: 1}, {Item: "a", Weight: 1}}, leastconn.ErrDuplicateBackend},
		{[]leastconn.Backend[string]{{Item: "a", Weight: 0}, {Item: "b", Weight: leastconn.MaxWeight}}, nil},
		{[]leastconn.Backend[string]{}, nil},
		{nil, nil},
	}
	want := func(err error) string {
		if err == nil {
			return "a picker and a nil error"
		}
		return "a nil picker and " + errName(err)
	}
	for _, tt := range tests {
		for _, kind := range both {
			call := fmt.Sprintf("leastconn.New%s(%s)", kind.name, set(tt.bs))
			var (
				isNil bool
				err   error
			)
			if pv := catch(func() {
				if kind.name == "LeastConn" {
					var lc *leastconn.LeastConn[string]
					lc, err = leastconn.NewLeastConn(tt.bs)
					isNil = lc == nil
				} else {
					var p *leastconn.P2C[string]
					p, err = leastconn.NewP2C(tt.bs, nil)
					isNil = p == nil
					call = fmt.Sprintf("leastconn.NewP2C(%s, nil)", set(tt.bs))
				}
			}); pv != nil {
				t.Errorf("%s panicked: %v", call, pv)
				continue
			}
			got := "a picker"
			if isNil {
				got = "a nil picker"
			}
			if !errors.Is(err, tt.want) || (err == nil) == isNil {
				t.Errorf("%s returned %s and %s; want %s", call, got, errName(err), want(tt.want))
			}
		}
	}

	// Update validates the same way and then changes nothing.
	for _, kind := range both {
		s := kind.new(t, backends("a"))
		for _, tt := range tests[:4] {
			var err error
			if pv := catch(func() { err = s.p.Update(tt.bs) }); pv != nil {
				t.Fatalf("%v; %s.Update(%s) panicked: %v", s, s.name, set(tt.bs), pv)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("%v; %s.Update(%s) = %s, want %s", s, s.name, set(tt.bs), errName(err), errName(tt.want))
			}
			s.calls = append(s.calls, fmt.Sprintf("%s.Update(%s) = %s", s.name, set(tt.bs), errName(err)))
		}
		item, _ := s.pick()
		assert.Equal(t, "a", item, "%v: the failed Updates changed nothing, so a is the only backend", s)
	}
}

// R5: Pick on an empty set returns "", a nil done and ErrNoBackends, and P2C
// calls no rnd; once Update brings a backend, Pick returns it.
func TestEmptySet(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range both {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.new(t, nil)
			for range 2 {
				var (
					item string
					done func()
					err  error
				)
				if pv := catch(func() { item, done, err = s.p.Pick() }); pv != nil {
					s.calls = append(s.calls, s.name+".Pick()"+s.drawn())
					t.Fatalf("%v panicked: %v", s, pv)
				}
				s.calls = append(s.calls, s.name+".Pick()"+s.drawn())
				if item != "" || done != nil || !errors.Is(err, leastconn.ErrNoBackends) {
					t.Errorf("%v = %q, %s, %s; want \"\", a nil done and ErrNoBackends", s, item, doneText(done), errName(err))
				}
			}
			if s.rnd != nil {
				assert.Equal(t, "none", s.rnd.callList(), "%v: the calls of rnd (an empty set draws nothing)", s)
			}
			s.update(backends("a"))
			item, _ := s.pick()
			assert.Equal(t, "a", item, "%v", s)
			s.inFlight("the pick holds a", "a=1")
			if s.rnd != nil {
				assert.Equal(t, "none", s.rnd.callList(), "%v: the calls of rnd (one backend draws nothing)", s)
			}
		})
	}
}

// R6, R7: equal loads rotate through the set, whether each pick is
// released at once or held.
func TestLeastConnRotatesTies(t *testing.T) {
	katatest.Guard(t)
	s := newLeastConn(t, backends("a", "b", "c"))
	seq, _ := s.picks(7, true)
	assert.Equal(t, "abcabca", seq, "%v: 7 picks, each released at once: the loads are always equal, so the cursor rotates", s)

	s = newLeastConn(t, backends("a", "b", "c"))
	seq, _ = s.picks(7, false)
	assert.Equal(t, "abcabca", seq, "%v: 7 picks, none released", s)
	s.inFlight("7 picks held on [a b c]", "a=3", "b=2", "c=2")
}

// R6, R7: Pick returns the least-loaded backend, the first one from the
// cursor on a tie.
func TestLeastConnPicksLeastLoaded(t *testing.T) {
	katatest.Guard(t)
	s := newLeastConn(t, backends("a", "b", "c", "d"))
	seq, dones := s.picks(3, false)
	require.Equal(t, "abc", seq, "%v", s)
	dones[1]() // b
	dones[2]() // c
	s.inFlight("a is held, b and c were released", "a=1", "b=0", "c=0", "d=0")
	seq, _ = s.picks(3, false)
	assert.Equal(t, "dbc", seq, "%v: the scan starts at the cursor (d, after the pick of c) and returns the first least-loaded backend", s)
	s.inFlight("every backend is held once", "a=1", "b=1", "c=1", "d=1")
}

// R2, R7: a backend of weight 2 takes two requests for every one of a
// backend of weight 1.
func TestWeightedLeastConn(t *testing.T) {
	katatest.Guard(t)
	s := newLeastConn(t, []leastconn.Backend[string]{{Item: "a", Weight: 2}, {Item: "b", Weight: 1}})
	seq, _ := s.picks(6, false)
	assert.Equal(t, "ababaa", seq, "%v: 6 picks held; load = in-flight / weight, ties go to the cursor", s)
	s.inFlight("6 = 2·Σw picks from zero give each backend 2·weight", "a=4", "b=2")
}

// R3: calling the same done twice releases one request, not two.
func TestDoneIsIdempotent(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range both {
		t.Run(kind.name, func(t *testing.T) {
			s := kind.new(t, backends("a"))
			_, done1 := s.pick()
			_, done2 := s.pick()
			s.inFlight("two picks held", "a=2")
			done1()
			done1()
			s.inFlight("done1 was called twice: only its first call counts", "a=1")
			done2()
			done2()
			s.inFlight("both dones were called", "a=0")
		})
	}
}

// R4: an Update keeps the in-flight count of every Item that stays, and a
// done from before the Update still releases its request.
func TestUpdateKeepsCounts(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range both {
		t.Run(kind.name, func(t *testing.T) {
			// P2C: i = 0 (a), j = 1 (b), a tie goes to a; then i = 1 (b),
			// j = 0 (a), and b is less loaded.
			s := kind.new(t, backends("a", "b"), 0, 0, 1, 0)
			seq, dones := s.picks(2, false)
			require.Equal(t, "ab", seq, "%v", s)
			s.update(backends("b", "c", "a"))
			s.inFlight("a and b stay in the set, so they keep their counts; c is new", "a=1", "b=1", "c=0")
			dones[0]()
			s.inFlight("the done of the pick of a, from before the Update, releases a", "a=0", "b=1", "c=0")
			dones[0]()
			s.inFlight("a done counts once, across Updates too", "a=0", "b=1", "c=0")
		})
	}
}

// R9: P2C draws i = rnd(n), then j′ = rnd(n−1) and skips i; the second
// backend wins only when strictly less loaded.
func TestP2CScriptedDraws(t *testing.T) {
	katatest.Guard(t)
	// Pick 1: i = 2 (c), j′ = 2 → j = 3 (d): both idle, the tie goes to c.
	// Pick 2: i = 1 (b), j′ = 0 → j = 0 (a): both idle, b.
	// Pick 3: i = 3 (d), j′ = 2 → j = 2 (c): c holds one, d is less loaded.
	s := newP2C(t, backends("a", "b", "c", "d"), 2, 2, 1, 0, 3, 2)
	seq, _ := s.picks(3, false)
	assert.Equal(t, "cbd", seq, "%v: picks held", s)
	assert.Equal(t, "4 3 4 3 4 3", s.rnd.callList(), "%v: the n of every call of rnd: rnd(n), then rnd(n-1), for each pick", s)
	s.inFlight("one pick held on each of b, c and d", "a=0", "b=1", "c=1", "d=1")
}

// R3, R8: concurrent picks on LeastConn give exact counts, and concurrent
// dones, each called twice, bring them back to 0. P2C's counts are exact
// too, though which backend a concurrent pick chooses is not fixed. Run
// with -race: an unsynchronised counter is reported as a data race.
func TestConcurrentPicksExact(t *testing.T) {
	katatest.Guard(t)
	items := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, kind := range both {
		t.Run(kind.name, func(t *testing.T) {
			var (
				p    leastconn.Picker[string]
				err  error
				call string
			)
			if kind.name == "LeastConn" {
				call = fmt.Sprintf("lc, _ := leastconn.NewLeastConn(%s)", set(backends(items...)))
				p, err = leastconn.NewLeastConn(backends(items...))
			} else {
				call = fmt.Sprintf("p2c, _ := leastconn.NewP2C(%s, nil)", set(backends(items...)))
				p, err = leastconn.NewP2C(backends(items...), nil)
			}
			require.NoError(t, err, call)
			call += "; 8 goroutines make 100 Pick() calls each, none released"

			var (
				dones    [8][]func()
				failures atomic.Int64
				first    atomic.Value
			)
			katatest.Hammer(8, 100, func(g, i int) {
				defer func() {
					if pv := recover(); pv != nil {
						if pv == "not implemented" {
							panic(pv)
						}
						failures.Add(1)
						first.CompareAndSwap(nil, fmt.Sprintf("panicked: %v", pv))
					}
				}()
				item, done, err := p.Pick()
				if err != nil || done == nil || !slices.Contains(items, item) {
					failures.Add(1)
					first.CompareAndSwap(nil, fmt.Sprintf("returned %q, %s, %s", item, doneText(done), errName(err)))
					return
				}
				dones[g] = append(dones[g], done)
			})
			require.Zero(t, failures.Load(), "%s: calls that failed (the first %v)", call, first.Load())

			total := 0
			for _, it := range items {
				n := p.InFlight(it)
				total += n
				if kind.name == "LeastConn" {
					assert.Equal(t, 100, n, "%s; then InFlight(%q): 800 = 100·Σw picks from zero leave exactly 100 on each backend, however they interleave", call, it)
				}
			}
			assert.Equal(t, 800, total, "%s; then the sum of InFlight over every backend", call)

			// Two goroutines call each done list: every done runs twice,
			// concurrently with itself and with all the others.
			call += "; then 16 goroutines call every done twice, concurrently"
			katatest.Hammer(16, 100, func(g, i int) { dones[g%8][i]() })
			for _, it := range items {
				assert.Equal(t, 0, p.InFlight(it), "%s; then InFlight(%q)", call, it)
			}
		})
	}
}

// The API: both pickers implement Picker (checked at compile time), and
// work through it.
func TestPickerInterface(t *testing.T) {
	katatest.Guard(t)
	var (
		_ leastconn.Picker[string] = (*leastconn.LeastConn[string])(nil)
		_ leastconn.Picker[string] = (*leastconn.P2C[string])(nil)
		_ leastconn.Picker[int]    = (*leastconn.P2C[int])(nil)
	)
	lc, err := leastconn.NewLeastConn(backends("a"))
	require.NoError(t, err, `leastconn.NewLeastConn([{a 1}])`)
	p2c, err := leastconn.NewP2C(backends("a"), nil)
	require.NoError(t, err, `leastconn.NewP2C([{a 1}], nil)`)
	for _, p := range []leastconn.Picker[string]{lc, p2c} {
		item, done, err := p.Pick()
		require.NoError(t, err, "%T: Pick() on [{a 1}]", p)
		assert.Equal(t, "a", item, "%T: Pick() on [{a 1}]", p)
		assert.Equal(t, 1, p.InFlight("a"), "%T: Pick() on [{a 1}], then InFlight(\"a\")", p)
		done()
		assert.Equal(t, 0, p.InFlight("a"), "%T: Pick() on [{a 1}], done(), then InFlight(\"a\")", p)
	}
}

// benchBackends returns n backends named b0, b1, … with weights 1 to 3.
func benchBackends(n int) []leastconn.Backend[string] {
	bs := make([]leastconn.Backend[string], n)
	for i := range bs {
		bs[i] = leastconn.Backend[string]{Item: fmt.Sprintf("b%d", i), Weight: 1 + i%3}
	}
	return bs
}

func benchLeastConn(b *testing.B, n int) {
	lc, err := leastconn.NewLeastConn(benchBackends(n))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, done, err := lc.Pick()
		if err != nil {
			b.Fatal(err)
		}
		done()
	}
}

// BenchmarkLeastConnPickDone: Pick and its done on 8 backends. Target: at
// most 150 ns/op, at most 2 allocs/op.
func BenchmarkLeastConnPickDone(b *testing.B) { benchLeastConn(b, 8) }

// BenchmarkLeastConnPickDone64: the same on 64 backends. Target: at most 400
// ns/op, at most 2 allocs/op.
func BenchmarkLeastConnPickDone64(b *testing.B) { benchLeastConn(b, 64) }

// BenchmarkP2CPickDone: Pick and its done on 8 backends with the default
// random source. Target: at most 150 ns/op, at most 2 allocs/op.
func BenchmarkP2CPickDone(b *testing.B) {
	p, err := leastconn.NewP2C(benchBackends(8), nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, done, err := p.Pick()
		if err != nil {
			b.Fatal(err)
		}
		done()
	}
}

// BenchmarkP2CPickDoneParallel: BenchmarkP2CPickDone from every P at once.
// Target: at most 250 ns/op, at most 2 allocs/op.
func BenchmarkP2CPickDoneParallel(b *testing.B) {
	p, err := leastconn.NewP2C(benchBackends(8), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, done, err := p.Pick()
			if err != nil {
				b.Error(err)
				return
			}
			done()
		}
	})
}
