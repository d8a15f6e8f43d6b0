package grpcarith_test

import (
	"context"
	"math"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/microkata/microkata/katas/grpcarith"
	"github.com/microkata/microkata/katas/grpcarith/arithv1"
)

// testServer is a NewGRPCServer pair served over an in-memory bufconn
// listener, with one client connection to it. bufconn blocks on channels and
// sync.Cond, so it runs on a synctest bubble's virtual time.
type testServer struct {
	gs     *grpc.Server
	hs     *health.Server
	cc     *grpc.ClientConn
	arith  arithv1.ArithClient
	health healthpb.HealthClient
	served chan error // receives gs.Serve's result
}

// startServer builds a server with NewGRPCServer(opts...), serves it on a
// bufconn listener and dials it. Call it inside the bubble, and end the
// bubble with stop.
func startServer(t *testing.T, opts ...grpc.ServerOption) *testServer {
	t.Helper()
	gs, hs := grpcarith.NewGRPCServer(opts...)
	require.NotNil(t, gs, "NewGRPCServer returned a nil *grpc.Server")
	require.NotNil(t, hs, "NewGRPCServer returned a nil *health.Server")
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err, "grpc.NewClient")
	return &testServer{
		gs: gs, hs: hs, cc: cc, served: served,
		arith:  arithv1.NewArithClient(cc),
		health: healthpb.NewHealthClient(cc),
	}
}

// stop closes the client connection, stops the server and waits for Serve
// to return, so that no goroutine outlives the bubble.
func (s *testServer) stop() {
	s.cc.Close()
	s.gs.Stop()
	<-s.served
}

func req(a, b int64) *arithv1.BinaryRequest { return &arithv1.BinaryRequest{A: a, B: b} }

// TestAddMultiplyDivide calls the three methods over the wire (G3, G4):
// exact results, and division truncated toward zero as Go's / and % do.
func TestAddMultiplyDivide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t)
		defer s.stop()
		ctx := context.Background()

		sums := []struct{ a, b, want int64 }{
			{2, 3, 5},
			{-2, -3, -5},
			{math.MaxInt64, math.MinInt64, -1},
			{math.MaxInt64, 0, math.MaxInt64},
		}
		for _, tt := range sums {
			resp, err := s.arith.Add(ctx, req(tt.a, tt.b))
			require.NoError(t, err, "Add(%d, %d)", tt.a, tt.b)
			assert.Equal(t, tt.want, resp.GetValue(), "Add(%d, %d)", tt.a, tt.b)
		}

		products := []struct{ a, b, want int64 }{
			{6, 7, 42},
			{-3, 4, -12},
			{-3, -4, 12},
			{0, math.MinInt64, 0},
		}
		for _, tt := range products {
			resp, err := s.arith.Multiply(ctx, req(tt.a, tt.b))
			require.NoError(t, err, "Multiply(%d, %d)", tt.a, tt.b)
			assert.Equal(t, tt.want, resp.GetValue(), "Multiply(%d, %d)", tt.a, tt.b)
		}

		quotients := []struct{ a, b, quo, rem int64 }{
			{7, 2, 3, 1},
			{-7, 2, -3, -1},
			{7, -2, -3, 1},
			{-7, -2, 3, -1},
			{6, 3, 2, 0},
		}
		for _, tt := range quotients {
			resp, err := s.arith.Divide(ctx, req(tt.a, tt.b))
			require.NoError(t, err, "Divide(%d, %d)", tt.a, tt.b)
			assert.Equal(t, tt.quo, resp.GetQuo(), "Divide(%d, %d) quotient", tt.a, tt.b)
			assert.Equal(t, tt.rem, resp.GetRem(), "Divide(%d, %d) remainder", tt.a, tt.b)
		}
	})
}

// TestDivideByZeroInvalidArgument checks the status a client gets for a
// division by zero (G4, G6).
func TestDivideByZeroInvalidArgument(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t)
		defer s.stop()

		resp, err := s.arith.Divide(context.Background(), req(1, 0))
		assert.Nil(t, resp, "Divide(1, 0) response")
		assertInvalidArgument(t, err, "divide by zero", "Divide(1, 0)")
	})
}

