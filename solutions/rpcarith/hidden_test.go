//go:build microkata_hidden

package rpcarith_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/rpc"
	"strings"
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

// hPipeListener is an in-memory net.Listener for synctest bubbles: sending
// on conns hands the server end of a net.Pipe to Accept.
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

// hNewServer is NewServer that requires success.
func hNewServer(t *testing.T) *rpc.Server {
	t.Helper()
	srv, err := rpcarith.NewServer()
	require.NoError(t, err, "NewServer()")
	require.NotNil(t, srv, "NewServer() returned a nil *rpc.Server")
	return srv
}

// hDouble registers d under the name "Arith" on a new rpc.Server.
func hDouble(t *testing.T, d any) *rpc.Server {
	t.Helper()
	srv := rpc.NewServer()
	require.NoError(t, srv.RegisterName("Arith", d), "registering the test's own Arith service")
	return srv
}

// hClient returns a typed client of srv over net.Pipe, and the channel that
// closes when the server side has returned.
func hClient(t *testing.T, srv *rpc.Server) (*rpcarith.Client, <-chan struct{}) {
	t.Helper()
	conn, served := hServe(srv)
	c, err := rpcarith.NewClient(conn)
	require.NoError(t, err, "NewClient(conn)")
	require.NotNil(t, c, "NewClient(conn) returned a nil *Client")
	return c, served
}

// hInt prints v in decimal, or by name at the int extremes.
func hInt(v int) string {
	switch v {
	case math.MaxInt:
		return "math.MaxInt"
	case math.MinInt:
		return "math.MinInt"
	case -math.MaxInt:
		return "-math.MaxInt"
	}
	return fmt.Sprint(v)
}

// hQuo prints a Quotient field by field.
func hQuo(q rpcarith.Quotient) string {
	return fmt.Sprintf("{Quo: %s, Rem: %s}", hInt(q.Quo), hInt(q.Rem))
}

// hErr prints an error's text and type, or <nil>.
func hErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q (%T)", err.Error(), err)
}

// hDirect calls Arith method op ("Add", "Multiply" or "Divide") directly on
// args with *reply preset to 42 (and *quo to {42, 42}). It returns the reply
// printed, the call printed as Go, the error, and the panic value if the
// method panicked.
func hDirect(op string, args rpcarith.Args) (reply, call string, err error, panicked any) {
	var a rpcarith.Arith
	call = fmt.Sprintf("Arith.%s(&Args{A: %s, B: %s}, ", op, hInt(args.A), hInt(args.B))
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r) // the stub
			}
			panicked = r
		}
	}()
	switch op {
	case "Divide":
		call += "&quo)"
		q := rpcarith.Quotient{Quo: 42, Rem: 42}
		err = a.Divide(&args, &q)
		return hQuo(q), call, err, nil
	case "Add":
		call += "&reply)"
		r := 42
		err = a.Add(&args, &r)
		return hInt(r), call, err, nil
	default:
		call += "&reply)"
		r := 42
		err = a.Multiply(&args, &r)
		return hInt(r), call, err, nil
	}
}

// hCall calls the typed client's method op ("Add", "Multiply" or
// "Divide") with (ctx, a, b). It returns the call printed, the result
// printed, whether the result is the zero value, and the error. A panic
// fails the test with the call and the panic value; call it only from the
// test's goroutine.
func hCall(t *testing.T, c *rpcarith.Client, ctx context.Context, op string, a, b int) (call, res string, zero bool, err error) {
	t.Helper()
	call = fmt.Sprintf("%s(ctx, %d, %d)", op, a, b)
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r) // the stub
			}
			t.Fatalf("%s panicked: %v", call, r)
		}
	}()
	switch op {
	case "Add":
		v, err := c.Add(ctx, a, b)
		return call, fmt.Sprint(v), v == 0, err
	case "Multiply":
		v, err := c.Multiply(ctx, a, b)
		return call, fmt.Sprint(v), v == 0, err
	default:
		q, err := c.Divide(ctx, a, b)
		return call, hQuo(q), q == rpcarith.Quotient{}, err
	}
}

// hOps are the typed client's three calls.
var hOps = []string{"Add", "Multiply", "Divide"}

