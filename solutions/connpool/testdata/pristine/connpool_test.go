package connpool_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/connpool"
)

// The connections of these tests are ints handed out by a fake Dial: 1, 2,
// 3, ... Times in messages are virtual, counted from the start of the test.

// errBroken is the error a test passes to Put for a broken connection.
var errBroken = errors.New("test: connection broken")

// errDial is the error of a failing fake Dial.
var errDial = errors.New("test: dial refused")

// fake is the connection factory: it dials 1, 2, 3, ... and records every
// CloseConn call and when it happened.
type fake struct {
	mu        sync.Mutex
	start     time.Time
	dials     int
	live      int // dialed (or dialing) and not yet closed
	maxLive   int
	failDials int // fail this many next dials
	closed    []int
	closedAt  map[int]time.Duration
}

func newFake() *fake {
	return &fake{start: time.Now(), closedAt: make(map[int]time.Duration)}
}

func (f *fake) dial(ctx context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failDials > 0 {
		f.failDials--
		return 0, errDial
	}
	f.dials++
	f.live++
	f.maxLive = max(f.maxLive, f.live)
	return f.dials, nil
}

func (f *fake) closeConn(c int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live--
	f.closed = append(f.closed, c)
	f.closedAt[c] = time.Since(f.start)
}

// dialCount returns how many connections Dial has returned.
func (f *fake) dialCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dials
}

// closes returns how many times CloseConn(c) was called.
func (f *fake) closes(c int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, x := range f.closed {
		if x == c {
			n++
		}
	}
	return n
}

// closedList prints the CloseConn calls so far, in order.
func (f *fake) closedList() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.closed) == 0 {
		return "no CloseConn call"
	}
	parts := make([]string, len(f.closed))
	for i, c := range f.closed {
		parts[i] = fmt.Sprintf("CloseConn(%d) at %v", c, f.closedAt[c])
	}
	return strings.Join(parts, ", ")
}

// now is the virtual time since the fake was made.
func (f *fake) now() time.Duration { return time.Since(f.start) }

// opts are the numeric fields of a Config; String prints the New call.
type opts struct {
	maxOpen, maxIdle         int
	idleTimeout, maxLifetime time.Duration
}

func (o opts) String() string {
	s := fmt.Sprintf("New(Config{Dial, CloseConn, MaxOpen: %d, MaxIdle: %d", o.maxOpen, o.maxIdle)
	if o.idleTimeout != 0 {
		s += fmt.Sprintf(", IdleTimeout: %v", o.idleTimeout)
	}
	if o.maxLifetime != 0 {
		s += fmt.Sprintf(", MaxLifetime: %v", o.maxLifetime)
	}
	return s + "})"
}

// pool makes a pool over f with o, or stops the test.
func (f *fake) pool(t *testing.T, o opts) *connpool.Pool[int] {
	t.Helper()
	p, err := connpool.New(connpool.Config[int]{
		Dial: f.dial, CloseConn: f.closeConn,
		MaxOpen: o.maxOpen, MaxIdle: o.maxIdle,
		IdleTimeout: o.idleTimeout, MaxLifetime: o.maxLifetime,
	})
	if err != nil || p == nil {
		t.Fatalf("%v = (%v, %s), want a pool and a nil error", o, p, errName(err))
	}
	return p
}

// errName names an error by what it matches.
func errName(err error) string {
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
	case errors.Is(err, errDial):
		return "the Dial error"
	}
	return fmt.Sprintf("error %q", err.Error())
}

// wantStats checks p.Stats(); after says what was called before.
func wantStats(t *testing.T, p *connpool.Pool[int], want connpool.Stats, after string) bool {
	t.Helper()
	if got := p.Stats(); got != want {
		t.Errorf("%s: Stats() = %+v, want %+v", after, got, want)
		return false
	}
	return true
}

// mustGet calls Get(context.Background()) where it cannot block, and stops
// the test unless it returns want.
func mustGet(t *testing.T, p *connpool.Pool[int], want int, after string) {
	t.Helper()
	c, err := p.Get(context.Background())
	if c != want || err != nil {
		t.Fatalf("%s; Get(ctx) = (%d, %s), want (%d, nil)", after, c, errName(err), want)
	}
}

