//go:build microkata_hidden

package grpcarith_test

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"net"
	"sync"
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

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/grpcarith"
	"github.com/microkata/microkata/katas/grpcarith/arithv1"
)

// hServer is a NewGRPCServer pair served over bufconn with one client.
type hServer struct {
	gs     *grpc.Server
	hs     *health.Server
	cc     *grpc.ClientConn
	arith  arithv1.ArithClient
	health healthpb.HealthClient
	served chan error
}

// hStart serves NewGRPCServer(opts...) on a bufconn listener and dials it.
// Call it inside the bubble (or outside for a non-bubble test).
func hStart(t *testing.T, opts ...grpc.ServerOption) *hServer {
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
	return &hServer{gs: gs, hs: hs, cc: cc, served: served,
		arith: arithv1.NewArithClient(cc), health: healthpb.NewHealthClient(cc)}
}

// hStop closes the client, stops the server and waits for Serve to return.
func (s *hServer) hStop() {
	s.cc.Close()
	s.gs.Stop()
	err := <-s.served
	s.served <- err
}

func hReq(a, b int64) *arithv1.BinaryRequest { return &arithv1.BinaryRequest{A: a, B: b} }

// hStatus returns err's status code and message, failing t if err is not a
// status error.
func hStatus(t *testing.T, err error, what string) (codes.Code, string) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "%s: %v (%T) is not a status error", what, err, err)
	return st.Code(), st.Message()
}

// hCall calls the named handler directly and returns its result as
// (value or quo, rem, error, whether the response was non-nil).
func hCall(s *grpcarith.Server, ctx context.Context, op string, a, b int64) (v, rem int64, err error, gotResp bool) {
	switch op {
	case "Add":
		r, err := s.Add(ctx, hReq(a, b))
		return r.GetValue(), 0, err, r != nil
	case "Multiply":
		r, err := s.Multiply(ctx, hReq(a, b))
		return r.GetValue(), 0, err, r != nil
	default:
		r, err := s.Divide(ctx, hReq(a, b))
		return r.GetQuo(), r.GetRem(), err, r != nil
	}
}

// TestHiddenDirectHandlers calls the handlers without a network: signs,
// zero, ±1 and in-range values at the int64 edges (G3, G4).
//
// Category: boundary
func TestHiddenDirectHandlers(t *testing.T) {
	const minI, maxI = math.MinInt64, math.MaxInt64
	s := grpcarith.NewServer()
	ctx := context.Background()
	tests := []struct {
		op     string
		a, b   int64
		v, rem int64
	}{
		{"Add", 0, 0, 0, 0},
		{"Add", -5, 3, -2, 0},
		{"Add", minI, 0, minI, 0},
		{"Add", minI, maxI, -1, 0},
		{"Add", maxI - 1, 1, maxI, 0},
		{"Add", minI + 1, -1, minI, 0},
		{"Multiply", maxI, 1, maxI, 0},
		{"Multiply", minI, 1, minI, 0},
		{"Multiply", 1, minI, minI, 0},
		{"Multiply", maxI, -1, -maxI, 0},
		{"Multiply", -1, -1, 1, 0},
		{"Multiply", 1 << 62, -2, minI, 0},
		{"Multiply", -(1 << 31), 1 << 32, minI, 0},
		{"Multiply", -(1 << 31), 1 << 31, -(1 << 62), 0},
		{"Multiply", 0, -7, 0, 0},
		{"Divide", minI, 1, minI, 0},
		{"Divide", minI, 2, minI / 2, 0},
		{"Divide", minI, -2, 1 << 62, 0},
		{"Divide", maxI, -1, -maxI, 0},
		{"Divide", maxI, 2, 4611686018427387903, 1},
		{"Divide", minI + 1, 2, -4611686018427387903, -1},
		{"Divide", -7, 2, -3, -1},
		{"Divide", 7, -2, -3, 1},
		{"Divide", -7, -2, 3, -1},
		{"Divide", 3, 7, 0, 3},
		{"Divide", -3, 7, 0, -3},
		{"Divide", 0, -5, 0, 0},
	}
	for _, tt := range tests {
		v, rem, err, _ := hCall(s, ctx, tt.op, tt.a, tt.b)
		require.NoError(t, err, "%s(%d, %d)", tt.op, tt.a, tt.b)
		assert.Equal(t, tt.v, v, "%s(%d, %d)", tt.op, tt.a, tt.b)
		assert.Equal(t, tt.rem, rem, "%s(%d, %d) remainder", tt.op, tt.a, tt.b)
	}
}