// hServeResult runs Serve(ctx, lis, srv) and sends its result; a panic is
// sent as an error naming the panic value.
func hServeResult(ctx context.Context, lis net.Listener, srv *rpc.Server, got chan<- error) {
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r) // the stub
			}
			got <- fmt.Errorf("Serve panicked: %v", r)
		}
	}()
	got <- rpcarith.Serve(ctx, lis, srv)
}

// hSlow is an Arith double whose methods sleep d before they answer.
type hSlow struct{ d time.Duration }

func (s *hSlow) Add(args *rpcarith.Args, reply *int) error {
	time.Sleep(s.d)
	*reply = args.A + args.B
	return nil
}

func (s *hSlow) Multiply(args *rpcarith.Args, reply *int) error {
	time.Sleep(s.d)
	*reply = args.A * args.B
	return nil
}

func (s *hSlow) Divide(args *rpcarith.Args, q *rpcarith.Quotient) error {
	time.Sleep(s.d)
	*q = rpcarith.Quotient{Quo: args.A / args.B, Rem: args.A % args.B}
	return nil
}

// hCounting is an Arith double that counts the requests it receives.
type hCounting struct{ n atomic.Int32 }

func (c *hCounting) Add(args *rpcarith.Args, reply *int) error {
	c.n.Add(1)
	*reply = args.A + args.B
	return nil
}

func (c *hCounting) Multiply(args *rpcarith.Args, reply *int) error {
	c.n.Add(1)
	*reply = args.A * args.B
	return nil
}

