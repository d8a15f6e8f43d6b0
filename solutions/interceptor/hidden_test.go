//go:build microkata_hidden

package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/interceptor"
)

// The hidden tests run a real grpc server with the chain over bufconn in
// testing/synctest bubbles, as the visible ones do, with helpers of their
// own (prefixed h). Every message names the call (method and metadata),
// what came back and what was expected; times are virtual and exact, t0 is
// the instant the call was made. Tokens and verifier error texts are long
// and distinctive so that a leak of either into a status message is
// unambiguous.

const (
	hEcho    = "/kata.v1.Echo/Echo"
	hAdmin   = "/kata.v1.Echo/Admin"
	hOpen    = "/kata.v1.Echo/Open"
	hOpenAll = "/kata.v1.Echo/OpenAll"
	hChat    = "/kata.v1.Echo/Chat"
	hHealth  = "/grpc.health.v1.Health/Check"

	hTokAlice = "tok-Q7zR9w"  // alice
	hTokBob   = "tok-B4kP2m"  // bob
	hTokCarol = "tok-C9xL1v"  // carol, whom Allow always refuses in the tests that limit
	hTokBad   = "tok-Zz0Unk9" // unknown to Verify
	hVfyText  = "vfy-Kx83-down"
)

// hNotImplemented is the stub's panic: never recovered, so an untouched stub
// grades "not started".
const hNotImplemented = "not implemented"

// hUsers is the identity service of the tests.
var hUsers = map[string]string{hTokAlice: "alice", hTokBob: "bob", hTokCarol: "carol"}

// hVerify knows the tokens of hUsers and refuses others with a plain error
// that names the verifier's backend and the token (neither may leak).
func hVerify(_ context.Context, token string) (interceptor.Principal, error) {
	if sub, ok := hUsers[token]; ok {
		return interceptor.Principal{Subject: sub, Roles: []string{"role-" + sub}}, nil
	}
	return interceptor.Principal{}, fmt.Errorf("%s: token %s unknown", hVfyText, token)
}

// hSvc is the server side of kata.v1.Echo: unary answers the unary methods
// (nil: echo), chat runs the Chat stream (nil: echo until the client closes).
type hSvc struct {
	unary func(ctx context.Context, method, in string) (string, error)
	chat  func(ss grpc.ServerStream) error
}

func hMethod(name string) grpc.MethodDesc {
	full := "/kata.v1.Echo/" + name
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				s := srv.(*hSvc)
				if s.unary == nil {
					return req, nil
				}
				out, err := s.unary(ctx, full, req.(*wrapperspb.StringValue).GetValue())
				if err != nil {
					return nil, err
				}
				return wrapperspb.String(out), nil
			}
			if icpt == nil {
				return h(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, h)
		},
	}
}

// hEchoStream echoes every message of ss until the client closes its side.
func hEchoStream(ss grpc.ServerStream) error {
	for {
		m := new(wrapperspb.StringValue)
		if err := ss.RecvMsg(m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := ss.SendMsg(m); err != nil {
			return err
		}
	}
}

var hDesc = grpc.ServiceDesc{
	ServiceName: "kata.v1.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{hMethod("Echo"), hMethod("Admin"), hMethod("Open"), hMethod("OpenAll")},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Chat",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			if s := srv.(*hSvc); s.chat != nil {
				return s.chat(ss)
			}
			return hEchoStream(ss)
		},
	}},
}

// hEscaped starts the message of the status hNet returns for a panic that
// got out of the chain.
const hEscaped = "microkata: a panic escaped the interceptor chain: "

// hNet runs outside the chain: grpc-go does not recover panics, so one that
// escapes the chain would end the test binary. The stub's panic goes
// through.
func hNet(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == hNotImplemented {
				panic(r)
			}
			resp, err = nil, status.Errorf(codes.Unknown, "%s%v", hEscaped, r)
		}
	}()
	return h(ctx, req)
}

func hStreamNet(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == hNotImplemented {
				panic(r)
			}
			err = status.Errorf(codes.Unknown, "%s%v", hEscaped, r)
		}
	}()
	return h(srv, ss)
}

// hNew calls interceptor.New(cfg), failing the test unless it returns a
// chain. A panic in New is reported by value.
func hNew(t testing.TB, cfg interceptor.Config, what string) (c *interceptor.Chain) {
	t.Helper()
	c, err, pnc := hTryNew(cfg)
	if pnc != nil {
		t.Fatalf("New(%s) panicked: %v; want a *Chain", what, pnc)
	}
	if err != nil || c == nil {
		t.Fatalf("New(%s) = %v, %v; want a *Chain and <nil>", what, c, err)
	}
	return c
}

// hTryNew calls New and recovers a panic (not the stub's).
func hTryNew(cfg interceptor.Config) (c *interceptor.Chain, err error, pnc any) {
	defer func() {
		if r := recover(); r != nil {
			if r == hNotImplemented {
				panic(r)
			}
			pnc = r
		}
	}()
	c, err = interceptor.New(cfg)
	return c, err, nil
}

// hServer is a grpc server with a chain over bufconn and one client.
type hServer struct {
	gs     *grpc.Server
	cc     *grpc.ClientConn
	served chan error
}

// hStart serves svc and grpc's health service with c's interceptors (inside
// the safety nets). Call it inside the bubble and defer stop.
func hStart(t testing.TB, c *interceptor.Chain, svc *hSvc) *hServer {
	t.Helper()
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(hNet, c.Unary()),
		grpc.ChainStreamInterceptor(hStreamNet, c.Stream()))
	gs.RegisterService(&hDesc, svc)
	healthpb.RegisterHealthServer(gs, health.NewServer())
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- gs.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	return &hServer{gs: gs, cc: cc, served: served}
}

func (s *hServer) stop() {
	s.cc.Close()
	s.gs.Stop()
	<-s.served
}

// hRes is what a client got from one unary RPC.
type hRes struct {
	reply   string
	err     error
	header  metadata.MD
	elapsed time.Duration
}

// hLimit bounds every wait for an answer, in virtual time.
const hLimit = time.Minute

// call invokes a unary method of kata.v1.Echo with "ping" and the metadata
// md (nil: none), waiting at most hLimit of virtual time.
func (s *hServer) call(t testing.TB, ctx context.Context, method string, md metadata.MD) hRes {
	t.Helper()
	return s.invoke(t, ctx, method, md, wrapperspb.String("ping"), new(wrapperspb.StringValue))
}

func (s *hServer) invoke(t testing.TB, ctx context.Context, method string, md metadata.MD, req, reply any) hRes {
	t.Helper()
	if md != nil {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	done := make(chan hRes, 1)
	start := time.Now()
	go func() {
		var hdr metadata.MD
		err := s.cc.Invoke(ctx, method, req, reply, grpc.Header(&hdr))
		var out string
		if v, ok := reply.(*wrapperspb.StringValue); ok {
			out = v.GetValue()
		}
		done <- hRes{reply: out, err: err, header: hdr, elapsed: time.Since(start)}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(hLimit):
		t.Errorf("%s did not return within %v of virtual time: does the chain wait for something that never comes?", hCall(method, md), hLimit)
		return hRes{err: errors.New("no answer"), elapsed: hLimit}
	}
}

// hMD builds metadata from pairs; a key may repeat.
func hMD(kv ...string) metadata.MD { return metadata.Pairs(kv...) }

// hAuth is the metadata of a call with one authorization value and, if id
// is not empty, one x-request-id.
func hAuth(value, id string) metadata.MD {
	md := hMD("authorization", value)
	if id != "" {
		md.Append("x-request-id", id)
	}
	return md
}

// hCall names a call: the method's short name and its metadata.
func hCall(method string, md metadata.MD) string {
	name := method[strings.LastIndexByte(method, '/')+1:]
	if method == hHealth {
		name = "health Check"
	}
	return name + hMDString(md)
}

// hMDString prints metadata in a stable order, each value quoted.
func hMDString(md metadata.MD) string {
	if md.Len() == 0 {
		return " with no metadata"
	}
	keys := make([]string, 0, md.Len())
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(" with metadata {")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		vs := make([]string, len(md[k]))
		for j, v := range md[k] {
			vs[j] = hShort(v)
		}
		fmt.Fprintf(&b, "%s: [%s]", k, strings.Join(vs, " "))
	}
	b.WriteString("}")
	return b.String()
}

// hShort quotes s, abbreviating long values.
func hShort(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", s[:20], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// hDescribe prints what a client got: OK or a status by code and message.
func hDescribe(err error) string {
	if err == nil {
		return "OK"
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Sprintf("%q (%T, not a gRPC status)", err.Error(), err)
	}
	if msg, ok := strings.CutPrefix(st.Message(), hEscaped); ok {
		return "a panic that escaped the chain (grpc-go does not recover it: a real server would have crashed): " + msg
	}
	return fmt.Sprintf("%v %q", st.Code(), st.Message())
}

// hLog collects the records of Observe.
type hLog struct {
	mu   sync.Mutex
	recs []interceptor.Record
}

func (l *hLog) observe(r interceptor.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
}

func (l *hLog) take() []interceptor.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recs
	l.recs = nil
	return r
}

// hRecord prints a Record field by field.
func hRecord(r interceptor.Record) string {
	return fmt.Sprintf("{Method: %q, Code: %v, Duration: %v, Subject: %q, RequestID: %s}", r.Method, r.Code, r.Duration, r.Subject, hShort(r.RequestID))
}

func hRecords(recs []interceptor.Record) string {
	if len(recs) == 0 {
		return "no record"
	}
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = hRecord(r)
	}
	return strings.Join(s, ", ")
}

// hOneRecord checks that exactly the record want was made for call.
func hOneRecord(t testing.TB, log *hLog, call string, want interceptor.Record) {
	t.Helper()
	if recs := log.take(); len(recs) != 1 || recs[0] != want {
		t.Errorf("%s: the records made by the time the call returned = %s; want exactly one, %s", call, hRecords(recs), hRecord(want))
	}
}