// TestAddOverflowInvalidArgument checks that an Add whose sum does not fit
// in an int64 fails instead of wrapping around (G3).
func TestAddOverflowInvalidArgument(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t)
		defer s.stop()

		resp, err := s.arith.Add(context.Background(), req(math.MaxInt64, 1))
		assert.Nil(t, resp, "Add(MaxInt64, 1) response")
		assertInvalidArgument(t, err, "overflow", "Add(MaxInt64, 1)")
	})
}

// assertInvalidArgument checks that err is a gRPC status error with
// codes.InvalidArgument and a message containing want.
func assertInvalidArgument(t *testing.T, err error, want, call string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "%s: %v is not a status error", call, err)
	assert.Equal(t, codes.InvalidArgument, st.Code(), "%s code (message %q)", call, st.Message())
	assert.Contains(t, st.Message(), want, "%s message", call)
}

// TestHealthServing checks the health service over the wire: the server as
// a whole ("") and the Arith service are SERVING (G8, G9).
func TestHealthServing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t)
		defer s.stop()

		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "Check(%q)", name)
		}
	})
}

// TestShutdownIdle shuts down a server with no RPC in flight (G10): Shutdown
// returns nil at once, health reports NOT_SERVING, Serve has returned, and a
// new RPC fails with Unavailable.
func TestShutdownIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t)
		defer s.stop()
		ctx := context.Background()
		_, err := s.arith.Add(ctx, req(1, 1))
		require.NoError(t, err, "Add before Shutdown")

		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		require.NoError(t, grpcarith.Shutdown(ctx, s.gs, s.hs), "Shutdown of an idle server")
		assert.Equal(t, time.Duration(0), time.Since(start), "Shutdown of an idle server took virtual time")

		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.hs.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "hs.Check(%q) after Shutdown", name)
			assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus(), "hs.Check(%q) after Shutdown", name)
		}
		synctest.Wait() // let the Serve goroutine deliver its result
		select {
		case err := <-s.served:
			assert.NoError(t, err, "gs.Serve after Shutdown")
			s.served <- err // for stop
		default:
			t.Error("gs.Serve is still running after Shutdown returned")
		}

		_, err = s.arith.Add(context.Background(), req(1, 1))
		assert.Equal(t, codes.Unavailable, status.Code(err), "Add after Shutdown: %v", err)
	})
}

// benchConn serves NewGRPCServer() over bufconn, outside any bubble, and
// returns a client connection to it; both are closed when b ends.
func benchConn(b *testing.B) *grpc.ClientConn {
	b.Helper()
	gs, hs := grpcarith.NewGRPCServer()
	lis := bufconn.Listen(1 << 20)
	go gs.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(b, err)
	b.Cleanup(func() {
		cc.Close()
		grpcarith.Shutdown(context.Background(), gs, hs)
	})
	return cc
}

// BenchmarkAddBufconn measures one unary Add over bufconn at a time, on one
// ClientConn.
func BenchmarkAddBufconn(b *testing.B) {
	c := arithv1.NewArithClient(benchConn(b))
	ctx := context.Background()
	r := req(40, 2)
	for b.Loop() {
		resp, err := c.Add(ctx, r)
		if err != nil || resp.GetValue() != 42 {
			b.Fatalf("Add(40, 2) = %v, %v", resp, err)
		}
	}
}

// BenchmarkHealthCheckBufconn measures one health Check over bufconn: no
// kata code runs per call, so this is the transport's own cost on this
// machine, the yardstick for BenchmarkAddBufconn.
func BenchmarkHealthCheckBufconn(b *testing.B) {
	c := healthpb.NewHealthClient(benchConn(b))
	ctx := context.Background()
	r := &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"}
	for b.Loop() {
		resp, err := c.Check(ctx, r)
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			b.Fatalf("Check = %v, %v", resp, err)
		}
	}
}

// BenchmarkDivideDirect measures a direct call of the Divide handler.
func BenchmarkDivideDirect(b *testing.B) {
	s := grpcarith.NewServer()
	ctx := context.Background()
	r := req(-7, 2)
	var resp *arithv1.DivideResponse
	var err error
	for b.Loop() {
		resp, err = s.Divide(ctx, r)
	}
	if err != nil || resp.GetQuo() != -3 || resp.GetRem() != -1 {
		b.Fatalf("Divide(-7, 2) = %v, %v", resp, err)
	}
}