// TestHiddenOverflowMatrix runs every ordered pair of a set of edge values
// through all three handlers and compares with math/big: in range → the
// exact value; out of range → InvalidArgument mentioning "overflow"; b == 0
// → InvalidArgument mentioning "divide by zero". No response comes with an
// error (G3, G4, G6).
//
// Category: differential
func TestHiddenOverflowMatrix(t *testing.T) {
	vals := []int64{math.MinInt64, math.MinInt64 + 1, -(1 << 32) - 1, -(1 << 31), -3, -2, -1, 0,
		1, 2, 3, 1 << 31, 1<<32 + 1, math.MaxInt64 - 1, math.MaxInt64}
	minB, maxB := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	fits := func(x *big.Int) bool { return x.Cmp(minB) >= 0 && x.Cmp(maxB) <= 0 }
	s := grpcarith.NewServer()
	ctx := context.Background()
	for _, a := range vals {
		for _, b := range vals {
			A, B := big.NewInt(a), big.NewInt(b)
			for _, op := range []string{"Add", "Multiply", "Divide"} {
				var want, wantRem *big.Int
				wantMsg := "overflow"
				switch op {
				case "Add":
					want = new(big.Int).Add(A, B)
				case "Multiply":
					want = new(big.Int).Mul(A, B)
				default:
					if b == 0 {
						wantMsg = "divide by zero"
					} else {
						want, wantRem = new(big.Int).QuoRem(A, B, new(big.Int))
					}
				}
				v, rem, err, gotResp := hCall(s, ctx, op, a, b)
				if want != nil && fits(want) {
					require.NoError(t, err, "%s(%d, %d)", op, a, b)
					require.Equal(t, want.Int64(), v, "%s(%d, %d)", op, a, b)
					if wantRem != nil {
						require.Equal(t, wantRem.Int64(), rem, "%s(%d, %d) remainder", op, a, b)
					}
					continue
				}
				code, msg := hStatus(t, err, op+" out of range")
				require.Equal(t, codes.InvalidArgument, code, "%s(%d, %d) code (message %q)", op, a, b, msg)
				require.Contains(t, msg, wantMsg, "%s(%d, %d) message", op, a, b)
				require.False(t, gotResp, "%s(%d, %d) returned a response with its error", op, a, b)
			}
		}
	}
}

// TestHiddenDivisionMatchesGo compares Divide with Go's / and % on 10 000
// pairs of random bit length and sign (G4).
//
// Category: differential
func TestHiddenDivisionMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	operand := func() int64 {
		bits := 1 + r.IntN(64)
		v := int64(r.Uint64() >> (64 - bits))
		if r.IntN(2) == 0 {
			v = -v
		}
		return v
	}
	s := grpcarith.NewServer()
	ctx := context.Background()
	for range 10_000 {
		a, b := operand(), operand()
		if b == 0 || (a == math.MinInt64 && b == -1) {
			b = 3
		}
		resp, err := s.Divide(ctx, hReq(a, b))
		require.NoError(t, err, "Divide(%d, %d)", a, b)
		require.Equal(t, a/b, resp.GetQuo(), "Divide(%d, %d) quotient", a, b)
		require.Equal(t, a%b, resp.GetRem(), "Divide(%d, %d) remainder", a, b)
	}
}

// TestHiddenEmptyRequest sends empty requests over the wire: a = b = 0, so
// Add and Multiply give 0 and Divide is a division by zero (G4).
//
// Category: boundary
func TestHiddenEmptyRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		ctx := context.Background()
		sum, err := s.arith.Add(ctx, &arithv1.BinaryRequest{})
		require.NoError(t, err, "Add of an empty request")
		assert.Equal(t, int64(0), sum.GetValue(), "Add of an empty request")
		prod, err := s.arith.Multiply(ctx, &arithv1.BinaryRequest{})
		require.NoError(t, err, "Multiply of an empty request")
		assert.Equal(t, int64(0), prod.GetValue(), "Multiply of an empty request")
		_, err = s.arith.Divide(ctx, &arithv1.BinaryRequest{})
		code, msg := hStatus(t, err, "Divide of an empty request")
		assert.Equal(t, codes.InvalidArgument, code, "Divide of an empty request (message %q)", msg)
		assert.Contains(t, msg, "divide by zero", "Divide of an empty request")
	})
}

