//go:build microkata_hidden

package rpcarith_test

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/rpcarith"
)

// hPipeListener is an in-memory net.Listener for synctest bubbles: hDial
// hands the server end of a net.Pipe to Accept.
type hPipeListener struct {
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	closed atomic.Bool
}

func hNewPipeListener() *hPipeListener {
	return &hPipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *hPipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *hPipeListener) Close() error {
	l.closed.Store(true)
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *hPipeListener) Addr() net.Addr { return hPipeAddr{} }

type hPipeAddr struct{}

func (hPipeAddr) Network() string { return "pipe" }
func (hPipeAddr) String() string  { return "pipe" }

// hErrListener is a listener whose Accept fails with err while live.
type hErrListener struct {
	err     error
	accepts atomic.Int32
}

func (l *hErrListener) Accept() (net.Conn, error) {
	l.accepts.Add(1)
	return nil, l.err
}
func (l *hErrListener) Close() error   { return nil }
func (l *hErrListener) Addr() net.Addr { return hPipeAddr{} }

// hServe serves srv on one end of a net.Pipe; the channel closes when
// ServeConn has returned.
func hServe(srv *rpc.Server) (net.Conn, <-chan struct{}) {
	cli, svr := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeConn(svr)
	}()
	return cli, done
}

// hDouble registers d under the name "Arith" on a new rpc.Server.
func hDouble(t *testing.T, d any) *rpc.Server {
	t.Helper()
	srv := rpc.NewServer()
	require.NoError(t, srv.RegisterName("Arith", d), "registering the test double")
	return srv
}

// hClient returns a typed client of srv over net.Pipe, and the channel that
// closes when the server side has returned.
func hClient(t *testing.T, srv *rpc.Server) (*rpcarith.Client, <-chan struct{}) {
	t.Helper()
	conn, served := hServe(srv)
	c, err := rpcarith.NewClient(conn)
	require.NoError(t, err, "NewClient")
	require.NotNil(t, c, "NewClient returned a nil client")
	return c, served
}

// hSlow is an Arith double whose Add sleeps d before it answers.
type hSlow struct{ d time.Duration }

func (s *hSlow) Add(args *rpcarith.Args, reply *int) error {
	time.Sleep(s.d)
	*reply = args.A + args.B
	return nil
}

// hCounting is an Arith double that counts the requests it receives.
type hCounting struct{ n atomic.Int32 }

func (c *hCounting) Add(args *rpcarith.Args, reply *int) error {
	c.n.Add(1)
	*reply = args.A + args.B
	return nil
}

// hFailing is an Arith double whose Add fails with "boom", whose Divide
// fails with the text "divide by zero", and whose Multiply sleeps an hour.
type hFailing struct{}

func (hFailing) Add(args *rpcarith.Args, reply *int) error { return errors.New("boom") }
func (hFailing) Divide(args *rpcarith.Args, q *rpcarith.Quotient) error {
	return errors.New("divide by zero")
}
func (hFailing) Multiply(args *rpcarith.Args, reply *int) error {
	time.Sleep(time.Hour)
	return nil
}

// TestHiddenDivisionTable checks Divide against literal expected values,
// signs and the int extremes included (rule 3).
//
// Category: boundary
func TestHiddenDivisionTable(t *testing.T) {
	tests := []struct {
		a, b     int
		quo, rem int
	}{
		{7, 2, 3, 1},
		{-7, 2, -3, -1},
		{7, -2, -3, 1},
		{-7, -2, 3, -1},
		{math.MinInt, -1, math.MinInt, 0},
		{math.MinInt, 1, math.MinInt, 0},
		{math.MaxInt, -1, -math.MaxInt, 0},
		{math.MinInt, 2, math.MinInt / 2, 0},
		{math.MaxInt, 2, 4611686018427387903, 1},
		{0, 5, 0, 0},
		{0, -5, 0, 0},
		{123, 1, 123, 0},
		{-123, 1, -123, 0},
		{3, 7, 0, 3},
		{-3, 7, 0, -3},
	}
	var a rpcarith.Arith
	for _, tt := range tests {
		var q rpcarith.Quotient
		err := a.Divide(&rpcarith.Args{A: tt.a, B: tt.b}, &q)
		require.NoError(t, err, "Divide(%d, %d)", tt.a, tt.b)
		assert.Equal(t, rpcarith.Quotient{Quo: tt.quo, Rem: tt.rem}, q, "Divide(%d, %d)", tt.a, tt.b)
	}
}