// Rule 1: New refuses a Config it cannot work with, returning a nil pool and
// an error that matches ErrInvalidConfig, and never panics.
func TestConfigValidation(t *testing.T) {
	katatest.Guard(t)
	f := newFake()
	dial, closeConn := f.dial, f.closeConn
	cases := []struct {
		name string
		cfg  connpool.Config[int]
		ok   bool
	}{
		{"Config{Dial: nil, CloseConn, MaxOpen: 1}", connpool.Config[int]{CloseConn: closeConn, MaxOpen: 1}, false},
		{"Config{Dial, CloseConn: nil, MaxOpen: 1}", connpool.Config[int]{Dial: dial, MaxOpen: 1}, false},
		{"Config{Dial, CloseConn, MaxOpen: 0}", connpool.Config[int]{Dial: dial, CloseConn: closeConn}, false},
		{"Config{Dial, CloseConn, MaxOpen: -1}", connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: -1}, false},
		{"Config{Dial, CloseConn, MaxOpen: 2, MaxIdle: -1}", connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: 2, MaxIdle: -1}, false},
		{"Config{Dial, CloseConn, MaxOpen: 2, MaxIdle: 3}", connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: 2, MaxIdle: 3}, false},
		{"Config{Dial, CloseConn, MaxOpen: 1, IdleTimeout: -1ns}", connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: 1, IdleTimeout: -1}, false},
		{"Config{Dial, CloseConn, MaxOpen: 1, MaxLifetime: -1ns}", connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: 1, MaxLifetime: -1}, false},
		{"Config{Dial, CloseConn, MaxOpen: 4, MaxIdle: 2, IdleTimeout: 1m0s, MaxLifetime: 1h0m0s}",
			connpool.Config[int]{Dial: dial, CloseConn: closeConn, MaxOpen: 4, MaxIdle: 2, IdleTimeout: time.Minute, MaxLifetime: time.Hour}, true},
	}
	for _, tc := range cases {
		p, err, panicked := newRecovering(tc.cfg)
		switch {
		case panicked != nil:
			t.Errorf("New(%s) panicked with %v; New never panics", tc.name, panicked)
		case tc.ok && (p == nil || err != nil):
			t.Errorf("New(%s) = (%v, %s), want a pool and a nil error", tc.name, p, errName(err))
		case !tc.ok && (p != nil || !errors.Is(err, connpool.ErrInvalidConfig)):
			t.Errorf("New(%s) = (%v, %s), want (nil, an error matching ErrInvalidConfig)", tc.name, p, errName(err))
		}
		if tc.ok && p != nil {
			wantStats(t, p, connpool.Stats{}, "New("+tc.name+")")
			p.Close()
		}
	}
	if n := f.dialCount(); n != 0 {
		t.Errorf("New dialed %d connections, want 0: New dials nothing", n)
	}
}

// newRecovering calls New and returns its panic, if any, instead of
// panicking. The stub's "not implemented" goes through.
func newRecovering(cfg connpool.Config[int]) (p *connpool.Pool[int], err error, panicked any) {
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r)
			}
			panicked = r
		}
	}()
	p, err = connpool.New(cfg)
	return p, err, nil
}

