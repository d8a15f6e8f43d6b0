package grpcarith_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/microkata/microkata/internal/katatest"
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

// panicked is the start of the message of the status error that a
// handlerWatch returns for a handler that panicked.
const panicked = "the handler panicked: "

// handlerWatch is an interceptor that startServer installs: it turns a
// panic in a handler into a status error naming the panic value (an
// unrecovered panic in a handler ends the whole test binary), and it keeps
// the handler calls in progress, so that a test stuck in an RPC says which
// handler never returned.
type handlerWatch struct {
	mu    sync.Mutex
	next  int
	calls map[int]string
}

// watchHandlers returns a handlerWatch for startServer and arms a timer that
// panics, after 4 s of real time, naming the handler calls still running.
// Call it outside the bubble (a timer made in a bubble runs on virtual
// time); it never fires in a passing run.
func watchHandlers(t *testing.T) *handlerWatch {
	w := &handlerWatch{calls: map[int]string{}}
	name := t.Name()
	timer := time.AfterFunc(4*time.Second, func() {
		w.mu.Lock()
		var running []string
		for _, c := range w.calls {
			running = append(running, c)
		}
		w.mu.Unlock()
		if len(running) > 0 {
			sort.Strings(running)
			panic(fmt.Sprintf("%s: still running after 4s of real time: the handler call %s has not returned: does it wait for something that never comes (a lock that is never released)?",
				name, strings.Join(running, ", ")))
		}
	})
	t.Cleanup(func() { timer.Stop() })
	return w
}

// intercept is the grpc.UnaryServerInterceptor of w.
func (w *handlerWatch) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	call := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	switch r := req.(type) {
	case *arithv1.BinaryRequest:
		call += "(" + args(r.GetA(), r.GetB()) + ")"
	case *healthpb.HealthCheckRequest:
		call = fmt.Sprintf("health %s(%q)", call, r.GetService())
	}
	w.mu.Lock()
	id := w.next
	w.next++
	w.calls[id] = call
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.calls, id)
		w.mu.Unlock()
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r) // the stub
			}
			resp, err = nil, status.Errorf(codes.Internal, "%s%v", panicked, r)
		}
	}()
	return handler(ctx, req)
}

// startServer builds a server with NewGRPCServer(opts...) and w's
// interceptor, serves it on a bufconn listener and dials it. Call it inside
// the bubble, and end the bubble with stop.
func startServer(t *testing.T, w *handlerWatch, opts ...grpc.ServerOption) *testServer {
	t.Helper()
	var gs *grpc.Server
	var hs *health.Server
	func() {
		defer func() {
			if r := recover(); r != nil {
				if r == "not implemented" {
					panic(r) // the stub
				}
				t.Fatalf("NewGRPCServer(opts...) panicked: %v", r)
			}
		}()
		gs, hs = grpcarith.NewGRPCServer(append([]grpc.ServerOption{grpc.ChainUnaryInterceptor(w.intercept)}, opts...)...)
	}()
	require.NotNil(t, gs, "NewGRPCServer(opts...) returned a nil *grpc.Server")
	require.NotNil(t, hs, "NewGRPCServer(opts...) returned a nil *health.Server")
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

// num prints v in decimal, or by name at the int64 extremes.
func num(v int64) string {
	switch v {
	case math.MaxInt64:
		return "math.MaxInt64"
	case math.MinInt64:
		return "math.MinInt64"
	}
	return fmt.Sprint(v)
}

// args prints a request's operands as the README writes them.
func args(a, b int64) string { return fmt.Sprintf("{A: %s, B: %s}", num(a), num(b)) }

// describe prints err as the client sees it: a gRPC status by code name and
// message, a panic in the handler, or <nil>.
func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Sprintf("%q (%T, not a gRPC status error)", err.Error(), err)
	}
	if msg, ok := strings.CutPrefix(st.Message(), panicked); ok && st.Code() == codes.Internal {
		return "a panic in the handler: " + msg
	}
	return fmt.Sprintf("%v %q", st.Code(), st.Message())
}