// TestHiddenDivisionMatchesGo compares Divide with Go's own / and % on 10 000
// pairs of random bit length and sign (rule 3).
//
// Category: differential
func TestHiddenDivisionMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	operand := func() int {
		bits := 1 + r.IntN(64)
		v := int(r.Uint64() >> (64 - bits))
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	var a rpcarith.Arith
	for range 10_000 {
		x, y := operand(), operand()
		if y == 0 {
			y = 1
		}
		var q rpcarith.Quotient
		require.NoError(t, a.Divide(&rpcarith.Args{A: x, B: y}, &q), "Divide(%d, %d)", x, y)
		require.Equal(t, rpcarith.Quotient{Quo: x / y, Rem: x % y}, q, "Divide(%d, %d)", x, y)
	}
}

// TestHiddenAddMultiplyWrap checks that overflow wraps without an error
// (rule 1).
//
// Category: boundary
func TestHiddenAddMultiplyWrap(t *testing.T) {
	var a rpcarith.Arith
	tests := []struct {
		name string
		op   func(*rpcarith.Args, *int) error
		x, y int
		want int
	}{
		{"MaxInt+1", a.Add, math.MaxInt, 1, math.MinInt},
		{"MinInt+-1", a.Add, math.MinInt, -1, math.MaxInt},
		{"MaxInt*2", a.Multiply, math.MaxInt, 2, -2},
		{"MinInt*-1", a.Multiply, math.MinInt, -1, math.MinInt},
		{"-3*4", a.Multiply, -3, 4, -12},
		{"-3+4", a.Add, -3, 4, 1},
	}
	for _, tt := range tests {
		got := 7
		err := tt.op(&rpcarith.Args{A: tt.x, B: tt.y}, &got)
		assert.NoError(t, err, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

// TestHiddenReplyUntouchedOnError checks that a division by zero leaves the
// reply alone, called directly and over the wire (rules 2, 7).
//
// Category: behaviour
func TestHiddenReplyUntouchedOnError(t *testing.T) {
	var a rpcarith.Arith
	q := rpcarith.Quotient{Quo: 42, Rem: 42}
	err := a.Divide(&rpcarith.Args{A: 5, B: 0}, &q)
	assert.True(t, err == rpcarith.ErrDivideByZero, "direct Divide(5, 0) must return ErrDivideByZero itself, got %v", err)
	assert.Equal(t, rpcarith.Quotient{Quo: 42, Rem: 42}, q, "direct Divide(5, 0) changed *quo")

	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		conn, served := hServe(srv)
		rc := rpc.NewClient(conn)
		q := rpcarith.Quotient{Quo: 42, Rem: 42}
		err = rc.Call("Arith.Divide", &rpcarith.Args{A: 5, B: 0}, &q)
		assert.Error(t, err, "Arith.Divide 5 0 over the wire")
		assert.Equal(t, rpcarith.Quotient{Quo: 42, Rem: 42}, q, "Arith.Divide 5 0 changed the raw caller's reply")
		require.NoError(t, rc.Close())
		<-served
	})
}

// TestHiddenServerErrorOnTheWire checks that a raw client sees an
// rpc.ServerError that is not ErrDivideByZero (rule 7).
//
// Category: behaviour
func TestHiddenServerErrorOnTheWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		conn, served := hServe(srv)
		rc := rpc.NewClient(conn)
		var q rpcarith.Quotient
		raw := rc.Call("Arith.Divide", &rpcarith.Args{A: 5, B: 0}, &q)
		var se rpc.ServerError
		require.ErrorAs(t, raw, &se, "the raw error")
		assert.Equal(t, "divide by zero", string(se), "the ServerError text")
		assert.False(t, errors.Is(raw, rpcarith.ErrDivideByZero), "a raw client cannot see the sentinel")
		require.NoError(t, rc.Close())
		<-served
	})
}

// TestHiddenNewServerIsolated checks that NewServer returns a new server on
// every call and leaves rpc.DefaultServer alone (rule 5).
//
// Category: config
func TestHiddenNewServerIsolated(t *testing.T) {
	s1, err1 := rpcarith.NewServer()
	s2, err2 := rpcarith.NewServer()
	require.NoError(t, err1, "first NewServer")
	require.NoError(t, err2, "second NewServer")
	require.NotNil(t, s1)
	require.NotNil(t, s2)
	assert.True(t, s1 != s2, "two NewServer calls returned the same server")
	assert.True(t, s1 != rpc.DefaultServer && s2 != rpc.DefaultServer, "NewServer returned rpc.DefaultServer")

	synctest.Test(t, func(t *testing.T) {
		conn, served := hServe(rpc.DefaultServer)
		rc := rpc.NewClient(conn)
		var sum int
		err := rc.Call("Arith.Add", &rpcarith.Args{A: 1, B: 2}, &sum)
		require.Error(t, err, "Arith.Add on rpc.DefaultServer: something registered Arith there")
		assert.Equal(t, "rpc: can't find service Arith.Add", err.Error())
		require.NoError(t, rc.Close())
		<-served
	})
}

