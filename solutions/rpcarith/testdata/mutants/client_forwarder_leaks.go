// Mutant: the typed client waits for the reply in a goroutine that forwards it on an unbuffered channel, so an abandoned call leaves that goroutine blocked forever.
// Rule: 15

// Package rpcarith is the Arith service of net/rpc's documentation, served
// with a context-aware accept loop and called through a context-aware
// typed client.
//
// net/rpc finds a service's methods by reflection. A method is exported
// when it has the shape
//
//	func (t *T) MethodName(args *ArgType, reply *ReplyType) error
//
// and its receiver, argument and reply types are exported (or builtin).
// Every request runs in its own goroutine, so methods must be safe for
// concurrent use, and a method that panics takes the whole process down.
//
// Errors cross the wire as text only: the client sees an rpc.ServerError
// holding err.Error(), never the server's error value. The typed Client maps
// the one error it knows, "divide by zero", back to ErrDivideByZero so that
// errors.Is works again; every other error is returned unchanged.
//
// rpc.Client.Call has no timeout (golang/go#33615). The Client starts the
// call with rpc.Client.Go and a done channel with room for one reply, then
// selects on that channel and ctx.Done(). An abandoned call leaves nothing
// behind: net/rpc delivers the late reply into the buffered channel, which
// nobody reads, and the garbage collector takes it.
//
// Serve is an accept loop that stops when its context is done: closing the
// listener is the only way to unblock Accept, so Serve closes it from a
// context.AfterFunc callback. Connections already accepted are not closed:
// net/rpc has no graceful shutdown, and each one is served until its peer
// hangs up.
package rpcarith

import (
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
)

// Args holds the operands of every Arith method.
type Args struct{ A, B int }

// Quotient is the result of Arith.Divide: Quo = A / B and Rem = A % B, with
// Go's truncated division.
type Quotient struct{ Quo, Rem int }

// ErrDivideByZero is returned by Arith.Divide when B is 0. On the wire its
// text is "divide by zero"; Client maps that text back to this value.
var ErrDivideByZero = errors.New("divide by zero")

// errNilListener and errNilServer are returned by Serve for nil arguments.
var (
	errNilListener = errors.New("rpcarith: Serve with a nil listener")
	errNilServer   = errors.New("rpcarith: Serve with a nil server")
	errNilConn     = errors.New("rpcarith: NewClient with a nil connection")
)

// Arith is the service registered by NewServer under the name "Arith". It
// holds no state; its methods are safe for concurrent use and never panic
// for non-nil arguments.
type Arith struct{}

// Add sets *reply to A + B. Overflow wraps around as Go's int arithmetic
// does (MaxInt + 1 == MinInt); it is not an error. Add always returns nil.
func (*Arith) Add(args *Args, reply *int) error {
	*reply = args.A + args.B
	return nil
}

// Multiply sets *reply to A * B. Overflow wraps around as Go's int
// arithmetic does (MaxInt * 2 == -2); it is not an error. Multiply always
// returns nil.
func (*Arith) Multiply(args *Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// Divide sets *quo to {A / B, A % B}: the quotient is truncated toward zero
// and the remainder has the sign of A (-7/2 is {-3, -1}). MinInt / -1 is
// {MinInt, 0}, without a panic. When B is 0, Divide returns ErrDivideByZero
// and leaves *quo unchanged.
func (*Arith) Divide(args *Args, quo *Quotient) error {
	if args.B == 0 {
		return ErrDivideByZero
	}
	*quo = Quotient{Quo: args.A / args.B, Rem: args.A % args.B}
	return nil
}

// NewServer returns a new rpc.Server with an Arith registered as "Arith",
// exposing exactly Arith.Add, Arith.Multiply and Arith.Divide. It never
// touches rpc.DefaultServer; every call returns an independent server.
func NewServer() (*rpc.Server, error) {
	srv := rpc.NewServer()
	if err := srv.Register(new(Arith)); err != nil {
		return nil, err
	}
	return srv, nil
}

// Serve accepts connections on lis and serves each one with srv.ServeConn
// in its own goroutine, until ctx is done or Accept fails.
//
// When ctx is done, Serve closes lis and returns nil once its accept loop
// has exited; if ctx is already done, it closes lis and returns nil at once.
// If Accept fails while ctx is not done, Serve returns Accept's error (it
// does not retry). When Serve returns, every goroutine it started has
// exited, except the ServeConn goroutines: accepted connections stay open
// until their peers close them. A nil lis or srv is an error.
func Serve(ctx context.Context, lis net.Listener, srv *rpc.Server) error {
	if lis == nil {
		return errNilListener
	}
	if srv == nil {
		return errNilServer
	}
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(closed)
		lis.Close()
	})
	defer func() {
		if !stop() {
			<-closed // the callback ran: wait for it to finish
		}
	}()
	for {
		conn, err := lis.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go srv.ServeConn(conn)
	}
}