// TestHiddenContextDone calls the handlers directly with a cancelled ctx and
// with an expired deadline: Canceled and DeadlineExceeded, a nil response,
// and the ctx check comes before the argument checks (G5).
//
// Category: timing
func TestHiddenContextDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := grpcarith.NewServer()
		canceled, cancel := context.WithCancel(context.Background())
		cancel()
		expired, cancel2 := context.WithTimeout(context.Background(), time.Second)
		defer cancel2()
		time.Sleep(time.Second)
		synctest.Wait() // let the deadline timer cancel the ctx
		require.ErrorIs(t, expired.Err(), context.DeadlineExceeded)

		ctxs := []struct {
			name string
			ctx  context.Context
			want codes.Code
		}{
			{"cancelled", canceled, codes.Canceled},
			{"expired", expired, codes.DeadlineExceeded},
		}
		args := [][2]int64{{6, 3}, {1, 0}, {math.MaxInt64, math.MaxInt64}, {math.MinInt64, -1}}
		for _, c := range ctxs {
			for _, op := range []string{"Add", "Multiply", "Divide"} {
				for _, ab := range args {
					_, _, err, gotResp := hCall(s, c.ctx, op, ab[0], ab[1])
					code, msg := hStatus(t, err, op+" with a "+c.name+" ctx")
					assert.Equal(t, c.want, code, "%s(%d, %d) with a %s ctx (message %q)", op, ab[0], ab[1], c.name, msg)
					assert.False(t, gotResp, "%s(%d, %d) with a %s ctx returned a response", op, ab[0], ab[1], c.name)
				}
			}
		}
	})
}

// TestHiddenNoUnknownCodes checks every error path, called directly and
// over the wire: a status error whose code is neither OK nor Unknown, with a
// non-empty message and no response (G6).
//
// Category: behaviour
func TestHiddenNoUnknownCodes(t *testing.T) {
	type path struct {
		op   string
		a, b int64
	}
	paths := []path{
		{"Divide", 1, 0}, {"Divide", 0, 0}, {"Divide", math.MinInt64, -1},
		{"Add", math.MaxInt64, 1}, {"Add", math.MinInt64, -1},
		{"Multiply", math.MaxInt64, 2}, {"Multiply", math.MinInt64, -1}, {"Multiply", -1, math.MinInt64},
	}
	check := func(t *testing.T, err error, what string) {
		t.Helper()
		st, ok := status.FromError(err)
		if !assert.True(t, ok, "%s: %v (%T) is not a status error", what, err, err) {
			return
		}
		assert.NotEqual(t, codes.OK, st.Code(), "%s: code", what)
		assert.NotEqual(t, codes.Unknown, st.Code(), "%s: code (message %q)", what, st.Message())
		assert.NotEmpty(t, st.Message(), "%s: message", what)
	}
	synctest.Test(t, func(t *testing.T) {
		srv := grpcarith.NewServer()
		canceled, cancel := context.WithCancel(context.Background())
		cancel()
		expired, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel2()
		time.Sleep(time.Millisecond)
		synctest.Wait()
		require.ErrorIs(t, expired.Err(), context.DeadlineExceeded)
		for _, p := range append(paths, path{"Add", 1, 2}, path{"Multiply", 3, 4}, path{"Divide", 5, 6}) {
			for _, c := range []struct {
				name string
				ctx  context.Context
			}{{"background", context.Background()}, {"cancelled", canceled}, {"expired", expired}} {
				if c.name == "background" && (p.b == 2 || p.b == 4 || p.b == 6) {
					continue // no error path
				}
				what := p.op + " direct, " + c.name
				_, _, err, gotResp := hCall(srv, c.ctx, p.op, p.a, p.b)
				check(t, err, what)
				assert.False(t, gotResp, "%s(%d, %d): a response with the error", what, p.a, p.b)
			}
		}

		s := hStart(t)
		defer s.hStop()
		for _, p := range paths {
			var err error
			switch p.op {
			case "Add":
				_, err = s.arith.Add(context.Background(), hReq(p.a, p.b))
			case "Multiply":
				_, err = s.arith.Multiply(context.Background(), hReq(p.a, p.b))
			default:
				_, err = s.arith.Divide(context.Background(), hReq(p.a, p.b))
			}
			check(t, err, p.op+" over the wire")
		}
	})
}