// Rules 6, 10 and 16: returned connections are reused, the most recently
// returned first (LIFO), without dialing again.
func TestReuseLIFO(t *testing.T) {
	katatest.Guard(t)
	f := newFake()
	o := opts{maxOpen: 2, maxIdle: 2}
	p := f.pool(t, o)
	defer p.Close()
	s := o.String()

	mustGet(t, p, 1, s)
	mustGet(t, p, 2, s+"; Get(ctx)")
	s += "; Get → 1; Get → 2"
	wantStats(t, p, connpool.Stats{Open: 2, InUse: 2}, s)
	p.Put(1, nil)
	p.Put(2, nil)
	s += "; Put(1, nil); Put(2, nil)"
	wantStats(t, p, connpool.Stats{Open: 2, Idle: 2}, s)
	if got := f.closedList(); got != "no CloseConn call" {
		t.Errorf("%s: %s, want no CloseConn call (MaxIdle 2 keeps both)", s, got)
	}
	// 2 came back last, so it goes out first.
	mustGet(t, p, 2, s)
	wantStats(t, p, connpool.Stats{Open: 2, Idle: 1, InUse: 1}, s+"; Get → 2")
	mustGet(t, p, 1, s+"; Get → 2")
	s += "; Get → 2; Get → 1"
	wantStats(t, p, connpool.Stats{Open: 2, InUse: 2}, s)
	if n := f.dialCount(); n != 2 {
		t.Errorf("%s: Dial called %d times, want 2 (idle connections are reused)", s, n)
	}
	p.Put(1, nil)
	p.Put(2, nil)
}

// Rule 10d: with MaxIdle 1, the second connection returned while one is idle
// is closed by its Put, and its slot released.
func TestMaxIdleClosesSurplus(t *testing.T) {
	katatest.Guard(t)
	f := newFake()
	o := opts{maxOpen: 2, maxIdle: 1}
	p := f.pool(t, o)
	defer p.Close()
	s := o.String() + "; Get → 1; Get → 2"
	mustGet(t, p, 1, o.String())
	mustGet(t, p, 2, o.String()+"; Get → 1")

	p.Put(1, nil)
	if got := f.closedList(); got != "no CloseConn call" {
		t.Errorf("%s; Put(1, nil): %s, want none (one idle connection is allowed)", s, got)
	}
	p.Put(2, nil)
	s += "; Put(1, nil); Put(2, nil)"
	if f.closes(2) != 1 || f.closes(1) != 0 {
		t.Errorf("%s: %s, want exactly CloseConn(2) by the time Put(2, nil) returns (1 is idle already, MaxIdle 1)", s, f.closedList())
	}
	wantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s)
	mustGet(t, p, 1, s)
	p.Put(1, nil)
}

// Rules 4 and 10a: Put(c, err) with a non-nil err closes c at once, whatever
// MaxIdle allows, and releases its slot.
func TestPutBrokenCloses(t *testing.T) {
	katatest.Guard(t)
	f := newFake()
	o := opts{maxOpen: 2, maxIdle: 2}
	p := f.pool(t, o)
	defer p.Close()
	mustGet(t, p, 1, o.String())
	s := o.String() + "; Get → 1; Put(1, errBroken)"
	p.Put(1, errBroken)
	if f.closes(1) != 1 {
		t.Errorf("%s: %s, want CloseConn(1) once by the time Put returns", s, f.closedList())
	}
	wantStats(t, p, connpool.Stats{}, s)
	mustGet(t, p, 2, s)
	p.Put(2, nil)
}

// result is what a Get on another goroutine returned, and when.
type result struct {
	c   int
	err error
	at  time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("(%d, %s) at %v", r.c, errName(r.err), r.at)
}

// Rules 3, 8 and 16: with MaxOpen 1, Gets that find no connection wait in
// line and are served in the order they arrived, each by a direct hand-off
// at the instant the connection comes back.
func TestWaitersFIFO(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		o := opts{maxOpen: 1, maxIdle: 1}
		p := f.pool(t, o)
		defer p.Close()
		mustGet(t, p, 1, o.String())
		s := o.String() + "; Get → 1 at 0s"

		// Waiter i (1..5) calls Get at i seconds, keeps what it gets
		// for 1 s and puts it back.
		results := make([]chan result, 5)
		for i := range results {
			results[i] = make(chan result, 1)
			time.Sleep(time.Second)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c, err := p.Get(ctx)
				results[i] <- result{c, err, f.now()}
				if err == nil {
					time.Sleep(time.Second)
					p.Put(c, nil)
				}
			}()
			synctest.Wait()
		}
		s += "; five waiters call Get(ctx with a 1m timeout) at 1s, 2s, 3s, 4s, 5s, each to keep the connection 1 s and Put it back"
		time.Sleep(4 * time.Second)
		if !wantStats(t, p, connpool.Stats{Open: 1, InUse: 1, Waiting: 5}, s+"; at 9s") {
			t.Logf("%s: %s", s, f.closedList())
		}
		time.Sleep(time.Second)
		p.Put(1, nil)
		synctest.Wait()
		wantStats(t, p, connpool.Stats{Open: 1, InUse: 1, Waiting: 4}, s+"; Put(1, nil) at 10s (the first waiter has the connection)")

		time.Sleep(time.Minute)
		for i, ch := range results {
			want := result{1, nil, time.Duration(10+i) * time.Second}
			select {
			case got := <-ch:
				if got != want {
					t.Errorf("%s; Put(1, nil) at 10s: waiter #%d (Get at %ds) returned %v, want %v (FIFO order, one hand-off each second)",
						s, i+1, i+1, got, want)
				}
			default:
				t.Errorf("%s; Put(1, nil) at 10s: waiter #%d (Get at %ds) has not returned a minute later, want %v",
					s, i+1, i+1, want)
			}
		}
		if n := f.dialCount(); n != 1 {
			t.Errorf("%s: Dial called %d times, want 1 (MaxOpen 1: nobody may dial while 1 is lent)", s, n)
		}
	})
}