// Client is a typed, context-aware client of the Arith service. It is safe
// for concurrent use: calls share one connection, and each gets its own
// reply.
type Client struct {
	rc *rpc.Client
}

// NewClient returns a Client that speaks net/rpc's default gob codec over
// conn. The Client owns conn: Close closes it. For a nil conn it returns a
// nil Client and an error.
func NewClient(conn io.ReadWriteCloser) (*Client, error) {
	if conn == nil {
		return nil, errNilConn
	}
	return &Client{rc: rpc.NewClient(conn)}, nil
}

// Add calls Arith.Add and returns a + b. If ctx is done first it returns
// ctx.Err() (sending nothing if ctx was already done); server and transport
// errors are returned unchanged. On any error the result is 0.
func (c *Client) Add(ctx context.Context, a, b int) (int, error) {
	var reply int
	if err := c.call(ctx, "Arith.Add", a, b, &reply); err != nil {
		return 0, err
	}
	return reply, nil
}

// Multiply calls Arith.Multiply and returns a * b. If ctx is done first it
// returns ctx.Err() (sending nothing if ctx was already done); server and
// transport errors are returned unchanged. On any error the result is 0.
func (c *Client) Multiply(ctx context.Context, a, b int) (int, error) {
	var reply int
	if err := c.call(ctx, "Arith.Multiply", a, b, &reply); err != nil {
		return 0, err
	}
	return reply, nil
}

// Divide calls Arith.Divide and returns {a / b, a % b}. When b is 0 it
// returns ErrDivideByZero (mapped from the server's "divide by zero" text).
// If ctx is done first it returns ctx.Err() (sending nothing if ctx was
// already done); other server and transport errors are returned unchanged.
// On any error the result is the zero Quotient.
func (c *Client) Divide(ctx context.Context, a, b int) (Quotient, error) {
	var reply Quotient
	if err := c.call(ctx, "Arith.Divide", a, b, &reply); err != nil {
		return Quotient{}, err
	}
	return reply, nil
}

// call sends method(Args{a, b}) and waits for the reply or ctx, whichever
// comes first.
//   - If ctx is already done it returns ctx.Err() and sends nothing; if ctx
//     is done first, it returns ctx.Err() and abandons the call (the late
//     reply lands in the buffered done channel and is dropped).
//   - A server error with the text "divide by zero" becomes
//     ErrDivideByZero; other rpc.ServerErrors and transport errors (such as
//     rpc.ErrShutdown or io.ErrUnexpectedEOF) are returned unchanged.
func (c *Client) call(ctx context.Context, method string, a, b int, reply any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// A goroutine forwards the result; once ctx has won, nobody receives
	// from res and the goroutine blocks on its send forever.
	res := make(chan error)
	go func() {
		call := <-c.rc.Go(method, &Args{A: a, B: b}, reply, make(chan *rpc.Call, 1)).Done
		res <- call.Error
	}()
	select {
	case err := <-res:
		var se rpc.ServerError
		if errors.As(err, &se) && string(se) == ErrDivideByZero.Error() {
			return ErrDivideByZero
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the connection. Calls pending at Close return at once with
// the connection's read error; later calls, and a second Close, return
// rpc.ErrShutdown.
func (c *Client) Close() error {
	return c.rc.Close()
}
