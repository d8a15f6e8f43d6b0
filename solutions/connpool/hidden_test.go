//go:build microkata_hidden

package connpool_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/connpool"
)

// Every failure message names the calls that led to it, with the virtual
// time of each since the start of the test, what came back and what was
// expected: a learner sees only the test's name, category and message.
// Connections are ints: the fake Dial returns 1, 2, 3, ... in the order its
// calls succeed.

var (
	hErrBroken = errors.New("hidden: connection broken")
	hErrCheck  = errors.New("hidden: health check failed")
)

// hDialErr is the error of the n-th Dial call when the test makes it fail.
type hDialErr struct{ n int }

func (e *hDialErr) Error() string { return fmt.Sprintf("hidden: Dial call #%d refused", e.n) }

// hTagKey marks the ctx of a Get, so the fake can tell which Get's ctx a
// Dial or Check received.
type hTagKey struct{}

func hTagged(parent context.Context, tag string) context.Context {
	return context.WithValue(parent, hTagKey{}, tag)
}

func hTag(ctx context.Context) string {
	if ctx == nil {
		return "a nil ctx"
	}
	if s, ok := ctx.Value(hTagKey{}).(string); ok {
		return "ctx " + s
	}
	return "a ctx not derived from any Get's ctx"
}

// hCall is one call of a fake callback.
type hCall struct {
	c   int // the connection (for Dial: the call number)
	at  time.Duration
	ctx string
}

// hFake is the connection factory. It records every call, how many
// connections are live (dialing or open, not yet closed) and the most at
// once, and can make Dial calls fail, and Dial, Check and CloseConn slow.
type hFake struct {
	mu         sync.Mutex
	start      time.Time
	calls      int // Dial calls started
	next       int // connections Dial returned
	live       int
	maxLive    int
	dials      []hCall
	checks     []hCall
	closes     []hCall
	dialDelay  time.Duration
	closeDelay time.Duration
	failDial   map[int]bool                           // Dial call numbers that fail
	checkFn    func(ctx context.Context, c int) error // nil: Check passes at once
	pool       *connpool.Pool[int]                    // callbacks call its Stats when set
	maxOpen    int
	bad        []string // Stats invariants broken inside callbacks
}

func hNewFake() *hFake { return &hFake{start: time.Now(), failDial: map[int]bool{}} }

func (f *hFake) now() time.Duration { return time.Since(f.start) }

func (f *hFake) Dial(ctx context.Context) (int, error) {
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.live++
	f.maxLive = max(f.maxLive, f.live)
	f.dials = append(f.dials, hCall{n, f.now(), hTag(ctx)})
	delay, fail := f.dialDelay, f.failDial[n]
	f.mu.Unlock()
	f.callStats("Dial")
	if delay > 0 {
		time.Sleep(delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fail {
		f.live--
		return 0, &hDialErr{n}
	}
	f.next++
	return f.next, nil
}

func (f *hFake) CloseConn(c int) {
	f.callStats(fmt.Sprintf("CloseConn(%d)", c))
	f.mu.Lock()
	delay := f.closeDelay
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live--
	f.closes = append(f.closes, hCall{c, f.now(), ""})
}

func (f *hFake) Check(ctx context.Context, c int) error {
	f.mu.Lock()
	f.checks = append(f.checks, hCall{c, f.now(), hTag(ctx)})
	fn := f.checkFn
	f.mu.Unlock()
	f.callStats(fmt.Sprintf("Check(ctx, %d)", c))
	if fn != nil {
		return fn(ctx, c)
	}
	return nil
}

// callStats calls Stats from inside a callback, when the test asks for it,
// and records a broken invariant.
func (f *hFake) callStats(where string) {
	f.mu.Lock()
	p, maxOpen := f.pool, f.maxOpen
	f.mu.Unlock()
	if p == nil {
		return
	}
	st := p.Stats()
	if st.Idle < 0 || st.InUse < 0 || st.Waiting < 0 || st.Idle+st.InUse > st.Open || st.Open > maxOpen {
		f.mu.Lock()
		f.bad = append(f.bad, fmt.Sprintf("Stats() inside %s at %v = %+v, want Idle + InUse <= Open <= MaxOpen %d", where, f.now(), st, maxOpen))
		f.mu.Unlock()
	}
}

// closeCount returns how many times CloseConn(c) was called.
func (f *hFake) closeCount(c int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.closes {
		if x.c == c {
			n++
		}
	}
	return n
}

func (f *hFake) dialCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *hFake) maxLiveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxLive
}

// closeLog prints the CloseConn calls, in order.
func (f *hFake) closeLog() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.closes) == 0 {
		return "no CloseConn call"
	}
	parts := make([]string, len(f.closes))
	for i, x := range f.closes {
		parts[i] = fmt.Sprintf("CloseConn(%d) at %v", x.c, x.at)
	}
	return strings.Join(parts, ", ")
}

// dialLog prints the Dial calls, in order.
func (f *hFake) dialLog() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.dials) == 0 {
		return "no Dial call"
	}
	parts := make([]string, len(f.dials))
	for i, x := range f.dials {
		parts[i] = fmt.Sprintf("Dial call #%d at %v with %s", x.c, x.at, x.ctx)
	}
	return strings.Join(parts, ", ")
}

// checkLog prints the Check calls, in order.
func (f *hFake) checkLog() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.checks) == 0 {
		return "no Check call"
	}
	parts := make([]string, len(f.checks))
	for i, x := range f.checks {
		parts[i] = fmt.Sprintf("Check(%s, %d) at %v", x.ctx, x.c, x.at)
	}
	return strings.Join(parts, ", ")
}

// closedOnce lists the connections Dial returned that were not closed
// exactly once; "" when all were.
func (f *hFake) closedOnce() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	count := map[int]int{}
	for _, x := range f.closes {
		count[x.c]++
	}
	var wrong []string
	for c := 1; c <= f.next; c++ {
		if count[c] != 1 {
			wrong = append(wrong, fmt.Sprintf("CloseConn(%d) called %d times", c, count[c]))
		}
	}
	for c := range count {
		if c < 1 || c > f.next {
			wrong = append(wrong, fmt.Sprintf("CloseConn(%d) of a value Dial never returned", c))
		}
	}
	if len(wrong) > 5 {
		wrong = append(wrong[:5], fmt.Sprintf("and %d more", len(wrong)-5))
	}
	return strings.Join(wrong, ", ")
}

// hOpts are the fields of a Config; String prints the New call and what
// the fake does.
type hOpts struct {
	maxOpen, maxIdle         int
	idleTimeout, maxLifetime time.Duration
	check                    bool
	fake                     string // how the fake behaves, for messages
}

func (o hOpts) String() string {
	s := "New(Config{Dial, CloseConn"
	if o.check {
		s += ", Check"
	}
	s += fmt.Sprintf(", MaxOpen: %d, MaxIdle: %d", o.maxOpen, o.maxIdle)
	if o.idleTimeout != 0 {
		s += fmt.Sprintf(", IdleTimeout: %v", o.idleTimeout)
	}
	if o.maxLifetime != 0 {
		s += fmt.Sprintf(", MaxLifetime: %v", o.maxLifetime)
	}
	s += "})"
	if o.fake != "" {
		s += " (" + o.fake + ")"
	}
	return s
}

// hPool makes a pool over f, or stops the test.
func hPool(t *testing.T, f *hFake, o hOpts) *connpool.Pool[int] {
	t.Helper()
	cfg := connpool.Config[int]{
		Dial: f.Dial, CloseConn: f.CloseConn,
		MaxOpen: o.maxOpen, MaxIdle: o.maxIdle,
		IdleTimeout: o.idleTimeout, MaxLifetime: o.maxLifetime,
	}
	if o.check {
		cfg.Check = f.Check
	}
	p, err := connpool.New(cfg)
	if err != nil || p == nil {
		t.Fatalf("%v = (%v, %s), want a pool and a nil error", o, p, hErrName(err))
	}
	f.mu.Lock()
	f.maxOpen = o.maxOpen
	f.mu.Unlock()
	return p
}

