// Package grpcarith serves the arith.v1.Arith gRPC service (Add, Multiply,
// Divide on int64) next to the standard grpc.health.v1 health service, and
// shuts both down gracefully within a deadline.
//
// Three ideas carry the package.
//
// Status codes are the API. A gRPC handler's error reaches the client only
// as a code and a message: a plain Go error becomes codes.Unknown, which no
// client can act on. Every handler therefore returns status errors only:
// codes.InvalidArgument for a division by zero or an int64 overflow, and
// status.FromContextError(ctx.Err()) (Canceled or DeadlineExceeded) when the
// caller has gone away. A handler returns a response or an error, never both.
//
// Overflow is checked before it happens. a+b overflows exactly when b > 0
// and a > MaxInt64-b, or b < 0 and a < MinInt64-b; neither bound can itself
// overflow. a·b is computed on magnitudes with math/bits.Mul64, whose
// 128-bit product shows an overflow as a non-zero high word. MinInt64 / −1
// is the one division that overflows.
//
// Shutdown is ordered. First the health server reports NOT_SERVING, so load
// balancers and open Watch streams learn of it while connections are still
// up; then GracefulStop drains in-flight RPCs; if the caller's context ends
// first, Stop cuts every connection. The last step is not optional:
// GracefulStop never returns while a client holds a health Watch stream
// open (grpc/grpc-go#8776).
//
//	gs, hs := grpcarith.NewGRPCServer()
//	go gs.Serve(lis)
//	...
//	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
//	defer cancel()
//	err := grpcarith.Shutdown(ctx, gs, hs) // nil, or ctx.Err() if forced
package grpcarith

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/microkata/microkata/katas/grpcarith/arithv1"
)

// Server implements arithv1.ArithServer. It holds no state: the zero value
// and NewServer's result are ready to use, and both are safe for concurrent
// use. It embeds arithv1.UnimplementedArithServer by value, so methods added
// to the service later answer codes.Unimplemented.
type Server struct {
	arithv1.UnimplementedArithServer
}

// NewServer returns a new Server.
func NewServer() *Server {
	panic("not implemented")
}

// Add returns a+b. If ctx is done it returns codes.Canceled or
// codes.DeadlineExceeded before looking at the request; if the sum does not
// fit in an int64 it returns codes.InvalidArgument with a message containing
// "overflow". On error the response is nil. A nil or empty request means
// a = b = 0.
func (s *Server) Add(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.ValueResponse, error) {
	panic("not implemented")
}

// Multiply returns a·b. If ctx is done it returns codes.Canceled or
// codes.DeadlineExceeded before looking at the request; if the product does
// not fit in an int64 (MinInt64·−1 included) it returns
// codes.InvalidArgument with a message containing "overflow". On error the
// response is nil.
func (s *Server) Multiply(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.ValueResponse, error) {
	panic("not implemented")
}

// Divide returns the quotient a/b and remainder a%b with Go's truncated
// semantics: −7/2 is {−3, −1} and 7/−2 is {−3, 1}. If ctx is done it returns
// codes.Canceled or codes.DeadlineExceeded before looking at the request.
// b == 0 (an empty request included) gives codes.InvalidArgument with a
// message containing "divide by zero"; MinInt64 / −1, whose quotient does
// not fit in an int64, gives codes.InvalidArgument with a message containing
// "overflow". On error the response is nil.
func (s *Server) Divide(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.DivideResponse, error) {
	panic("not implemented")
}

// NewGRPCServer returns a new grpc.Server, built with grpc.NewServer(opts...)
// so that every option (interceptors, limits, credentials) applies, with a
// new Server registered as arith.v1.Arith and a new health.Server registered
// as grpc.health.v1.Health. Both "" (the whole server) and "arith.v1.Arith"
// report SERVING; any other name is unknown to Check (codes.NotFound).
//
// It does not serve: the caller runs gs.Serve(lis). Every call returns
// independent servers. Stop them with Shutdown.
func NewGRPCServer(opts ...grpc.ServerOption) (*grpc.Server, *health.Server) {
	panic("not implemented")
}

// Shutdown stops the pair that NewGRPCServer returned, gracefully if ctx
// allows. It first calls hs.Shutdown, so every service reports NOT_SERVING
// (open Watch streams receive it, later SetServingStatus calls are ignored),
// then gs.GracefulStop, which refuses new RPCs and waits for in-flight ones.
// If that finishes before ctx is done, Shutdown returns nil. Otherwise, when
// ctx is done, it calls gs.Stop, which closes every connection and cancels
// in-flight RPCs and open streams (clients see codes.Unavailable), waits for
// GracefulStop to return, and returns ctx.Err(). A ctx that is already done
// forces the stop at once.
//
// A deadline is needed in practice: GracefulStop never returns while a
// client holds a health Watch stream open (grpc/grpc-go#8776). Shutdown
// returns only after the server has stopped, and leaves no goroutine behind.
func Shutdown(ctx context.Context, gs *grpc.Server, hs *health.Server) error {
	panic("not implemented")
}