func (c *hCounting) Divide(args *rpcarith.Args, q *rpcarith.Quotient) error {
	c.n.Add(1)
	*q = rpcarith.Quotient{Quo: args.A / args.B, Rem: args.A % args.B}
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

// hNearMiss is an Arith double whose errors mention "divide by zero" without
// being exactly that text.
type hNearMiss struct{}

func (hNearMiss) Add(args *rpcarith.Args, reply *int) error {
	return errors.New("runtime error: integer divide by zero")
}
func (hNearMiss) Multiply(args *rpcarith.Args, reply *int) error {
	return errors.New("divide by zero!")
}
func (hNearMiss) Divide(args *rpcarith.Args, q *rpcarith.Quotient) error {
	return errors.New("Divide By Zero")
}

// TestHiddenDivisionTable checks Divide against literal expected values,
// signs and the int extremes included (rule 3).
//
// Category: boundary
func TestHiddenDivisionTable(t *testing.T) {
	katatest.Guard(t)
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
	for _, tt := range tests {
		want := hQuo(rpcarith.Quotient{Quo: tt.quo, Rem: tt.rem})
		got, call, err, p := hDirect("Divide", rpcarith.Args{A: tt.a, B: tt.b})
		switch {
		case p != nil:
			t.Errorf("%s panicked: %v; want *quo = %s", call, p, want)
		case err != nil || got != want:
			t.Errorf("%s: *quo = %s, error %s; want *quo = %s, error <nil>", call, got, hErr(err), want)
		}
	}
}

// TestHiddenDivisionMatchesGo compares Divide with Go's own / and % on 10 000
// pairs of random bit length and sign (rule 3). Each call is independent,
// so a mismatch is reported as that one call.
//
// Category: differential
func TestHiddenDivisionMatchesGo(t *testing.T) {
	katatest.Guard(t)
	r := rand.New(rand.NewPCG(1, 2))
	operand := func() int {
		bits := 1 + r.IntN(64)
		v := int(r.Uint64() >> (64 - bits))
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	for range 10_000 {
		x, y := operand(), operand()
		if y == 0 {
			y = 1
		}
		want := hQuo(rpcarith.Quotient{Quo: x / y, Rem: x % y})
		got, call, err, p := hDirect("Divide", rpcarith.Args{A: x, B: y})
		if p != nil {
			t.Fatalf("var a rpcarith.Arith; a.%s panicked: %v; want *quo = %s", call, p, want)
		}
		if err != nil || got != want {
			t.Fatalf("var a rpcarith.Arith; a.%s: *quo = %s, error %s; want *quo = %s (Go's A / B and A %% B), error <nil>",
				call, got, hErr(err), want)
		}
	}
}

// TestHiddenAddMultiplyWrap checks that overflow wraps without an error
// (rule 1).
//
// Category: boundary
func TestHiddenAddMultiplyWrap(t *testing.T) {
	katatest.Guard(t)
	tests := []struct {
		op   string
		x, y int
		want int
	}{
		{"Add", math.MaxInt, 1, math.MinInt},
		{"Add", math.MinInt, -1, math.MaxInt},
		{"Add", math.MaxInt, math.MaxInt, -2},
		{"Multiply", math.MaxInt, 2, -2},
		{"Multiply", math.MinInt, -1, math.MinInt},
		{"Multiply", -1, math.MinInt, math.MinInt},
		{"Multiply", -3, 4, -12},
		{"Add", -3, 4, 1},
	}
	for _, tt := range tests {
		got, call, err, p := hDirect(tt.op, rpcarith.Args{A: tt.x, B: tt.y})
		switch {
		case p != nil:
			t.Errorf("%s panicked: %v; want *reply = %s (int overflow wraps around)", call, p, hInt(tt.want))
		case err != nil || got != hInt(tt.want):
			t.Errorf("%s: *reply = %s, error %s; want *reply = %s (int overflow wraps around), error <nil>", call, got, hErr(err), hInt(tt.want))
		}
	}
}

// TestHiddenReplyUntouchedOnError checks that a division by zero leaves the
// reply alone, called directly and over the wire (rules 2, 7).
//
// Category: behaviour
func TestHiddenReplyUntouchedOnError(t *testing.T) {
	katatest.Guard(t)
	for _, x := range []int{5, 0, -5} {
		got, call, err, p := hDirect("Divide", rpcarith.Args{A: x, B: 0})
		switch {
		case p != nil:
			t.Errorf("%s with *quo = {Quo: 42, Rem: 42} panicked: %v; want ErrDivideByZero", call, p)
		case err != rpcarith.ErrDivideByZero || got != "{Quo: 42, Rem: 42}":
			t.Errorf("%s with *quo = {Quo: 42, Rem: 42}: *quo = %s, error %s; want *quo unchanged and ErrDivideByZero itself", call, got, hErr(err))
		}
	}

	synctest.Test(t, func(t *testing.T) {
		conn, served := hServe(hNewServer(t))
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()
		q := rpcarith.Quotient{Quo: 42, Rem: 42}
		err := rc.Call("Arith.Divide", &rpcarith.Args{A: 5, B: 0}, &q)
		if err == nil || q != (rpcarith.Quotient{Quo: 42, Rem: 42}) {
			t.Errorf(`rpc.Client.Call("Arith.Divide", &Args{A: 5, B: 0}, &quo) with quo = {Quo: 42, Rem: 42} on NewServer(): quo = %s, error %s; want quo unchanged and an error`,
				hQuo(q), hErr(err))
		}
	})
}

// TestHiddenServerErrorOnTheWire checks that a raw client sees an
// rpc.ServerError that is not ErrDivideByZero (rule 7).
//
// Category: behaviour
func TestHiddenServerErrorOnTheWire(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		conn, served := hServe(hNewServer(t))
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()
		var q rpcarith.Quotient
		raw := rc.Call("Arith.Divide", &rpcarith.Args{A: 5, B: 0}, &q)
		const call = `rpc.Client.Call("Arith.Divide", &Args{A: 5, B: 0}, &quo) on NewServer()`
		var se rpc.ServerError
		if !errors.As(raw, &se) || string(se) != "divide by zero" {
			t.Errorf(`%s = %s, want rpc.ServerError("divide by zero")`, call, hErr(raw))
		}
		if errors.Is(raw, rpcarith.ErrDivideByZero) {
			t.Errorf("%s = %s: errors.Is(err, ErrDivideByZero) is true, but a raw client gets only the error's text", call, hErr(raw))
		}
	})
}