// TestHiddenDeadlineOverTheWire holds Divide in an interceptor passed to
// NewGRPCServer until its ctx is done, then calls the handler: the client's
// 1s deadline gives DeadlineExceeded at exactly 1s, and the handler's error
// has the code that status.FromContextError gives for the ctx it saw (G5, G8).
//
// Category: timing
func TestHiddenDeadlineOverTheWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type result struct {
			resp    any
			err     error
			ctxCode codes.Code
		}
		results := make(chan result, 1)
		hold := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if info.FullMethod != arithv1.Arith_Divide_FullMethodName {
				return handler(ctx, req)
			}
			<-ctx.Done()
			resp, err := handler(ctx, req)
			results <- result{resp, err, status.FromContextError(ctx.Err()).Code()}
			return resp, err
		}
		s := hStart(t, grpc.UnaryInterceptor(hold))
		defer s.hStop()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := s.arith.Divide(ctx, hReq(7, 2))
		assert.Equal(t, codes.DeadlineExceeded, status.Code(err), "client's Divide with a 1s deadline: %v", err)
		assert.Equal(t, time.Second, time.Since(start), "the client's deadline fired at the wrong virtual time")

		select {
		case r := <-results:
			code, msg := hStatus(t, r.err, "Divide with a done ctx")
			assert.Contains(t, []codes.Code{codes.Canceled, codes.DeadlineExceeded}, r.ctxCode)
			assert.Equal(t, r.ctxCode, code, "Divide's code for the server ctx it saw (message %q)", msg)
			assert.Nil(t, r.resp, "Divide with a done ctx returned a response")
		case <-time.After(time.Minute):
			t.Fatal("the interceptor passed to NewGRPCServer never saw Divide")
		}
	})
}

// TestHiddenOptionsPassedThrough checks that a unary interceptor given to
// NewGRPCServer sees every Arith and health call (G8).
//
// Category: config
func TestHiddenOptionsPassedThrough(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		record := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			mu.Lock()
			seen = append(seen, info.FullMethod)
			mu.Unlock()
			return handler(ctx, req)
		}
		s := hStart(t, grpc.UnaryInterceptor(record))
		defer s.hStop()
		ctx := context.Background()
		_, err := s.arith.Add(ctx, hReq(1, 2))
		require.NoError(t, err, "Add")
		_, err = s.arith.Multiply(ctx, hReq(3, 4))
		require.NoError(t, err, "Multiply")
		_, err = s.arith.Divide(ctx, hReq(1, 0))
		require.Error(t, err, "Divide(1, 0)")
		_, err = s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"})
		require.NoError(t, err, "health Check")

		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []string{
			"/arith.v1.Arith/Add", "/arith.v1.Arith/Multiply", "/arith.v1.Arith/Divide",
			"/grpc.health.v1.Health/Check",
		}, seen, "methods the interceptor saw")
	})
}

// TestHiddenHealthPerService checks health per service name over the wire,
// and that two NewGRPCServer pairs are independent: shutting one down leaves
// the other SERVING (G8, G9).
//
// Category: config
func TestHiddenHealthPerService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		ctx := context.Background()
		for _, name := range []string{"arith.v1.Arith", ""} {
			resp, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "Check(%q)", name)
		}
		_, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
		assert.Equal(t, codes.NotFound, status.Code(err), "Check(\"nope\"): %v", err)

		gs1, hs1 := grpcarith.NewGRPCServer()
		gs2, hs2 := grpcarith.NewGRPCServer()
		require.True(t, gs1 != gs2, "two NewGRPCServer calls returned the same *grpc.Server")
		require.True(t, hs1 != hs2, "two NewGRPCServer calls returned the same *health.Server")
		require.NoError(t, grpcarith.Shutdown(ctx, gs1, hs1), "Shutdown of an unserved pair")
		for _, name := range []string{"arith.v1.Arith", ""} {
			resp, err := hs2.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "second pair: Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "second pair after the first's Shutdown: Check(%q)", name)
			resp, err = s.hs.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "served pair: Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus(), "served pair after another pair's Shutdown: Check(%q)", name)
		}
		gs2.Stop()
	})
}