// hErrName names an error by what it matches.
func hErrName(err error) string {
	var de *hDialErr
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, connpool.ErrClosed):
		return "ErrClosed"
	case errors.Is(err, connpool.ErrInvalidConfig):
		return fmt.Sprintf("ErrInvalidConfig (%q)", err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.Is(err, hErrBroken):
		return "errBroken"
	case errors.Is(err, hErrCheck):
		return "the Check error"
	case errors.As(err, &de):
		return fmt.Sprintf("the error of Dial call #%d", de.n)
	}
	return fmt.Sprintf("error %q", err.Error())
}

// hRes is what a Get returned, and when.
type hRes struct {
	c   int
	err error
	at  time.Duration
}

func (r hRes) String() string { return fmt.Sprintf("(%d, %s) at %v", r.c, hErrName(r.err), r.at) }

// is reports whether r is (c, an error matching want) at at.
func (r hRes) is(c int, want error, at time.Duration) bool {
	if r.c != c || r.at != at {
		return false
	}
	if want == nil {
		return r.err == nil
	}
	var de *hDialErr
	if wd, ok := want.(*hDialErr); ok {
		return errors.As(r.err, &de) && de.n == wd.n
	}
	return errors.Is(r.err, want)
}

// hGo runs Get(ctx) on a new goroutine and delivers its result.
func hGo(p *connpool.Pool[int], f *hFake, ctx context.Context) chan hRes {
	ch := make(chan hRes, 1)
	go func() {
		c, err := p.Get(ctx)
		ch <- hRes{c, err, f.now()}
	}()
	return ch
}

// hRecv waits at most d of virtual time for a result.
func hRecv(ch chan hRes, d time.Duration) (hRes, bool) {
	select {
	case r := <-ch:
		return r, true
	case <-time.After(d):
		return hRes{}, false
	}
}

// hShow prints a result, or that there was none.
func hShow(r hRes, ok bool) string {
	if !ok {
		return "nothing yet (still waiting)"
	}
	return r.String()
}

// hPoll takes a result if there is one now.
func hPoll(ch chan hRes) (hRes, bool) {
	select {
	case r := <-ch:
		return r, true
	default:
		return hRes{}, false
	}
}

// hGetNow calls Get(ctx) where it must not wait, and stops the test unless
// it returns want.
func hGetNow(t *testing.T, p *connpool.Pool[int], want int, setup string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(hTagged(context.Background(), fmt.Sprintf("of Get → %d", want)), time.Minute)
	defer cancel()
	if c, err := p.Get(ctx); c != want || err != nil {
		t.Fatalf("%s; Get(ctx) = (%d, %s), want (%d, nil)", setup, c, hErrName(err), want)
	}
}

// hWantStats checks p.Stats().
func hWantStats(t *testing.T, p *connpool.Pool[int], want connpool.Stats, after string) bool {
	t.Helper()
	if got := p.Stats(); got != want {
		t.Errorf("%s: Stats() = %+v, want %+v", after, got, want)
		return false
	}
	return true
}

// hPanics calls fn and returns what it panicked with. The stub's "not
// implemented" goes through, so an untouched stub is "not started".
func hPanics(fn func()) (v any, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r)
			}
			v, panicked = r, true
		}
	}()
	fn()
	return nil, false
}

const hLockHeld = "is the pool's lock held while Dial, Check or CloseConn runs? A goroutine waiting for a sync.Mutex is not durably blocked, so virtual time stops; call the callbacks after Unlock"

// TestHiddenConfigEdges checks the edges of a valid Config and of a Get
// that must do nothing: MaxIdle equal to MaxOpen and MaxIdle 0 are valid
// (0: every Put without a waiter closes), a done ctx returns ctx.Err() and
// leaves the idle connection where it is, and a closed pool answers
// ErrClosed even to a done ctx.
//
// Category: config
func TestHiddenConfigEdges(t *testing.T) {
	katatest.Guard(t)

	// Valid edges.
	f := hNewFake()
	valid := []connpool.Config[int]{
		{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 3, MaxIdle: 3},
		{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 1, MaxIdle: 0},
		{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 1, MaxIdle: 1, IdleTimeout: 1, MaxLifetime: 1},
	}
	names := []string{
		"Config{Dial, CloseConn, MaxOpen: 3, MaxIdle: 3}",
		"Config{Dial, CloseConn, MaxOpen: 1, MaxIdle: 0}",
		"Config{Dial, CloseConn, MaxOpen: 1, MaxIdle: 1, IdleTimeout: 1ns, MaxLifetime: 1ns}",
	}
	for i, cfg := range valid {
		var p *connpool.Pool[int]
		var err error
		if v, panicked := hPanics(func() { p, err = connpool.New(cfg) }); panicked {
			t.Errorf("New(%s) panicked with %v, want a pool", names[i], v)
			continue
		}
		if p == nil || err != nil {
			t.Errorf("New(%s) = (%v, %s), want a pool and a nil error", names[i], p, hErrName(err))
			continue
		}
		p.Close()
	}
	invalid := []struct {
		name string
		cfg  connpool.Config[int]
	}{
		{"Config{Dial, CloseConn, MaxOpen: 1, MaxIdle: 2}", connpool.Config[int]{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 1, MaxIdle: 2}},
		{"Config{Dial, CloseConn, MaxOpen: 3, MaxIdle: 4}", connpool.Config[int]{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 3, MaxIdle: 4}},
		{"Config{MaxOpen: 1}", connpool.Config[int]{MaxOpen: 1}},
		{"Config{}", connpool.Config[int]{}},
		{"Config{Dial, CloseConn, MaxOpen: 1, IdleTimeout: -1h0m0s}", connpool.Config[int]{Dial: f.Dial, CloseConn: f.CloseConn, MaxOpen: 1, IdleTimeout: -time.Hour}},
	}
	for _, tc := range invalid {
		var p *connpool.Pool[int]
		var err error
		if v, panicked := hPanics(func() { p, err = connpool.New(tc.cfg) }); panicked {
			t.Errorf("New(%s) panicked with %v, want (nil, an error matching ErrInvalidConfig)", tc.name, v)
			continue
		}
		if p != nil || !errors.Is(err, connpool.ErrInvalidConfig) {
			t.Errorf("New(%s) = (%v, %s), want (nil, an error matching ErrInvalidConfig)", tc.name, p, hErrName(err))
		}
	}
	if n := f.dialCount(); n != 0 {
		t.Errorf("New dialed %d times, want 0", n)
	}

	// MaxIdle = MaxOpen keeps every connection.
	f = hNewFake()
	o := hOpts{maxOpen: 3, maxIdle: 3}
	p := hPool(t, f, o)
	s := o.String()
	for c := 1; c <= 3; c++ {
		hGetNow(t, p, c, s)
		s += fmt.Sprintf("; Get → %d", c)
	}
	for c := 1; c <= 3; c++ {
		p.Put(c, nil)
		s += fmt.Sprintf("; Put(%d, nil)", c)
	}
	if got := f.closeLog(); got != "no CloseConn call" {
		t.Errorf("%s: %s, want none (MaxIdle 3 keeps all three)", s, got)
	}
	hWantStats(t, p, connpool.Stats{Open: 3, Idle: 3}, s)
	p.Close()

	// MaxIdle 0 keeps none.
	f = hNewFake()
	o = hOpts{maxOpen: 2, maxIdle: 0}
	p = hPool(t, f, o)
	s = o.String()
	hGetNow(t, p, 1, s)
	p.Put(1, nil)
	s += "; Get → 1; Put(1, nil)"
	if f.closeCount(1) != 1 {
		t.Errorf("%s: %s by the time Put returned, want CloseConn(1) (MaxIdle 0: no connection stays idle)", s, f.closeLog())
	}
	hWantStats(t, p, connpool.Stats{}, s)
	hGetNow(t, p, 2, s)
	p.Put(2, nil)
	p.Close()

	// A done ctx takes nothing and moves no counter.
	f = hNewFake()
	o = hOpts{maxOpen: 2, maxIdle: 2}
	p = hPool(t, f, o)
	hGetNow(t, p, 1, o.String())
	p.Put(1, nil)
	s = o.String() + "; Get → 1; Put(1, nil)"
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"a cancelled ctx", cancelled, context.Canceled},
		{"a ctx past its deadline", expired, context.DeadlineExceeded},
	} {
		c, err := p.Get(tc.ctx)
		if c != 0 || !errors.Is(err, tc.want) {
			t.Errorf("%s; Get(%s) = (%d, %s), want (0, %s) without taking the idle connection", s, tc.name, c, hErrName(err), hErrName(tc.want))
			if err == nil {
				p.Put(c, nil)
			}
		}
		hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; Get("+tc.name+")")
	}
	hGetNow(t, p, 1, s+"; two Gets with a done ctx")
	p.Put(1, nil)
	// Empty pool, done ctx: no Dial.
	p2 := hPool(t, hNewFake(), o)
	if c, err := p2.Get(cancelled); c != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("%s; Get(a cancelled ctx) on a new pool = (%d, %s), want (0, context.Canceled) without dialing", o, c, hErrName(err))
	}
	hWantStats(t, p2, connpool.Stats{}, o.String()+"; Get(a cancelled ctx) on a new pool")
	p2.Close()
	if n := f.dialCount(); n != 1 {
		t.Errorf("%s: Dial called %d times, want 1 (a Get with a done ctx dials nothing)", s, n)
	}

	// Closed beats a done ctx.
	p.Close()
	if c, err := p.Get(cancelled); c != 0 || !errors.Is(err, connpool.ErrClosed) {
		t.Errorf("%s; Close(); Get(a cancelled ctx) = (%d, %s), want (0, ErrClosed): a closed pool says so first", s, c, hErrName(err))
	}
}

