package rpcarith_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/rpcarith"
)

// pipeListener is an in-memory net.Listener: Dial hands the server end of a
// net.Pipe to Accept. It works inside a synctest bubble, where real sockets
// do not (their I/O is not durably blocking).
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial returns the client end of a new pipe whose server end Accept returns.
func (l *pipeListener) Dial() (net.Conn, error) {
	c, s := net.Pipe()
	select {
	case l.conns <- s:
		return c, nil
	case <-l.done:
		c.Close()
		s.Close()
		return nil, net.ErrClosed
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// serveOnPipe serves srv on one end of a net.Pipe and returns the other end
// and a channel closed when ServeConn has returned (the peer hung up).
func serveOnPipe(srv *rpc.Server) (net.Conn, <-chan struct{}) {
	cli, svr := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeConn(svr)
	}()
	return cli, done
}

// newServer is NewServer that requires success.
func newServer(t *testing.T) *rpc.Server {
	t.Helper()
	srv, err := rpcarith.NewServer()
	require.NoError(t, err, "NewServer()")
	require.NotNil(t, srv, "NewServer() returned a nil *rpc.Server")
	return srv
}

// newClient is NewClient(conn) that requires success.
func newClient(t *testing.T, conn net.Conn) *rpcarith.Client {
	t.Helper()
	c, err := rpcarith.NewClient(conn)
	require.NoError(t, err, "NewClient(conn)")
	require.NotNil(t, c, "NewClient(conn) returned a nil *Client")
	return c
}

// fmtQuo prints a Quotient field by field.
func fmtQuo(q rpcarith.Quotient) string { return fmt.Sprintf("{Quo: %d, Rem: %d}", q.Quo, q.Rem) }

// fmtErr prints an error's text and type, or <nil>.
func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q (%T)", err.Error(), err)
}

// do runs one call of the code under test; a panic fails the test with the
// call and the panic value (the stub's "not implemented" panics on).
func do[T any](t *testing.T, call string, f func() (T, error)) (T, error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r)
			}
			t.Fatalf("%s panicked: %v", call, r)
		}
	}()
	return f()
}

// TestArithMethods calls the Arith methods directly (rules 1-3).
func TestArithMethods(t *testing.T) {
	katatest.Guard(t)
	var a rpcarith.Arith
	ints := []struct {
		op   string
		x, y int
		want int
	}{
		{"Add", 2, 3, 5},
		{"Add", -2, -3, -5},
		{"Multiply", 6, 7, 42},
		{"Multiply", -3, 4, -12},
	}
	for _, tt := range ints {
		call := fmt.Sprintf("Arith.%s(&Args{A: %d, B: %d}, &reply)", tt.op, tt.x, tt.y)
		got, err := do(t, call, func() (int, error) {
			var reply int
			if tt.op == "Add" {
				return reply, a.Add(&rpcarith.Args{A: tt.x, B: tt.y}, &reply)
			}
			return reply, a.Multiply(&rpcarith.Args{A: tt.x, B: tt.y}, &reply)
		})
		if err != nil || got != tt.want {
			t.Errorf("%s: *reply = %d, error %s; want *reply = %d, error <nil>", call, got, fmtErr(err), tt.want)
		}
	}

	quotients := []struct {
		x, y int
		want rpcarith.Quotient
	}{
		{7, 2, rpcarith.Quotient{Quo: 3, Rem: 1}},
		{-7, 2, rpcarith.Quotient{Quo: -3, Rem: -1}},
		{6, 3, rpcarith.Quotient{Quo: 2, Rem: 0}},
	}
	for _, tt := range quotients {
		call := fmt.Sprintf("Arith.Divide(&Args{A: %d, B: %d}, &quo)", tt.x, tt.y)
		got, err := do(t, call, func() (rpcarith.Quotient, error) {
			var q rpcarith.Quotient
			return q, a.Divide(&rpcarith.Args{A: tt.x, B: tt.y}, &q)
		})
		if err != nil || got != tt.want {
			t.Errorf("%s: *quo = %s, error %s; want *quo = %s, error <nil>", call, fmtQuo(got), fmtErr(err), fmtQuo(tt.want))
		}
	}

	const call = "Arith.Divide(&Args{A: 1, B: 0}, &quo)"
	_, err := do(t, call, func() (rpcarith.Quotient, error) {
		var q rpcarith.Quotient
		return q, a.Divide(&rpcarith.Args{A: 1, B: 0}, &q)
	})
	if !errors.Is(err, rpcarith.ErrDivideByZero) {
		t.Errorf("%s = %s, want ErrDivideByZero", call, fmtErr(err))
	}
}

// TestServerOverPipe serves NewServer's server over net.Pipe and calls it
// with a raw rpc.Client (rule 5).
func TestServerOverPipe(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(newServer(t))
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()

		for _, tt := range []struct {
			method string
			x, y   int
			want   int
		}{
			{"Arith.Add", 2, 3, 5},
			{"Arith.Multiply", 6, 7, 42},
		} {
			var got int
			err := rc.Call(tt.method, &rpcarith.Args{A: tt.x, B: tt.y}, &got)
			if err != nil || got != tt.want {
				t.Errorf("rpc.Client.Call(%q, &Args{A: %d, B: %d}, &reply) on NewServer(): reply %d, error %s; want reply %d, error <nil>",
					tt.method, tt.x, tt.y, got, fmtErr(err), tt.want)
			}
		}
		var q rpcarith.Quotient
		err := rc.Call("Arith.Divide", &rpcarith.Args{A: 7, B: 2}, &q)
		if want := (rpcarith.Quotient{Quo: 3, Rem: 1}); err != nil || q != want {
			t.Errorf(`rpc.Client.Call("Arith.Divide", &Args{A: 7, B: 2}, &quo) on NewServer(): quo %s, error %s; want quo %s, error <nil>`,
				fmtQuo(q), fmtErr(err), fmtQuo(want))
		}
	})
}