// hCounter counts hook calls and remembers their arguments in order.
type hCounter struct {
	mu   sync.Mutex
	args []string
}

func (c *hCounter) add(arg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.args = append(c.args, arg)
}

// take returns the arguments so far and forgets them.
func (c *hCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.args
	c.args = nil
	return a
}

// hWantCode checks a call's code, and for the chain's own rejections that
// the message is not empty and leaks none of secrets.
func hWantCode(t testing.TB, call string, r hRes, want codes.Code, secrets ...string) {
	t.Helper()
	st, _ := status.FromError(r.err)
	if st.Code() != want {
		t.Errorf("%s = %s; want %v", call, hDescribe(r.err), want)
		return
	}
	if want == codes.OK {
		return
	}
	if st.Message() == "" {
		t.Errorf("%s = %v with an empty message; want a message that says why", call, st.Code())
	}
	for _, s := range secrets {
		if strings.Contains(st.Message(), s) {
			t.Errorf("%s = %s: the message contains %q; it must never carry the token or the verifier's error text", call, hDescribe(r.err), s)
		}
	}
}

// hWaitDone is a handler body that waits for its ctx to end (at most 5 s of
// virtual time) and returns ctx.Err(), or "waited 5s" if it never ends.
func hWaitDone(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Second):
		return status.Error(codes.Aborted, "the handler's ctx was not done after 5s")
	}
}

// hOutgoingIDs returns the x-request-id values of ctx's outgoing metadata.
func hOutgoingIDs(ctx context.Context) []string {
	md, _ := metadata.FromOutgoingContext(ctx)
	return md.Get("x-request-id")
}

// hDeadline prints a deadline relative to t0.
func hDeadline(dl time.Time, ok bool, t0 time.Time) string {
	if !ok {
		return "none"
	}
	return fmt.Sprintf("t0+%v", dl.Sub(t0))
}

// hDirect calls the unary interceptor of c directly with ctx (no server
// stream), recovering a panic.
func hDirect(u grpc.UnaryServerInterceptor, ctx context.Context, method string, handler grpc.UnaryHandler) (resp any, err error, pnc any) {
	defer func() {
		if r := recover(); r != nil {
			if r == hNotImplemented {
				panic(r)
			}
			pnc = r
		}
	}()
	resp, err = u(ctx, "request", &grpc.UnaryServerInfo{FullMethod: method}, handler)
	return resp, err, nil
}

// TestHiddenConfigEdges checks New and a directly called interceptor: every
// malformed Exempt form is refused; DefaultDeadline 0 is 500 ms; New copies
// Exempt; Unary() works when called with a plain ctx (no server stream to
// set the header on); the derived ctx is cancelled when the interceptor
// returns; the accessors on a plain ctx report false (rules 1, 2, 8, 11,
// 19, 21).
//
// Category: config
func TestHiddenConfigEdges(t *testing.T) {
	katatest.Guard(t)
	bad := []struct {
		what string
		cfg  interceptor.Config
	}{
		{"Config{} (Verify nil)", interceptor.Config{Authorize: func(interceptor.Principal, string) bool { return true }}},
		{"Config{Verify, DefaultDeadline: -1ns}", interceptor.Config{Verify: hVerify, DefaultDeadline: -1}},
		{"Config{Verify, DefaultDeadline: -1h}", interceptor.Config{Verify: hVerify, DefaultDeadline: -time.Hour}},
	}
	for _, e := range []string{"", "/", "//", "//x", "//x/", "/a", "a/b", "a/b/", "/a/b/c", "/a//", "grpc.health.v1.Health", "/kata.v1.Echo/Open/"} {
		bad = append(bad, struct {
			what string
			cfg  interceptor.Config
		}{fmt.Sprintf("Config{Verify, Exempt: [%q]}", e), interceptor.Config{Verify: hVerify, Exempt: []string{e}}})
	}
	bad = append(bad, struct {
		what string
		cfg  interceptor.Config
	}{`Config{Verify, Exempt: ["/grpc.health.v1.Health/", "/kata.v1.Echo/Open", "kata.v1.Echo"]}`,
		interceptor.Config{Verify: hVerify, Exempt: []string{"/grpc.health.v1.Health/", "/kata.v1.Echo/Open", "kata.v1.Echo"}}})
	for _, b := range bad {
		c, err, pnc := hTryNew(b.cfg)
		switch {
		case pnc != nil:
			t.Errorf("New(%s) panicked: %v; want nil and an error matching ErrInvalidConfig", b.what, pnc)
		case c != nil || !errors.Is(err, interceptor.ErrInvalidConfig):
			t.Errorf("New(%s) = %v, %v; want nil and an error matching ErrInvalidConfig", b.what, c, err)
		}
	}
	for _, good := range []struct {
		what string
		cfg  interceptor.Config
	}{
		{"Config{Verify}", interceptor.Config{Verify: hVerify}},
		{`Config{Verify, Exempt: ["/a/", "/a/b", "/x.y.Z/M"]}`, interceptor.Config{Verify: hVerify, Exempt: []string{"/a/", "/a/b", "/x.y.Z/M"}}},
		{"Config{Verify, Exempt: []string{}, DefaultDeadline: 1ns}", interceptor.Config{Verify: hVerify, Exempt: []string{}, DefaultDeadline: 1}},
		{"Config{every field set}", interceptor.Config{Verify: hVerify, Authorize: func(interceptor.Principal, string) bool { return true },
			Exempt: []string{"/s/"}, Allow: func(string) bool { return true }, DefaultDeadline: time.Hour,
			NewRequestID: func() string { return "x" }, Observe: func(interceptor.Record) {}}},
	} {
		c, err, pnc := hTryNew(good.cfg)
		if pnc != nil || err != nil || c == nil {
			t.Errorf("New(%s) = %v, %v (panic: %v); want a *Chain and <nil>", good.what, c, err, pnc)
		}
	}
	if interceptor.DefaultTimeout != 500*time.Millisecond {
		t.Errorf("DefaultTimeout = %v; want 500ms", interceptor.DefaultTimeout)
	}

	// Rule 21: accessors on contexts that never passed the chain.
	for _, ctx := range []context.Context{context.Background(), context.WithValue(context.Background(), struct{ k int }{1}, "v"),
		metadata.NewIncomingContext(context.Background(), hMD("x-request-id", "req-1", "authorization", "Bearer "+hTokAlice))} {
		if p, ok := interceptor.PrincipalFromContext(ctx); ok || p.Subject != "" || p.Roles != nil {
			t.Errorf("PrincipalFromContext(a ctx that did not pass the chain) = %+v, %v; want the zero Principal, false", p, ok)
		}
		if id, ok := interceptor.RequestIDFromContext(ctx); ok || id != "" {
			t.Errorf("RequestIDFromContext(a ctx that did not pass the chain) = %q, %v; want \"\", false", id, ok)
		}
	}

	// Rule 1: New copies Exempt.
	cfg := interceptor.Config{Verify: hVerify, Exempt: []string{hOpen}}
	c := hNew(t, cfg, `Config{Verify, Exempt: ["/kata.v1.Echo/Open"]}`)
	cfg.Exempt[0] = hEcho
	u := c.Unary()
	plain := func(ctx context.Context, req any) (any, error) { return req, nil }
	ctx := context.Background()
	if _, err, pnc := hDirect(u, ctx, hEcho, plain); pnc != nil || status.Code(err) != codes.Unauthenticated {
		t.Errorf(`after New(Config{Exempt: s}) with s = ["/kata.v1.Echo/Open"] and then s[0] = "/kata.v1.Echo/Echo": Unary() called directly for /kata.v1.Echo/Echo without a token = %s (panic: %v); want Unauthenticated (New copies Exempt)`, hDescribe(err), pnc)
	}
	if _, err, pnc := hDirect(u, ctx, hOpen, plain); pnc != nil || err != nil {
		t.Errorf(`after New(Config{Exempt: s}) with s = ["/kata.v1.Echo/Open"] and then s[0] = "/kata.v1.Echo/Echo": Unary() called directly for /kata.v1.Echo/Open without a token = %s (panic: %v); want OK (New copies Exempt)`, hDescribe(err), pnc)
	}

	// Rules 8 and 19: a direct call with a plain ctx has no server stream;
	// the SetHeader error is ignored and the handler's result comes back
	// unchanged, a plain error included.
	md := hMD("authorization", "Bearer "+hTokAlice, "x-request-id", "direct-1")
	in := metadata.NewIncomingContext(context.Background(), md)
	wantResp := &struct{ n int }{42}
	wantErr := errors.New("plain handler error")
	for _, h := range []struct {
		what string
		resp any
		err  error
	}{
		{"returns (resp, nil)", wantResp, nil},
		{"returns (nil, errors.New(\"plain handler error\"))", nil, wantErr},
	} {
		var calls int
		var sawID string
		var sawP interceptor.Principal
		resp, err, pnc := hDirect(u, in, hEcho, func(ctx context.Context, req any) (any, error) {
			calls++
			sawID, _ = interceptor.RequestIDFromContext(ctx)
			sawP, _ = interceptor.PrincipalFromContext(ctx)
			return h.resp, h.err
		})
		call := "Unary() called directly with a plain ctx carrying incoming metadata" + hMDString(md) + " and no server stream, handler " + h.what
		switch {
		case pnc != nil:
			t.Errorf("%s panicked: %v; want the handler's result (a SetHeader error is ignored)", call, pnc)
		case calls != 1:
			t.Errorf("%s called the handler %d times; want once", call, calls)
		case resp != h.resp || err != h.err:
			t.Errorf("%s = %v, %s; want the handler's own result %v, %v unchanged", call, resp, hDescribe(err), h.resp, h.err)
		case sawID != "direct-1" || sawP.Subject != "alice":
			t.Errorf("%s: the handler saw RequestIDFromContext %q and a principal with Subject %q; want %q and %q", call, sawID, sawP.Subject, "direct-1", "alice")
		}
	}

	// Rules 2 and 11, in virtual time: DefaultDeadline 0 is 500 ms; the
	// derived ctx is cancelled once the interceptor returns, with or
	// without a deadline of its own.
	synctest.Test(t, func(t *testing.T) {
		u := hNew(t, interceptor.Config{Verify: hVerify}, "Config{Verify}").Unary()
		var hctx context.Context
		keep := func(ctx context.Context, req any) (any, error) { hctx = ctx; return req, nil }
		t0 := time.Now()
		if _, err, pnc := hDirect(u, in, hEcho, keep); err != nil || pnc != nil {
			t.Fatalf("Unary() called directly with a token = %s (panic: %v); want OK", hDescribe(err), pnc)
		}
		if dl, ok := hctx.Deadline(); !ok || dl.Sub(t0) != 500*time.Millisecond {
			t.Errorf("Config{Verify} (DefaultDeadline 0), Unary() called directly with a ctx without deadline at t0: the handler's ctx.Deadline() = %s; want t0+500ms (DefaultTimeout)", hDeadline(dl, ok, t0))
		}
		if hctx.Err() == nil {
			t.Errorf("Unary() called directly with a ctx without deadline: the handler's ctx after the interceptor returned has Err() = <nil>; want it cancelled (the derived ctx ends with the RPC)")
		}

		withDL, cancel := context.WithTimeout(in, time.Hour)
		defer cancel()
		if _, err, pnc := hDirect(u, withDL, hEcho, keep); err != nil || pnc != nil {
			t.Fatalf("Unary() called directly with a token and a 1h deadline = %s (panic: %v); want OK", hDescribe(err), pnc)
		}
		if dl, ok := hctx.Deadline(); !ok || dl.Sub(t0) != time.Hour {
			t.Errorf("Unary() called directly at t0 with a ctx whose deadline is t0+1h: the handler's ctx.Deadline() = %s; want t0+1h", hDeadline(dl, ok, t0))
		}
		if hctx.Err() == nil {
			t.Errorf("Unary() called directly with a ctx whose deadline is t0+1h: the handler's ctx after the interceptor returned has Err() = <nil>; want it cancelled (the derived ctx ends with the RPC, a deadline or not)")
		}
	})
}