// TestHiddenPutOrder checks the order of Put's cases: a broken connection is
// closed and its slot goes to the head waiter, who dials; a healthy one goes
// to the head waiter even with MaxIdle 0; only without waiters does MaxIdle
// decide.
//
// Category: behaviour
func TestHiddenPutOrder(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		o := hOpts{maxOpen: 1, maxIdle: 0}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		ctx, cancel := context.WithTimeout(hTagged(context.Background(), "W"), time.Minute)
		defer cancel()
		w := hGo(p, f, ctx)
		synctest.Wait()
		p.Put(1, nil)
		s := o.String() + "; Get → 1; a waiter W calls Get(ctx W); Put(1, nil)"
		if r, ok := hRecv(w, 2*time.Minute); !ok || !r.is(1, nil, 0) {
			t.Errorf("%s: W returned %s, want (1, nil) at 0s: a waiter comes before MaxIdle (%s)", s, hShow(r, ok), f.closeLog())
			if ok && r.err == nil {
				p.Put(r.c, nil)
			}
			return
		}
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none", s, got)
		}

		w = hGo(p, f, ctx)
		synctest.Wait()
		p.Put(1, hErrBroken)
		s += "; W keeps 1; another waiter V calls Get(ctx W); Put(1, errBroken)"
		r, ok := hRecv(w, 2*time.Minute)
		if !ok || !r.is(2, nil, 0) {
			t.Errorf("%s: V returned %s, want (2, nil) at 0s: 1 is closed and V dials in its slot (%s; %s)", s, hShow(r, ok), f.closeLog(), f.dialLog())
		}
		if f.closeCount(1) != 1 {
			t.Errorf("%s: %s, want CloseConn(1) once", s, f.closeLog())
		}
		if ok && r.err == nil {
			p.Put(r.c, nil)
		}
		hWantStats(t, p, connpool.Stats{}, s+"; Put(2, nil) (MaxIdle 0, no waiter: closed)")
	})
}

// TestHiddenNoBarging checks that a connection put back while a Get waits
// goes to that waiter, not to a Get that arrives right after the Put
// (repeated in 20 fresh bubbles: the newcomer runs before the woken waiter).
//
// Category: concurrency
func TestHiddenNoBarging(t *testing.T) {
	katatest.Guard(t)
	for run := 1; run <= 20 && !t.Failed(); run++ {
		synctest.Test(t, func(t *testing.T) {
			f := hNewFake()
			o := hOpts{maxOpen: 1, maxIdle: 1}
			p := hPool(t, f, o)
			defer p.Close()
			hGetNow(t, p, 1, o.String())
			wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
			defer wcancel()
			w := hGo(p, f, wctx)
			synctest.Wait()
			s := fmt.Sprintf("run %d: %v; Get → 1; a waiter W calls Get(ctx with a 1m timeout); Put(1, nil) and at once a new Get(ctx with a 1s timeout)", run, o)

			p.Put(1, nil)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			c, err := p.Get(ctx)
			cancel()
			got := hRes{c, err, f.now()}
			if !got.is(0, context.DeadlineExceeded, time.Second) {
				t.Errorf("%s: the new Get returned %v, want (0, context.DeadlineExceeded) at 1s: the connection was W's (no barging)", s, got)
			}
			r, ok := hRecv(w, 2*time.Minute)
			if !ok || !r.is(1, nil, 0) {
				t.Errorf("%s: W returned %s, want (1, nil) at 0s", s, hShow(r, ok))
			}
			if ok && r.err == nil {
				p.Put(r.c, nil)
			}
			if err == nil {
				p.Put(c, nil)
			}
		})
	}
}

// TestHiddenCancelRaceLosesNothing cancels a waiter's ctx and at once puts
// a connection back (a connection to hand over) or puts it back broken (a
// slot to hand over), 150 times each in fresh bubbles: whatever the waiter
// returns, nothing is lost.
//
// Category: concurrency
func TestHiddenCancelRaceLosesNothing(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range []struct {
		name string
		err  error
	}{{"Put(1, nil)", nil}, {"Put(1, errBroken)", hErrBroken}} {
		for run := 1; run <= 150 && !t.Failed(); run++ {
			synctest.Test(t, func(t *testing.T) {
				f := hNewFake()
				o := hOpts{maxOpen: 1, maxIdle: 1}
				p := hPool(t, f, o)
				hGetNow(t, p, 1, o.String())
				ctx, cancel := context.WithCancel(context.Background())
				w := hGo(p, f, ctx)
				synctest.Wait()
				cancel()
				p.Put(1, kind.err)
				s := fmt.Sprintf("run %d: %v; Get → 1; a waiter W calls Get(ctx); cancel() of W's ctx and at once %s", run, o, kind.name)

				r, ok := hRecv(w, time.Minute)
				switch {
				case !ok:
					t.Errorf("%s: W has not returned a minute later, want it to return at once", s)
					return
				case r.err == nil && r.c > 0:
					p.Put(r.c, nil) // W used what it was handed: allowed
					s += fmt.Sprintf("; W returned (%d, nil) and puts it back", r.c)
				case r.c == 0 && errors.Is(r.err, context.Canceled):
					s += "; W returned (0, context.Canceled)"
				default:
					t.Errorf("%s: W returned %v, want (0, context.Canceled) or a connection", s, r)
					return
				}
				synctest.Wait()
				if st := p.Stats(); st.InUse != 0 || st.Waiting != 0 || st.Open != st.Idle {
					t.Errorf("%s: Stats() = %+v, want InUse 0, Waiting 0 and Open = Idle (a connection or slot handed to W as it gave up was lost?)", s, st)
				}
				gctx, gcancel := context.WithTimeout(context.Background(), time.Second)
				c, err := p.Get(gctx)
				gcancel()
				if err != nil {
					t.Errorf("%s; Get(ctx with a 1s timeout) = (%d, %s), want a connection", s, c, hErrName(err))
				} else {
					p.Put(c, nil)
				}
				p.Close()
				if bad := f.closedOnce(); bad != "" {
					t.Errorf("%s; Close(): %s; want every connection closed exactly once", s, bad)
				}
			})
		}
	}
}

