//go:build microkata_hidden

package grpcarith_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
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

// hServer is a NewGRPCServer pair served over bufconn with one client.
type hServer struct {
	gs     *grpc.Server
	hs     *health.Server
	cc     *grpc.ClientConn
	arith  arithv1.ArithClient
	health healthpb.HealthClient
	served chan error
}

// hPanicked starts the message of the status error that an hHandlers
// returns for a handler that panicked.
const hPanicked = "the handler panicked: "

// hHandlers is an interceptor that hStart installs: it turns a panic in a
// handler into a status error naming the panic value (an unrecovered panic
// in a handler ends the whole test binary), and it keeps the handler calls
// in progress, so that a test stuck in an RPC says which handler never
// returned.
type hHandlers struct {
	mu    sync.Mutex
	next  int
	calls map[int]string
}

// hWatchHandlers returns an hHandlers for hStart and arms a timer that
// panics, after 4 s of real time, naming the handler calls still running.
// Call it outside the bubble (a timer made in a bubble runs on virtual
// time); it never fires in a passing run.
func hWatchHandlers(t *testing.T) *hHandlers {
	w := &hHandlers{calls: map[int]string{}}
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
func (w *hHandlers) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	call := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	switch r := req.(type) {
	case *arithv1.BinaryRequest:
		call += "(" + hArgs(r.GetA(), r.GetB()) + ")"
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
			resp, err = nil, status.Errorf(codes.Internal, "%s%v", hPanicked, r)
		}
	}()
	return handler(ctx, req)
}