// TestHiddenRegistrationShape checks the method set net/rpc sees: pointer
// receivers and exactly Add, Multiply and Divide (rules 5, 6).
//
// Category: config
func TestHiddenRegistrationShape(t *testing.T) {
	assert.NoError(t, rpc.NewServer().Register(new(rpcarith.Arith)), "Register(new(Arith))")
	err := rpc.NewServer().Register(rpcarith.Arith{})
	require.Error(t, err, "Register(Arith{}) must fail: the methods need pointer receivers")
	assert.Contains(t, err.Error(), "pointer")

	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		conn, served := hServe(srv)
		rc := rpc.NewClient(conn)
		var r int
		err = rc.Call("Arith.Pow", &rpcarith.Args{A: 2, B: 3}, &r)
		require.Error(t, err, "Arith.Pow")
		assert.Equal(t, "rpc: can't find method Arith.Pow", err.Error())
		for _, m := range []string{"Arith.Add", "Arith.Multiply"} {
			r = 0
			require.NoError(t, rc.Call(m, &rpcarith.Args{A: 2, B: 3}, &r), m)
		}
		var q rpcarith.Quotient
		require.NoError(t, rc.Call("Arith.Divide", &rpcarith.Args{A: 2, B: 3}, &q), "Arith.Divide")
		require.NoError(t, rc.Close())
		<-served
	})
}

// TestHiddenClientDeadline runs a call against a server that answers after
// 5 s with a 1 s timeout: the call returns DeadlineExceeded at exactly 1 s,
// and the late reply leaves nothing behind (rule 15).
//
// Category: timing
func TestHiddenClientDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		sum, err := c.Add(ctx, 2, 3)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start), "the call must return when ctx is done")
		assert.Equal(t, 0, sum, "result on error")

		time.Sleep(5 * time.Second) // the double answers at 5 s
		synctest.Wait()             // the late reply is read and dropped
		require.NoError(t, c.Close(), "Close")
		<-served
	})
}

// TestHiddenClientCanceled cancels a call at 2 s while the server takes 5 s
// (rule 15).
//
// Category: timing
func TestHiddenClientCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		sum, err := c.Add(ctx, 2, 3)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 2*time.Second, time.Since(start), "the call must return when ctx is cancelled")
		assert.Equal(t, 0, sum, "result on error")

		time.Sleep(5 * time.Second)
		synctest.Wait()
		require.NoError(t, c.Close(), "Close")
		<-served
	})
}

// TestHiddenClientCtxAlreadyDone checks that a done ctx sends nothing
// (rule 15).
//
// Category: behaviour
func TestHiddenClientCtxAlreadyDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		double := &hCounting{}
		c, served := hClient(t, hDouble(t, double))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		sum, err := c.Add(ctx, 2, 3)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, sum, "result on error")
		synctest.Wait()
		assert.Equal(t, int32(0), double.n.Load(), "requests the server saw for a call with a done ctx")

		sum, err = c.Add(context.Background(), 2, 3)
		require.NoError(t, err, "a live call after the cancelled one")
		assert.Equal(t, 5, sum)
		assert.Equal(t, int32(1), double.n.Load(), "requests after one live call")
		require.NoError(t, c.Close(), "Close")
		<-served
	})
}

// TestHiddenClientErrorPassthrough checks how server and transport errors
// come back from the typed client (rules 16, 17).
//
// Category: behaviour
func TestHiddenClientErrorPassthrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cli, svr := net.Pipe()
		srv := hDouble(t, hFailing{})
		served := make(chan struct{})
		go func() {
			defer close(served)
			srv.ServeConn(svr)
		}()
		c, err := rpcarith.NewClient(cli)
		require.NoError(t, err, "NewClient")
		ctx := context.Background()

		sum, err := c.Add(ctx, 1, 2)
		var se rpc.ServerError
		require.ErrorAs(t, err, &se, "a server error other than divide by zero")
		assert.Equal(t, "boom", string(se))
		assert.Equal(t, 0, sum, "result on error")

		q, err := c.Divide(ctx, 1, 2)
		assert.True(t, err == rpcarith.ErrDivideByZero, "the text \"divide by zero\" must map to ErrDivideByZero itself, got %#v", err)
		assert.Equal(t, rpcarith.Quotient{}, q, "result on error")

		// The server drops the connection while a Multiply is pending.
		time.AfterFunc(time.Second, func() { svr.Close() })
		start := time.Now()
		prod, err := c.Multiply(ctx, 2, 3)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "pending call when the server hangs up")
		assert.Equal(t, time.Second, time.Since(start))
		assert.Equal(t, 0, prod, "result on error")

		_, err = c.Add(ctx, 1, 2)
		assert.ErrorIs(t, err, rpc.ErrShutdown, "call after the connection is gone")
		<-served // the double's Multiply returns after an hour of virtual time
		c.Close()
	})
}