// TestHiddenAuthHeaderMatrix checks the authorization value (rules 14 and
// 16): "Bearer" in any ASCII case, one space, a token without spaces; any
// other form, no value or two values are Unauthenticated without calling
// Verify, and the message never contains the token.
//
// Category: boundary
func TestHiddenAuthHeaderMatrix(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var verified hCounter
		const odd = "a.b-c_d~e+f/g=h:i@j!k"
		cfg := interceptor.Config{Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
			verified.add(token)
			if token == odd {
				return interceptor.Principal{Subject: "odd"}, nil
			}
			return hVerify(ctx, token)
		}}
		s := hStart(t, hNew(t, cfg, "Config{Verify}"), &hSvc{})
		defer s.stop()
		ctx := context.Background()
		T := hTokAlice

		for _, v := range []struct{ value, token string }{
			{"Bearer " + T, T},
			{"bearer " + T, T},
			{"BeArEr " + T, T},
			{"BEARER " + T, T},
			{"Bearer " + odd, odd},
			{"Bearer x", "x"},
		} {
			md := hAuth(v.value, "")
			r := s.call(t, ctx, hEcho, md)
			want := codes.OK
			if v.token == "x" {
				want = codes.Unauthenticated // Verify refuses it
			}
			hWantCode(t, hCall(hEcho, md), r, want, T)
			if got := verified.take(); len(got) != 1 || got[0] != v.token {
				t.Errorf("%s: Verify was called with %q; want exactly once, with the token %q", hCall(hEcho, md), got, v.token)
			}
		}

		for _, md := range []metadata.MD{
			nil,
			hMD("authorization", "Basic "+T),
			hMD("authorization", "Bearer"),
			hMD("authorization", "Bearer "),
			hMD("authorization", "Bearer  "+T),
			hMD("authorization", "Bearer "+T+" "+T),
			hMD("authorization", "Bearer "+T+" "),
			hMD("authorization", " Bearer "+T),
			hMD("authorization", "Bearer"+T),
			hMD("authorization", T),
			hMD("authorization", "Token "+T),
			hMD("authorization", "Bearer: "+T),
			hMD("authorization", ""),
			hMD("authorization", "Bearer "+T, "authorization", "Bearer "+T),
			hMD("authorization", "Bearer "+T, "authorization", "Basic "+T),
			hMD("authorization", "Basic "+T, "authorization", "Bearer "+T),
		} {
			r := s.call(t, ctx, hEcho, md)
			hWantCode(t, hCall(hEcho, md), r, codes.Unauthenticated, T)
			if got := verified.take(); len(got) != 0 {
				t.Errorf("%s: Verify was called with %q; want no call (the value is refused before Verify)", hCall(hEcho, md), got)
			}
		}
	})
}

// TestHiddenVerifyErrors checks what Verify's answers become (rules 15 and
// 16): a status error passes unchanged, any other error (a context error
// too) is Unauthenticated without its text, and an empty Subject is
// refused.
//
// Category: behaviour
func TestHiddenVerifyErrors(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		var handled atomic.Int32
		unavailable := status.Error(codes.Unavailable, "identity backend "+hVfyText)
		answers := map[string]func(ctx context.Context) (interceptor.Principal, error){
			"tok-St4tus": func(context.Context) (interceptor.Principal, error) { return interceptor.Principal{}, unavailable },
			"tok-Wr4pd": func(context.Context) (interceptor.Principal, error) {
				return interceptor.Principal{}, fmt.Errorf("lookup: %w", unavailable)
			},
			"tok-Pl41n": func(context.Context) (interceptor.Principal, error) {
				return interceptor.Principal{Subject: "ignored"}, errors.New(hVfyText + ": token tok-Pl41n revoked")
			},
			"tok-Cx7Cn": func(context.Context) (interceptor.Principal, error) {
				return interceptor.Principal{}, context.Canceled
			},
			"tok-Em9ty": func(context.Context) (interceptor.Principal, error) {
				return interceptor.Principal{Roles: []string{"admin"}}, nil
			},
			"tok-W8dl": func(ctx context.Context) (interceptor.Principal, error) {
				select {
				case <-ctx.Done():
					return interceptor.Principal{}, ctx.Err()
				case <-time.After(5 * time.Second):
					return interceptor.Principal{}, errors.New(hVfyText + ": ctx not done after 5s")
				}
			},
		}
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				if f, ok := answers[token]; ok {
					return f(ctx)
				}
				return hVerify(ctx, token)
			},
			DefaultDeadline: 2 * time.Second,
			Observe:         log.observe,
		}
		s := hStart(t, hNew(t, cfg, "Config{Verify, DefaultDeadline: 2s, Observe}"), &hSvc{unary: func(_ context.Context, _, in string) (string, error) {
			handled.Add(1)
			return in, nil
		}})
		defer s.stop()
		ctx := context.Background()

		// A status passes unchanged, code and message.
		md := hAuth("Bearer tok-St4tus", "v-1")
		r := s.call(t, ctx, hEcho, md)
		if st, _ := status.FromError(r.err); st.Code() != codes.Unavailable || st.Message() != "identity backend "+hVfyText {
			t.Errorf("%s, Verify returning status.Error(Unavailable, %q) = %s; want that status unchanged", hCall(hEcho, md), "identity backend "+hVfyText, hDescribe(r.err))
		}
		hOneRecord(t, &log, hCall(hEcho, md), interceptor.Record{Method: hEcho, Code: codes.Unavailable, RequestID: "v-1"})

		md = hAuth("Bearer tok-Wr4pd", "v-2")
		r = s.call(t, ctx, hEcho, md)
		if status.Code(r.err) != codes.Unavailable {
			t.Errorf("%s, Verify returning fmt.Errorf(\"lookup: %%w\", status.Error(Unavailable, ...)) = %s; want Unavailable (status.FromError reports ok for it: returned unchanged)", hCall(hEcho, md), hDescribe(r.err))
		}
		log.take()

		for _, c := range []struct{ token, what string }{
			{"tok-Pl41n", fmt.Sprintf("errors.New(%q)", hVfyText+": token tok-Pl41n revoked")},
			{"tok-Cx7Cn", "context.Canceled"},
			{"tok-Em9ty", "Principal{Subject: \"\", Roles: [admin]} and a nil error"},
			{hTokBad, fmt.Sprintf("fmt.Errorf(%q)", hVfyText+": token "+hTokBad+" unknown")},
		} {
			md := hAuth("Bearer "+c.token, "v-"+c.token)
			r := s.call(t, ctx, hEcho, md)
			call := fmt.Sprintf("%s, Verify returning %s", hCall(hEcho, md), c.what)
			hWantCode(t, call, r, codes.Unauthenticated, c.token, hVfyText)
			hOneRecord(t, &log, call, interceptor.Record{Method: hEcho, Code: codes.Unauthenticated, RequestID: "v-" + c.token})
		}
		if n := handled.Load(); n != 0 {
			t.Errorf("the handler was called %d times by calls whose Verify failed; want 0", n)
		}

		// ctx.Err() at the default deadline: still Unauthenticated, at t0+2s.
		md = hAuth("Bearer tok-W8dl", "v-dl")
		r = s.call(t, ctx, hEcho, md)
		call := hCall(hEcho, md) + " and no client deadline, DefaultDeadline 2s, Verify waiting for ctx.Done() and returning ctx.Err()"
		hWantCode(t, call, r, codes.Unauthenticated, "tok-W8dl")
		if r.elapsed != 2*time.Second {
			t.Errorf("%s returned at t0+%v; want at t0+2s (Verify runs under the default deadline)", call, r.elapsed)
		}
		hOneRecord(t, &log, call, interceptor.Record{Method: hEcho, Code: codes.Unauthenticated, Duration: 2 * time.Second, RequestID: "v-dl"})
	})
}