// hStart serves NewGRPCServer(opts...) (with w's interceptor) on a bufconn
// listener and dials it. Call it inside the bubble.
func hStart(t *testing.T, w *hHandlers, opts ...grpc.ServerOption) *hServer {
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

// hServeReturned reports, after synctest.Wait, whether gs.Serve has
// returned, failing t if it returned an error.
func (s *hServer) hServeReturned(t *testing.T, after string) {
	t.Helper()
	synctest.Wait()
	select {
	case err := <-s.served:
		if err != nil {
			t.Errorf("gs.Serve(lis) after %s = %v, want <nil>", after, err)
		}
		s.served <- err
	default:
		t.Errorf("gs.Serve(lis) is still running after %s returned", after)
	}
}

func hReq(a, b int64) *arithv1.BinaryRequest { return &arithv1.BinaryRequest{A: a, B: b} }

// hNum prints v in decimal, or by name near the int64 extremes.
func hNum(v int64) string {
	switch v {
	case math.MaxInt64:
		return "math.MaxInt64"
	case math.MaxInt64 - 1:
		return "math.MaxInt64-1"
	case math.MinInt64:
		return "math.MinInt64"
	case math.MinInt64 + 1:
		return "math.MinInt64+1"
	}
	return fmt.Sprint(v)
}

// hArgs prints a request's operands as the README writes them.
func hArgs(a, b int64) string { return fmt.Sprintf("{A: %s, B: %s}", hNum(a), hNum(b)) }

// hDescribe prints err as a caller sees it: a gRPC status by code name and
// message, a panic in the handler, a plain error with its type, or <nil>.
func hDescribe(err error) string {
	if err == nil {
		return "<nil>"
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Sprintf("%q (%T, not a gRPC status error)", err.Error(), err)
	}
	if msg, ok := strings.CutPrefix(st.Message(), hPanicked); ok && st.Code() == codes.Internal {
		return "a panic in the handler: " + msg
	}
	return fmt.Sprintf("%v %q", st.Code(), st.Message())
}

// hIsStatus reports whether err is a status error with code want and a
// message containing part.
func hIsStatus(err error, want codes.Code, part string) bool {
	st, ok := status.FromError(err)
	return err != nil && ok && st.Code() == want && strings.Contains(st.Message(), part)
}

// hResult is one direct handler call: the call printed, the response
// printed ("<nil>" for none), whether there was a response, the error and
// the panic value, if the handler panicked.
type hResult struct {
	call, resp string
	gotResp    bool
	v, rem     int64
	err        error
	panicked   any
}

// hDirect calls the handler op ("Add", "Multiply" or "Divide") of s
// directly with ctx, recovering a panic.
func hDirect(s *grpcarith.Server, ctx context.Context, ctxName, op string, a, b int64) (r hResult) {
	r.call = fmt.Sprintf("Server.%s(%s, %s)", op, ctxName, hArgs(a, b))
	r.resp = "<nil>"
	defer func() {
		if p := recover(); p != nil {
			if p == "not implemented" {
				panic(p) // the stub
			}
			r.panicked = p
		}
	}()
	switch op {
	case "Add", "Multiply":
		f := s.Add
		if op == "Multiply" {
			f = s.Multiply
		}
		resp, err := f(ctx, hReq(a, b))
		r.err = err
		if resp != nil {
			r.gotResp, r.v = true, resp.GetValue()
			r.resp = fmt.Sprintf("{Value: %s}", hNum(r.v))
		}
	default:
		resp, err := s.Divide(ctx, hReq(a, b))
		r.err = err
		if resp != nil {
			r.gotResp, r.v, r.rem = true, resp.GetQuo(), resp.GetRem()
			r.resp = fmt.Sprintf("{Quo: %s, Rem: %s}", hNum(r.v), hNum(r.rem))
		}
	}
	return r
}

// got prints what the call returned.
func (r hResult) got() string {
	if r.panicked != nil {
		return fmt.Sprintf("panicked: %v", r.panicked)
	}
	return fmt.Sprintf("returned %s, error %s", r.resp, hDescribe(r.err))
}

// hCheckHealth checks that check (hs.Check, or a health client's Check)
// reports want for every name in names; who describes the call for
// messages, with a %q for the name.
func hCheckHealth(t *testing.T, check func(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error), who string, want healthpb.HealthCheckResponse_ServingStatus, names ...string) {
	t.Helper()
	for _, name := range names {
		resp, err := check(context.Background(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil || resp.GetStatus() != want {
			t.Errorf("%s = %v, error %s; want %v", fmt.Sprintf(who, name), resp.GetStatus(), hDescribe(err), want)
		}
	}
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
		t.Fatalf("health Watch(%q) over bufconn: first message %v, error %s; want SERVING, error <nil>", name, first.GetStatus(), hDescribe(err))
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

// hOps are the three handlers.
var hOps = []string{"Add", "Multiply", "Divide"}

// TestHiddenDirectHandlers calls the handlers without a network: signs,
// zero, ±1 and in-range values at the int64 edges (G3, G4).
//
// Category: boundary
func TestHiddenDirectHandlers(t *testing.T) {
	katatest.Guard(t)
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
		{"Add", 1, maxI - 1, maxI, 0},
		{"Add", -1, minI + 1, minI, 0},
		{"Multiply", maxI, 1, maxI, 0},
		{"Multiply", minI, 1, minI, 0},
		{"Multiply", 1, minI, minI, 0},
		{"Multiply", maxI, -1, -maxI, 0},
		{"Multiply", -1, maxI, -maxI, 0},
		{"Multiply", -1, -1, 1, 0},
		{"Multiply", 1 << 62, -2, minI, 0},
		{"Multiply", -2, 1 << 62, minI, 0},
		{"Multiply", -(1 << 31), 1 << 32, minI, 0},
		{"Multiply", -(1 << 31), 1 << 31, -(1 << 62), 0},
		{"Multiply", 0, -7, 0, 0},
		{"Divide", minI, 1, minI, 0},
		{"Divide", minI, 2, minI / 2, 0},
		{"Divide", minI, -2, 1 << 62, 0},
		{"Divide", maxI, -1, -maxI, 0},
		{"Divide", maxI, 2, 4611686018427387903, 1},
		{"Divide", minI + 1, 2, -4611686018427387903, -1},
		{"Divide", minI + 1, -1, maxI, 0},
		{"Divide", -7, 2, -3, -1},
		{"Divide", 7, -2, -3, 1},
		{"Divide", -7, -2, 3, -1},
		{"Divide", 3, 7, 0, 3},
		{"Divide", -3, 7, 0, -3},
		{"Divide", 0, -5, 0, 0},
	}
	for _, tt := range tests {
		r := hDirect(s, ctx, "ctx", tt.op, tt.a, tt.b)
		want := fmt.Sprintf("{Value: %s}", hNum(tt.v))
		if tt.op == "Divide" {
			want = fmt.Sprintf("{Quo: %s, Rem: %s}", hNum(tt.v), hNum(tt.rem))
		}
		if r.panicked != nil || r.err != nil || r.resp != want {
			t.Errorf("%s %s; want %s, error <nil>", r.call, r.got(), want)
		}
	}
}

// TestHiddenOverflowMatrix runs every ordered pair of a set of edge values
// through all three handlers and compares with math/big: in range → the
// exact value; out of range → InvalidArgument mentioning "overflow"; b == 0
// → InvalidArgument mentioning "divide by zero". No response comes with an
// error (G3, G4, G6). The handlers are stateless, so a mismatch is reported
// as the one call that shows it.
//
// Category: differential
func TestHiddenOverflowMatrix(t *testing.T) {
	katatest.Guard(t)
	vals := []int64{math.MinInt64, math.MinInt64 + 1, -(1 << 32) - 1, -(1 << 31), -3, -2, -1, 0,
		1, 2, 3, 1 << 31, 1<<32 + 1, math.MaxInt64 - 1, math.MaxInt64}
	minB, maxB := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	fits := func(x *big.Int) bool { return x.Cmp(minB) >= 0 && x.Cmp(maxB) <= 0 }
	s := grpcarith.NewServer()
	ctx := context.Background()
	failures := 0
	for _, a := range vals {
		for _, b := range vals {
			A, B := big.NewInt(a), big.NewInt(b)
			for _, op := range hOps {
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
				r := hDirect(s, ctx, "ctx", op, a, b)
				var wantDesc string
				ok := r.panicked == nil
				switch {
				case want != nil && fits(want) && op == "Divide":
					wantDesc = fmt.Sprintf("{Quo: %s, Rem: %s}, error <nil>", hNum(want.Int64()), hNum(wantRem.Int64()))
					ok = ok && r.err == nil && r.gotResp && r.v == want.Int64() && r.rem == wantRem.Int64()
				case want != nil && fits(want):
					wantDesc = fmt.Sprintf("{Value: %s}, error <nil>", hNum(want.Int64()))
					ok = ok && r.err == nil && r.gotResp && r.v == want.Int64()
				default:
					if want != nil {
						wantDesc = fmt.Sprintf("no response and InvalidArgument with a message containing %q (the exact result %v does not fit in an int64)", wantMsg, want)
					} else {
						wantDesc = fmt.Sprintf("no response and InvalidArgument with a message containing %q", wantMsg)
					}
					ok = ok && !r.gotResp && hIsStatus(r.err, codes.InvalidArgument, wantMsg)
				}
				if !ok {
					t.Errorf("%s %s; want %s", r.call, r.got(), wantDesc)
					if failures++; failures == 10 {
						t.Fatal("stopping after 10 failures")
					}
				}
			}
		}
	}
}

// TestHiddenDivisionMatchesGo compares Divide with Go's / and % on 10 000
// pairs of random bit length and sign (G4). Each call is independent, so a
// mismatch is reported as that one call.
//
// Category: differential
func TestHiddenDivisionMatchesGo(t *testing.T) {
	katatest.Guard(t)
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
		res := hDirect(s, ctx, "ctx", "Divide", a, b)
		if res.panicked != nil || res.err != nil || !res.gotResp || res.v != a/b || res.rem != a%b {
			t.Fatalf("grpcarith.NewServer().Divide(ctx, &arithv1.BinaryRequest{A: %d, B: %d}) %s; want {Quo: %d, Rem: %d} (Go's a / b and a %% b), error <nil>",
				a, b, res.got(), a/b, a%b)
		}
	}
}

// TestHiddenEmptyRequest sends empty requests over the wire: a = b = 0, so
// Add and Multiply give 0 and Divide is a division by zero (G4).
//
// Category: boundary
func TestHiddenEmptyRequest(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		ctx := context.Background()
		sum, err := s.arith.Add(ctx, &arithv1.BinaryRequest{})
		if err != nil || sum.GetValue() != 0 {
			t.Errorf("Add(&arithv1.BinaryRequest{}) over bufconn = {Value: %d}, error %s; want {Value: 0}, error <nil>", sum.GetValue(), hDescribe(err))
		}
		prod, err := s.arith.Multiply(ctx, &arithv1.BinaryRequest{})
		if err != nil || prod.GetValue() != 0 {
			t.Errorf("Multiply(&arithv1.BinaryRequest{}) over bufconn = {Value: %d}, error %s; want {Value: 0}, error <nil>", prod.GetValue(), hDescribe(err))
		}
		_, err = s.arith.Divide(ctx, &arithv1.BinaryRequest{})
		if !hIsStatus(err, codes.InvalidArgument, "divide by zero") {
			t.Errorf(`Divide(&arithv1.BinaryRequest{}) over bufconn = error %s; want InvalidArgument with a message containing "divide by zero" (an empty request is a = b = 0)`, hDescribe(err))
		}
	})
}