// TestHiddenNewServerIsolated checks that NewServer returns a new server on
// every call and leaves rpc.DefaultServer alone (rule 5).
//
// Category: config
func TestHiddenNewServerIsolated(t *testing.T) {
	katatest.Guard(t)
	s1, err1 := rpcarith.NewServer()
	s2, err2 := rpcarith.NewServer()
	require.NoError(t, err1, "first NewServer()")
	require.NoError(t, err2, "second NewServer(): a second call must succeed too")
	require.NotNil(t, s1, "first NewServer() returned a nil *rpc.Server")
	require.NotNil(t, s2, "second NewServer() returned a nil *rpc.Server")
	if s1 == s2 {
		t.Error("two NewServer() calls returned the same *rpc.Server")
	}
	if s1 == rpc.DefaultServer || s2 == rpc.DefaultServer {
		t.Error("NewServer() returned rpc.DefaultServer")
	}

	synctest.Test(t, func(t *testing.T) {
		conn, served := hServe(rpc.DefaultServer)
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()
		var sum int
		err := rc.Call("Arith.Add", &rpcarith.Args{A: 1, B: 2}, &sum)
		if err == nil || err.Error() != "rpc: can't find service Arith.Add" {
			t.Errorf(`rpc.Client.Call("Arith.Add", &Args{A: 1, B: 2}, &reply) on rpc.DefaultServer after NewServer() = %s, want "rpc: can't find service Arith.Add" (NewServer must register nothing on rpc.DefaultServer)`,
				hErr(err))
		}
	})
}

// TestHiddenRegistrationShape checks the method set net/rpc sees: pointer
// receivers and exactly Add, Multiply and Divide (rules 5, 6).
//
// Category: config
func TestHiddenRegistrationShape(t *testing.T) {
	katatest.Guard(t)
	if err := rpc.NewServer().Register(new(rpcarith.Arith)); err != nil {
		t.Errorf("rpc.NewServer().Register(new(Arith)) = %s, want <nil>", hErr(err))
	}
	if err := rpc.NewServer().Register(rpcarith.Arith{}); err == nil || !strings.Contains(err.Error(), "pointer") {
		t.Errorf(`rpc.NewServer().Register(Arith{}) = %s, want net/rpc's error mentioning "pointer" (the methods need pointer receivers)`, hErr(err))
	}

	synctest.Test(t, func(t *testing.T) {
		conn, served := hServe(hNewServer(t))
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()
		var r int
		err := rc.Call("Arith.Pow", &rpcarith.Args{A: 2, B: 3}, &r)
		if err == nil || err.Error() != "rpc: can't find method Arith.Pow" {
			t.Errorf(`rpc.Client.Call("Arith.Pow", &Args{A: 2, B: 3}, &reply) on NewServer() = %s, want "rpc: can't find method Arith.Pow"`, hErr(err))
		}
		for _, m := range []string{"Arith.Add", "Arith.Multiply"} {
			if err := rc.Call(m, &rpcarith.Args{A: 2, B: 3}, &r); err != nil {
				t.Errorf("rpc.Client.Call(%q, &Args{A: 2, B: 3}, &reply) on NewServer() = %s, want <nil>", m, hErr(err))
			}
		}
		var q rpcarith.Quotient
		if err := rc.Call("Arith.Divide", &rpcarith.Args{A: 2, B: 3}, &q); err != nil {
			t.Errorf(`rpc.Client.Call("Arith.Divide", &Args{A: 2, B: 3}, &quo) on NewServer() = %s, want <nil>`, hErr(err))
		}
	})
}

// TestHiddenClientDeadline runs each call against a server that answers
// after 5 s, with a 1 s timeout: the call returns DeadlineExceeded at
// exactly 1 s, and the late reply leaves nothing behind (rules 14, 15).
//
// Category: timing
func TestHiddenClientDeadline(t *testing.T) {
	katatest.Guard(t)
	for _, op := range hOps {
		t.Run(op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				start := time.Now()
				call, res, zero, err := hCall(t, c, ctx, op, 7, 2)
				if at := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || at != time.Second || !zero {
					t.Errorf("%s with a 1s timeout, the server answering after 5s: returned %s, %s after %v; want the zero value and context.DeadlineExceeded after 1s",
						call, res, hErr(err), at)
				}

				time.Sleep(5 * time.Second) // the double answers at 5 s
				synctest.Wait()             // the late reply is read and dropped
				require.NoError(t, c.Close(), "Close()")
				<-served
			})
		})
	}
}

// TestHiddenClientCanceled cancels each call at 2 s while the server takes
// 5 s (rules 14, 15).
//
// Category: timing
func TestHiddenClientCanceled(t *testing.T) {
	katatest.Guard(t)
	for _, op := range hOps {
		t.Run(op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(2*time.Second, cancel)
				start := time.Now()
				call, res, zero, err := hCall(t, c, ctx, op, 7, 2)
				if at := time.Since(start); !errors.Is(err, context.Canceled) || at != 2*time.Second || !zero {
					t.Errorf("%s with ctx cancelled at 2s, the server answering after 5s: returned %s, %s after %v; want the zero value and context.Canceled after 2s",
						call, res, hErr(err), at)
				}

				time.Sleep(5 * time.Second)
				synctest.Wait()
				require.NoError(t, c.Close(), "Close()")
				<-served
			})
		})
	}
}