// Rule 9: a waiter whose ctx ends leaves the line at that instant; the next
// connection goes to the waiter behind it.
func TestCancelWhileWaiting(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		o := opts{maxOpen: 1, maxIdle: 1}
		p := f.pool(t, o)
		defer p.Close()
		mustGet(t, p, 1, o.String())
		s := o.String() + "; Get → 1 at 0s"

		first, second := make(chan result, 1), make(chan result, 1)
		waiter := func(timeout time.Duration, out chan result) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			c, err := p.Get(ctx)
			out <- result{c, err, f.now()}
			if err == nil {
				p.Put(c, nil)
			}
		}
		go waiter(2*time.Second, first)
		synctest.Wait()
		go waiter(time.Minute, second)
		synctest.Wait()
		s += "; waiter A: Get(ctx with a 2s timeout) at 0s; then waiter B: Get(ctx with a 1m timeout) at 0s"
		wantStats(t, p, connpool.Stats{Open: 1, InUse: 1, Waiting: 2}, s)

		time.Sleep(2 * time.Second)
		synctest.Wait()
		select {
		case got := <-first:
			if want := (result{0, context.DeadlineExceeded, 2 * time.Second}); got.c != 0 || !errors.Is(got.err, context.DeadlineExceeded) || got.at != want.at {
				t.Errorf("%s: waiter A returned %v, want %v", s, got, want)
			}
		default:
			t.Errorf("%s: waiter A has not returned at 2s, want (0, context.DeadlineExceeded) at 2s", s)
		}
		wantStats(t, p, connpool.Stats{Open: 1, InUse: 1, Waiting: 1}, s+"; at 2s (A withdrew)")

		time.Sleep(time.Second)
		p.Put(1, nil)
		s += "; Put(1, nil) at 3s"
		select {
		case got := <-second:
			if want := (result{1, nil, 3 * time.Second}); got != want {
				t.Errorf("%s: waiter B returned %v, want %v", s, got, want)
			}
		case <-time.After(time.Minute):
			t.Errorf("%s: waiter B has not returned a minute later, want (1, nil) at 3s (was the connection handed to A, who had left?)", s)
		}
		synctest.Wait()
		wantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; B puts 1 back")
	})
}

// Rule 12: an idle connection is closed at the exact instant its idle time
// reaches IdleTimeout, counted from its Put, with no call to the pool.
func TestIdleTimeout(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		o := opts{maxOpen: 1, maxIdle: 1, idleTimeout: 10 * time.Second}
		p := f.pool(t, o)
		defer p.Close()
		mustGet(t, p, 1, o.String())
		time.Sleep(5 * time.Second)
		p.Put(1, nil)
		s := o.String() + "; Get → 1 at 0s; Put(1, nil) at 5s"

		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		if got := f.closedList(); got != "no CloseConn call" {
			t.Errorf("%s: at 15s - 1ns: %s, want none yet (idle for 10s - 1ns)", s, got)
		}
		wantStats(t, p, connpool.Stats{Open: 1, Idle: 1}, s+"; at 15s - 1ns")

		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got := f.closedList(); got != "CloseConn(1) at 15s" {
			t.Errorf("%s; no call to the pool after 15s - 1ns: %s, want CloseConn(1) at 15s (the pool needs a timer)", s, got)
		}
		wantStats(t, p, connpool.Stats{}, s+"; at 15s")
	})
}