// TestHiddenContextDone calls the handlers directly with a cancelled ctx and
// with an expired deadline: Canceled and DeadlineExceeded, a nil response,
// and the ctx check comes before the argument checks (G5).
//
// Category: timing
func TestHiddenContextDone(t *testing.T) {
	katatest.Guard(t)
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
			{"a cancelled ctx", canceled, codes.Canceled},
			{"an expired ctx", expired, codes.DeadlineExceeded},
		}
		args := [][2]int64{{6, 3}, {1, 0}, {math.MaxInt64, math.MaxInt64}, {math.MinInt64, -1}}
		for _, c := range ctxs {
			for _, op := range hOps {
				for _, ab := range args {
					r := hDirect(s, c.ctx, c.name, op, ab[0], ab[1])
					if r.panicked != nil || r.gotResp || !hIsStatus(r.err, c.want, "") {
						t.Errorf("%s %s; want no response and %v (status.FromContextError(ctx.Err()).Err()), checked before the arguments",
							r.call, r.got(), c.want)
					}
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
	katatest.Guard(t)
	type path struct {
		op   string
		a, b int64
	}
	paths := []path{
		{"Divide", 1, 0}, {"Divide", 0, 0}, {"Divide", math.MinInt64, -1},
		{"Add", math.MaxInt64, 1}, {"Add", math.MinInt64, -1},
		{"Multiply", math.MaxInt64, 2}, {"Multiply", math.MinInt64, -1}, {"Multiply", -1, math.MinInt64},
	}
	// bad says what is wrong with err for G6, or "".
	bad := func(err error) string {
		st, ok := status.FromError(err)
		switch {
		case err == nil:
			return "no error"
		case !ok:
			return "not a gRPC status error"
		case st.Code() == codes.Unknown:
			return "code Unknown"
		case st.Message() == "":
			return "an empty message"
		}
		return ""
	}
	w := hWatchHandlers(t)
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
			}{{"ctx", context.Background()}, {"a cancelled ctx", canceled}, {"an expired ctx", expired}} {
				if c.name == "ctx" && (p.b == 2 || p.b == 4 || p.b == 6) {
					continue // no error path
				}
				r := hDirect(srv, c.ctx, c.name, p.op, p.a, p.b)
				if why := bad(r.err); r.panicked != nil || why != "" || r.gotResp {
					if why == "" && r.gotResp {
						why = "a response with the error"
					}
					t.Errorf("%s %s (%s); want no response and a status error with a code other than OK and Unknown and a non-empty message",
						r.call, r.got(), why)
				}
			}
		}

		s := hStart(t, w)
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
			if why := bad(err); why != "" {
				t.Errorf("%s(%s) over bufconn = error %s (%s); want a status error with a code other than OK and Unknown and a non-empty message",
					p.op, hArgs(p.a, p.b), hDescribe(err), why)
			}
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
	katatest.Guard(t)
	w := hWatchHandlers(t)
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
		s := hStart(t, w, grpc.UnaryInterceptor(hold))
		defer s.hStop()

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		_, err := s.arith.Divide(ctx, hReq(7, 2))
		if at := time.Since(start); status.Code(err) != codes.DeadlineExceeded || at != time.Second {
			t.Errorf("Divide({A: 7, B: 2}) over bufconn with a 1s deadline, held by an interceptor until its ctx is done: error %s after %v; want DeadlineExceeded after 1s",
				hDescribe(err), at)
		}

		select {
		case r := <-results:
			resp, _ := r.resp.(*arithv1.DivideResponse)
			if resp != nil || !hIsStatus(r.err, r.ctxCode, "") {
				t.Errorf("the Divide handler called with a ctx that ended as %v (the client's deadline passed): response %v, error %s; want no response and %v",
					r.ctxCode, resp, hDescribe(r.err), r.ctxCode)
			}
		case <-time.After(time.Minute):
			t.Fatal("an interceptor passed to NewGRPCServer(grpc.UnaryInterceptor(hold)) never saw Divide: are the options passed to grpc.NewServer?")
		}
	})
}