// TestHiddenIdleTimeoutFromReturn checks that the idle time counts from the
// latest Put: a connection returned at 5s with IdleTimeout 10s is still
// taken at 15s - 1ns, and after a Put at that instant it lasts 10s more.
//
// Category: timing
func TestHiddenIdleTimeoutFromReturn(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		o := hOpts{maxOpen: 1, maxIdle: 1, idleTimeout: 10 * time.Second}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(5 * time.Second)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; at 5s: Put(1, nil)"
		time.Sleep(10*time.Second - time.Nanosecond)
		hGetNow(t, p, 1, s+"; at 15s - 1ns")
		p.Put(1, nil)
		s += "; at 15s - 1ns: Get → 1; Put(1, nil)"
		if f.closeCount(1) != 0 || f.dialCount() != 1 {
			t.Errorf("%s: %s, %s; want 1 reused, not closed", s, f.closeLog(), f.dialLog())
		}

		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: at 25s - 2ns: %s, want none yet (idle 10s - 1ns since the last Put)", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; at 25s - 2ns")
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 24.999999999s" {
			t.Errorf("%s; no call to the pool: %s, want CloseConn(1) at 24.999999999s, exactly IdleTimeout after the last Put", s, got)
		}
		hWantStats(t, p, connpool.Stats{}, s+"; at 25s - 1ns")
	})
}

// hLifetime runs one part of TestHiddenMaxLifetimeExact in its own bubble.
func hLifetime(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	if !t.Failed() {
		synctest.Test(t, fn)
	}
}