// TestHiddenHealthWatch opens Watch("arith.v1.Arith"): the first message is
// SERVING, and a later change is sent (G9).
//
// Category: behaviour
func TestHiddenHealthWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		// The deadline bounds a Recv that would otherwise wait forever.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		w, err := s.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"})
		require.NoError(t, err, "Watch")
		msg, err := w.Recv()
		require.NoError(t, err, "first Watch message")
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, msg.GetStatus(), "first Watch message")

		s.hs.SetServingStatus("arith.v1.Arith", healthpb.HealthCheckResponse_NOT_SERVING)
		msg, err = w.Recv()
		require.NoError(t, err, "Watch message after a change")
		assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, msg.GetStatus(), "Watch message after a change")
		cancel()
	})
}

// TestHiddenSetAfterShutdownIgnored checks that Shutdown puts the health
// server in its shut-down state: SetServingStatus(SERVING) afterwards does
// not stick (G10).
//
// Category: behaviour
func TestHiddenSetAfterShutdownIgnored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		ctx := context.Background()
		require.NoError(t, grpcarith.Shutdown(ctx, s.gs, s.hs), "Shutdown")
		for _, name := range []string{"", "arith.v1.Arith"} {
			s.hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
		}
		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.hs.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "hs.Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus(),
				"hs.Check(%q) after Shutdown and SetServingStatus(SERVING)", name)
		}
	})
}

// TestHiddenUnimplementedForwardCompat invokes a method the service does not
// have: codes.Unimplemented (G1, G2).
//
// Category: config
func TestHiddenUnimplementedForwardCompat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		err := s.cc.Invoke(context.Background(), "/arith.v1.Arith/Pow", hReq(2, 10), new(arithv1.ValueResponse))
		assert.Equal(t, codes.Unimplemented, status.Code(err), "/arith.v1.Arith/Pow: %v", err)
	})
}