// TestHiddenOptionsPassedThrough checks that a unary interceptor given to
// NewGRPCServer sees every Arith and health call (G8).
//
// Category: config
func TestHiddenOptionsPassedThrough(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var seen []string
		record := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			mu.Lock()
			seen = append(seen, info.FullMethod)
			mu.Unlock()
			return handler(ctx, req)
		}
		s := hStart(t, w, grpc.UnaryInterceptor(record))
		defer s.hStop()
		ctx := context.Background()
		s.arith.Add(ctx, hReq(1, 2))
		s.arith.Multiply(ctx, hReq(3, 4))
		s.arith.Divide(ctx, hReq(1, 0))
		s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"})

		mu.Lock()
		defer mu.Unlock()
		want := []string{
			"/arith.v1.Arith/Add", "/arith.v1.Arith/Multiply", "/arith.v1.Arith/Divide",
			"/grpc.health.v1.Health/Check",
		}
		if strings.Join(seen, " ") != strings.Join(want, " ") {
			t.Errorf("the methods a grpc.UnaryInterceptor passed to NewGRPCServer saw for Add, Multiply, Divide and a health Check: %q; want %q (are the options passed to grpc.NewServer?)",
				seen, want)
		}
	})
}

// TestHiddenHealthPerService checks health per service name over the wire,
// and that two NewGRPCServer pairs are independent: shutting one down leaves
// the other SERVING (G8, G9).
//
// Category: config
func TestHiddenHealthPerService(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		ctx := context.Background()
		hCheckHealth(t, func(ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
			return s.health.Check(ctx, r)
		}, "health Check(%q) over bufconn", healthpb.HealthCheckResponse_SERVING, "arith.v1.Arith", "")
		_, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"})
		if status.Code(err) != codes.NotFound {
			t.Errorf(`health Check("nope") over bufconn = error %s, want NotFound`, hDescribe(err))
		}

		gs1, hs1 := grpcarith.NewGRPCServer()
		gs2, hs2 := grpcarith.NewGRPCServer()
		if gs1 == gs2 || hs1 == hs2 {
			t.Fatal("two NewGRPCServer() calls returned the same *grpc.Server or *health.Server; want independent servers")
		}
		if err := grpcarith.Shutdown(ctx, gs1, hs1); err != nil {
			t.Errorf("Shutdown(ctx, gs1, hs1) of a pair that never served = %v, want <nil>", err)
		}
		hCheckHealth(t, hs2.Check, "Shutdown(ctx, gs1, hs1) of one NewGRPCServer() pair, then hs2.Check(%q) of another", healthpb.HealthCheckResponse_SERVING, "arith.v1.Arith", "")
		hCheckHealth(t, s.hs.Check, "Shutdown(ctx, gs1, hs1) of one NewGRPCServer() pair, then hs.Check(%q) of the served one", healthpb.HealthCheckResponse_SERVING, "arith.v1.Arith", "")
		gs2.Stop()
	})
}