// TestHiddenMaxLifetimeExact checks MaxLifetime to the nanosecond: an idle
// connection is closed at exactly creation + MaxLifetime; a Put at that age
// closes it even with a waiter, who dials a new one; a Put 1ns before keeps
// it idle for 1ns; creation is when Dial returned; an idle connection
// expires at the earlier of its two deadlines, each at its own instant; and
// a lent connection past MaxLifetime stays lent until its Put closes it.
//
// Category: timing
func TestHiddenMaxLifetimeExact(t *testing.T) {
	katatest.Guard(t)
	o := hOpts{maxOpen: 1, maxIdle: 1, maxLifetime: 10 * time.Second}

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(3 * time.Second)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; at 3s: Put(1, nil)"
		time.Sleep(7*time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: at 10s - 1ns: %s, want none yet", s, got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 10s" {
			t.Errorf("%s; no call to the pool: %s, want CloseConn(1) at 10s (created at 0s, MaxLifetime 10s)", s, got)
		}
		hWantStats(t, p, connpool.Stats{}, s+"; at 10s")
	})

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w := hGo(p, f, ctx)
		synctest.Wait()
		time.Sleep(9 * time.Second)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; at 1s: a waiter W calls Get(ctx with a 1m timeout); at 10s: Put(1, nil)"
		if f.closeCount(1) != 1 {
			t.Errorf("%s: %s by the time Put returned, want CloseConn(1): at exactly MaxLifetime it is too old to hand over", s, f.closeLog())
		}
		r, ok := hRecv(w, 2*time.Minute)
		if !ok || !r.is(2, nil, 10*time.Second) {
			t.Errorf("%s: W returned %s, want (2, nil) at 10s, dialed in 1's slot", s, hShow(r, ok))
		}
		if ok && r.err == nil {
			hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s+"; W returned")
			p.Put(r.c, nil)
		}
	})

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(10*time.Second - time.Nanosecond)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; at 10s - 1ns: Put(1, nil)"
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none: 1ns short of MaxLifetime it is kept idle", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s)
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 10s" {
			t.Errorf("%s: %s, want CloseConn(1) at 10s, 1ns later", s, got)
		}
	})

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		f.dialDelay = 2 * time.Second
		o := o
		o.fake = "Dial takes 2s"
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(9 * time.Second)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1 at 2s; at 11s: Put(1, nil)"
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none: 1 was created when Dial returned (2s), so it is 9s old", s, got)
		}
		time.Sleep(time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: at 12s - 1ns: %s, want none yet", s, got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 12s" {
			t.Errorf("%s: %s, want CloseConn(1) at 12s (Dial returned at 2s, MaxLifetime 10s)", s, got)
		}
	})

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		o := hOpts{maxOpen: 2, maxIdle: 2, idleTimeout: 20 * time.Second, maxLifetime: 10 * time.Second}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(5 * time.Second)
		hGetNow(t, p, 2, o.String()+"; at 0s: Get → 1; at 5s")
		time.Sleep(time.Second)
		p.Put(2, nil)
		time.Sleep(time.Second)
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; at 5s: Get → 2; at 6s: Put(2, nil); at 7s: Put(1, nil)"
		time.Sleep(3*time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: at 10s - 1ns: %s, want none yet", s, got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 10s" {
			t.Errorf("%s: at 10s: %s, want CloseConn(1) at 10s (created at 0s; its MaxLifetime comes before its IdleTimeout, 27s)", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; at 10s")
		time.Sleep(5*time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 10s" {
			t.Errorf("%s: at 15s - 1ns: %s, want only CloseConn(1) at 10s", s, got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closeLog(); got != "CloseConn(1) at 10s, CloseConn(2) at 15s" {
			t.Errorf("%s: at 15s: %s, want CloseConn(1) at 10s, CloseConn(2) at 15s (2 was created at 5s)", s, got)
		}
		hWantStats(t, p, connpool.Stats{}, s+"; at 15s")
	})

	hLifetime(t, func(t *testing.T) {
		f := hNewFake()
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		time.Sleep(20 * time.Second)
		synctest.Wait()
		s := o.String() + "; at 0s: Get → 1; at 20s"
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none: a lent connection stays lent past MaxLifetime", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s)
		p.Put(1, nil)
		s += ": Put(1, nil)"
		if f.closeCount(1) != 1 {
			t.Errorf("%s: %s by the time Put returned, want CloseConn(1)", s, f.closeLog())
		}
		hWantStats(t, p, connpool.Stats{}, s)
	})
}

// TestHiddenGetAtExpiryInstant calls Get at the very instant an idle
// connection expires, when the pool's timer may not have run yet, 25 times
// for IdleTimeout and 25 times for MaxLifetime, in fresh bubbles: Get never
// returns the expired connection, which is closed exactly once.
//
// Category: timing
func TestHiddenGetAtExpiryInstant(t *testing.T) {
	katatest.Guard(t)
	for _, kind := range []struct {
		o      hOpts
		putAt  time.Duration
		expiry time.Duration
	}{
		{hOpts{maxOpen: 1, maxIdle: 1, idleTimeout: 10 * time.Second}, 0, 10 * time.Second},
		{hOpts{maxOpen: 1, maxIdle: 1, maxLifetime: 10 * time.Second}, 4 * time.Second, 10 * time.Second},
	} {
		for run := 1; run <= 25 && !t.Failed(); run++ {
			synctest.Test(t, func(t *testing.T) {
				f := hNewFake()
				p := hPool(t, f, kind.o)
				defer p.Close()
				hGetNow(t, p, 1, kind.o.String())
				time.Sleep(kind.putAt)
				p.Put(1, nil)
				time.Sleep(kind.expiry - kind.putAt)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				c, err := p.Get(ctx)
				cancel()
				got := hRes{c, err, f.now()}
				s := fmt.Sprintf("run %d: %v; at 0s: Get → 1; at %v: Put(1, nil); at %v, the instant 1 expires: Get(ctx with a 1s timeout)", run, kind.o, kind.putAt, kind.expiry)
				if !got.is(2, nil, kind.expiry) {
					t.Errorf("%s = %v, want (2, nil) at %v: at its expiry instant 1 is no longer idle, even before the pool's timer has run", s, got, kind.expiry)
				}
				synctest.Wait()
				if f.closeCount(1) != 1 {
					t.Errorf("%s: %s, want CloseConn(1) exactly once", s, f.closeLog())
				}
				if err == nil {
					hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s)
					p.Put(c, nil)
				}
			})
		}
	}
}

// TestHiddenHealthCheck checks Check on reuse: it runs with Get's ctx on
// each idle connection taken, never on a fresh or handed-over one; a failing
// connection is closed and the next idle one tried; when none is left Get
// dials at once in the failed one's slot, never waiting; while checked a
// connection holds its slot but is neither idle nor lent.
//
// Category: behaviour
func TestHiddenHealthCheck(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	// The most recent idle connection fails: the next one is taken.
	for _, tc := range []struct {
		name   string
		failOn func(c int) bool
		want   int
		closes string
	}{
		{"Check fails for 1 only", func(c int) bool { return c == 1 }, 2, "CloseConn(1) at 0s"},
		{"Check fails for every connection", func(int) bool { return true }, 3, "CloseConn(1) at 0s, CloseConn(2) at 0s"},
	} {
		synctest.Test(t, func(t *testing.T) {
			f := hNewFake()
			f.checkFn = func(_ context.Context, c int) error {
				if tc.failOn(c) {
					return hErrCheck
				}
				return nil
			}
			o := hOpts{maxOpen: 2, maxIdle: 2, check: true, fake: tc.name}
			p := hPool(t, f, o)
			hGetNow(t, p, 1, o.String())
			hGetNow(t, p, 2, o.String()+"; Get → 1")
			s := o.String() + "; Get → 1; Get → 2"
			if got := f.checkLog(); got != "no Check call" {
				t.Errorf("%s: %s, want none (fresh connections are not checked)", s, got)
			}
			p.Put(2, nil)
			p.Put(1, nil)
			s += "; Put(2, nil); Put(1, nil); Get(ctx A)"
			c, err := p.Get(hTagged(context.Background(), "A"))
			if c != tc.want || err != nil {
				t.Errorf("%s = (%d, %s), want (%d, nil) (%s; %s)", s, c, hErrName(err), tc.want, f.checkLog(), f.closeLog())
			}
			if got, want := f.checkLog(), "Check(ctx A, 1) at 0s, Check(ctx A, 2) at 0s"; got != want {
				t.Errorf("%s: %s, want %s (the most recent idle first, with Get's ctx)", s, got, want)
			}
			if got := f.closeLog(); got != tc.closes {
				t.Errorf("%s: %s, want %s", s, got, tc.closes)
			}
			if tc.want == 3 {
				if got := f.dialLog(); !strings.HasSuffix(got, "Dial call #3 at 0s with ctx A") {
					t.Errorf("%s: %s, want the third Dial with ctx A", s, got)
				}
			} else if n := f.dialCount(); n != 2 {
				t.Errorf("%s: %s, want no third Dial (2 passed its Check)", s, f.dialLog())
			}
			hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s)
			if err == nil {
				p.Put(c, nil)
			}
			p.Close()
		})
	}

	// A failing check with MaxOpen 1 and a Get waiting behind: the
	// checking Get dials at once in the slot; the waiter gets the new
	// connection by hand-off, unchecked.
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.checkFn = func(_ context.Context, c int) error {
			time.Sleep(time.Second)
			if c == 1 {
				return hErrCheck
			}
			return nil
		}
		o := hOpts{maxOpen: 1, maxIdle: 1, check: true, fake: "Check takes 1s and fails for 1"}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		p.Put(1, nil)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a := hGo(p, f, hTagged(ctx, "A"))
		time.Sleep(time.Second / 2)
		s := o.String() + "; at 0s: Get → 1; Put(1, nil); Get(ctx A) on goroutine A"
		hWantStats(t, p, connpool.Stats{Open: 1}, s+"; at 0.5s, while Check(ctx A, 1) runs")
		b := hGo(p, f, hTagged(ctx, "B"))
		synctest.Wait()
		s += "; at 0.5s: Get(ctx B) on goroutine B"
		hWantStats(t, p, connpool.Stats{Open: 1, Waiting: 1}, s)
		time.Sleep(time.Second / 2)
		synctest.Wait()
		ra, ok := hPoll(a)
		if !ok || !ra.is(2, nil, time.Second) {
			t.Errorf("%s: at 1s A has returned %s, want (2, nil) at 1s: Check failed, so A dials at once in 1's slot (%s; %s)", s, hShow(ra, ok), f.closeLog(), f.dialLog())
		}
		if _, done := hPoll(b); done {
			t.Errorf("%s: at 1s B has returned, want B still waiting", s)
		}
		if ok && ra.err == nil {
			hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1, Waiting: 1}, s+"; at 1s")
			time.Sleep(time.Second)
			p.Put(ra.c, nil)
			s += fmt.Sprintf("; at 2s: Put(%d, nil)", ra.c)
		}
		rb, ok := hRecv(b, 2*time.Minute)
		if !ok || !rb.is(2, nil, 2*time.Second) {
			t.Errorf("%s: B returned %s, want (2, nil) at 2s", s, hShow(rb, ok))
		}
		if got := f.checkLog(); got != "Check(ctx A, 1) at 0s" {
			t.Errorf("%s: %s, want only Check(ctx A, 1) at 0s (a fresh or handed-over connection is not checked)", s, got)
		}
		if ok && rb.err == nil {
			p.Put(rb.c, nil)
		}
	})
}