// TestHiddenConcurrentRPCs runs 100 goroutines × 10 mixed calls over one
// ClientConn, all correct (G7).
//
// Category: concurrency
func TestHiddenConcurrentRPCs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		ctx := context.Background()
		var wg sync.WaitGroup
		for g := range 100 {
			wg.Go(func() {
				for i := range 10 {
					a, b := int64(g*1000+i)-50_000, int64(i+1)
					switch i % 3 {
					case 0:
						r, err := s.arith.Add(ctx, hReq(a, b))
						if assert.NoError(t, err) {
							assert.Equal(t, a+b, r.GetValue(), "Add(%d, %d)", a, b)
						}
					case 1:
						r, err := s.arith.Multiply(ctx, hReq(a, b))
						if assert.NoError(t, err) {
							assert.Equal(t, a*b, r.GetValue(), "Multiply(%d, %d)", a, b)
						}
					default:
						r, err := s.arith.Divide(ctx, hReq(a, b))
						if assert.NoError(t, err) {
							assert.Equal(t, a/b, r.GetQuo(), "Divide(%d, %d)", a, b)
							assert.Equal(t, a%b, r.GetRem(), "Divide(%d, %d) remainder", a, b)
						}
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestHiddenLoopbackTCP serves NewGRPCServer over a real 127.0.0.1 TCP
// listener, calls it, and shuts it down: Shutdown returns nil, Serve returns,
// and no goroutine is left (G8, G10).
//
// Category: behaviour
func TestHiddenLoopbackTCP(t *testing.T) {
	katatest.NoLeaks(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "listen on loopback")
	gs, hs := grpcarith.NewGRPCServer()
	require.NotNil(t, gs)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err, "grpc.NewClient")

	katatest.Within(t, 5*time.Second, "RPCs and Shutdown over loopback TCP did not finish", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c := arithv1.NewArithClient(cc)
		r, err := c.Divide(ctx, hReq(-7, 2))
		if assert.NoError(t, err, "Divide over TCP") {
			assert.Equal(t, int64(-3), r.GetQuo(), "Divide(-7, 2) over TCP")
			assert.Equal(t, int64(-1), r.GetRem(), "Divide(-7, 2) remainder over TCP")
		}
		_, err = c.Add(ctx, hReq(math.MaxInt64, 1))
		assert.Equal(t, codes.InvalidArgument, status.Code(err), "Add(MaxInt64, 1) over TCP: %v", err)
		h, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"})
		if assert.NoError(t, err, "health Check over TCP") {
			assert.Equal(t, healthpb.HealthCheckResponse_SERVING, h.GetStatus(), "health Check over TCP")
		}
		assert.NoError(t, cc.Close(), "ClientConn.Close")
		assert.NoError(t, grpcarith.Shutdown(ctx, gs, hs), "Shutdown over TCP")
		assert.NoError(t, <-served, "gs.Serve after Shutdown")
	})
}

// hWatch opens Watch(name) and pumps its messages and final error into
// channels; the first message must be SERVING. The stream's ctx expires
// after an hour of virtual time, so that a Shutdown that never forces the
// stop ends (late, and fails) instead of hanging; call cancel at the end.
func hWatch(t *testing.T, s *hServer, name string) (<-chan healthpb.HealthCheckResponse_ServingStatus, <-chan error, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	w, err := s.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
	var first *healthpb.HealthCheckResponse
	if err == nil {
		first, err = w.Recv()
	}
	if err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		cancel()
		require.NoError(t, err, "Watch(%q) and its first message", name)
		require.Equal(t, healthpb.HealthCheckResponse_SERVING, first.GetStatus(), "first Watch(%q) message", name)
	}
	msgs := make(chan healthpb.HealthCheckResponse_ServingStatus, 16)
	end := make(chan error, 1)
	go func() {
		for {
			m, err := w.Recv()
			if err != nil {
				end <- err
				return
			}
			msgs <- m.GetStatus()
		}
	}()
	return msgs, end, cancel
}

// TestHiddenShutdownDrainsInFlight delays Divide by 2s in an interceptor:
// a Divide started before Shutdown completes OK at 2s, Shutdown returns nil
// at 2s, and later RPCs fail with Unavailable (G10).
//
// Category: timing
func TestHiddenShutdownDrainsInFlight(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "Shutdown did not return: GracefulStop without a bound? grpc/grpc-go#8776")
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{}, 1)
		slow := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if info.FullMethod == arithv1.Arith_Divide_FullMethodName {
				started <- struct{}{}
				time.Sleep(2 * time.Second)
			}
			return handler(ctx, req)
		}
		s := hStart(t, grpc.UnaryInterceptor(slow))
		defer s.hStop()
		type result struct {
			resp *arithv1.DivideResponse
			err  error
			at   time.Duration
		}
		start := time.Now()
		divided := make(chan result, 1)
		go func() {
			r, err := s.arith.Divide(context.Background(), hReq(-7, 2))
			divided <- result{r, err, time.Since(start)}
		}()
		<-started

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := grpcarith.Shutdown(ctx, s.gs, s.hs)
		assert.NoError(t, err, "Shutdown that drained in time")
		assert.Equal(t, 2*time.Second, time.Since(start), "Shutdown returned at the wrong virtual time")

		r := <-divided
		if assert.NoError(t, r.err, "the in-flight Divide") {
			assert.Equal(t, int64(-3), r.resp.GetQuo(), "the in-flight Divide(-7, 2)")
			assert.Equal(t, int64(-1), r.resp.GetRem(), "the in-flight Divide(-7, 2) remainder")
		}
		assert.Equal(t, 2*time.Second, r.at, "the in-flight Divide completed at the wrong virtual time")

		_, err = s.arith.Add(context.Background(), hReq(1, 1))
		assert.Equal(t, codes.Unavailable, status.Code(err), "Add after Shutdown: %v", err)
	})
}