// Rule 15: Close fails every waiter with ErrClosed at once, closes every
// idle connection before it returns, and leaves lent connections to their
// Put, which closes them. Later Gets get ErrClosed; a second Close does
// nothing.
func TestCloseFailsWaiters(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		// Idle connections: closed by Close itself.
		f := newFake()
		o := opts{maxOpen: 2, maxIdle: 2}
		p := f.pool(t, o)
		mustGet(t, p, 1, o.String())
		mustGet(t, p, 2, o.String()+"; Get → 1")
		p.Put(1, nil)
		p.Put(2, nil)
		s := o.String() + "; Get → 1; Get → 2; Put(1, nil); Put(2, nil); Close()"
		p.Close()
		if f.closes(1) != 1 || f.closes(2) != 1 {
			t.Errorf("%s: %s by the time Close returned, want CloseConn(1) and CloseConn(2) once each", s, f.closedList())
		}
		wantStats(t, p, connpool.Stats{}, s)
		p.Close()
		if f.closes(1) != 1 || f.closes(2) != 1 {
			t.Errorf("%s; Close(): %s, want the second Close to do nothing", s, f.closedList())
		}

		// A waiter and a lent connection.
		f = newFake()
		o = opts{maxOpen: 1, maxIdle: 1}
		p = f.pool(t, o)
		mustGet(t, p, 1, o.String())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out := make(chan result, 1)
		go func() {
			c, err := p.Get(ctx)
			out <- result{c, err, f.now()}
			if err == nil {
				p.Put(c, nil)
			}
		}()
		synctest.Wait()
		time.Sleep(time.Second)
		p.Close()
		s = o.String() + "; Get → 1 at 0s; a waiter calls Get(ctx with a 1m timeout) at 0s; Close() at 1s"
		synctest.Wait()
		select {
		case got := <-out:
			if got.c != 0 || !errors.Is(got.err, connpool.ErrClosed) || got.at != time.Second {
				t.Errorf("%s: the waiter returned %v, want (0, ErrClosed) at 1s", s, got)
			}
		default:
			t.Errorf("%s: the waiter has not returned at 1s, want (0, ErrClosed) at once", s)
			cancel() // let it go before the bubble ends
			<-out
		}
		if got := f.closedList(); got != "no CloseConn call" {
			t.Errorf("%s: %s, want none (1 is lent: its Put closes it)", s, got)
		}
		wantStats(t, p, connpool.Stats{Open: 1, InUse: 1}, s)

		p.Put(1, nil)
		s += "; Put(1, nil)"
		if f.closes(1) != 1 {
			t.Errorf("%s: %s by the time Put returned, want CloseConn(1) once (the pool is closed)", s, f.closedList())
		}
		wantStats(t, p, connpool.Stats{}, s)
		if c, err := p.Get(context.Background()); c != 0 || !errors.Is(err, connpool.ErrClosed) {
			t.Errorf("%s; Get(ctx) = (%d, %s), want (0, ErrClosed)", s, c, errName(err))
		}
		if n := f.dialCount(); n != 1 {
			t.Errorf("%s: Dial called %d times, want 1", s, n)
		}
	})
}