// TestHiddenCheckCtxDone checks Check when Get's ctx ends during it: a Check
// that fails because of it releases the slot and Get returns ctx.Err()
// without dialing or checking more; a Check that passes after the ctx ended
// still hands its connection to the Get.
//
// Category: timing
func TestHiddenCheckCtxDone(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	// Check waits for 2s or the ctx, whichever comes first.
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.checkFn = func(ctx context.Context, c int) error {
			select {
			case <-time.After(2 * time.Second):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		o := hOpts{maxOpen: 2, maxIdle: 2, check: true, fake: "Check passes after 2s, or returns ctx.Err() when ctx ends first"}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		hGetNow(t, p, 2, o.String()+"; Get → 1")
		p.Put(1, nil)
		p.Put(2, nil)
		s := o.String() + "; Get → 1; Get → 2; Put(1, nil); Put(2, nil); Get(ctx G with a 1s timeout)"
		gctx, gcancel := context.WithTimeout(hTagged(context.Background(), "G"), time.Second)
		c, err := p.Get(gctx)
		gcancel()
		if got := (hRes{c, err, f.now()}); !got.is(0, context.DeadlineExceeded, time.Second) {
			t.Errorf("%s = %v, want (0, context.DeadlineExceeded) at 1s (%s)", s, got, f.checkLog())
			if err == nil {
				p.Put(c, nil)
			}
			return
		}
		if got := f.closeLog(); got != "CloseConn(2) at 1s" {
			t.Errorf("%s: %s, want CloseConn(2) at 1s (its Check failed)", s, got)
		}
		if got := f.checkLog(); got != "Check(ctx G, 2) at 0s" {
			t.Errorf("%s: %s, want one Check (2's), none after the ctx ended", s, got)
		}
		if n := f.dialCount(); n != 2 {
			t.Errorf("%s: %s, want no Dial after the ctx ended", s, f.dialLog())
		}
		hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+" (2's slot released, 1 still idle)")
	})

	// Check takes 2s and passes, whatever the ctx.
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.checkFn = func(context.Context, int) error {
			time.Sleep(2 * time.Second)
			return nil
		}
		o := hOpts{maxOpen: 1, maxIdle: 1, check: true, fake: "Check takes 2s and passes"}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		p.Put(1, nil)
		s := o.String() + "; at 0s: Get → 1; Put(1, nil); Get(ctx with a 1s timeout)"
		gctx, gcancel := context.WithTimeout(context.Background(), time.Second)
		c, err := p.Get(gctx)
		gcancel()
		if got := (hRes{c, err, f.now()}); !got.is(1, nil, 2*time.Second) {
			t.Errorf("%s = %v, want (1, nil) at 2s: a Check that passes gives its connection, even after the ctx ended", s, got)
		}
		if err == nil {
			hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s)
			p.Put(c, nil)
		}
		if got := f.closeLog(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none", s, got)
		}
	})
}

// TestHiddenDialCtx checks Dial's ctx and a slow Dial: Dial gets the ctx of
// the Get that holds the slot (a waiter's own, when it was handed a slot),
// and a Dial that succeeds after the ctx ended still gives its connection.
//
// Category: behaviour
func TestHiddenDialCtx(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.dialDelay = 2 * time.Second
		o := hOpts{maxOpen: 1, maxIdle: 1, fake: "Dial takes 2s"}
		p := hPool(t, f, o)
		defer p.Close()
		s := o.String() + "; at 0s: Get(ctx A with a 1s timeout)"
		ctx, cancel := context.WithTimeout(hTagged(context.Background(), "A"), time.Second)
		c, err := p.Get(ctx)
		cancel()
		if got := (hRes{c, err, f.now()}); !got.is(1, nil, 2*time.Second) {
			t.Errorf("%s = %v, want (1, nil) at 2s: a Dial that succeeds gives its connection, even after the ctx ended", s, got)
			return
		}
		if got := f.dialLog(); got != "Dial call #1 at 0s with ctx A" {
			t.Errorf("%s: %s, want Dial call #1 at 0s with ctx A", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s+" → 1 at 2s")

		wctx, wcancel := context.WithTimeout(hTagged(context.Background(), "W"), time.Minute)
		defer wcancel()
		w := hGo(p, f, wctx)
		synctest.Wait()
		p.Put(1, hErrBroken)
		s += " → 1 at 2s; a waiter W calls Get(ctx W); Put(1, errBroken)"
		r, ok := hRecv(w, 2*time.Minute)
		if !ok || !r.is(2, nil, 4*time.Second) {
			t.Errorf("%s: W returned %s, want (2, nil) at 4s", s, hShow(r, ok))
		}
		if got := f.dialLog(); got != "Dial call #1 at 0s with ctx A, Dial call #2 at 2s with ctx W" {
			t.Errorf("%s: %s, want Dial call #2 at 2s with ctx W (the waiter dials with its own ctx)", s, got)
		}
		if ok && r.err == nil {
			p.Put(r.c, nil)
		}
	})
}

// TestHiddenCloseManyWaiters checks Close with several waiters and lent
// connections: every waiter returns ErrClosed at once, each lent connection
// is closed by its Put (broken or not), and Open ends at 0.
//
// Category: behaviour
func TestHiddenCloseManyWaiters(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		o := hOpts{maxOpen: 2, maxIdle: 2}
		p := hPool(t, f, o)
		hGetNow(t, p, 1, o.String())
		hGetNow(t, p, 2, o.String()+"; Get → 1")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var ws []chan hRes
		for range 3 {
			ws = append(ws, hGo(p, f, ctx))
			synctest.Wait()
		}
		time.Sleep(time.Second)
		p.Close()
		s := o.String() + "; at 0s: Get → 1; Get → 2; three waiters call Get(ctx with a 1m timeout); at 1s: Close()"
		synctest.Wait()
		for i, w := range ws {
			if r, ok := hPoll(w); !ok || !r.is(0, connpool.ErrClosed, time.Second) {
				t.Errorf("%s: waiter #%d returned %s, want (0, ErrClosed) at 1s", s, i+1, hShow(r, ok))
			}
		}
		hWantStats(t, p, connpool.Stats{Open: 2, InUse: 2}, s)
		p.Put(1, nil)
		p.Put(2, hErrBroken)
		s += "; Put(1, nil); Put(2, errBroken)"
		if f.closeCount(1) != 1 || f.closeCount(2) != 1 {
			t.Errorf("%s: %s, want CloseConn(1) and CloseConn(2) once each", s, f.closeLog())
		}
		hWantStats(t, p, connpool.Stats{}, s)
		p.Close()
		if c, err := p.Get(ctx); c != 0 || !errors.Is(err, connpool.ErrClosed) {
			t.Errorf("%s; Close(); Get(ctx) = (%d, %s), want (0, ErrClosed)", s, c, hErrName(err))
		}
		if f.closeCount(1) != 1 || f.closeCount(2) != 1 || f.dialCount() != 2 {
			t.Errorf("%s; Close(); Get(ctx): %s; %s; want nothing more", s, f.closeLog(), f.dialLog())
		}
		for _, w := range ws {
			hRecv(w, 2*time.Minute) // let every waiter go before the bubble ends
		}
	})
}

// TestHiddenPutMisuse checks that a Put of a connection that is not lent
// (never from this pool, or already put back) panics and changes nothing,
// and that the pool keeps working.
//
// Category: behaviour
func TestHiddenPutMisuse(t *testing.T) {
	katatest.Guard(t)
	f := hNewFake()
	o := hOpts{maxOpen: 2, maxIdle: 2}
	p := hPool(t, f, o)
	defer p.Close()
	hGetNow(t, p, 1, o.String())
	s := o.String() + "; Get → 1"
	for _, tc := range []struct {
		call string
		fn   func()
	}{
		{"Put(42, nil)", func() { p.Put(42, nil) }},
		{"Put(0, nil)", func() { p.Put(0, nil) }},
		{"Put(42, errBroken)", func() { p.Put(42, hErrBroken) }},
	} {
		if _, panicked := hPanics(tc.fn); !panicked {
			t.Errorf("%s; %s did not panic, want a panic: 42 and 0 were never lent", s, tc.call)
		}
		hWantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s+"; "+tc.call+" (a misuse changes nothing)")
	}
	if got := f.closeLog(); got != "no CloseConn call" {
		t.Errorf("%s; Put of values never lent: %s, want none", s, got)
	}
	p.Put(1, nil)
	s += "; Put(1, nil)"
	if _, panicked := hPanics(func() { p.Put(1, nil) }); !panicked {
		t.Errorf("%s; Put(1, nil) again did not panic, want a panic: 1 is idle, not lent", s)
	}
	hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; Put(1, nil) again")
	if _, panicked := hPanics(func() { p.Put(1, hErrBroken) }); !panicked {
		t.Errorf("%s; Put(1, errBroken) again did not panic, want a panic: 1 is idle, not lent", s)
	}
	hWantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; Put(1, errBroken) again")
	if got := f.closeLog(); got != "no CloseConn call" {
		t.Errorf("%s; a second Put: %s, want none", s, got)
	}
	hGetNow(t, p, 1, s+"; the misused Puts")
	hGetNow(t, p, 2, s+"; Get → 1")
	p.Put(1, nil)
	p.Put(2, nil)
	hWantStats(t, p, connpool.Stats{Open: 2, Idle: 2}, s+"; Get → 1; Get → 2; Put(1, nil); Put(2, nil)")
}