// TestHiddenShutdownCtxAlreadyDone shuts down with a ctx that is already
// done while a slow RPC is in flight: Shutdown returns ctx.Err() at once,
// the RPC fails, and health reports NOT_SERVING (G10).
//
// Category: timing
func TestHiddenShutdownCtxAlreadyDone(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "Shutdown did not return: GracefulStop without a bound? grpc/grpc-go#8776")
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{}, 1)
		slow := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if info.FullMethod == arithv1.Arith_Divide_FullMethodName {
				started <- struct{}{}
				select {
				case <-time.After(time.Hour):
				case <-ctx.Done():
				}
			}
			return handler(ctx, req)
		}
		s := hStart(t, grpc.UnaryInterceptor(slow))
		defer s.hStop()
		divided := make(chan error, 1)
		go func() {
			_, err := s.arith.Divide(context.Background(), hReq(7, 2))
			divided <- err
		}()
		<-started

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		err := grpcarith.Shutdown(ctx, s.gs, s.hs)
		assert.ErrorIs(t, err, context.Canceled, "Shutdown with a cancelled ctx")
		assert.Equal(t, time.Duration(0), time.Since(start), "Shutdown with a done ctx took virtual time")

		err = <-divided
		assert.NotEqual(t, codes.OK, status.Code(err), "the in-flight Divide succeeded after a forced Shutdown")
		assert.Equal(t, time.Duration(0), time.Since(start), "the in-flight Divide ended late")
		for _, name := range []string{"", "arith.v1.Arith"} {
			resp, err := s.hs.Check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
			require.NoError(t, err, "hs.Check(%q)", name)
			assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus(), "hs.Check(%q) after Shutdown", name)
		}
	})
}

// TestHiddenShutdownBoundedWithOpenWatch holds a Watch("") open and shuts
// down with a 5s ctx: the watcher receives NOT_SERVING while its stream is
// still open, Shutdown returns DeadlineExceeded at exactly 5s, then the
// stream ends with Unavailable, new RPCs fail with Unavailable and Serve has
// returned (G10).
//
// Category: timing
func TestHiddenShutdownBoundedWithOpenWatch(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "GracefulStop with an open Watch? grpc/grpc-go#8776")
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop()
		msgs, end, cancelWatch := hWatch(t, s, "")
		defer cancelWatch()

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		shut := make(chan error, 1)
		go func() { shut <- grpcarith.Shutdown(ctx, s.gs, s.hs) }()

		synctest.Wait()
		select {
		case st := <-msgs:
			assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, st, "Watch message at the start of Shutdown")
		default:
			t.Error("no Watch message at the start of Shutdown: health must flip to NOT_SERVING first")
		}
		select {
		case err := <-end:
			t.Errorf("the Watch stream ended before Shutdown's ctx was done: %v", err)
		default:
		}

		err := <-shut
		assert.ErrorIs(t, err, context.DeadlineExceeded, "Shutdown bounded by a 5s ctx")
		assert.Equal(t, 5*time.Second, time.Since(start), "Shutdown returned at the wrong virtual time")
		err = <-end
		assert.Equal(t, codes.Unavailable, status.Code(err), "the Watch stream's end: %v", err)
		assert.Equal(t, 5*time.Second, time.Since(start), "the Watch stream ended at the wrong virtual time")

		_, err = s.arith.Add(context.Background(), hReq(1, 1))
		assert.Equal(t, codes.Unavailable, status.Code(err), "Add after Shutdown: %v", err)
		synctest.Wait()
		select {
		case err := <-s.served:
			assert.NoError(t, err, "gs.Serve after Shutdown")
			s.served <- err
		default:
			t.Error("gs.Serve is still running after Shutdown returned")
		}
	})
}

// TestHiddenNoLeaks serves, holds a Watch open, calls, and shuts down: after
// cc.Close, Shutdown and the return of Serve, no goroutine is left (G10).
//
// Category: concurrency
func TestHiddenNoLeaks(t *testing.T) {
	katatest.NoLeaks(t)
	katatest.Watchdog(t, katatest.DefaultHang, "GracefulStop with an open Watch? grpc/grpc-go#8776")
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t)
		defer s.hStop() // after a failure; a no-op after the checks below
		_, end, cancelWatch := hWatch(t, s, "arith.v1.Arith")
		defer cancelWatch()
		_, err := s.arith.Multiply(context.Background(), hReq(6, 7))
		require.NoError(t, err, "Multiply")

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, grpcarith.Shutdown(ctx, s.gs, s.hs), context.DeadlineExceeded, "Shutdown with an open Watch")
		assert.Error(t, <-end, "the Watch stream after Shutdown")
		require.NoError(t, s.cc.Close(), "ClientConn.Close")
		err = <-s.served
		assert.NoError(t, err, "gs.Serve after Shutdown")
		s.served <- err
	})
}