// Rules 3, 11, 16 and 17: many goroutines share a small pool. Run it with
// -race. The cap holds, every connection is closed exactly once, and the
// counters add up at the end.
func TestConcurrentGetPut(t *testing.T) {
	katatest.Guard(t)
	f := newFake()
	o := opts{maxOpen: 3, maxIdle: 2}
	p := f.pool(t, o)
	s := o.String() + "; 8 goroutines × 200 × (Get(ctx), Put(c, nil), every 7th Put(c, errBroken))"

	var mu sync.Mutex
	var bad []string
	katatest.Hammer(8, 200, func(g, i int) {
		c, err := p.Get(context.Background())
		if err != nil {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("goroutine %d, call %d: Get(ctx) = (%d, %s), want a connection", g, i, c, errName(err)))
			mu.Unlock()
			return
		}
		st := p.Stats()
		if st.Idle+st.InUse > st.Open || st.Open > o.maxOpen || st.InUse < 1 {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("goroutine %d, call %d, holding %d: Stats() = %+v, want Idle + InUse <= Open <= 3 and InUse >= 1", g, i, c, st))
			mu.Unlock()
		}
		if i%7 == 6 {
			p.Put(c, errBroken)
		} else {
			p.Put(c, nil)
		}
	})
	for _, b := range bad[:min(len(bad), 5)] {
		t.Errorf("%s: %s", s, b)
	}
	f.mu.Lock()
	maxLive := f.maxLive
	f.mu.Unlock()
	if maxLive > o.maxOpen {
		t.Errorf("%s: up to %d connections were open at once, want at most MaxOpen 3", s, maxLive)
	}
	st := p.Stats()
	if st.InUse != 0 || st.Waiting != 0 || st.Idle > 2 || st.Open != st.Idle {
		t.Errorf("%s: afterwards Stats() = %+v, want InUse 0, Waiting 0, Idle <= 2 and Open = Idle", s, st)
	}
	p.Close()
	s += "; Close()"
	wantStats(t, p, connpool.Stats{}, s)
	f.mu.Lock()
	defer f.mu.Unlock()
	count := make(map[int]int)
	for _, c := range f.closed {
		count[c]++
	}
	var wrong []string
	for c := 1; c <= f.dials; c++ {
		if count[c] != 1 {
			wrong = append(wrong, fmt.Sprintf("CloseConn(%d) %d times", c, count[c]))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%s: of %d connections dialed, %s; want each closed exactly once", s, f.dials, strings.Join(wrong[:min(len(wrong), 5)], ", "))
	}
}

// benchPool makes a pool for a benchmark: Dial returns the next int,
// CloseConn does nothing.
func benchPool(b *testing.B, maxOpen int, idleTimeout time.Duration) *connpool.Pool[int] {
	b.Helper()
	var mu sync.Mutex
	n := 0
	p, err := connpool.New(connpool.Config[int]{
		Dial: func(context.Context) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			n++
			return n, nil
		},
		CloseConn:   func(int) {},
		MaxOpen:     maxOpen,
		MaxIdle:     maxOpen,
		IdleTimeout: idleTimeout,
	})
	if err != nil {
		b.Fatalf("New(Config{MaxOpen: %d, MaxIdle: %d, IdleTimeout: %v}): %v", maxOpen, maxOpen, idleTimeout, err)
	}
	b.Cleanup(p.Close)
	return p
}

// BenchmarkGetPut measures one Get and one Put of an idle connection on one
// goroutine: the common path.
func BenchmarkGetPut(b *testing.B) {
	p := benchPool(b, 8, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := p.Get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Put(c, nil)
	}
}

// BenchmarkGetPutIdleTimeout is BenchmarkGetPut with IdleTimeout 1 min: each
// Put starts an idle period to be timed.
func BenchmarkGetPutIdleTimeout(b *testing.B) {
	p := benchPool(b, 8, time.Minute)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := p.Get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		p.Put(c, nil)
	}
}

// BenchmarkGetPutParallel measures Get and Put from every processor at once,
// with enough connections for all (MaxOpen 64).
func BenchmarkGetPutParallel(b *testing.B) {
	p := benchPool(b, 64, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			c, err := p.Get(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			p.Put(c, nil)
		}
	})
}

// BenchmarkHandOff measures the waiting path: four goroutines per processor
// share one connection, so nearly every Get waits and is served by a Put.
func BenchmarkHandOff(b *testing.B) {
	p := benchPool(b, 1, 0)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			c, err := p.Get(ctx)
			if err != nil {
				b.Error(err)
				return
			}
			p.Put(c, nil)
		}
	})
}