// TestHiddenExemptMatching checks exempt methods (rule 13): an exact entry
// exempts that method only, a whole-service entry every method of the
// service; an exempt call skips Verify, Authorize and Allow whatever its
// authorization values, and has no principal.
//
// Category: behaviour
func TestHiddenExemptMatching(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		var hooks hCounter
		var mu sync.Mutex
		var principal []string
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				hooks.add("Verify")
				return hVerify(ctx, token)
			},
			Authorize: func(interceptor.Principal, string) bool { hooks.add("Authorize"); return true },
			Allow:     func(string) bool { hooks.add("Allow"); return true },
			Exempt:    []string{"/grpc.health.v1.Health/", hOpen},
			Observe:   log.observe,
		}
		var t0 time.Time
		svc := &hSvc{unary: func(ctx context.Context, _, in string) (string, error) {
			p, ok := interceptor.PrincipalFromContext(ctx)
			dl, dlOK := ctx.Deadline()
			mu.Lock()
			defer mu.Unlock()
			principal = append(principal, fmt.Sprintf("{Subject: %q}, %v; deadline %s", p.Subject, ok, hDeadline(dl, dlOK, t0)))
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, `Config{Exempt: ["/grpc.health.v1.Health/", "/kata.v1.Echo/Open"]}`), svc)
		defer s.stop()
		ctx := context.Background()
		ex := ` (Exempt ["/grpc.health.v1.Health/", "/kata.v1.Echo/Open"])`

		resp := new(healthpb.HealthCheckResponse)
		r := s.invoke(t, ctx, hHealth, hMD("x-request-id", "h-1"), &healthpb.HealthCheckRequest{}, resp)
		if r.err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health Check without a token%s = %v, %s; want SERVING, OK", ex, resp.GetStatus(), hDescribe(r.err))
		}
		if got := hooks.take(); len(got) != 0 {
			t.Errorf("health Check without a token%s called %q; want no hook but Observe", ex, got)
		}
		hOneRecord(t, &log, "health Check without a token"+ex, interceptor.Record{Method: hHealth, Code: codes.OK, RequestID: "h-1"})

		for _, md := range []metadata.MD{
			hMD("x-request-id", "o-1"),
			hAuth("Bearer "+hTokAlice, "o-1"),
			hAuth("Basic zzz-not-a-bearer", "o-1"),
			hAuth("Bearer "+hTokBad, "o-1"),
			hMD("authorization", "Bearer "+hTokAlice, "authorization", "Bearer "+hTokBob, "x-request-id", "o-1"),
		} {
			call := hCall(hOpen, md) + ex
			mu.Lock()
			t0 = time.Now()
			mu.Unlock()
			r := s.call(t, ctx, hOpen, md)
			if r.err != nil {
				t.Errorf("%s = %s; want OK (exempt: its authorization values do not matter)", call, hDescribe(r.err))
			}
			if got := r.header.Get("x-request-id"); !slices.Equal(got, []string{"o-1"}) {
				t.Errorf("%s: the response header's x-request-id = %q; want [\"o-1\"] (an exempt call skips only authentication, authorization and the rate limit)", call, got)
			}
			if got := hooks.take(); len(got) != 0 {
				t.Errorf("%s called %q; want none of Verify, Authorize, Allow", call, got)
			}
			mu.Lock()
			seen := principal
			principal = nil
			mu.Unlock()
			if want := `{Subject: ""}, false; deadline t0+500ms`; len(seen) != 1 || seen[0] != want {
				t.Errorf("%s, DefaultDeadline 0, no client deadline: the handler saw (PrincipalFromContext; ctx.Deadline()) %q; want %q (no principal, and the default deadline still applies)", call, seen, want)
			}
			hOneRecord(t, &log, call, interceptor.Record{Method: hOpen, Code: codes.OK, RequestID: "o-1"})
		}

		for _, m := range []string{hOpenAll, hEcho, hAdmin} {
			md := hMD("x-request-id", "n-1")
			r := s.call(t, ctx, m, md)
			hWantCode(t, hCall(m, md)+ex+" (not exempt: an exact entry exempts that one method only)", r, codes.Unauthenticated)
		}
		log.take()

		// A whole-service entry of the Echo service: every method, the stream
		// too; the health service is no longer exempt.
		s2 := hStart(t, hNew(t, interceptor.Config{Verify: hVerify, Exempt: []string{"/kata.v1.Echo/"}}, `Config{Exempt: ["/kata.v1.Echo/"]}`), &hSvc{})
		defer s2.stop()
		for _, m := range []string{hEcho, hAdmin, hOpen, hOpenAll} {
			if r := s2.call(t, ctx, m, nil); r.err != nil {
				t.Errorf(`%s without a token (Exempt ["/kata.v1.Echo/"]) = %s; want OK`, hCall(m, nil), hDescribe(r.err))
			}
		}
		cctx, cancel := context.WithTimeout(ctx, hLimit)
		defer cancel()
		if cs, err := s2.cc.NewStream(cctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, hChat); err != nil {
			t.Errorf(`Chat without a token (Exempt ["/kata.v1.Echo/"]): NewStream = %s; want OK`, hDescribe(err))
		} else {
			cs.SendMsg(wrapperspb.String("hi"))
			got := new(wrapperspb.StringValue)
			if err := cs.RecvMsg(got); err != nil || got.GetValue() != "hi" {
				t.Errorf(`Chat without a token (Exempt ["/kata.v1.Echo/"]): RecvMsg after SendMsg("hi") = %q, %s; want "hi", OK`, got.GetValue(), hDescribe(err))
			}
			cs.CloseSend()
			cs.RecvMsg(got)
		}
		r = s2.invoke(t, ctx, hHealth, nil, &healthpb.HealthCheckRequest{}, new(healthpb.HealthCheckResponse))
		hWantCode(t, `health Check without a token (Exempt ["/kata.v1.Echo/"])`, r, codes.Unauthenticated)
	})
}

// TestHiddenOrderObservable checks the order as the hooks see it (rules 3,
// 4, 7, 11, 17, 18): Verify already has the request id and the deadline;
// an unauthenticated call reaches neither Authorize nor Allow; a forbidden
// one does not reach Allow; each hook runs at most once per RPC, and Allow
// is asked exactly for the calls that got past authorization.
//
// Category: behaviour
func TestHiddenOrderObservable(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var hooks hCounter
		var handled hCounter
		var verifySaw []string
		var mu sync.Mutex
		var t0 time.Time
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				id, idOK := interceptor.RequestIDFromContext(ctx)
				dl, dlOK := ctx.Deadline()
				out := hOutgoingIDs(ctx)
				mu.Lock()
				verifySaw = append(verifySaw, fmt.Sprintf("RequestIDFromContext %q, %v; deadline %s; outgoing x-request-id %q", id, idOK, hDeadline(dl, dlOK, t0), out))
				mu.Unlock()
				hooks.add("Verify(" + token + ")")
				return hVerify(ctx, token)
			},
			Authorize: func(p interceptor.Principal, method string) bool {
				hooks.add(fmt.Sprintf("Authorize(%s %v, %s)", p.Subject, p.Roles, method))
				return method != hAdmin || p.Subject == "bob"
			},
			Allow: func(subject string) bool {
				hooks.add("Allow(" + subject + ")")
				return subject != "carol"
			},
			DefaultDeadline: 2 * time.Second,
		}
		s := hStart(t, hNew(t, cfg, "Config{Verify, Authorize, Allow, DefaultDeadline: 2s}"), &hSvc{unary: func(_ context.Context, method, in string) (string, error) {
			handled.add(method)
			return in, nil
		}})
		defer s.stop()
		ctx := context.Background()

		steps := []struct {
			method string
			md     metadata.MD
			code   codes.Code
			hooks  []string
		}{
			{hEcho, hAuth("Bearer "+hTokAlice, "o-1"), codes.OK,
				[]string{"Verify(" + hTokAlice + ")", "Authorize(alice [role-alice], " + hEcho + ")", "Allow(alice)"}},
			{hEcho, hMD("x-request-id", "o-2"), codes.Unauthenticated, nil},
			{hEcho, hAuth("Basic "+hTokAlice, "o-3"), codes.Unauthenticated, nil},
			{hEcho, hAuth("Bearer "+hTokBad, "o-4"), codes.Unauthenticated, []string{"Verify(" + hTokBad + ")"}},
			{hAdmin, hAuth("Bearer "+hTokAlice, "o-5"), codes.PermissionDenied,
				[]string{"Verify(" + hTokAlice + ")", "Authorize(alice [role-alice], " + hAdmin + ")"}},
			{hAdmin, hAuth("Bearer "+hTokBob, "o-6"), codes.OK,
				[]string{"Verify(" + hTokBob + ")", "Authorize(bob [role-bob], " + hAdmin + ")", "Allow(bob)"}},
			{hEcho, hAuth("Bearer "+hTokCarol, "o-7"), codes.ResourceExhausted,
				[]string{"Verify(" + hTokCarol + ")", "Authorize(carol [role-carol], " + hEcho + ")", "Allow(carol)"}},
			{hAdmin, hAuth("Bearer "+hTokCarol, "o-8"), codes.PermissionDenied,
				[]string{"Verify(" + hTokCarol + ")", "Authorize(carol [role-carol], " + hAdmin + ")"}},
		}
		for _, st := range steps {
			call := hCall(st.method, st.md)
			mu.Lock()
			t0 = time.Now()
			verifySaw = nil
			mu.Unlock()
			r := s.call(t, ctx, st.method, st.md)
			hWantCode(t, call, r, st.code)
			if got := hooks.take(); !slices.Equal(got, st.hooks) {
				t.Errorf("%s: the hooks were called as %q; want exactly %q, in this order", call, got, st.hooks)
			}
			got := handled.take()
			if wantCalls := map[bool]int{true: 1, false: 0}[st.code == codes.OK]; len(got) != wantCalls {
				t.Errorf("%s (%v) called the handler %d times; want %d", call, st.code, len(got), wantCalls)
			}
			mu.Lock()
			saw := verifySaw
			mu.Unlock()
			id := st.md.Get("x-request-id")[0]
			want := fmt.Sprintf("RequestIDFromContext %q, true; deadline t0+2s; outgoing x-request-id [%q]", id, id)
			for _, v := range saw {
				if v != want {
					t.Errorf("%s, DefaultDeadline 2s, no client deadline: Verify saw %s; want %s (the request id and the deadline come before authentication)", call, v, want)
				}
			}
		}
	})
}

