package rpcarith_test

import (
	"context"
	"net"
	"net/rpc"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
func serveOnPipe(t *testing.T, srv *rpc.Server) (net.Conn, <-chan struct{}) {
	t.Helper()
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
	require.NoError(t, err, "NewServer")
	require.NotNil(t, srv, "NewServer returned a nil server")
	return srv
}

// TestArithMethods calls the Arith methods directly (rules 1-3).
func TestArithMethods(t *testing.T) {
	var a rpcarith.Arith
	var sum, prod int
	require.NoError(t, a.Add(&rpcarith.Args{A: 2, B: 3}, &sum))
	assert.Equal(t, 5, sum, "2 + 3")
	require.NoError(t, a.Multiply(&rpcarith.Args{A: 6, B: 7}, &prod))
	assert.Equal(t, 42, prod, "6 * 7")

	tests := []struct {
		a, b int
		want rpcarith.Quotient
	}{
		{7, 2, rpcarith.Quotient{Quo: 3, Rem: 1}},
		{-7, 2, rpcarith.Quotient{Quo: -3, Rem: -1}},
		{6, 3, rpcarith.Quotient{Quo: 2, Rem: 0}},
	}
	for _, tt := range tests {
		var q rpcarith.Quotient
		require.NoError(t, a.Divide(&rpcarith.Args{A: tt.a, B: tt.b}, &q), "%d / %d", tt.a, tt.b)
		assert.Equal(t, tt.want, q, "%d / %d", tt.a, tt.b)
	}

	var q rpcarith.Quotient
	err := a.Divide(&rpcarith.Args{A: 1, B: 0}, &q)
	assert.ErrorIs(t, err, rpcarith.ErrDivideByZero, "1 / 0")
}

// TestServerOverPipe serves NewServer's server over net.Pipe and calls it
// with a raw rpc.Client (rule 5).
func TestServerOverPipe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(t, newServer(t))
		rc := rpc.NewClient(conn)

		var sum, prod int
		require.NoError(t, rc.Call("Arith.Add", &rpcarith.Args{A: 2, B: 3}, &sum), "Arith.Add")
		assert.Equal(t, 5, sum, "Arith.Add 2 3")
		require.NoError(t, rc.Call("Arith.Multiply", &rpcarith.Args{A: 6, B: 7}, &prod), "Arith.Multiply")
		assert.Equal(t, 42, prod, "Arith.Multiply 6 7")
		var q rpcarith.Quotient
		require.NoError(t, rc.Call("Arith.Divide", &rpcarith.Args{A: 7, B: 2}, &q), "Arith.Divide")
		assert.Equal(t, rpcarith.Quotient{Quo: 3, Rem: 1}, q, "Arith.Divide 7 2")

		require.NoError(t, rc.Close())
		<-served
	})
}

// TestDivideByZeroOnTheWire checks the text a raw client gets for a
// division by zero (rule 7).
func TestDivideByZeroOnTheWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(t, newServer(t))
		rc := rpc.NewClient(conn)

		var q rpcarith.Quotient
		err := rc.Call("Arith.Divide", &rpcarith.Args{A: 1, B: 0}, &q)
		require.Error(t, err, "Arith.Divide 1 0")
		assert.Equal(t, "divide by zero", err.Error(), "the error text on the wire")

		require.NoError(t, rc.Close())
		<-served
	})
}

// TestClient calls the typed client over net.Pipe (rule 14).
func TestClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(t, newServer(t))
		c, err := rpcarith.NewClient(conn)
		require.NoError(t, err, "NewClient")
		ctx := context.Background()

		sum, err := c.Add(ctx, 2, 3)
		require.NoError(t, err, "Add")
		assert.Equal(t, 5, sum, "Add(2, 3)")
		prod, err := c.Multiply(ctx, 6, 7)
		require.NoError(t, err, "Multiply")
		assert.Equal(t, 42, prod, "Multiply(6, 7)")
		q, err := c.Divide(ctx, -7, 2)
		require.NoError(t, err, "Divide")
		assert.Equal(t, rpcarith.Quotient{Quo: -3, Rem: -1}, q, "Divide(-7, 2)")

		require.NoError(t, c.Close(), "Close")
		<-served
	})
}

// TestClientMapsDivideByZero checks that the typed client turns the wire
// text back into ErrDivideByZero and returns a zero Quotient (rules 14, 16).
func TestClientMapsDivideByZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		conn, served := serveOnPipe(t, newServer(t))
		c, err := rpcarith.NewClient(conn)
		require.NoError(t, err, "NewClient")

		q, err := c.Divide(context.Background(), 9, 0)
		assert.ErrorIs(t, err, rpcarith.ErrDivideByZero, "Divide(9, 0)")
		assert.Equal(t, rpcarith.Quotient{}, q, "Divide(9, 0) result")

		require.NoError(t, c.Close(), "Close")
		<-served
	})
}

// TestServeStopsOnCancel runs Serve on an in-memory listener, makes one call
// through it, and cancels: Serve returns nil (rules 8, 9). A Serve that never
// closes its listener leaves Accept blocked, which synctest reports as a
// deadlock.
func TestServeStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lis := newPipeListener()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serveErr := make(chan error, 1)
		go func() { serveErr <- rpcarith.Serve(ctx, lis, newServer(t)) }()

		conn, err := lis.Dial()
		require.NoError(t, err, "Dial: Serve is not accepting")
		c, err := rpcarith.NewClient(conn)
		require.NoError(t, err, "NewClient")
		sum, err := c.Add(ctx, 40, 2)
		require.NoError(t, err, "Add through Serve")
		assert.Equal(t, 42, sum, "Add(40, 2) through Serve")
		require.NoError(t, c.Close(), "Close")

		cancel()
		err = <-serveErr
		assert.NoError(t, err, "Serve after cancel")
		_, err = lis.Dial()
		assert.ErrorIs(t, err, net.ErrClosed, "Serve returned without closing its listener")
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
		b.Fatalf("Divide(-7, 2) = %+v", q)
	}
}