// TestHiddenClientCtxAlreadyDone checks that a call with a done ctx
// returns ctx.Err() and sends nothing, and that the client still works
// afterwards (rule 15).
//
// Category: behaviour
func TestHiddenClientCtxAlreadyDone(t *testing.T) {
	katatest.Guard(t)
	for _, op := range hOps {
		t.Run(op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				double := &hCounting{}
				c, served := hClient(t, hDouble(t, double))
				defer func() {
					c.Close()
					<-served
				}()
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				call, res, zero, err := hCall(t, c, ctx, op, 6, 3)
				if !errors.Is(err, context.Canceled) || !zero {
					t.Errorf("%s with an already cancelled ctx = %s, %s; want the zero value and context.Canceled", call, res, hErr(err))
				}
				synctest.Wait()
				if n := double.n.Load(); n != 0 {
					t.Errorf("%s with an already cancelled ctx sent a request (the server received %d); want nothing sent", call, n)
				}

				call, _, _, err = hCall(t, c, context.Background(), op, 6, 3)
				if err != nil {
					t.Errorf("%s with a live ctx, after the call with a cancelled one = %s, want <nil>", call, hErr(err))
				}
				if n := double.n.Load(); n != 1 {
					t.Errorf("requests the server received after a call with a cancelled ctx and %s with a live one: %d, want 1", call, n)
				}
			})
		})
	}
}

// TestHiddenClientErrorPassthrough checks how server and transport errors
// come back from the typed client (rules 14, 16, 17).
//
// Category: behaviour
func TestHiddenClientErrorPassthrough(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		cli, svr := net.Pipe()
		srv := hDouble(t, hFailing{})
		served := make(chan struct{})
		go func() {
			defer close(served)
			srv.ServeConn(svr)
		}()
		c, err := rpcarith.NewClient(cli)
		require.NoError(t, err, "NewClient(conn)")
		require.NotNil(t, c, "NewClient(conn) returned a nil *Client")
		ctx := context.Background()

		call, res, zero, err := hCall(t, c, ctx, "Add", 1, 2)
		var se rpc.ServerError
		if !errors.As(err, &se) || string(se) != "boom" || !zero {
			t.Errorf(`%s, the server failing with "boom": returned %s, %s; want 0 and rpc.ServerError("boom") (errors.As)`, call, res, hErr(err))
		}

		call, res, zero, err = hCall(t, c, ctx, "Divide", 1, 2)
		if err != rpcarith.ErrDivideByZero || !zero {
			t.Errorf(`%s, the server failing with "divide by zero": returned %s, %s; want {Quo: 0, Rem: 0} and ErrDivideByZero itself`, call, res, hErr(err))
		}

		// The server drops the connection while a Multiply is pending.
		time.AfterFunc(time.Second, func() { svr.Close() })
		start := time.Now()
		call, res, zero, err = hCall(t, c, ctx, "Multiply", 2, 3)
		if at := time.Since(start); !errors.Is(err, io.ErrUnexpectedEOF) || at != time.Second || !zero {
			t.Errorf("%s, the server closing the connection at 1s: returned %s, %s after %v; want 0 and io.ErrUnexpectedEOF (errors.Is) after 1s",
				call, res, hErr(err), at)
		}

		call, _, _, err = hCall(t, c, ctx, "Add", 1, 2)
		if !errors.Is(err, rpc.ErrShutdown) {
			t.Errorf("%s after the server closed the connection = %s, want rpc.ErrShutdown (errors.Is)", call, hErr(err))
		}
		<-served // the double's Multiply returns after an hour of virtual time
		c.Close()
	})
}