// TestHiddenRequestIDValidation checks which incoming ids are kept (rules 2
// and 6): 1 to 128 bytes of 0x21–0x7E, the first value only; otherwise one
// call of NewRequestID, whose result is used as returned; the default
// generator makes distinct 32-character lowercase hex ids.
//
// Category: boundary
func TestHiddenRequestIDValidation(t *testing.T) {
	katatest.Guard(t)
	long128 := strings.Repeat("a", 127) + "~"
	long129 := strings.Repeat("b", 128) + "!"
	long200 := strings.Repeat("g", 200)
	synctest.Test(t, func(t *testing.T) {
		var gen hCounter
		var next atomic.Value
		next.Store("gen-1")
		var seen hCounter
		var log hLog
		cfg := interceptor.Config{
			Verify: hVerify,
			NewRequestID: func() string {
				id := next.Load().(string)
				gen.add(id)
				return id
			},
			Observe: log.observe,
		}
		s := hStart(t, hNew(t, cfg, "Config{Verify, NewRequestID, Observe}"), &hSvc{unary: func(ctx context.Context, _, in string) (string, error) {
			id, ok := interceptor.RequestIDFromContext(ctx)
			seen.add(fmt.Sprintf("%s, %v", hShort(id), ok))
			return in, nil
		}})
		defer s.stop()
		ctx := context.Background()
		auth := "Bearer " + hTokAlice

		cases := []struct {
			ids  []string // incoming x-request-id values
			gen  string   // what NewRequestID returns, "" for no call expected... see wantGen
			call bool     // whether NewRequestID must be called
			want string
		}{
			{[]string{long128}, "gen-x", false, long128},
			{[]string{"!~"}, "gen-x", false, "!~"},
			{[]string{"a"}, "gen-x", false, "a"},
			{[]string{"first-id", "second-id"}, "gen-x", false, "first-id"},
			{[]string{long129}, "gen-129", true, "gen-129"},
			{[]string{"has space"}, "gen-sp", true, "gen-sp"},
			{[]string{""}, "gen-empty", true, "gen-empty"},
			{[]string{"", "second-id"}, "gen-first-empty", true, "gen-first-empty"},
			{[]string{"has space", "ok-id"}, "gen-first-bad", true, "gen-first-bad"},
			{nil, "gen-none", true, "gen-none"},
			{nil, "", true, ""},
			{nil, long200, true, long200},
			{[]string{"x y"}, "has space too", true, "has space too"},
		}
		for _, c := range cases {
			next.Store(c.gen)
			md := hMD("authorization", auth)
			for _, id := range c.ids {
				md.Append("x-request-id", id)
			}
			call := hCall(hEcho, md)
			if c.call {
				call += fmt.Sprintf(", NewRequestID returning %s", hShort(c.gen))
			}
			r := s.call(t, ctx, hEcho, md)
			if r.err != nil {
				t.Errorf("%s = %s; want OK", call, hDescribe(r.err))
				continue
			}
			g := gen.take()
			switch {
			case c.call && len(g) != 1:
				t.Errorf("%s: NewRequestID was called %d times; want once (the incoming id is not valid)", call, len(g))
			case !c.call && len(g) != 0:
				t.Errorf("%s: NewRequestID was called %d times; want none (the first incoming id is valid)", call, len(g))
			}
			if got := seen.take(); len(got) != 1 || got[0] != hShort(c.want)+", true" {
				t.Errorf("%s: RequestIDFromContext in the handler = %v; want %s, true", call, got, hShort(c.want))
			}
			if got := r.header.Get("x-request-id"); len(got) != 1 || got[0] != c.want {
				t.Errorf("%s: the response header's x-request-id = %d values %v; want exactly [%s]", call, len(got), got, hShort(c.want))
			}
			hOneRecord(t, &log, call, interceptor.Record{Method: hEcho, Code: codes.OK, Subject: "alice", RequestID: c.want})
		}
	})

	// The default generator.
	synctest.Test(t, func(t *testing.T) {
		var seen hCounter
		s := hStart(t, hNew(t, interceptor.Config{Verify: hVerify}, "Config{Verify} (NewRequestID nil)"), &hSvc{unary: func(ctx context.Context, _, in string) (string, error) {
			id, _ := interceptor.RequestIDFromContext(ctx)
			seen.add(id)
			return in, nil
		}})
		defer s.stop()
		hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
		var ids []string
		for i := range 3 {
			md := hAuth("Bearer "+hTokAlice, "")
			if i == 2 {
				md.Append("x-request-id", "bad id")
			}
			r := s.call(t, context.Background(), hEcho, md)
			call := hCall(hEcho, md) + ", NewRequestID nil"
			got := r.header.Get("x-request-id")
			h := seen.take()
			if r.err != nil || len(got) != 1 || !hexID.MatchString(got[0]) || len(h) != 1 || h[0] != got[0] {
				t.Errorf("%s = %s, header x-request-id %q, RequestIDFromContext in the handler %q; want OK and the same 32 lowercase hex characters in both", call, hDescribe(r.err), got, h)
				continue
			}
			ids = append(ids, got[0])
		}
		if len(ids) == 3 && (ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2]) {
			t.Errorf("three calls with NewRequestID nil got the ids %q; want three different ones (16 bytes of crypto/rand each)", ids)
		}
	})
}

// TestHiddenRequestIDEverywhere checks that every response and every
// context the chain passes on carries the id (rules 7 and 8): the header on
// rejected, failed and panicked calls, exactly one outgoing x-request-id in
// the handler's ctx, the id in Verify and the handler.
//
// Category: behaviour
func TestHiddenRequestIDEverywhere(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var seen hCounter
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				id, ok := interceptor.RequestIDFromContext(ctx)
				seen.add(fmt.Sprintf("Verify: RequestIDFromContext %q, %v; outgoing x-request-id %q", id, ok, hOutgoingIDs(ctx)))
				if token == "tok-D0wnVfy" {
					return interceptor.Principal{}, status.Error(codes.Unavailable, "identity backend down")
				}
				return hVerify(ctx, token)
			},
			Authorize: func(p interceptor.Principal, method string) bool { return method != hAdmin },
			Allow:     func(subject string) bool { return subject != "carol" },
		}
		svc := &hSvc{unary: func(ctx context.Context, method, in string) (string, error) {
			id, ok := interceptor.RequestIDFromContext(ctx)
			seen.add(fmt.Sprintf("handler: RequestIDFromContext %q, %v; outgoing x-request-id %q", id, ok, hOutgoingIDs(ctx)))
			switch in {
			case "panic":
				panic("handler panic pnc-H8s2x")
			case "fail":
				return "", errors.New("plain failure")
			}
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, "Config{Verify, Authorize, Allow}"), svc)
		defer s.stop()
		ctx := context.Background()

		for _, c := range []struct {
			method, in, what string
			md               metadata.MD
			code             codes.Code
			verify, handler  bool
		}{
			{hEcho, "ping", "OK", hAuth("Bearer "+hTokAlice, "e-ok"), codes.OK, true, true},
			{hEcho, "ping", "no token", hMD("x-request-id", "e-none"), codes.Unauthenticated, false, false},
			{hEcho, "ping", "Verify failing", hAuth("Bearer "+hTokBad, "e-bad"), codes.Unauthenticated, true, false},
			{hEcho, "ping", "Verify returning Unavailable", hAuth("Bearer tok-D0wnVfy", "e-unav"), codes.Unavailable, true, false},
			{hAdmin, "ping", "Authorize refusing", hAuth("Bearer "+hTokAlice, "e-perm"), codes.PermissionDenied, true, false},
			{hEcho, "ping", "Allow refusing", hAuth("Bearer "+hTokCarol, "e-rate"), codes.ResourceExhausted, true, false},
			{hEcho, "panic", "the handler panicking", hAuth("Bearer "+hTokAlice, "e-pnc"), codes.Internal, true, true},
			{hEcho, "fail", "the handler returning a plain error", hAuth("Bearer "+hTokAlice, "e-fail"), codes.Unknown, true, true},
		} {
			id := c.md.Get("x-request-id")[0]
			call := hCall(c.method, c.md) + " (" + c.what + ")"
			r := s.invoke(t, ctx, c.method, c.md, wrapperspb.String(c.in), new(wrapperspb.StringValue))
			hWantCode(t, call, r, c.code)
			if got := r.header.Get("x-request-id"); len(got) != 1 || got[0] != id {
				t.Errorf("%s: the response header's x-request-id = %q; want exactly [%q] (every response carries it)", call, got, id)
			}
			var want []string
			if c.verify {
				want = append(want, fmt.Sprintf("Verify: RequestIDFromContext %q, true; outgoing x-request-id [%q]", id, id))
			}
			if c.handler {
				want = append(want, fmt.Sprintf("handler: RequestIDFromContext %q, true; outgoing x-request-id [%q]", id, id))
			}
			if got := seen.take(); !slices.Equal(got, want) {
				t.Errorf("%s: the hooks and the handler saw %q; want %q", call, got, want)
			}
		}

		// Exactly one outgoing value, also when the ctx at entry already
		// carries outgoing metadata with an x-request-id.
		u := hNew(t, interceptor.Config{Verify: hVerify}, "Config{Verify}").Unary()
		in := metadata.NewIncomingContext(context.Background(), hAuth("Bearer "+hTokAlice, "fresh-id"))
		in = metadata.AppendToOutgoingContext(in, "x-request-id", "stale-id")
		var out []string
		_, err, pnc := hDirect(u, in, hEcho, func(ctx context.Context, req any) (any, error) {
			out = hOutgoingIDs(ctx)
			return req, nil
		})
		if err != nil || pnc != nil || len(out) != 1 || out[0] != "fresh-id" {
			t.Errorf("Unary() called directly with incoming x-request-id \"fresh-id\" and a ctx whose outgoing metadata already has x-request-id \"stale-id\" = %s (panic: %v); the handler's outgoing x-request-id = %q; want OK and exactly [\"fresh-id\"]", hDescribe(err), pnc, out)
		}
	})
}