// TestHiddenStatsInvariant runs 16 goroutines × 300 Gets (some with a short
// real-time timeout) and Puts (some broken) on a pool with a health check
// and short timeouts, while another goroutine samples Stats: the
// invariant Idle + InUse <= Open <= MaxOpen always holds, at most MaxOpen
// connections are ever live, and after Close every connection is closed
// exactly once and no goroutine is left. Run with -race.
//
// Category: concurrency
func TestHiddenStatsInvariant(t *testing.T) {
	katatest.NoLeaks(t)
	katatest.Guard(t)
	f := hNewFake()
	var checks atomic.Int64
	f.checkFn = func(ctx context.Context, c int) error {
		if checks.Add(1)%9 == 0 {
			return hErrCheck
		}
		return nil
	}
	o := hOpts{maxOpen: 4, maxIdle: 3, idleTimeout: 200 * time.Microsecond, maxLifetime: 2 * time.Millisecond, check: true,
		fake: "every 9th Check fails"}
	p := hPool(t, f, o)
	s := o.String() + "; 16 goroutines × 300 × (Get(ctx, a third with a timeout of up to 50µs), Put(c, nil), every 5th Put(c, errBroken)), Stats() sampled meanwhile"

	stop := make(chan struct{})
	var sampled sync.WaitGroup
	var bad []string
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st := p.Stats()
			if st.Idle < 0 || st.InUse < 0 || st.Waiting < 0 || st.Idle+st.InUse > st.Open || st.Open > o.maxOpen {
				if len(bad) < 3 {
					bad = append(bad, fmt.Sprintf("Stats() = %+v", st))
				}
			}
			runtime.Gosched()
		}
	}()
	var mu sync.Mutex
	var errs []string
	katatest.Hammer(16, 300, func(g, i int) {
		rng := rand.New(rand.NewPCG(uint64(g), uint64(i)))
		ctx := context.Background()
		if rng.IntN(3) == 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(rng.IntN(50_000)))
			defer cancel()
		}
		c, err := p.Get(ctx)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("goroutine %d, call %d: Get(ctx) = (%d, %s)", g, i, c, hErrName(err)))
				mu.Unlock()
			}
			return
		}
		if rng.IntN(5) == 0 {
			p.Put(c, hErrBroken)
		} else {
			p.Put(c, nil)
		}
	})
	close(stop)
	sampled.Wait()
	for _, b := range bad {
		t.Errorf("%s: %s, want Idle + InUse <= Open <= MaxOpen 4", s, b)
	}
	for _, e := range errs[:min(len(errs), 3)] {
		t.Errorf("%s: %s, want a connection or context.DeadlineExceeded", s, e)
	}
	if n := f.maxLiveCount(); n > o.maxOpen {
		t.Errorf("%s: %d connections were live (dialing or open) at once, want at most MaxOpen 4", s, n)
	}
	if st := p.Stats(); st.InUse != 0 || st.Waiting != 0 {
		t.Errorf("%s: afterwards Stats() = %+v, want InUse 0 and Waiting 0", s, st)
	}
	p.Close()
	s += "; Close()"
	// A close by the expiry timer may still be finishing.
	var st connpool.Stats
	for range 100_000 {
		if st = p.Stats(); st == (connpool.Stats{}) {
			break
		}
		runtime.Gosched()
	}
	if st != (connpool.Stats{}) {
		t.Errorf("%s: Stats() = %+v, want all zero once every connection is back", s, st)
	}
	if bad := f.closedOnce(); bad != "" {
		t.Errorf("%s: %s; want every connection Dial returned closed exactly once", s, bad)
	}
}

// The tests below can hang a wrong solution (a lock held across a slow
// Dial, Check or CloseConn stops virtual time), so a watchdog guards each
// and they come last.

const hWatch = 4 * time.Second

// TestHiddenDialErrorFreesSlot checks that a failed Dial releases its slot
// at once to the head waiter, who dials with its own ctx, and that each Get
// returns its own Dial's error.
//
// Category: behaviour
func TestHiddenDialErrorFreesSlot(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.dialDelay = time.Second
		f.failDial[1], f.failDial[2] = true, true
		o := hOpts{maxOpen: 1, maxIdle: 1, fake: "Dial takes 1s; calls #1 and #2 fail"}
		p := hPool(t, f, o)
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a := hGo(p, f, hTagged(ctx, "A"))
		time.Sleep(time.Second / 2)
		b := hGo(p, f, hTagged(ctx, "B"))
		synctest.Wait()
		s := o.String() + "; at 0s: Get(ctx A); at 0.5s: Get(ctx B)"
		hWantStats(t, p, connpool.Stats{Open: 1, Waiting: 1}, s+" (B waits)")
		ra, ok := hRecv(a, 2*time.Minute)
		if !ok || !ra.is(0, &hDialErr{1}, time.Second) {
			t.Errorf("%s: A returned %s, want (0, the error of Dial call #1) at 1s", s, hShow(ra, ok))
		}
		rb, ok := hRecv(b, 2*time.Minute)
		if !ok || !rb.is(0, &hDialErr{2}, 2*time.Second) {
			t.Errorf("%s: B returned %s, want (0, the error of Dial call #2) at 2s: B dials in the slot A's failed Dial released at 1s, and gets its own error (%s)", s, hShow(rb, ok), f.dialLog())
		}
		if got, want := f.dialLog(), "Dial call #1 at 0s with ctx A, Dial call #2 at 1s with ctx B"; got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
		hWantStats(t, p, connpool.Stats{}, s+"; both Dials failed")
		hGetNow(t, p, 1, s+"; both Dials failed; at 2s")
		p.Put(1, nil)
	})
}

// TestHiddenCapHeldWhileClosing checks that a connection being closed keeps
// its slot: with a CloseConn that takes 1s, the waiter behind a broken Put
// dials only after it, the Put returns only after CloseConn, and no more
// than MaxOpen connections are ever live.
//
// Category: concurrency
func TestHiddenCapHeldWhileClosing(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.closeDelay = time.Second
		o := hOpts{maxOpen: 1, maxIdle: 1, fake: "CloseConn takes 1s"}
		p := hPool(t, f, o)
		defer p.Close()
		hGetNow(t, p, 1, o.String())
		ctx, cancel := context.WithTimeout(hTagged(context.Background(), "W"), time.Minute)
		defer cancel()
		w := hGo(p, f, ctx)
		synctest.Wait()
		s := o.String() + "; at 0s: Get → 1; a waiter W calls Get(ctx W); Put(1, errBroken)"
		midc := make(chan connpool.Stats, 1)
		go func() {
			time.Sleep(time.Second / 2)
			midc <- p.Stats()
		}()
		p.Put(1, hErrBroken)
		if at := f.now(); at != time.Second {
			t.Errorf("%s: Put returned at %v, want at 1s, after CloseConn(1) returned", s, at)
		}
		mid := <-midc
		if mid.Open != 1 || mid.Idle != 0 || mid.Waiting != 1 {
			t.Errorf("%s: at 0.5s, while CloseConn(1) runs, Stats() = %+v, want Open 1, Idle 0, Waiting 1 (1 keeps its slot until it is closed; W still waits)", s, mid)
		}
		r, ok := hRecv(w, 2*time.Minute)
		if !ok || !r.is(2, nil, time.Second) {
			t.Errorf("%s: W returned %s, want (2, nil) at 1s", s, hShow(r, ok))
		}
		if got := f.dialLog(); !strings.HasSuffix(got, "Dial call #2 at 1s with ctx W") {
			t.Errorf("%s: %s, want Dial call #2 at 1s, after CloseConn(1) returned", s, got)
		}
		if n := f.maxLiveCount(); n > 1 {
			t.Errorf("%s: %d connections were live at once, want at most MaxOpen 1", s, n)
		}
		if ok && r.err == nil {
			p.Put(r.c, nil)
		}
	})
}

