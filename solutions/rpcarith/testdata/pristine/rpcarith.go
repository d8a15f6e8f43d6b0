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

// Arith is the service registered by NewServer under the name "Arith". It
// holds no state; its methods are safe for concurrent use and never panic
// for non-nil arguments.
type Arith struct{}

// Add sets *reply to A + B. Overflow wraps around as Go's int arithmetic
// does (MaxInt + 1 == MinInt); it is not an error. Add always returns nil.
func (*Arith) Add(args *Args, reply *int) error {
	panic("not implemented")
}

// Multiply sets *reply to A * B. Overflow wraps around as Go's int
// arithmetic does (MaxInt * 2 == -2); it is not an error. Multiply always
// returns nil.
func (*Arith) Multiply(args *Args, reply *int) error {
	panic("not implemented")
}

// Divide sets *quo to {A / B, A % B}: the quotient is truncated toward zero
// and the remainder has the sign of A (-7/2 is {-3, -1}). MinInt / -1 is
// {MinInt, 0}, without a panic. When B is 0, Divide returns ErrDivideByZero
// and leaves *quo unchanged.
func (*Arith) Divide(args *Args, quo *Quotient) error {
	panic("not implemented")
}

// NewServer returns a new rpc.Server with an Arith registered as "Arith",
// exposing exactly Arith.Add, Arith.Multiply and Arith.Divide. It never
// touches rpc.DefaultServer; every call returns an independent server.
func NewServer() (*rpc.Server, error) {
	panic("not implemented")
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
	panic("not implemented")
}

// Client is a typed, context-aware client of the Arith service. It is safe
// for concurrent use: calls share one connection, and each gets its own
// reply.
type Client struct {
	// your fields here
}

// NewClient returns a Client that speaks net/rpc's default gob codec over
// conn. The Client owns conn: Close closes it. For a nil conn it returns a
// nil Client and an error.
func NewClient(conn io.ReadWriteCloser) (*Client, error) {
	panic("not implemented")
}

// Add calls Arith.Add and returns a + b. If ctx is done first it returns
// ctx.Err() (sending nothing if ctx was already done); server and transport
// errors are returned unchanged. On any error the result is 0.
func (c *Client) Add(ctx context.Context, a, b int) (int, error) {
	panic("not implemented")
}

// Multiply calls Arith.Multiply and returns a * b. If ctx is done first it
// returns ctx.Err() (sending nothing if ctx was already done); server and
// transport errors are returned unchanged. On any error the result is 0.
func (c *Client) Multiply(ctx context.Context, a, b int) (int, error) {
	panic("not implemented")
}

// Divide calls Arith.Divide and returns {a / b, a % b}. When b is 0 it
// returns ErrDivideByZero (mapped from the server's "divide by zero" text).
// If ctx is done first it returns ctx.Err() (sending nothing if ctx was
// already done); other server and transport errors are returned unchanged.
// On any error the result is the zero Quotient.
func (c *Client) Divide(ctx context.Context, a, b int) (Quotient, error) {
	panic("not implemented")
}

// Close closes the connection. Calls pending at Close return at once with
// the connection's read error; later calls, and a second Close, return
// rpc.ErrShutdown.
func (c *Client) Close() error {
	panic("not implemented")
}