// TestHiddenHandlerSetsHeader checks that the chain only sets its header
// (rules 8 and 19): a unary and a stream handler add x-extra of their own,
// and the client gets both it and x-request-id.
//
// Category: behaviour
func TestHiddenHandlerSetsHeader(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var errs hCounter
		svc := &hSvc{
			unary: func(ctx context.Context, _, in string) (string, error) {
				if err := grpc.SetHeader(ctx, hMD("x-extra", "unary-extra")); err != nil {
					errs.add(fmt.Sprintf("grpc.SetHeader(ctx, x-extra) in the unary handler = %v", err))
				}
				return in, nil
			},
			chat: func(ss grpc.ServerStream) error {
				if err := ss.SetHeader(hMD("x-extra", "stream-extra")); err != nil {
					errs.add(fmt.Sprintf("ss.SetHeader(x-extra) in the stream handler = %v", err))
				}
				return hEchoStream(ss)
			},
		}
		s := hStart(t, hNew(t, interceptor.Config{Verify: hVerify}, "Config{Verify}"), svc)
		defer s.stop()

		md := hAuth("Bearer "+hTokAlice, "hdr-1")
		r := s.call(t, context.Background(), hEcho, md)
		if r.err != nil || !slices.Equal(r.header.Get("x-extra"), []string{"unary-extra"}) || !slices.Equal(r.header.Get("x-request-id"), []string{"hdr-1"}) {
			t.Errorf("%s, the handler calling grpc.SetHeader(ctx, x-extra: \"unary-extra\") = %s with header x-extra %q, x-request-id %q; want OK, [\"unary-extra\"] and [\"hdr-1\"] (the chain sets its header, it does not send it)",
				hCall(hEcho, md), hDescribe(r.err), r.header.Get("x-extra"), r.header.Get("x-request-id"))
		}

		ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), hAuth("Bearer "+hTokAlice, "hdr-2")), hLimit)
		defer cancel()
		cs, err := s.cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, hChat)
		if err != nil {
			t.Fatalf("Chat: NewStream = %s", hDescribe(err))
		}
		cs.SendMsg(wrapperspb.String("hi"))
		if err := cs.RecvMsg(new(wrapperspb.StringValue)); err != nil {
			t.Errorf("Chat with a token, the handler calling ss.SetHeader(x-extra): RecvMsg = %s; want OK", hDescribe(err))
		}
		hdr, err := cs.Header()
		if err != nil || !slices.Equal(hdr.Get("x-extra"), []string{"stream-extra"}) || !slices.Equal(hdr.Get("x-request-id"), []string{"hdr-2"}) {
			t.Errorf("Chat with x-request-id \"hdr-2\", the handler calling ss.SetHeader(x-extra: \"stream-extra\"): cs.Header() = x-extra %q, x-request-id %q, %v; want [\"stream-extra\"] and [\"hdr-2\"]",
				hdr.Get("x-extra"), hdr.Get("x-request-id"), err)
		}
		cs.CloseSend()
		cs.RecvMsg(new(wrapperspb.StringValue))
		for _, e := range errs.take() {
			t.Errorf("%s; want <nil> (the chain must set its header, not send it)", e)
		}
	})
}

// TestHiddenRecordFields checks each field of the records (rules 10 and
// 12): the subject of a successful authentication is kept when a later
// stage rejects or panics; Duration counts Verify's time; Code is what the
// client receives: Unknown for a plain error, DeadlineExceeded for
// ctx.Err() at the default deadline.
//
// Category: behaviour
func TestHiddenRecordFields(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				if token == "tok-Sl33p1s" {
					time.Sleep(time.Second)
					return interceptor.Principal{Subject: "sleepy"}, nil
				}
				return hVerify(ctx, token)
			},
			Authorize:       func(p interceptor.Principal, method string) bool { return method != hAdmin },
			Allow:           func(subject string) bool { return subject != "carol" },
			Exempt:          []string{hOpen},
			DefaultDeadline: 4 * time.Second,
			Observe:         log.observe,
		}
		svc := &hSvc{unary: func(ctx context.Context, _, in string) (string, error) {
			switch in {
			case "panic":
				panic("handler panic pnc-H8s2x")
			case "plain":
				return "", errors.New("plain failure")
			case "notfound":
				return "", status.Error(codes.NotFound, "no such thing")
			case "sleep2s":
				time.Sleep(2 * time.Second)
			case "sleep5s":
				time.Sleep(5 * time.Second) // ignores ctx: outlives the default deadline
				return "late", nil
			case "wait":
				return "", hWaitDone(ctx)
			case "wrapped-canceled":
				return "", fmt.Errorf("query: %w", context.Canceled)
			}
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, "Config{Verify, Authorize, Allow, Exempt: [\"/kata.v1.Echo/Open\"], DefaultDeadline: 4s, Observe}"), svc)
		defer s.stop()
		ctx := context.Background()

		for _, c := range []struct {
			method, in, what string
			md               metadata.MD
			want             interceptor.Record
		}{
			{hEcho, "ping", "OK", hAuth("Bearer "+hTokAlice, "f-1"),
				interceptor.Record{Method: hEcho, Code: codes.OK, Subject: "alice", RequestID: "f-1"}},
			{hAdmin, "ping", "Authorize refusing", hAuth("Bearer "+hTokAlice, "f-2"),
				interceptor.Record{Method: hAdmin, Code: codes.PermissionDenied, Subject: "alice", RequestID: "f-2"}},
			{hEcho, "ping", "Allow refusing", hAuth("Bearer "+hTokCarol, "f-3"),
				interceptor.Record{Method: hEcho, Code: codes.ResourceExhausted, Subject: "carol", RequestID: "f-3"}},
			{hEcho, "panic", "the handler panicking", hAuth("Bearer "+hTokBob, "f-4"),
				interceptor.Record{Method: hEcho, Code: codes.Internal, Subject: "bob", RequestID: "f-4"}},
			{hEcho, "ping", "Verify refusing", hAuth("Bearer "+hTokBad, "f-5"),
				interceptor.Record{Method: hEcho, Code: codes.Unauthenticated, RequestID: "f-5"}},
			{hEcho, "ping", "no token", hMD("x-request-id", "f-6"),
				interceptor.Record{Method: hEcho, Code: codes.Unauthenticated, RequestID: "f-6"}},
			{hOpen, "ping", "exempt, with a valid token", hAuth("Bearer "+hTokAlice, "f-7"),
				interceptor.Record{Method: hOpen, Code: codes.OK, RequestID: "f-7"}},
			{hEcho, "plain", "the handler returning errors.New(\"plain failure\")", hAuth("Bearer "+hTokAlice, "f-8"),
				interceptor.Record{Method: hEcho, Code: codes.Unknown, Subject: "alice", RequestID: "f-8"}},
			{hEcho, "notfound", "the handler returning status NotFound", hAuth("Bearer "+hTokAlice, "f-9"),
				interceptor.Record{Method: hEcho, Code: codes.NotFound, Subject: "alice", RequestID: "f-9"}},
			{hEcho, "wrapped-canceled", "the handler returning fmt.Errorf(\"query: %w\", context.Canceled)", hAuth("Bearer "+hTokAlice, "f-10"),
				interceptor.Record{Method: hEcho, Code: codes.Canceled, Subject: "alice", RequestID: "f-10"}},
			{hEcho, "sleep2s", "Verify sleeping 1s, the handler 2s", hAuth("Bearer tok-Sl33p1s", "f-11"),
				interceptor.Record{Method: hEcho, Code: codes.OK, Duration: 3 * time.Second, Subject: "sleepy", RequestID: "f-11"}},
			{hEcho, "wait", "no client deadline, DefaultDeadline 4s, the handler returning ctx.Err() once ctx is done", hAuth("Bearer "+hTokAlice, "f-12"),
				interceptor.Record{Method: hEcho, Code: codes.DeadlineExceeded, Duration: 4 * time.Second, Subject: "alice", RequestID: "f-12"}},
			{hEcho, "sleep5s", "no client deadline, DefaultDeadline 4s, the handler ignoring ctx, sleeping 5s and returning OK", hAuth("Bearer "+hTokAlice, "f-13"),
				interceptor.Record{Method: hEcho, Code: codes.OK, Duration: 5 * time.Second, Subject: "alice", RequestID: "f-13"}},
		} {
			call := hCall(c.method, c.md) + " (" + c.what + ")"
			r := s.invoke(t, ctx, c.method, c.md, wrapperspb.String(c.in), new(wrapperspb.StringValue))
			hWantCode(t, call, r, c.want.Code)
			if r.elapsed != c.want.Duration {
				t.Errorf("%s returned at t0+%v; want t0+%v", call, r.elapsed, c.want.Duration)
			}
			hOneRecord(t, &log, call, c.want)
		}
	})
}