// TestHiddenCapHeldWhileDialing checks that a Dial in progress holds its
// slot: with a Dial that takes 1s and MaxOpen 2, four Gets at once make two
// Dial calls and two waiters.
//
// Category: concurrency
func TestHiddenCapHeldWhileDialing(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.dialDelay = time.Second
		o := hOpts{maxOpen: 2, maxIdle: 2, fake: "Dial takes 1s"}
		p := hPool(t, f, o)
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var gs []chan hRes
		for range 4 {
			gs = append(gs, hGo(p, f, ctx))
			synctest.Wait()
		}
		s := o.String() + "; at 0s: four Gets, one after another"
		time.Sleep(time.Second / 2)
		hWantStats(t, p, connpool.Stats{Open: 2, Waiting: 2}, s+"; at 0.5s")
		if n := f.dialCount(); n != 2 {
			t.Errorf("%s: at 0.5s: %s, want two Dial calls (a Dial in progress holds a slot)", s, f.dialLog())
		}
		time.Sleep(time.Second / 2)
		synctest.Wait()
		var got []int
		for _, g := range gs[:2] {
			if r, ok := hPoll(g); ok && r.err == nil {
				got = append(got, r.c)
			}
		}
		if len(got) != 2 {
			t.Errorf("%s: at 1s the first two Gets returned %v, want 1 and 2", s, got)
		}
		hWantStats(t, p, connpool.Stats{Open: 2, InUse: 2, Waiting: 2}, s+"; at 1s")
		for _, c := range got {
			p.Put(c, nil)
		}
		for _, g := range gs[2:] {
			if r, ok := hRecv(g, 2*time.Minute); ok && r.err == nil {
				p.Put(r.c, nil)
			}
		}
		if n := f.maxLiveCount(); n > 2 {
			t.Errorf("%s: %d connections were live at once, want at most MaxOpen 2", s, n)
		}
	})
}

// TestHiddenCloseWithWorkInFlight closes a pool during a 1s Dial, during a
// 1s Check that passes, during a 1s Check that fails, and during a 1s Dial
// that fails: Close does not wait for them; when they end, the connection
// is closed, the slot released and Get returns ErrClosed (a failed Dial its
// own error), with no Dial after the failed Check.
//
// Category: behaviour
func TestHiddenCloseWithWorkInFlight(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	katatest.Watchdog(t, hWatch, hLockHeld)
	for _, tc := range []struct {
		name    string
		setup   func(f *hFake)
		idle    bool // 1 is idle before the Get
		want    error
		closes  string
		dials   int
		withChk bool
	}{
		{"Dial takes 1s", func(f *hFake) { f.dialDelay = time.Second }, false, connpool.ErrClosed, "CloseConn(1) at 1s", 1, false},
		{"Dial takes 1s and fails", func(f *hFake) { f.dialDelay = time.Second; f.failDial[1] = true }, false, &hDialErr{1}, "no CloseConn call", 1, false},
		{"Check takes 1s and passes", func(f *hFake) {
			f.checkFn = func(context.Context, int) error { time.Sleep(time.Second); return nil }
		}, true, connpool.ErrClosed, "CloseConn(1) at 1s", 1, true},
		{"Check takes 1s and fails", func(f *hFake) {
			f.checkFn = func(context.Context, int) error { time.Sleep(time.Second); return hErrCheck }
		}, true, connpool.ErrClosed, "CloseConn(1) at 1s", 1, true},
	} {
		if t.Failed() {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			f := hNewFake()
			o := hOpts{maxOpen: 1, maxIdle: 1, check: tc.withChk, fake: tc.name}
			p := hPool(t, f, o)
			s := o.String()
			if tc.idle {
				hGetNow(t, p, 1, s)
				p.Put(1, nil)
				s += "; Get → 1; Put(1, nil)"
			}
			tc.setup(f)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			g := hGo(p, f, ctx)
			time.Sleep(time.Second / 2)
			p.Close()
			s += "; at 0s: Get(ctx); at 0.5s: Close()"
			if at := f.now(); at != time.Second/2 {
				t.Errorf("%s: Close returned at %v, want at once (0.5s): it does not wait for a Dial or Check", s, at)
			}
			r, ok := hRecv(g, 2*time.Minute)
			if !ok || !r.is(0, tc.want, time.Second) {
				t.Errorf("%s: Get returned %s, want (0, %s) at 1s", s, hShow(r, ok), hErrName(tc.want))
			}
			if ok && r.err == nil {
				p.Put(r.c, nil)
			}
			synctest.Wait()
			if got := f.closeLog(); got != tc.closes {
				t.Errorf("%s: %s, want %s", s, got, tc.closes)
			}
			if n := f.dialCount(); n != tc.dials {
				t.Errorf("%s: %s, want %d Dial call(s): nothing is dialed after Close", s, f.dialLog(), tc.dials)
			}
			hWantStats(t, p, connpool.Stats{}, s+"; at 1s")
		})
	}
}

// TestHiddenCallbacksOutsideLock makes Dial, Check and CloseConn call Stats,
// through Get, Put, a failed Check, an expiry by the pool's timer and Close:
// no call may deadlock, and every Stats seen inside a callback keeps the
// invariant.
//
// Category: concurrency
func TestHiddenCallbacksOutsideLock(t *testing.T) {
	katatest.Guard(t, hLockHeld)
	katatest.Watchdog(t, hWatch, hLockHeld)
	synctest.Test(t, func(t *testing.T) {
		f := hNewFake()
		f.checkFn = func(_ context.Context, c int) error {
			if c == 2 {
				return hErrCheck
			}
			return nil
		}
		o := hOpts{maxOpen: 3, maxIdle: 3, idleTimeout: 10 * time.Second, check: true, fake: "Dial, Check and CloseConn call Stats; Check fails for 2"}
		p := hPool(t, f, o)
		f.mu.Lock()
		f.pool = p
		f.mu.Unlock()
		s := o.String()
		hGetNow(t, p, 1, s)
		hGetNow(t, p, 2, s+"; Get → 1")
		hGetNow(t, p, 3, s+"; Get → 1; Get → 2")
		p.Put(1, nil)
		p.Put(3, hErrBroken)
		p.Put(2, nil)
		s += "; Get → 1; Get → 2; Get → 3; Put(1, nil); Put(3, errBroken); Put(2, nil)"
		hGetNow(t, p, 1, s) // Check(2) fails, CloseConn(2), Check(1) passes
		p.Put(1, nil)
		s += "; Get → 1; Put(1, nil)"
		time.Sleep(10 * time.Second)
		synctest.Wait() // the timer closes 1
		s += "; at 10s, the expiry of 1"
		hWantStats(t, p, connpool.Stats{}, s)
		hGetNow(t, p, 4, s)
		p.Put(4, nil)
		p.Close()
		s += "; Get → 4; Put(4, nil); Close()"
		if got, want := f.closeLog(), "CloseConn(3) at 0s, CloseConn(2) at 0s, CloseConn(1) at 10s, CloseConn(4) at 10s"; got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
		f.mu.Lock()
		bad := f.bad
		f.mu.Unlock()
		for _, b := range bad[:min(len(bad), 3)] {
			t.Errorf("%s: %s", s, b)
		}
	})
}