// TestHiddenClientMapsOnlyExactText checks that only the exact text
// "divide by zero" becomes ErrDivideByZero: server errors that merely
// mention it come back as the rpc.ServerError, text unchanged (rule 16).
//
// Category: behaviour
func TestHiddenClientMapsOnlyExactText(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hDouble(t, hNearMiss{}))
		defer func() {
			c.Close()
			<-served
		}()
		texts := map[string]string{
			"Add":      "runtime error: integer divide by zero",
			"Multiply": "divide by zero!",
			"Divide":   "Divide By Zero",
		}
		for _, op := range hOps {
			call, res, zero, err := hCall(t, c, context.Background(), op, 1, 0)
			var se rpc.ServerError
			if errors.Is(err, rpcarith.ErrDivideByZero) || !errors.As(err, &se) || string(se) != texts[op] || !zero {
				t.Errorf("%s, the server failing with %q: returned %s, %s; want the zero value and rpc.ServerError(%q): only the exact text \"divide by zero\" maps to ErrDivideByZero",
					call, texts[op], res, hErr(err), texts[op])
			}
		}
	})
}

// TestHiddenClientClose checks Close: it closes the connection, pending
// calls return at once, later calls and a second Close get rpc.ErrShutdown
// (rules 13, 17).
//
// Category: behaviour
func TestHiddenClientClose(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hNewServer(t))
		require.NoError(t, c.Close(), "first Close()")
		<-served // ServeConn returns only when the connection is closed
		for _, op := range hOps {
			call, _, _, err := hCall(t, c, context.Background(), op, 1, 2)
			if !errors.Is(err, rpc.ErrShutdown) {
				t.Errorf("%s after Close() = %s, want rpc.ErrShutdown (errors.Is)", call, hErr(err))
			}
		}
		if err := c.Close(); !errors.Is(err, rpc.ErrShutdown) {
			t.Errorf("second Close() = %s, want rpc.ErrShutdown (errors.Is)", hErr(err))
		}
	})

	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hDouble(t, &hSlow{d: 5 * time.Second}))
		time.AfterFunc(time.Second, func() {
			if err := c.Close(); err != nil {
				t.Errorf("Close() at 1s while Add is pending = %s, want <nil>", hErr(err))
			}
		})
		start := time.Now()
		call, _, _, err := hCall(t, c, context.Background(), "Add", 1, 2)
		if at := time.Since(start); err == nil || at != time.Second {
			t.Errorf("%s, Close() called at 1s while the server takes 5s: returned %s after %v; want an error after 1s (when Close is called)",
				call, hErr(err), at)
		}
		<-served
	})
}

// TestHiddenNilArguments checks that nil arguments are errors, not panics
// (rules 12, 13).
//
// Category: config
func TestHiddenNilArguments(t *testing.T) {
	katatest.Guard(t)
	srv := hNewServer(t)
	got := make(chan error, 1)
	hServeResult(context.Background(), nil, srv, got)
	if err := <-got; err == nil || err.Error() == "" {
		t.Errorf("Serve(ctx, nil, srv) = %s, want an error", hErr(err))
	} else if strings.HasPrefix(err.Error(), "Serve panicked") {
		t.Errorf("Serve(ctx, nil, srv) panicked: %s; want an error", strings.TrimPrefix(err.Error(), "Serve panicked: "))
	}

	func() {
		defer func() {
			if r := recover(); r != nil {
				if r == "not implemented" {
					panic(r) // the stub
				}
				t.Errorf("NewClient(nil) panicked: %v; want a nil *Client and an error", r)
			}
		}()
		c, err := rpcarith.NewClient(nil)
		if err == nil || c != nil {
			t.Errorf("NewClient(nil) = %v, %s; want a nil *Client and an error", c, hErr(err))
		}
	}()

	synctest.Test(t, func(t *testing.T) {
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan error, 1)
		go hServeResult(ctx, lis, nil, got)
		synctest.Wait()
		select {
		case err := <-got:
			if err == nil {
				t.Error("Serve(ctx, lis, nil) = <nil>, want an error")
			} else if strings.HasPrefix(err.Error(), "Serve panicked") {
				t.Errorf("Serve(ctx, lis, nil) panicked: %s; want an error", strings.TrimPrefix(err.Error(), "Serve panicked: "))
			}
		default:
			t.Error("Serve(ctx, lis, nil) with ctx live did not return at once; want an error at once")
			cancel()
			<-got
		}
	})
}