// TestHiddenClientDeadlineKept checks the deadline stage (rules 11 and 12):
// a client's deadline, earlier or later than the default, reaches Verify
// and the handler unchanged, and so does its cancellation; without one both
// see entry + DefaultDeadline, and a handler waiting for it fails with
// DeadlineExceeded at exactly that instant.
//
// Category: timing
func TestHiddenClientDeadlineKept(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		var seen hCounter
		var t0 time.Time
		var mu sync.Mutex
		at := func(ctx context.Context) string {
			mu.Lock()
			defer mu.Unlock()
			dl, ok := ctx.Deadline()
			return hDeadline(dl, ok, t0)
		}
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				seen.add("Verify: " + at(ctx))
				return hVerify(ctx, token)
			},
			DefaultDeadline: 2 * time.Second,
			Observe:         log.observe,
		}
		svc := &hSvc{unary: func(ctx context.Context, _, in string) (string, error) {
			seen.add("handler: " + at(ctx))
			if in == "wait" {
				err := hWaitDone(ctx)
				mu.Lock()
				done := fmt.Sprintf("handler: ctx done at t0+%v with %v", time.Since(t0), err)
				mu.Unlock()
				seen.add(done)
				return "", err
			}
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, "Config{Verify, DefaultDeadline: 2s, Observe}"), svc)
		defer s.stop()

		for _, c := range []struct {
			what string
			dl   time.Duration // 0: none
			want string
		}{
			{"a client deadline of 1s", time.Second, "t0+1s"},
			{"a client deadline of 10s", 10 * time.Second, "t0+10s"},
			{"no client deadline", 0, "t0+2s"},
		} {
			mu.Lock()
			t0 = time.Now()
			mu.Unlock()
			ctx := context.Background()
			if c.dl > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.dl)
				defer cancel()
			}
			md := hAuth("Bearer "+hTokAlice, "d-1")
			r := s.call(t, ctx, hEcho, md)
			call := hCall(hEcho, md) + " with " + c.what + ", DefaultDeadline 2s"
			hWantCode(t, call, r, codes.OK)
			want := []string{"Verify: " + c.want, "handler: " + c.want}
			if got := seen.take(); !slices.Equal(got, want) {
				t.Errorf("%s: the deadlines seen were %q; want %q", call, got, want)
			}
			log.take()
		}

		// The default deadline ends a handler that waits for it.
		mu.Lock()
		t0 = time.Now()
		mu.Unlock()
		md := hAuth("Bearer "+hTokAlice, "d-2")
		r := s.invoke(t, context.Background(), hEcho, md, wrapperspb.String("wait"), new(wrapperspb.StringValue))
		call := hCall(hEcho, md) + " with no client deadline, DefaultDeadline 2s, the handler returning ctx.Err() once ctx is done"
		hWantCode(t, call, r, codes.DeadlineExceeded)
		if r.elapsed != 2*time.Second {
			t.Errorf("%s returned at t0+%v; want t0+2s", call, r.elapsed)
		}
		seen.take()
		hOneRecord(t, &log, call, interceptor.Record{Method: hEcho, Code: codes.DeadlineExceeded, Duration: 2 * time.Second, Subject: "alice", RequestID: "d-2"})

		// A client's cancellation reaches the handler, deadline or not.
		for _, dl := range []time.Duration{0, 10 * time.Second} {
			mu.Lock()
			t0 = time.Now()
			mu.Unlock()
			ctx, cancel := context.WithCancel(context.Background())
			if dl > 0 {
				var stop context.CancelFunc
				ctx, stop = context.WithTimeout(ctx, dl)
				defer stop()
			}
			time.AfterFunc(time.Second, cancel)
			md := hAuth("Bearer "+hTokAlice, "d-3")
			r := s.invoke(t, ctx, hEcho, md, wrapperspb.String("wait"), new(wrapperspb.StringValue))
			what := "no client deadline"
			if dl > 0 {
				what = "a client deadline of 10s"
			}
			call := hCall(hEcho, md) + " with " + what + ", cancelled by the client at t0+1s, the handler returning ctx.Err() once ctx is done"
			hWantCode(t, call, r, codes.Canceled)
			synctest.Wait() // the server side finishes after the client has its answer
			got := seen.take()
			want := "handler: ctx done at t0+1s with context canceled"
			if len(got) != 3 || got[2] != want {
				t.Errorf("%s: the handler saw %q; want its ctx cancelled at t0+1s (%q)", call, got, want)
			}
			recs := log.take()
			if len(recs) != 1 || recs[0].Code != codes.Canceled || recs[0].Duration != time.Second {
				t.Errorf("%s: the records made = %s; want exactly one, with Code Canceled and Duration 1s", call, hRecords(recs))
			}
		}
	})
}

// TestHiddenStreamChain checks streams (rules 5, 11, 19, 20): the handler's
// ss.Context() carries the principal, the id and the deadline; messages
// flow through the original stream; one record per stream, made when the
// handler returns; an unauthenticated stream fails on the first receive; a
// client cancellation and a panic mid-stream are recorded as Canceled and
// Internal.
//
// Category: behaviour
func TestHiddenStreamChain(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		var seen hCounter
		var t0 time.Time
		var mu sync.Mutex
		var handled atomic.Int32
		svc := &hSvc{chat: func(ss grpc.ServerStream) error {
			handled.Add(1)
			ctx := ss.Context()
			p, pOK := interceptor.PrincipalFromContext(ctx)
			id, idOK := interceptor.RequestIDFromContext(ctx)
			dl, dlOK := ctx.Deadline()
			out := hOutgoingIDs(ctx)
			mu.Lock()
			saw := fmt.Sprintf("principal %q, %v; id %q, %v; outgoing x-request-id %q; deadline %s", p.Subject, pOK, id, idOK, out, hDeadline(dl, dlOK, t0))
			mu.Unlock()
			seen.add(saw)
			for n := 0; ; n++ {
				m := new(wrapperspb.StringValue)
				if err := ss.RecvMsg(m); err == io.EOF {
					return nil
				} else if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					return err
				}
				if m.GetValue() == "panic" {
					panic("stream panic pnc-S7tq")
				}
				if err := ss.SendMsg(m); err != nil {
					return err
				}
			}
		}}
		var verified atomic.Int32
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				verified.Add(1)
				return hVerify(ctx, token)
			},
			DefaultDeadline: 3 * time.Second,
			Observe:         log.observe,
		}
		s := hStart(t, hNew(t, cfg, "Config{Verify, DefaultDeadline: 3s, Observe}"), svc)
		defer s.stop()
		desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
		open := func(ctx context.Context, md metadata.MD) grpc.ClientStream {
			mu.Lock()
			t0 = time.Now()
			mu.Unlock()
			cs, err := s.cc.NewStream(metadata.NewOutgoingContext(ctx, md), desc, hChat)
			if err != nil {
				t.Fatalf("Chat%s: NewStream = %s", hMDString(md), hDescribe(err))
			}
			return cs
		}
		bounded := func() (context.Context, context.CancelFunc) {
			// A bound in virtual time for every wait; it is not a deadline
			// the chain can see (the stream's own ctx carries it).
			return context.WithCancel(context.Background())
		}
		guard := func(cancel context.CancelFunc) *time.Timer { return time.AfterFunc(hLimit, cancel) }

		// A clean stream with no client deadline.
		ctx, cancel := bounded()
		g := guard(cancel)
		md := hAuth("Bearer "+hTokAlice, "s-1")
		cs := open(ctx, md)
		for _, msg := range []string{"one", "two"} {
			cs.SendMsg(wrapperspb.String(msg))
			got := new(wrapperspb.StringValue)
			if err := cs.RecvMsg(got); err != nil || got.GetValue() != msg {
				t.Errorf("Chat%s: RecvMsg after SendMsg(%q) = %q, %s; want %q, OK", hMDString(md), msg, got.GetValue(), hDescribe(err), msg)
			}
		}
		cs.CloseSend()
		if err := cs.RecvMsg(new(wrapperspb.StringValue)); err != io.EOF {
			t.Errorf("Chat%s: RecvMsg after CloseSend = %s; want io.EOF", hMDString(md), hDescribe(err))
		}
		if hdr, _ := cs.Header(); !slices.Equal(hdr.Get("x-request-id"), []string{"s-1"}) {
			t.Errorf("Chat%s: cs.Header() x-request-id = %q; want [\"s-1\"]", hMDString(md), hdr.Get("x-request-id"))
		}
		g.Stop()
		cancel()
		if n := verified.Swap(0); n != 1 {
			t.Errorf("Chat%s with two messages called Verify %d times; want once (the chain runs when the stream starts, not per message)", hMDString(md), n)
		}
		want := `principal "alice", true; id "s-1", true; outgoing x-request-id ["s-1"]; deadline t0+3s`
		if got := seen.take(); len(got) != 1 || got[0] != want {
			t.Errorf("Chat%s with no client deadline, DefaultDeadline 3s: the handler's ss.Context() gave %q; want once %q", hMDString(md), got, want)
		}
		hOneRecord(t, &log, "Chat"+hMDString(md)+" (two messages, then CloseSend)", interceptor.Record{Method: hChat, Code: codes.OK, Subject: "alice", RequestID: "s-1"})

		// No token: the first receive fails; the handler never runs.
		handled.Store(0)
		ctx, cancel = bounded()
		g = guard(cancel)
		md = hMD("x-request-id", "s-2")
		cs = open(ctx, md)
		cs.SendMsg(wrapperspb.String("one"))
		err := cs.RecvMsg(new(wrapperspb.StringValue))
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("Chat%s: the first RecvMsg = %s; want Unauthenticated", hMDString(md), hDescribe(err))
		}
		g.Stop()
		cancel()
		if n := handled.Load(); n != 0 {
			t.Errorf("Chat%s called the stream handler %d times; want no call", hMDString(md), n)
		}
		seen.take()
		hOneRecord(t, &log, "Chat"+hMDString(md), interceptor.Record{Method: hChat, Code: codes.Unauthenticated, RequestID: "s-2"})

		// A client cancellation mid-stream.
		ctx, cancel = bounded()
		md = hAuth("Bearer "+hTokBob, "s-3")
		cs = open(ctx, md)
		cs.SendMsg(wrapperspb.String("one"))
		cs.RecvMsg(new(wrapperspb.StringValue))
		time.Sleep(time.Second)
		cancel()
		synctest.Wait()
		seen.take()
		hOneRecord(t, &log, "Chat"+hMDString(md)+", cancelled by the client at t0+1s, the handler returning ss.Context().Err()",
			interceptor.Record{Method: hChat, Code: codes.Canceled, Duration: time.Second, Subject: "bob", RequestID: "s-3"})

		// A panic mid-stream.
		ctx, cancel = bounded()
		g = guard(cancel)
		md = hAuth("Bearer "+hTokBob, "s-4")
		cs = open(ctx, md)
		cs.SendMsg(wrapperspb.String("one"))
		cs.RecvMsg(new(wrapperspb.StringValue))
		cs.SendMsg(wrapperspb.String("panic"))
		err = cs.RecvMsg(new(wrapperspb.StringValue))
		if st, _ := status.FromError(err); st.Code() != codes.Internal || st.Message() != "internal error" {
			t.Errorf("Chat%s, the handler panicking with \"stream panic pnc-S7tq\" at the second message: RecvMsg = %s; want Internal \"internal error\"", hMDString(md), hDescribe(err))
		}
		g.Stop()
		cancel()
		seen.take()
		hOneRecord(t, &log, "Chat"+hMDString(md)+", the handler panicking at the second message",
			interceptor.Record{Method: hChat, Code: codes.Internal, Subject: "bob", RequestID: "s-4"})
	})
}