// TestHiddenHealthWatch opens Watch("arith.v1.Arith"): the first message is
// SERVING, and a later change is sent (G9).
//
// Category: behaviour
func TestHiddenHealthWatch(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		msgs, _, cancel := hWatch(t, s, "arith.v1.Arith")
		defer cancel()

		s.hs.SetServingStatus("arith.v1.Arith", healthpb.HealthCheckResponse_NOT_SERVING)
		synctest.Wait()
		select {
		case st := <-msgs:
			if st != healthpb.HealthCheckResponse_NOT_SERVING {
				t.Errorf(`health Watch("arith.v1.Arith"), then hs.SetServingStatus("arith.v1.Arith", NOT_SERVING): the Watch sent %v, want NOT_SERVING`, st)
			}
		default:
			t.Error(`health Watch("arith.v1.Arith"), then hs.SetServingStatus("arith.v1.Arith", NOT_SERVING): the Watch sent nothing, want NOT_SERVING`)
		}
	})
}

// TestHiddenSetAfterShutdownIgnored checks that Shutdown puts the health
// server in its shut-down state: SetServingStatus(SERVING) afterwards does
// not stick (G10).
//
// Category: behaviour
func TestHiddenSetAfterShutdownIgnored(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		if err := grpcarith.Shutdown(context.Background(), s.gs, s.hs); err != nil {
			t.Errorf("Shutdown(ctx, gs, hs) of an idle server = %v, want <nil>", err)
		}
		for _, name := range []string{"", "arith.v1.Arith"} {
			s.hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
		}
		hCheckHealth(t, s.hs.Check, "Shutdown(ctx, gs, hs), then hs.SetServingStatus(name, SERVING) for both names: hs.Check(%q)", healthpb.HealthCheckResponse_NOT_SERVING, "", "arith.v1.Arith")
	})
}