// TestHiddenServeCtxAlreadyDone checks that Serve with a done ctx closes the
// listener and returns nil at once (rule 9).
//
// Category: behaviour
func TestHiddenServeCtxAlreadyDone(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		srv := hNewServer(t)
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := make(chan error, 1)
		go hServeResult(ctx, lis, srv, got)
		synctest.Wait()
		select {
		case err := <-got:
			if err != nil {
				t.Errorf("Serve(ctx, lis, srv) with an already cancelled ctx = %s, want <nil>", hErr(err))
			}
		default:
			t.Error("Serve(ctx, lis, srv) with an already cancelled ctx did not return at once")
			lis.Close()
			<-got
		}
		if !lis.closed.Load() {
			t.Error("Serve(ctx, lis, srv) with an already cancelled ctx did not close lis")
		}
	})
}

// TestHiddenServeListenerClosedByOther closes Serve's listener from outside
// while ctx is live: Accept fails with net.ErrClosed, and Serve returns that
// error, since it was not Serve's own ctx that stopped it (rule 10).
//
// Category: behaviour
func TestHiddenServeListenerClosedByOther(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		srv := hNewServer(t)
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		got := make(chan error, 1)
		go hServeResult(ctx, lis, srv, got)
		synctest.Wait() // Serve is in Accept
		lis.Close()
		synctest.Wait()
		select {
		case err := <-got:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve(ctx, lis, srv), lis.Close() called by someone else while ctx is live: Serve returned %s; want Accept's error, net.ErrClosed (errors.Is); nil is only for a done ctx",
					hErr(err))
			}
		default:
			t.Error("Serve(ctx, lis, srv) did not return when Accept failed with net.ErrClosed (lis closed by someone else) while ctx was live")
			cancel()
			<-got
		}
	})
}

// TestHiddenServeTwoConnections opens two connections through Serve and
// uses both while both are open: each is served in its own goroutine
// (rule 8).
//
// Category: concurrency
func TestHiddenServeTwoConnections(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		srv := hNewServer(t)
		lis := hNewPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serveErr := make(chan error, 1)
		go hServeResult(ctx, lis, srv, serveErr)

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
		require.NotNil(t, first, "first connection to Serve(ctx, lis, srv): Serve is not accepting")
		c1, err := rpcarith.NewClient(first)
		require.NoError(t, err, "NewClient(conn)")
		call, res, _, err := hCall(t, c1, ctx, "Add", 1, 2)
		if err != nil || res != "3" {
			t.Errorf("%s on the first connection through Serve = %s, %s; want 3, <nil>", call, res, hErr(err))
		}

		second := dial()
		synctest.Wait()
		select {
		case conn := <-second:
			require.NotNil(t, conn, "second connection to Serve(ctx, lis, srv)")
			c2, err := rpcarith.NewClient(conn)
			require.NoError(t, err, "NewClient(conn)")
			call, res, _, err := hCall(t, c2, ctx, "Add", 3, 4)
			if err != nil || res != "7" {
				t.Errorf("%s on a second connection while the first is open = %s, %s; want 7, <nil>", call, res, hErr(err))
			}
			c2.Close()
		default:
			t.Error("Serve(ctx, lis, srv) did not accept a second connection while the first was open: is ServeConn run in its own goroutine?")
			c1.Close()
			cancel()
			if conn, ok := <-second; ok {
				conn.Close()
			}
		}
		c1.Close()
		cancel()
		if err := <-serveErr; err != nil {
			t.Errorf("Serve(ctx, lis, srv) after cancel() = %s, want <nil>", hErr(err))
		}
	})
}

// TestHiddenServeAcceptError gives Serve a listener whose Accept fails while
// ctx is live: Serve returns that error after one Accept and leaves no
// goroutine of its own behind (rules 10, 11).
//
// Category: concurrency
func TestHiddenServeAcceptError(t *testing.T) {
	katatest.Guard(t)
	srv := hNewServer(t)
	errAccept := errors.New("hidden: accept failed")
	lis := &hErrListener{err: errAccept}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ignore := goleak.IgnoreCurrent()
	katatest.Within(t, 3*time.Second, "Serve(ctx, lis, srv) did not return when Accept failed with ctx live (does it retry?)", func() {
		got := make(chan error, 1)
		hServeResult(ctx, lis, srv, got)
		if err := <-got; !errors.Is(err, errAccept) {
			t.Errorf(`Serve(ctx, lis, srv), Accept failing with "hidden: accept failed" while ctx is live: returned %s; want that error (errors.Is)`, hErr(err))
		}
	})
	if n := lis.accepts.Load(); n != 1 {
		t.Errorf("Serve(ctx, lis, srv), Accept failing while ctx is live: Accept called %d times, want 1 (Serve must not retry)", n)
	}
	// Checked before cancel, which would let a leaked watcher exit.
	assert.NoError(t, goleak.Find(ignore), "Serve(ctx, lis, srv) returned on an Accept error with ctx live, but goroutines it started are still running")
}