// TestDivideByZeroOnTheWire checks the text a raw client gets for a
// division by zero (rule 7).
func TestDivideByZeroOnTheWire(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(newServer(t))
		rc := rpc.NewClient(conn)
		defer func() {
			rc.Close()
			<-served
		}()

		var q rpcarith.Quotient
		err := rc.Call("Arith.Divide", &rpcarith.Args{A: 1, B: 0}, &q)
		if err == nil || err.Error() != "divide by zero" {
			t.Errorf(`rpc.Client.Call("Arith.Divide", &Args{A: 1, B: 0}, &quo) on NewServer() = %s, want an error with the text "divide by zero"`, fmtErr(err))
		}
	})
}

// TestClient calls the typed client over net.Pipe (rule 14).
func TestClient(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(newServer(t))
		c := newClient(t, conn)
		ctx := context.Background()

		sum, err := do(t, "Add(ctx, 2, 3)", func() (int, error) { return c.Add(ctx, 2, 3) })
		if err != nil || sum != 5 {
			t.Errorf("Add(ctx, 2, 3) = %d, %s; want 5, <nil>", sum, fmtErr(err))
		}
		prod, err := do(t, "Multiply(ctx, 6, 7)", func() (int, error) { return c.Multiply(ctx, 6, 7) })
		if err != nil || prod != 42 {
			t.Errorf("Multiply(ctx, 6, 7) = %d, %s; want 42, <nil>", prod, fmtErr(err))
		}
		q, err := do(t, "Divide(ctx, -7, 2)", func() (rpcarith.Quotient, error) { return c.Divide(ctx, -7, 2) })
		if want := (rpcarith.Quotient{Quo: -3, Rem: -1}); err != nil || q != want {
			t.Errorf("Divide(ctx, -7, 2) = %s, %s; want %s, <nil>", fmtQuo(q), fmtErr(err), fmtQuo(want))
		}

		require.NoError(t, c.Close(), "Close()")
		<-served
	})
}

// TestClientMapsDivideByZero checks that the typed client turns the wire
// text back into ErrDivideByZero and returns a zero Quotient (rules 14, 16).
func TestClientMapsDivideByZero(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(newServer(t))
		c := newClient(t, conn)

		q, err := do(t, "Divide(ctx, 9, 0)", func() (rpcarith.Quotient, error) { return c.Divide(context.Background(), 9, 0) })
		if !errors.Is(err, rpcarith.ErrDivideByZero) || q != (rpcarith.Quotient{}) {
			t.Errorf("Divide(ctx, 9, 0) = %s, %s; want {Quo: 0, Rem: 0}, ErrDivideByZero (errors.Is)", fmtQuo(q), fmtErr(err))
		}

		require.NoError(t, c.Close(), "Close()")
		<-served
	})
}

// TestServeStopsOnCancel runs Serve on an in-memory listener, makes one call
// through it, and cancels: Serve returns nil (rules 8, 9). A Serve that never
// closes its listener leaves Accept blocked, which synctest reports as a
// deadlock.
func TestServeStopsOnCancel(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		lis := newPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv := newServer(t)
		serveErr := make(chan error, 1)
		go func() { serveErr <- rpcarith.Serve(ctx, lis, srv) }()

		conn, err := lis.Dial()
		require.NoError(t, err, "dialling the listener given to Serve(ctx, lis, srv): Serve is not accepting")
		c := newClient(t, conn)
		sum, err := do(t, "Add(ctx, 40, 2)", func() (int, error) { return c.Add(ctx, 40, 2) })
		if err != nil || sum != 42 {
			t.Errorf("Add(ctx, 40, 2) through Serve = %d, %s; want 42, <nil>", sum, fmtErr(err))
		}
		require.NoError(t, c.Close(), "Close()")

		cancel()
		if err := <-serveErr; err != nil {
			t.Errorf("Serve(ctx, lis, srv) after cancel() = %s, want <nil>", fmtErr(err))
		}
		if _, err := lis.Dial(); !errors.Is(err, net.ErrClosed) {
			t.Error("Serve(ctx, lis, srv) returned after cancel() without closing lis")
		}
	})
}

// BenchmarkClientAddPipe measures one typed Add over net.Pipe at a time.
func BenchmarkClientAddPipe(b *testing.B) {
	srv, err := rpcarith.NewServer()
	require.NoError(b, err)
	cli, svr := net.Pipe()
	go srv.ServeConn(svr)
	c, err := rpcarith.NewClient(cli)
	require.NoError(b, err)
	defer c.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Add(ctx, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientAddTCP measures one typed Add over loopback TCP at a time,
// through Serve.
func BenchmarkClientAddTCP(b *testing.B) {
	srv, err := rpcarith.NewServer()
	require.NoError(b, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rpcarith.Serve(ctx, lis, srv)
	conn, err := net.Dial("tcp", lis.Addr().String())
	require.NoError(b, err)
	c, err := rpcarith.NewClient(conn)
	require.NoError(b, err)
	defer c.Close()
	for b.Loop() {
		if _, err := c.Add(ctx, 1, 2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArithDivide measures a direct Divide call.
func BenchmarkArithDivide(b *testing.B) {
	var a rpcarith.Arith
	args := &rpcarith.Args{A: -7, B: 2}
	var q rpcarith.Quotient
	for b.Loop() {
		if err := a.Divide(args, &q); err != nil {
			b.Fatal(err)
		}
	}
	if q != (rpcarith.Quotient{Quo: -3, Rem: -1}) {
		b.Fatalf("Divide(-7, 2) = %s", fmtQuo(q))
	}
}