// TestHiddenUnimplementedForwardCompat invokes a method the service does not
// have: codes.Unimplemented (G1, G2).
//
// Category: config
func TestHiddenUnimplementedForwardCompat(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		err := s.cc.Invoke(context.Background(), "/arith.v1.Arith/Pow", hReq(2, 10), new(arithv1.ValueResponse))
		if status.Code(err) != codes.Unimplemented {
			t.Errorf(`cc.Invoke(ctx, "/arith.v1.Arith/Pow", {A: 2, B: 10}, reply) over bufconn = error %s, want Unimplemented`, hDescribe(err))
		}
	})
}

// TestHiddenConcurrentRPCs runs 100 goroutines × 10 mixed calls over one
// ClientConn, all correct (G7).
//
// Category: concurrency
func TestHiddenConcurrentRPCs(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
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
						if err != nil || r.GetValue() != a+b {
							t.Errorf("Add(%s) among 1000 concurrent calls over one ClientConn = {Value: %d}, error %s; want {Value: %d}", hArgs(a, b), r.GetValue(), hDescribe(err), a+b)
						}
					case 1:
						r, err := s.arith.Multiply(ctx, hReq(a, b))
						if err != nil || r.GetValue() != a*b {
							t.Errorf("Multiply(%s) among 1000 concurrent calls over one ClientConn = {Value: %d}, error %s; want {Value: %d}", hArgs(a, b), r.GetValue(), hDescribe(err), a*b)
						}
					default:
						r, err := s.arith.Divide(ctx, hReq(a, b))
						if err != nil || r.GetQuo() != a/b || r.GetRem() != a%b {
							t.Errorf("Divide(%s) among 1000 concurrent calls over one ClientConn = {Quo: %d, Rem: %d}, error %s; want {Quo: %d, Rem: %d}",
								hArgs(a, b), r.GetQuo(), r.GetRem(), hDescribe(err), a/b, a%b)
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
	katatest.Guard(t)
	katatest.NoLeaks(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err, "net.Listen on 127.0.0.1:0")
	gs, hs := grpcarith.NewGRPCServer()
	require.NotNil(t, gs, "NewGRPCServer() returned a nil *grpc.Server")
	require.NotNil(t, hs, "NewGRPCServer() returned a nil *health.Server")
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err, "grpc.NewClient")

	katatest.Within(t, 3*time.Second, "RPCs and Shutdown over loopback TCP did not finish", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c := arithv1.NewArithClient(cc)
		r, err := c.Divide(ctx, hReq(-7, 2))
		if err != nil || r.GetQuo() != -3 || r.GetRem() != -1 {
			t.Errorf("Divide({A: -7, B: 2}) over TCP = {Quo: %d, Rem: %d}, error %s; want {Quo: -3, Rem: -1}, error <nil>", r.GetQuo(), r.GetRem(), hDescribe(err))
		}
		_, err = c.Add(ctx, hReq(math.MaxInt64, 1))
		if !hIsStatus(err, codes.InvalidArgument, "overflow") {
			t.Errorf(`Add({A: math.MaxInt64, B: 1}) over TCP = error %s, want InvalidArgument with a message containing "overflow"`, hDescribe(err))
		}
		h, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: "arith.v1.Arith"})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf(`health Check("arith.v1.Arith") over TCP = %v, error %s; want SERVING`, h.GetStatus(), hDescribe(err))
		}
		if err := cc.Close(); err != nil {
			t.Errorf("ClientConn.Close() = %v", err)
		}
		if err := grpcarith.Shutdown(ctx, gs, hs); err != nil {
			t.Errorf("Shutdown(ctx with a 3s timeout, gs, hs) over TCP after the client closed = %v, want <nil>", err)
		}
		if err := <-served; err != nil {
			t.Errorf("gs.Serve(lis) over TCP after Shutdown = %v, want <nil>", err)
		}
	})
}

