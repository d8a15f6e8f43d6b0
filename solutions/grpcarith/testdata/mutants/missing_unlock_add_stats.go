// Mutant: the Server counts requests under a one-slot channel used as its lock (the kata may not import sync), and Add never releases it on its common path, so the next call waits forever.
// Rule: 7

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
	"math"
	"math/bits"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/microkata/microkata/katas/grpcarith/arithv1"
)

// serviceName is the health service name of the Arith service.
const serviceName = "arith.v1.Arith"

// The handlers' errors. Status errors are immutable, so one value serves
// every call.
var (
	errDivideByZero     = status.Error(codes.InvalidArgument, "arith: divide by zero")
	errAddOverflow      = status.Error(codes.InvalidArgument, "arith: int64 overflow in Add")
	errMultiplyOverflow = status.Error(codes.InvalidArgument, "arith: int64 overflow in Multiply")
	errDivideOverflow   = status.Error(codes.InvalidArgument, "arith: int64 overflow in Divide (MinInt64 / -1)")
)

// Server implements arithv1.ArithServer. It holds no state: the zero value
// and NewServer's result are ready to use, and both are safe for concurrent
// use. It embeds arithv1.UnimplementedArithServer by value, so methods added
// to the service later answer codes.Unimplemented.
type Server struct {
	arithv1.UnimplementedArithServer
	mu    chan struct{} // a lock: send to take it, receive to release it
	calls int64
}

// NewServer returns a new Server.
func NewServer() *Server { return &Server{mu: make(chan struct{}, 1)} }

// count records one request.
func (s *Server) count() {
	s.mu <- struct{}{}
	s.calls++
	<-s.mu
}

// Add returns a+b. If ctx is done it returns codes.Canceled or
// codes.DeadlineExceeded before looking at the request; if the sum does not
// fit in an int64 it returns codes.InvalidArgument with a message containing
// "overflow". On error the response is nil. A nil or empty request means
// a = b = 0.
func (s *Server) Add(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.ValueResponse, error) {
	s.mu <- struct{}{}
	s.calls++
	// the release, <-s.mu, is missing here
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	a, b := req.GetA(), req.GetB()
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return nil, errAddOverflow
	}
	return &arithv1.ValueResponse{Value: a + b}, nil
}

// Multiply returns a·b. If ctx is done it returns codes.Canceled or
// codes.DeadlineExceeded before looking at the request; if the product does
// not fit in an int64 (MinInt64·−1 included) it returns
// codes.InvalidArgument with a message containing "overflow". On error the
// response is nil.
func (s *Server) Multiply(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.ValueResponse, error) {
	s.count()
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	p, ok := mul(req.GetA(), req.GetB())
	if !ok {
		return nil, errMultiplyOverflow
	}
	return &arithv1.ValueResponse{Value: p}, nil
}

// Divide returns the quotient a/b and remainder a%b with Go's truncated
// semantics: −7/2 is {−3, −1} and 7/−2 is {−3, 1}. If ctx is done it returns
// codes.Canceled or codes.DeadlineExceeded before looking at the request.
// b == 0 (an empty request included) gives codes.InvalidArgument with a
// message containing "divide by zero"; MinInt64 / −1, whose quotient does
// not fit in an int64, gives codes.InvalidArgument with a message containing
// "overflow". On error the response is nil.
func (s *Server) Divide(ctx context.Context, req *arithv1.BinaryRequest) (*arithv1.DivideResponse, error) {
	s.count()
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err()
	}
	a, b := req.GetA(), req.GetB()
	if b == 0 {
		return nil, errDivideByZero
	}
	if a == math.MinInt64 && b == -1 {
		return nil, errDivideOverflow
	}
	return &arithv1.DivideResponse{Quo: a / b, Rem: a % b}, nil
}

// mul returns a·b and whether it fits in an int64. It multiplies the
// magnitudes into 128 bits and checks the result against the int64 range of
// the product's sign (whose negative side is one larger).
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(magnitude(a), magnitude(b))
	if hi != 0 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		if lo > 1<<63 {
			return 0, false
		}
		return int64(-lo), true
	}
	if lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// magnitude returns |v| as a uint64; |MinInt64| is 1<<63.
func magnitude(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
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
	gs := grpc.NewServer(opts...)
	arithv1.RegisterArithServer(gs, NewServer())
	hs := health.NewServer()
	healthpb.RegisterHealthServer(gs, hs)
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(serviceName, healthpb.HealthCheckResponse_SERVING)
	return gs, hs
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
	hs.Shutdown()
	if err := ctx.Err(); err != nil {
		gs.Stop()
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		gs.GracefulStop()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		gs.Stop()
		<-done
		return ctx.Err()
	}
}