// TestHiddenClientClose checks Close: it closes the connection, pending
// calls return at once, later calls and a second Close get rpc.ErrShutdown
// (rules 13, 17).
//
// Category: behaviour
func TestHiddenClientClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		c, served := hClient(t, srv)
		require.NoError(t, c.Close(), "first Close")
		<-served // ServeConn returns only when the connection is closed
		_, err = c.Add(context.Background(), 1, 2)
		assert.ErrorIs(t, err, rpc.ErrShutdown, "Add after Close")
		_, err = c.Divide(context.Background(), 1, 2)
		assert.ErrorIs(t, err, rpc.ErrShutdown, "Divide after Close")
		assert.ErrorIs(t, c.Close(), rpc.ErrShutdown, "second Close")
	})

	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
		time.AfterFunc(time.Second, func() { assert.NoError(t, c.Close(), "Close") })
		start := time.Now()
		_, err := c.Add(context.Background(), 1, 2)
		assert.Error(t, err, "a call pending at Close")
		assert.Equal(t, time.Second, time.Since(start), "a call pending at Close must return at that instant")
		<-served
	})
}

// TestHiddenNilArguments checks that nil arguments are errors, not panics
// (rules 12, 13).
//
// Category: config
func TestHiddenNilArguments(t *testing.T) {
	srv, err := rpcarith.NewServer()
	require.NoError(t, err, "NewServer")
	assert.NotPanics(t, func() {
		assert.Error(t, rpcarith.Serve(context.Background(), nil, srv), "Serve with a nil listener")
	})
	assert.NotPanics(t, func() {
		c, err := rpcarith.NewClient(nil)
		assert.Error(t, err, "NewClient(nil)")
		assert.Nil(t, c, "NewClient(nil)")
	})
	synctest.Test(t, func(t *testing.T) {
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					got <- errors.New("panic")
					t.Errorf("Serve with a nil server panicked: %v", r)
				}
			}()
			got <- rpcarith.Serve(ctx, lis, nil)
		}()
		synctest.Wait()
		select {
		case err := <-got:
			assert.Error(t, err, "Serve with a nil server")
		default:
			t.Error("Serve with a nil server did not return at once")
			cancel()
			<-got
		}
		cancel()
	})
}

// TestHiddenServeCtxAlreadyDone checks that Serve with a done ctx closes the
// listener and returns nil at once (rule 9).
//
// Category: behaviour
func TestHiddenServeCtxAlreadyDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := make(chan error, 1)
		go func() { got <- rpcarith.Serve(ctx, lis, srv) }()
		synctest.Wait()
		select {
		case err := <-got:
			assert.NoError(t, err, "Serve with a done ctx")
		default:
			t.Fatal("Serve with a done ctx did not return at once")
		}
		assert.True(t, lis.closed.Load(), "Serve with a done ctx must close the listener")
	})
}

// TestHiddenServeTwoConnections opens two connections through Serve and
// uses both while both are open: each is served in its own goroutine
// (rule 8).
//
// Category: concurrency
func TestHiddenServeTwoConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serveErr := make(chan error, 1)
		go func() { serveErr <- rpcarith.Serve(ctx, lis, srv) }()

		dial := func() <-chan net.Conn {
			got := make(chan net.Conn, 1)
			go func() {
				c, s := net.Pipe()
				select {
				case lis.conns <- s:
					got <- c
				case <-lis.done:
					c.Close()
					s.Close()
					close(got)
				}
			}()
			return got
		}
		first := <-dial()
		require.NotNil(t, first, "first connection: Serve is not accepting")
		c1, err := rpcarith.NewClient(first)
		require.NoError(t, err, "NewClient")
		sum, err := c1.Add(ctx, 1, 2)
		require.NoError(t, err, "Add on the first connection")
		assert.Equal(t, 3, sum)

		second := dial()
		synctest.Wait()
		select {
		case conn := <-second:
			require.NotNil(t, conn, "second connection")
			c2, err := rpcarith.NewClient(conn)
			require.NoError(t, err, "NewClient")
			sum, err := c2.Add(ctx, 3, 4)
			assert.NoError(t, err, "Add on the second connection while the first is open")
			assert.Equal(t, 7, sum)
			assert.NoError(t, c2.Close())
		default:
			t.Error("Serve did not accept a second connection while the first was open: is ServeConn run in its own goroutine?")
			c1.Close()
			cancel()
			if conn, ok := <-second; ok {
				conn.Close()
			}
		}
		c1.Close()
		cancel()
		assert.NoError(t, <-serveErr, "Serve after cancel")
	})
}