// TestHiddenShutdownDrainsInFlight delays Divide by 2s in an interceptor:
// a Divide started before Shutdown completes OK at 2s, Shutdown returns nil
// at 2s, and later RPCs fail with Unavailable (G10).
//
// Category: timing
func TestHiddenShutdownDrainsInFlight(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, "Shutdown did not return: GracefulStop without a bound? grpc/grpc-go#8776")
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		started := make(chan struct{}, 1)
		slow := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if info.FullMethod == arithv1.Arith_Divide_FullMethodName {
				started <- struct{}{}
				time.Sleep(2 * time.Second)
			}
			return handler(ctx, req)
		}
		s := hStart(t, w, grpc.UnaryInterceptor(slow))
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
		if at := time.Since(start); err != nil || at != 2*time.Second {
			t.Errorf("Shutdown(ctx with a 10s timeout, gs, hs) while a Divide that takes 2s is in flight = %v after %v; want <nil> after 2s (the Divide drained)", err, at)
		}

		r := <-divided
		if r.err != nil || r.resp.GetQuo() != -3 || r.resp.GetRem() != -1 || r.at != 2*time.Second {
			t.Errorf("Divide({A: -7, B: 2}) in flight during Shutdown, taking 2s = {Quo: %d, Rem: %d}, error %s after %v; want {Quo: -3, Rem: -1}, error <nil> after 2s",
				r.resp.GetQuo(), r.resp.GetRem(), hDescribe(r.err), r.at)
		}

		_, err = s.arith.Add(context.Background(), hReq(1, 1))
		if status.Code(err) != codes.Unavailable {
			t.Errorf("Add({A: 1, B: 1}) after Shutdown = error %s, want Unavailable", hDescribe(err))
		}
		if d := 2*time.Second - time.Since(start); d > 0 {
			time.Sleep(d) // a Shutdown that cut the Divide leaves the interceptor sleeping
		}
	})
}

// TestHiddenShutdownCtxAlreadyDone shuts down with a ctx that is already
// done while a slow RPC is in flight: Shutdown returns ctx.Err() at once,
// the RPC fails, and health reports NOT_SERVING (G10).
//
// Category: timing
func TestHiddenShutdownCtxAlreadyDone(t *testing.T) {
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, "Shutdown did not return: GracefulStop without a bound? grpc/grpc-go#8776")
	w := hWatchHandlers(t)
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
		s := hStart(t, w, grpc.UnaryInterceptor(slow))
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
		if at := time.Since(start); !errors.Is(err, context.Canceled) || at != 0 {
			t.Errorf("Shutdown(an already cancelled ctx, gs, hs) while a Divide that takes an hour is in flight = %v after %v; want context.Canceled at once", err, at)
		}

		err = <-divided
		if at := time.Since(start); err == nil || at != 0 {
			t.Errorf("Divide({A: 7, B: 2}) in flight during Shutdown(an already cancelled ctx, gs, hs) = error %s after %v; want an error at once (the stop is forced)", hDescribe(err), at)
		}
		hCheckHealth(t, s.hs.Check, "Shutdown(an already cancelled ctx, gs, hs), then hs.Check(%q)", healthpb.HealthCheckResponse_NOT_SERVING, "", "arith.v1.Arith")
	})
}