// TestHiddenServeTCP serves over real loopback TCP, outside synctest:
// cancel stops Serve and closes the listener, while the connection already
// open still answers (rules 8, 9, 11).
//
// Category: concurrency
func TestHiddenServeTCP(t *testing.T) {
	katatest.Guard(t)
	katatest.NoLeaks(t)
	srv := hNewServer(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "net.Listen on 127.0.0.1:0")
	defer lis.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan error, 1)
	go hServeResult(ctx, lis, srv, got)

	var c *rpcarith.Client
	ok := katatest.Within(t, 3*time.Second, "a typed Add through Serve over loopback TCP did not return", func() {
		conn, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			t.Errorf("net.Dial to the listener given to Serve = %s, want <nil>", hErr(err))
			return
		}
		c, err = rpcarith.NewClient(conn)
		if err != nil || c == nil {
			t.Errorf("NewClient(conn) = %v, %s; want a client and <nil>", c, hErr(err))
			conn.Close()
			c = nil
			return
		}
		sum, err := c.Add(context.Background(), 20, 22)
		if err != nil || sum != 42 {
			t.Errorf("Add(ctx, 20, 22) through Serve over TCP = %d, %s; want 42, <nil>", sum, hErr(err))
		}
	})
	if !ok || c == nil {
		return
	}
	defer c.Close()

	cancel()
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("Serve(ctx, lis, srv) over TCP after cancel() = %s, want <nil>", hErr(err))
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve(ctx, lis, srv) over TCP did not return within 3s of real time after cancel() while a connection it accepted was open: is lis closed when ctx is done, and is each connection served in its own goroutine?")
	}
	if _, err := lis.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("lis.Accept() after Serve(ctx, lis, srv) returned on cancel() = %s, want net.ErrClosed: Serve must close lis", hErr(err))
	}

	katatest.Within(t, 3*time.Second, "the connection accepted before cancel() stopped answering", func() {
		sum, err := c.Add(context.Background(), 1, 1)
		if err != nil || sum != 2 {
			t.Errorf("Add(ctx, 1, 1) on a connection Serve accepted before cancel(), after Serve returned = %d, %s; want 2, <nil>: Serve must not close accepted connections",
				sum, hErr(err))
		}
	})
	if err := c.Close(); err != nil {
		t.Errorf("Close() = %s, want <nil>", hErr(err))
	}
}

// TestHiddenConcurrentCalls runs 200 goroutines of mixed calls on one client
// (rules 4, 18).
//
// Category: concurrency
func TestHiddenConcurrentCalls(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, "200 concurrent calls on one Client did not finish")
	synctest.Test(t, func(t *testing.T) {
		c, served := hClient(t, hNewServer(t))
		ctx := context.Background()
		katatest.Hammer(200, 5, func(g, i int) {
			a, b := g*7-500, i+g%3+1
			switch (g + i) % 3 {
			case 0:
				got, err := c.Add(ctx, a, b)
				if err != nil || got != a+b {
					t.Errorf("Add(ctx, %d, %d) among 200 concurrent calls on one Client = %d, %s; want %d, <nil>", a, b, got, hErr(err), a+b)
				}
			case 1:
				got, err := c.Multiply(ctx, a, b)
				if err != nil || got != a*b {
					t.Errorf("Multiply(ctx, %d, %d) among 200 concurrent calls on one Client = %d, %s; want %d, <nil>", a, b, got, hErr(err), a*b)
				}
			default:
				got, err := c.Divide(ctx, a, b)
				if want := (rpcarith.Quotient{Quo: a / b, Rem: a % b}); err != nil || got != want {
					t.Errorf("Divide(ctx, %d, %d) among 200 concurrent calls on one Client = %s, %s; want %s, <nil>", a, b, hQuo(got), hErr(err), hQuo(want))
				}
			}
		})
		require.NoError(t, c.Close(), "Close()")
		<-served
	})
}