// TestHiddenPanicsContained checks recovery around every stage (rules 3, 5
// and 9): a panic in the handler, Verify, Authorize, Allow, NewRequestID or
// Observe gives Internal "internal error" without the panic value, the
// server answers the next call, and the records are exactly one per RPC
// (none when NewRequestID panicked, the one already made when Observe did).
//
// Category: behaviour
func TestHiddenPanicsContained(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "is a lock held while a hook runs, or left held when a hook panics?")
	synctest.Test(t, func(t *testing.T) {
		var log hLog
		var idPanics atomic.Bool
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				switch token {
				case "tok-PvErify":
					panic("verify panic pnc-V3r1")
				case "tok-PaUthz":
					return interceptor.Principal{Subject: "authz-panic"}, nil
				case "tok-PaLlow":
					return interceptor.Principal{Subject: "allow-panic"}, nil
				}
				return hVerify(ctx, token)
			},
			Authorize: func(p interceptor.Principal, _ string) bool {
				if p.Subject == "authz-panic" {
					panic(errors.New("authorize panic pnc-A5z9"))
				}
				return true
			},
			Allow: func(subject string) bool {
				if subject == "allow-panic" {
					panic(fmt.Sprintf("allow panic pnc-L0w%d", 7))
				}
				return true
			},
			NewRequestID: func() string {
				if idPanics.Swap(false) {
					panic("request id panic pnc-R1d")
				}
				return "generated"
			},
			Observe: func(r interceptor.Record) {
				log.observe(r)
				if r.RequestID == "p-observe" {
					panic("observe panic pnc-0bs")
				}
			},
		}
		svc := &hSvc{unary: func(_ context.Context, method, in string) (string, error) {
			if method == hAdmin {
				panic("handler panic pnc-H8s2x")
			}
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, "Config{every hook}"), svc)
		defer s.stop()
		ctx := context.Background()

		for _, c := range []struct {
			what, method string
			md           metadata.MD
			secret       string
			records      []interceptor.Record
			header       bool
		}{
			{"the handler panics", hAdmin, hAuth("Bearer "+hTokAlice, "p-handler"), "pnc-H8s2x",
				[]interceptor.Record{{Method: hAdmin, Code: codes.Internal, Subject: "alice", RequestID: "p-handler"}}, true},
			{"Verify panics", hEcho, hAuth("Bearer tok-PvErify", "p-verify"), "pnc-V3r1",
				[]interceptor.Record{{Method: hEcho, Code: codes.Internal, RequestID: "p-verify"}}, true},
			{"Authorize panics", hEcho, hAuth("Bearer tok-PaUthz", "p-authz"), "pnc-A5z9",
				[]interceptor.Record{{Method: hEcho, Code: codes.Internal, Subject: "authz-panic", RequestID: "p-authz"}}, true},
			{"Allow panics", hEcho, hAuth("Bearer tok-PaLlow", "p-allow"), "pnc-L0w7",
				[]interceptor.Record{{Method: hEcho, Code: codes.Internal, Subject: "allow-panic", RequestID: "p-allow"}}, true},
			{"NewRequestID panics", hEcho, hAuth("Bearer "+hTokAlice, ""), "pnc-R1d", nil, false},
			{"Observe panics (after recording)", hEcho, hAuth("Bearer "+hTokAlice, "p-observe"), "pnc-0bs",
				[]interceptor.Record{{Method: hEcho, Code: codes.OK, Subject: "alice", RequestID: "p-observe"}}, true},
		} {
			idPanics.Store(c.what == "NewRequestID panics")
			call := hCall(c.method, c.md) + ", " + c.what
			r := s.call(t, ctx, c.method, c.md)
			if st, _ := status.FromError(r.err); st.Code() != codes.Internal || st.Message() != "internal error" {
				t.Errorf("%s = %s; want Internal \"internal error\" (never the panic value)", call, hDescribe(r.err))
			}
			if id := c.md.Get("x-request-id"); c.header && !slices.Equal(r.header.Get("x-request-id"), id) {
				t.Errorf("%s: the response header's x-request-id = %q; want %q (the id was chosen before the panic)", call, r.header.Get("x-request-id"), id)
			}
			if recs := log.take(); !slices.Equal(recs, c.records) {
				t.Errorf("%s: the records made by the time the call returned = %s; want exactly %s", call, hRecords(recs), hRecords(c.records))
			}
			next := hAuth("Bearer "+hTokBob, "p-next")
			if r := s.call(t, ctx, hEcho, next); r.err != nil {
				t.Errorf("%s after a call where %s = %s; want OK (the server goes on serving)", hCall(hEcho, next), c.what, hDescribe(r.err))
			}
			if recs := log.take(); len(recs) != 1 || recs[0] != (interceptor.Record{Method: hEcho, Code: codes.OK, Subject: "bob", RequestID: "p-next"}) {
				t.Errorf("%s after a call where %s: the records made = %s; want exactly one, with Code OK", hCall(hEcho, next), c.what, hRecords(recs))
			}
		}
	})
}

// TestHiddenConcurrentRPCs runs 20 goroutines × 10 mixed calls on one
// ClientConn while every hook and the handler sleep 100 ms (rules 4 and
// 22): each call takes exactly the sum of its own sleeps, its record says
// so, and there are exactly 200 records.
//
// Category: concurrency
func TestHiddenConcurrentRPCs(t *testing.T) {
	katatest.Watchdog(t, katatest.DefaultHang, "do the hooks of different RPCs wait for each other (a lock held while a hook sleeps)?")
	synctest.Test(t, func(t *testing.T) {
		const ms = time.Millisecond
		var log hLog
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				time.Sleep(100 * ms)
				return hVerify(ctx, token)
			},
			Authorize: func(p interceptor.Principal, method string) bool {
				time.Sleep(100 * ms)
				return method != hAdmin
			},
			Allow: func(subject string) bool {
				time.Sleep(100 * ms)
				return subject != "carol"
			},
			Exempt:  []string{hOpen},
			Observe: log.observe,
		}
		svc := &hSvc{unary: func(_ context.Context, _, in string) (string, error) {
			time.Sleep(100 * ms)
			return in, nil
		}}
		s := hStart(t, hNew(t, cfg, "Config{Verify, Authorize, Allow, Exempt, Observe}"), svc)
		defer s.stop()

		kinds := []struct {
			what, method, auth string
			code               codes.Code
			took               time.Duration
			subject            string
		}{
			{"OK", hEcho, "Bearer " + hTokAlice, codes.OK, 400 * ms, "alice"},
			{"no token", hEcho, "", codes.Unauthenticated, 0, ""},
			{"a bad token", hEcho, "Bearer " + hTokBad, codes.Unauthenticated, 100 * ms, ""},
			{"forbidden", hAdmin, "Bearer " + hTokBob, codes.PermissionDenied, 200 * ms, "bob"},
			{"rate limited", hEcho, "Bearer " + hTokCarol, codes.ResourceExhausted, 300 * ms, "carol"},
			{"exempt", hOpen, "", codes.OK, 100 * ms, ""},
		}
		const goroutines, calls = 20, 10
		want := map[string]interceptor.Record{}
		var wg sync.WaitGroup
		for g := range goroutines {
			for i := range calls {
				k := kinds[(g+i)%len(kinds)]
				id := fmt.Sprintf("c-%d-%d", g, i)
				want[id] = interceptor.Record{Method: k.method, Code: k.code, Duration: k.took, Subject: k.subject, RequestID: id}
			}
			wg.Go(func() {
				for i := range calls {
					k := kinds[(g+i)%len(kinds)]
					md := hMD("x-request-id", fmt.Sprintf("c-%d-%d", g, i))
					if k.auth != "" {
						md.Append("authorization", k.auth)
					}
					r := s.call(t, context.Background(), k.method, md)
					call := fmt.Sprintf("%s (%s, every hook and the handler sleeping 100ms, %d goroutines at once)", hCall(k.method, md), k.what, goroutines)
					if status.Code(r.err) != k.code || r.elapsed != k.took {
						t.Errorf("%s = %s after %v; want %v after exactly %v", call, hDescribe(r.err), r.elapsed, k.code, k.took)
					}
				}
			})
		}
		wg.Wait()
		recs := log.take()
		if len(recs) != goroutines*calls {
			t.Errorf("%d calls made %d records; want exactly %d", goroutines*calls, len(recs), goroutines*calls)
		}
		bad := 0
		for _, r := range recs {
			if w, ok := want[r.RequestID]; !ok || r != w {
				if bad++; bad <= 5 {
					t.Errorf("record %s; want %s", hRecord(r), hRecord(w))
				}
			}
			delete(want, r.RequestID)
		}
		if len(want) > 0 {
			t.Errorf("%d calls have no record", len(want))
		}
	})
}