// TestHiddenShutdownCanceledDuringDrain holds a Watch open, so that
// GracefulStop cannot finish, and cancels Shutdown's ctx (which has no
// deadline) at 3s: Shutdown forces the stop then and returns
// context.Canceled, ctx.Err() itself, at exactly 3s; the Watch stream ends
// with Unavailable (G10).
//
// Category: timing
func TestHiddenShutdownCanceledDuringDrain(t *testing.T) {
	katatest.Guard(t)
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop()
		_, end, cancelWatch := hWatch(t, s, "arith.v1.Arith")
		defer cancelWatch()

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		err := grpcarith.Shutdown(ctx, s.gs, s.hs)
		if at := time.Since(start); !errors.Is(err, context.Canceled) || at != 3*time.Second {
			t.Errorf("Shutdown(ctx, gs, hs) with a health Watch open and ctx (no deadline) cancelled at 3s = %v after %v; want context.Canceled (ctx.Err()) after 3s",
				err, at)
		}
		select {
		case err := <-end:
			if status.Code(err) != codes.Unavailable {
				t.Errorf("the open health Watch stream after Shutdown's forced stop ended with error %s, want Unavailable", hDescribe(err))
			}
		case <-time.After(time.Minute):
			t.Error("the open health Watch stream was still open a minute after Shutdown returned: the stop must be forced when ctx is done")
		}
		s.hServeReturned(t, "Shutdown")
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
	katatest.Guard(t)
	katatest.Watchdog(t, 4*time.Second, "GracefulStop with an open Watch? grpc/grpc-go#8776")
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
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
			if st != healthpb.HealthCheckResponse_NOT_SERVING {
				t.Errorf(`health Watch("") open during Shutdown(ctx with a 5s timeout, gs, hs): first message %v, want NOT_SERVING`, st)
			}
		default:
			t.Error(`health Watch("") open during Shutdown(ctx with a 5s timeout, gs, hs): no NOT_SERVING at the start of Shutdown; want it first, while connections are still up (hs.Shutdown before GracefulStop)`)
		}
		select {
		case err := <-end:
			t.Errorf(`health Watch("") open during Shutdown(ctx with a 5s timeout, gs, hs): the stream ended before ctx was done, error %s`, hDescribe(err))
		default:
		}

		err := <-shut
		if at := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || at != 5*time.Second {
			t.Errorf(`Shutdown(ctx with a 5s timeout, gs, hs) with a health Watch("") open = %v after %v; want context.DeadlineExceeded after 5s`, err, at)
		}
		err = <-end
		if at := time.Since(start); status.Code(err) != codes.Unavailable || at != 5*time.Second {
			t.Errorf(`health Watch("") open during Shutdown(ctx with a 5s timeout, gs, hs): the stream ended with error %s after %v; want Unavailable after 5s`, hDescribe(err), at)
		}

		_, err = s.arith.Add(context.Background(), hReq(1, 1))
		if status.Code(err) != codes.Unavailable {
			t.Errorf("Add({A: 1, B: 1}) after Shutdown = error %s, want Unavailable", hDescribe(err))
		}
		s.hServeReturned(t, "Shutdown")
	})
}

// TestHiddenNoLeaks serves, holds a Watch open, calls, and shuts down: after
// cc.Close, Shutdown and the return of Serve, no goroutine is left (G10).
//
// Category: concurrency
func TestHiddenNoLeaks(t *testing.T) {
	katatest.Guard(t)
	katatest.NoLeaks(t)
	katatest.Watchdog(t, 4*time.Second, "GracefulStop with an open Watch? grpc/grpc-go#8776")
	w := hWatchHandlers(t)
	synctest.Test(t, func(t *testing.T) {
		s := hStart(t, w)
		defer s.hStop() // after a failure; a no-op after the checks below
		_, end, cancelWatch := hWatch(t, s, "arith.v1.Arith")
		defer cancelWatch()
		_, err := s.arith.Multiply(context.Background(), hReq(6, 7))
		require.NoError(t, err, "Multiply({A: 6, B: 7})")

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := grpcarith.Shutdown(ctx, s.gs, s.hs); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown(ctx with a 1s timeout, gs, hs) with a health Watch open = %v, want context.DeadlineExceeded", err)
		}
		if err := <-end; err == nil {
			t.Error("the health Watch stream open during Shutdown ended without an error")
		}
		require.NoError(t, s.cc.Close(), "ClientConn.Close()")
		err = <-s.served
		if err != nil {
			t.Errorf("gs.Serve(lis) after Shutdown = %v, want <nil>", err)
		}
		s.served <- err
	})
}