// TestHiddenServeAcceptError gives Serve a listener whose Accept fails while
// ctx is live: Serve returns that error after one Accept and leaves no
// goroutine of its own behind (rules 10, 11).
//
// Category: concurrency
func TestHiddenServeAcceptError(t *testing.T) {
	srv, err := rpcarith.NewServer()
	require.NoError(t, err, "NewServer")
	errAccept := errors.New("hidden: accept failed")
	lis := &hErrListener{err: errAccept}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ignore := goleak.IgnoreCurrent()
	katatest.Within(t, 5*time.Second, "Serve did not return when Accept failed (does it retry?)", func() {
		assert.ErrorIs(t, rpcarith.Serve(ctx, lis, srv), errAccept, "Serve when Accept fails")
	})
	assert.Equal(t, int32(1), lis.accepts.Load(), "Accept calls: Serve must not retry a failing Accept")
	assert.NoError(t, goleak.Find(ignore), "goroutines Serve started are still running after it returned")
}

// TestHiddenServeTCP serves over real loopback TCP, outside synctest:
// cancel stops Serve and closes the listener, while the connection already
// open still answers (rules 8, 9, 11).
//
// Category: concurrency
func TestHiddenServeTCP(t *testing.T) {
	katatest.NoLeaks(t)
	srv, err := rpcarith.NewServer()
	require.NoError(t, err, "NewServer")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "Listen")
	defer lis.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- rpcarith.Serve(ctx, lis, srv) }()

	var c *rpcarith.Client
	ok := katatest.Within(t, 5*time.Second, "a call through Serve over TCP did not return", func() {
		conn, err := net.Dial("tcp", lis.Addr().String())
		if !assert.NoError(t, err, "Dial") {
			return
		}
		c, err = rpcarith.NewClient(conn)
		if !assert.NoError(t, err, "NewClient") {
			conn.Close()
			return
		}
		sum, err := c.Add(context.Background(), 20, 22)
		assert.NoError(t, err, "Add over TCP")
		assert.Equal(t, 42, sum, "Add(20, 22) over TCP")
	})
	if !ok || c == nil {
		return
	}
	defer c.Close()

	cancel()
	select {
	case err := <-got:
		assert.NoError(t, err, "Serve after cancel")
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5s of real time after cancel: is the listener closed when ctx is done?")
	}
	_, err = lis.Accept()
	assert.ErrorIs(t, err, net.ErrClosed, "Accept after Serve returned: the listener must be closed")

	katatest.Within(t, 5*time.Second, "the connection accepted before cancel stopped answering", func() {
		sum, err := c.Add(context.Background(), 1, 1)
		assert.NoError(t, err, "Add on the open connection after Serve returned")
		assert.Equal(t, 2, sum)
	})
	assert.NoError(t, c.Close(), "Close")
}

// TestHiddenConcurrentCalls runs 200 goroutines of mixed calls on one client
// (rules 4, 18).
//
// Category: concurrency
func TestHiddenConcurrentCalls(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "concurrent calls on one Client did not finish")
	synctest.Test(t, func(t *testing.T) {
		srv, err := rpcarith.NewServer()
		require.NoError(t, err, "NewServer")
		c, served := hClient(t, srv)
		ctx := context.Background()
		katatest.Hammer(200, 5, func(g, i int) {
			a, b := g*7-500, i+g%3+1
			switch (g + i) % 3 {
			case 0:
				got, err := c.Add(ctx, a, b)
				if assert.NoError(t, err) {
					assert.Equal(t, a+b, got, "Add(%d, %d)", a, b)
				}
			case 1:
				got, err := c.Multiply(ctx, a, b)
				if assert.NoError(t, err) {
					assert.Equal(t, a*b, got, "Multiply(%d, %d)", a, b)
				}
			default:
				got, err := c.Divide(ctx, a, b)
				if assert.NoError(t, err) {
					assert.Equal(t, rpcarith.Quotient{Quo: a / b, Rem: a % b}, got, "Divide(%d, %d)", a, b)
				}
			}
		})
		require.NoError(t, c.Close(), "Close")
		<-served
	})
}