// TestAddMultiplyDivide calls the three methods over the wire (G3, G4):
// exact results, and division truncated toward zero as Go's / and % do.
func TestAddMultiplyDivide(t *testing.T) {
	katatest.Guard(t)
	w := watchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t, w)
		defer s.stop()
		ctx := context.Background()

		values := []struct {
			op      string
			a, b, v int64
		}{
			{"Add", 2, 3, 5},
			{"Add", -2, -3, -5},
			{"Add", math.MaxInt64, math.MinInt64, -1},
			{"Add", math.MaxInt64, 0, math.MaxInt64},
			{"Multiply", 6, 7, 42},
			{"Multiply", -3, 4, -12},
			{"Multiply", -3, -4, 12},
			{"Multiply", 0, math.MinInt64, 0},
		}
		for _, tt := range values {
			call := tt.op + "(" + args(tt.a, tt.b) + ")"
			f := s.arith.Add
			if tt.op == "Multiply" {
				f = s.arith.Multiply
			}
			resp, err := f(ctx, req(tt.a, tt.b))
			if err != nil || resp.GetValue() != tt.v {
				t.Errorf("%s over bufconn = {Value: %s}, error %s; want {Value: %s}, error <nil>", call, num(resp.GetValue()), describe(err), num(tt.v))
			}
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
			if err != nil || resp.GetQuo() != tt.quo || resp.GetRem() != tt.rem {
				t.Errorf("Divide(%s) over bufconn = {Quo: %d, Rem: %d}, error %s; want {Quo: %d, Rem: %d}, error <nil>",
					args(tt.a, tt.b), resp.GetQuo(), resp.GetRem(), describe(err), tt.quo, tt.rem)
			}
		}
	})
}

// TestDivideByZeroInvalidArgument checks the status a client gets for a
// division by zero (G4, G6).
func TestDivideByZeroInvalidArgument(t *testing.T) {
	katatest.Guard(t)
	w := watchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t, w)
		defer s.stop()

		resp, err := s.arith.Divide(context.Background(), req(1, 0))
		checkInvalidArgument(t, "Divide({A: 1, B: 0}) over bufconn", resp != nil, err, "divide by zero")
	})
}

// TestAddOverflowInvalidArgument checks that an Add whose sum does not fit
// in an int64 fails instead of wrapping around (G3).
func TestAddOverflowInvalidArgument(t *testing.T) {
	katatest.Guard(t)
	w := watchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t, w)
		defer s.stop()

		resp, err := s.arith.Add(context.Background(), req(math.MaxInt64, 1))
		checkInvalidArgument(t, "Add({A: math.MaxInt64, B: 1}) over bufconn", resp != nil, err, "overflow")
	})
}

// checkInvalidArgument checks that a call returned no response and a
// status error with codes.InvalidArgument and a message containing want.
func checkInvalidArgument(t *testing.T, call string, gotResp bool, err error, want string) {
	t.Helper()
	st, ok := status.FromError(err)
	if err == nil || !ok || st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), want) {
		t.Errorf("%s = error %s; want InvalidArgument with a message containing %q", call, describe(err), want)
	}
	if gotResp {
		t.Errorf("%s returned a response; want none with the error", call)
	}
}

// TestHealthServing checks the health service over the wire: the server as
// a whole ("") and the Arith service are SERVING (G8, G9).
func TestHealthServing(t *testing.T) {
	katatest.Guard(t)
	w := watchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t, w)
		defer s.stop()

		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.health.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health Check(%q) over bufconn after NewGRPCServer() = %v, error %s; want SERVING, error <nil>", name, resp.GetStatus(), describe(err))
			}
		}
	})
}

// TestShutdownIdle shuts down a server with no RPC in flight (G10): Shutdown
// returns nil at once, health reports NOT_SERVING, Serve has returned, and a
// new RPC fails with Unavailable.
func TestShutdownIdle(t *testing.T) {
	katatest.Guard(t)
	w := watchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := startServer(t, w)
		defer s.stop()
		ctx := context.Background()
		_, err := s.arith.Add(ctx, req(1, 1))
		require.NoError(t, err, "Add({A: 1, B: 1}) before Shutdown")

		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := grpcarith.Shutdown(ctx, s.gs, s.hs); err != nil {
			t.Errorf("Shutdown(ctx with a 5s timeout, gs, hs) of an idle server = %v, want <nil>", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Shutdown(ctx with a 5s timeout, gs, hs) of an idle server returned after %v of virtual time, want at once", d)
		}

		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.hs.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
				t.Errorf("hs.Check(%q) after Shutdown = %v, error %s; want NOT_SERVING, error <nil>", name, resp.GetStatus(), describe(err))
			}
		}
		synctest.Wait() // let the Serve goroutine deliver its result
		select {
		case err := <-s.served:
			if err != nil {
				t.Errorf("gs.Serve(lis) after Shutdown = %v, want <nil>", err)
			}
			s.served <- err // for stop
		default:
			t.Error("gs.Serve(lis) is still running after Shutdown returned")
		}

		_, err = s.arith.Add(context.Background(), req(1, 1))
		if status.Code(err) != codes.Unavailable {
			t.Errorf("Add({A: 1, B: 1}) after Shutdown = error %s, want Unavailable", describe(err))
		}
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
			b.Fatalf("Add({A: 40, B: 2}) = %v, %s", resp, describe(err))
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
			b.Fatalf("Check(%q) = %v, %s", r.GetService(), resp.GetStatus(), describe(err))
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
		b.Fatalf("Divide({A: -7, B: 2}) = {Quo: %d, Rem: %d}, %s", resp.GetQuo(), resp.GetRem(), describe(err))
	}
}
