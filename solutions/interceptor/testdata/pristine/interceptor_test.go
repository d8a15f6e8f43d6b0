package interceptor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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

// The tests run a real grpc server with your chain over an in-memory
// bufconn listener, inside testing/synctest bubbles: time is virtual, so
// durations and deadlines are compared exactly. The service is a small
// hand-written one, "kata.v1.Echo" (no .proto): unary methods Echo, Admin,
// Open and OpenAll, and a bidirectional stream Chat, all carrying
// wrapperspb.StringValue. grpc's health service is registered too.

const (
	echoMethod  = "/kata.v1.Echo/Echo"
	adminMethod = "/kata.v1.Echo/Admin"
	chatMethod  = "/kata.v1.Echo/Chat"
	healthCheck = "/grpc.health.v1.Health/Check"
)

// echoService is the server side of kata.v1.Echo. unary answers every unary
// method (nil: echo the request); chat runs the Chat stream (nil: echo
// every message until the client closes its side).
type echoService struct {
	unary func(ctx context.Context, method, in string) (string, error)
	chat  func(ss grpc.ServerStream) error
}

func unaryMethod(name string) grpc.MethodDesc {
	full := "/kata.v1.Echo/" + name
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				s := srv.(*echoService)
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

var echoDesc = grpc.ServiceDesc{
	ServiceName: "kata.v1.Echo",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{unaryMethod("Echo"), unaryMethod("Admin"), unaryMethod("Open"), unaryMethod("OpenAll")},
	Streams: []grpc.StreamDesc{{
		StreamName:    "Chat",
		ServerStreams: true,
		ClientStreams: true,
		Handler: func(srv any, ss grpc.ServerStream) error {
			if s := srv.(*echoService); s.chat != nil {
				return s.chat(ss)
			}
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
		},
	}},
}

// escaped starts the message of the status that safetyNet returns for a
// panic that got out of the chain.
const escaped = "microkata: a panic escaped the interceptor chain: "

// safetyNet runs outside your chain. grpc-go does not recover panics: one
// that escapes the chain would crash the whole test binary. safetyNet turns
// it into a status the tests can report instead. The stub's "not
// implemented" panic goes through.
func safetyNet(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r)
			}
			resp, err = nil, status.Errorf(codes.Unknown, "%s%v", escaped, r)
		}
	}()
	return h(ctx, req)
}

// streamSafetyNet is safetyNet for streams.
func streamSafetyNet(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == "not implemented" {
				panic(r)
			}
			err = status.Errorf(codes.Unknown, "%s%v", escaped, r)
		}
	}()
	return h(srv, ss)
}

// newChain calls interceptor.New(cfg) and fails the test unless it returns
// a chain.
func newChain(t testing.TB, cfg interceptor.Config) *interceptor.Chain {
	t.Helper()
	c, err := interceptor.New(cfg)
	if err != nil || c == nil {
		t.Fatalf("interceptor.New(a valid Config) = %v, %v; want a *Chain and <nil>", c, err)
	}
	return c
}

// testServer is a grpc server with a chain, served over bufconn, and one
// client connection to it.
type testServer struct {
	gs     *grpc.Server
	cc     *grpc.ClientConn
	served chan error
}

// startServer serves echo (and grpc's health service) with c's interceptors
// over bufconn. Call it inside the bubble and defer stop.
func startServer(t testing.TB, c *interceptor.Chain, echo *echoService) *testServer {
	t.Helper()
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(safetyNet, c.Unary()),
		grpc.ChainStreamInterceptor(streamSafetyNet, c.Stream()))
	gs.RegisterService(&echoDesc, echo)
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
	return &testServer{gs: gs, cc: cc, served: served}
}

// stop closes the client, stops the server and waits for Serve to return,
// so no goroutine outlives the bubble.
func (s *testServer) stop() {
	s.cc.Close()
	s.gs.Stop()
	<-s.served
}

// result is what a client got from one RPC.
type result struct {
	reply   string
	err     error
	header  metadata.MD
	elapsed time.Duration // virtual time from the call to its return
}

// call invokes a unary method with the request "ping" and the metadata
// pairs kv ("authorization", "Bearer tok-alice", ...). It waits at most a
// minute of virtual time.
func (s *testServer) call(t testing.TB, ctx context.Context, method string, kv ...string) result {
	t.Helper()
	return s.invoke(t, ctx, method, wrapperspb.String("ping"), new(wrapperspb.StringValue), kv...)
}

func (s *testServer) invoke(t testing.TB, ctx context.Context, method string, req, reply any, kv ...string) result {
	t.Helper()
	ctx = metadata.NewOutgoingContext(ctx, metadata.Pairs(kv...))
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		var hdr metadata.MD
		err := s.cc.Invoke(ctx, method, req, reply, grpc.Header(&hdr))
		var out string
		if v, ok := reply.(*wrapperspb.StringValue); ok {
			out = v.GetValue()
		}
		done <- result{reply: out, err: err, header: hdr, elapsed: time.Since(start)}
	}()
	select {
	case r := <-done:
		return r
	case <-time.After(time.Minute):
		t.Errorf("%s%s did not return within a minute of virtual time: does the chain wait for something that never comes?", method, mdString(kv))
		return result{err: errors.New("no answer within a minute of virtual time"), elapsed: time.Minute}
	}
}

// mdString prints metadata pairs as the tests' messages name them.
func mdString(kv []string) string {
	if len(kv) == 0 {
		return " with no metadata"
	}
	var b strings.Builder
	b.WriteString(" with metadata")
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %s: %q", kv[i], kv[i+1])
	}
	return b.String()
}

// describe prints what a client got: OK or a status by code and message.
func describe(err error) string {
	if err == nil {
		return "OK"
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Sprintf("%q (%T, not a gRPC status)", err.Error(), err)
	}
	if msg, ok := strings.CutPrefix(st.Message(), escaped); ok {
		return "a panic that escaped your chain (grpc-go does not recover it: a real server would have crashed): " + msg
	}
	return fmt.Sprintf("%v %q", st.Code(), st.Message())
}

// recorder collects the records of Config.Observe.
type recorder struct {
	mu   sync.Mutex
	recs []interceptor.Record
}

func (r *recorder) observe(rec interceptor.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

// take returns the records so far and forgets them.
func (r *recorder) take() []interceptor.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	recs := r.recs
	r.recs = nil
	return recs
}

// recordString prints a Record field by field.
func recordString(r interceptor.Record) string {
	return fmt.Sprintf("{Method: %q, Code: %v, Duration: %v, Subject: %q, RequestID: %q}", r.Method, r.Code, r.Duration, r.Subject, r.RequestID)
}

func recordsString(recs []interceptor.Record) string {
	if len(recs) == 0 {
		return "no records"
	}
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = recordString(r)
	}
	return strings.Join(s, ", ")
}

// users is the test's identity service: token → subject.
var users = map[string]string{
	"tok-alice": "alice",
	"tok-bob":   "bob",
}

// verifyUsers is a Verify that knows the tokens of users.
func verifyUsers(_ context.Context, token string) (interceptor.Principal, error) {
	if sub, ok := users[token]; ok {
		return interceptor.Principal{Subject: sub}, nil
	}
	return interceptor.Principal{}, errors.New("unknown token")
}

// TestConfigValidation shows what New refuses (rule 1): a nil Verify, a
// negative DefaultDeadline, and Exempt entries that are neither
// "/service/method" nor "/service/".
func TestConfigValidation(t *testing.T) {
	katatest.Guard(t)
	tests := []struct {
		name string
		cfg  interceptor.Config
		ok   bool
	}{
		{"Verify nil", interceptor.Config{}, false},
		{"DefaultDeadline -1", interceptor.Config{Verify: verifyUsers, DefaultDeadline: -1}, false},
		{`Exempt ["grpc.health.v1.Health"]`, interceptor.Config{Verify: verifyUsers, Exempt: []string{"grpc.health.v1.Health"}}, false},
		{`Exempt ["/a/b/c"]`, interceptor.Config{Verify: verifyUsers, Exempt: []string{"/a/b/c"}}, false},
		{"only Verify", interceptor.Config{Verify: verifyUsers}, true},
		{`Exempt ["/grpc.health.v1.Health/"] (a whole service)`, interceptor.Config{Verify: verifyUsers, Exempt: []string{"/grpc.health.v1.Health/"}}, true},
		{`Exempt ["/kata.v1.Echo/Open"] (one method)`, interceptor.Config{Verify: verifyUsers, Exempt: []string{"/kata.v1.Echo/Open"}}, true},
		{"DefaultDeadline 0", interceptor.Config{Verify: verifyUsers, DefaultDeadline: 0}, true},
	}
	for _, tt := range tests {
		c, err := interceptor.New(tt.cfg)
		switch {
		case tt.ok && (err != nil || c == nil):
			t.Errorf("New(Config{%s}) = %v, %v; want a *Chain and <nil>", tt.name, c, err)
		case !tt.ok && (c != nil || !errors.Is(err, interceptor.ErrInvalidConfig)):
			t.Errorf("New(Config{%s}) = %v, %v; want nil and an error matching ErrInvalidConfig", tt.name, c, err)
		}
	}
}

// TestBearerTokenRequired shows authentication (rules 14 and 15): a call
// without a token is refused before the handler; "Bearer tok-alice" is
// verified, and the handler finds the principal in its context.
func TestBearerTokenRequired(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var handled atomic.Int32
		var seen interceptor.Principal
		var seenOK bool
		echo := &echoService{unary: func(ctx context.Context, _, in string) (string, error) {
			handled.Add(1)
			seen, seenOK = interceptor.PrincipalFromContext(ctx)
			return in, nil
		}}
		s := startServer(t, newChain(t, interceptor.Config{Verify: verifyUsers}), echo)
		defer s.stop()
		ctx := context.Background()

		if r := s.call(t, ctx, echoMethod); status.Code(r.err) != codes.Unauthenticated {
			t.Errorf("Echo with no authorization metadata = %s; want Unauthenticated", describe(r.err))
		}
		if n := handled.Load(); n != 0 {
			t.Errorf("Echo with no authorization metadata called the handler %d times; want 0", n)
		}

		r := s.call(t, ctx, echoMethod, "authorization", "Bearer tok-alice")
		if r.err != nil || r.reply != "ping" {
			t.Fatalf("Echo(%q) with authorization %q = %q, %s; want %q, OK", "ping", "Bearer tok-alice", r.reply, describe(r.err), "ping")
		}
		if !seenOK || seen.Subject != "alice" {
			t.Errorf("in the handler of an Echo with authorization %q, PrincipalFromContext(ctx) = {Subject: %q}, %v; want {Subject: %q}, true", "Bearer tok-alice", seen.Subject, seenOK, "alice")
		}
	})
}

// TestHealthIsExempt shows an exempt service (rule 13): with Exempt
// "/grpc.health.v1.Health/", a health Check needs no token, and Verify is
// not called.
func TestHealthIsExempt(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var verified atomic.Int32
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				verified.Add(1)
				return verifyUsers(ctx, token)
			},
			Exempt: []string{"/grpc.health.v1.Health/"},
		}
		s := startServer(t, newChain(t, cfg), &echoService{})
		defer s.stop()

		resp := new(healthpb.HealthCheckResponse)
		r := s.invoke(t, context.Background(), healthCheck, &healthpb.HealthCheckRequest{}, resp)
		if r.err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf(`health Check("") with no token, Exempt ["/grpc.health.v1.Health/"] = %v, %s; want SERVING, OK`, resp.GetStatus(), describe(r.err))
		}
		if n := verified.Load(); n != 0 {
			t.Errorf("Verify was called %d times for an exempt health Check; want 0", n)
		}
		if r := s.call(t, context.Background(), echoMethod); status.Code(r.err) != codes.Unauthenticated {
			t.Errorf(`Echo with no token, Exempt ["/grpc.health.v1.Health/"] = %s; want Unauthenticated (only the health service is exempt)`, describe(r.err))
		}
	})
}

// TestRequestIDHeader shows the request id (rules 6 and 8): a valid
// incoming x-request-id comes back in the response header; without one,
// the id NewRequestID made does.
func TestRequestIDHeader(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var seen []string
		echo := &echoService{unary: func(ctx context.Context, _, in string) (string, error) {
			id, _ := interceptor.RequestIDFromContext(ctx)
			seen = append(seen, id)
			return in, nil
		}}
		cfg := interceptor.Config{Verify: verifyUsers, NewRequestID: func() string { return "gen-1" }}
		s := startServer(t, newChain(t, cfg), echo)
		defer s.stop()
		ctx := context.Background()

		tests := []struct {
			kv   []string
			want string
		}{
			{[]string{"authorization", "Bearer tok-alice", "x-request-id", "req-7f3a"}, "req-7f3a"},
			{[]string{"authorization", "Bearer tok-alice"}, "gen-1"},
		}
		for _, tt := range tests {
			seen = nil
			r := s.call(t, ctx, echoMethod, tt.kv...)
			if r.err != nil {
				t.Errorf("Echo%s = %s; want OK", mdString(tt.kv), describe(r.err))
			}
			if got := r.header.Get("x-request-id"); len(got) != 1 || got[0] != tt.want {
				t.Errorf("Echo%s: the response header's x-request-id = %q; want [%q]", mdString(tt.kv), got, tt.want)
			}
			if len(seen) != 1 || seen[0] != tt.want {
				t.Errorf("Echo%s: RequestIDFromContext in the handler = %q; want %q", mdString(tt.kv), seen, tt.want)
			}
		}
	})
}

// TestPanicBecomesInternal shows recovery (rule 5): a handler that panics
// gives the client Internal with the fixed message "internal error" (never
// the panic value), and the server goes on serving.
func TestPanicBecomesInternal(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		echo := &echoService{unary: func(_ context.Context, method, in string) (string, error) {
			if method == adminMethod {
				panic("db password is hunter2")
			}
			return in, nil
		}}
		s := startServer(t, newChain(t, interceptor.Config{Verify: verifyUsers}), echo)
		defer s.stop()
		ctx := context.Background()

		r := s.call(t, ctx, adminMethod, "authorization", "Bearer tok-alice")
		if st, _ := status.FromError(r.err); st.Code() != codes.Internal || st.Message() != "internal error" {
			t.Errorf(`Admin whose handler panics with "db password is hunter2" = %s; want Internal "internal error"`, describe(r.err))
		}
		if r := s.call(t, ctx, echoMethod, "authorization", "Bearer tok-alice"); r.err != nil {
			t.Errorf("Echo after a handler panicked = %s; want OK (the server goes on)", describe(r.err))
		}
	})
}

// TestRateLimitPerPrincipal shows the rate limit (rule 18): Allow is asked
// with the subject; a refused call gets ResourceExhausted, and another
// principal has a budget of its own.
func TestRateLimitPerPrincipal(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		used := map[string]int{}
		cfg := interceptor.Config{
			Verify: verifyUsers,
			Allow: func(subject string) bool { // one call per subject
				mu.Lock()
				defer mu.Unlock()
				used[subject]++
				return used[subject] <= 1
			},
		}
		s := startServer(t, newChain(t, cfg), &echoService{})
		defer s.stop()
		ctx := context.Background()

		steps := []struct {
			token string
			want  codes.Code
		}{
			{"Bearer tok-alice", codes.OK},
			{"Bearer tok-alice", codes.ResourceExhausted},
			{"Bearer tok-bob", codes.OK},
		}
		for i, st := range steps {
			r := s.call(t, ctx, echoMethod, "authorization", st.token)
			if status.Code(r.err) != st.want {
				t.Errorf("call %d: Echo with authorization %q, Allow admitting one call per subject = %s; want %v", i+1, st.token, describe(r.err), st.want)
			}
		}
	})
}

// TestObserveEveryRPC shows the access log (rules 9 and 10): every RPC,
// rejected ones included, gives exactly one Record, made before the client
// sees the status.
func TestObserveEveryRPC(t *testing.T) {
	katatest.Guard(t, "is a lock left held when a call is rejected?")
	synctest.Test(t, func(t *testing.T) {
		var log recorder
		cfg := interceptor.Config{
			Verify:    verifyUsers,
			Authorize: func(p interceptor.Principal, method string) bool { return method != adminMethod || p.Subject == "bob" },
			Observe:   log.observe,
		}
		s := startServer(t, newChain(t, cfg), &echoService{})
		defer s.stop()
		ctx := context.Background()

		steps := []struct {
			method string
			kv     []string
			want   interceptor.Record
		}{
			{echoMethod, []string{"authorization", "Bearer tok-mallory", "x-request-id", "r-1"},
				interceptor.Record{Method: echoMethod, Code: codes.Unauthenticated, RequestID: "r-1"}},
			{echoMethod, []string{"authorization", "Bearer tok-alice", "x-request-id", "r-2"},
				interceptor.Record{Method: echoMethod, Code: codes.OK, Subject: "alice", RequestID: "r-2"}},
			{adminMethod, []string{"authorization", "Bearer tok-alice", "x-request-id", "r-3"},
				interceptor.Record{Method: adminMethod, Code: codes.PermissionDenied, Subject: "alice", RequestID: "r-3"}},
		}
		for _, st := range steps {
			r := s.call(t, ctx, st.method, st.kv...)
			if status.Code(r.err) != st.want.Code {
				t.Errorf("%s%s = %s; want %v", st.method, mdString(st.kv), describe(r.err), st.want.Code)
			}
			// Rule 9: the record exists by the time the client has its answer.
			if recs := log.take(); len(recs) != 1 || recs[0] != st.want {
				t.Errorf("%s%s: records when the call returned = %s; want exactly %s", st.method, mdString(st.kv), recordsString(recs), recordString(st.want))
			}
		}
	})
}

// TestDefaultDeadline shows the default deadline (rule 11): an RPC that
// arrives without a deadline gets entry + DefaultDeadline.
func TestDefaultDeadline(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var dl time.Time
		var hasDL bool
		echo := &echoService{unary: func(ctx context.Context, _, in string) (string, error) {
			dl, hasDL = ctx.Deadline()
			return in, nil
		}}
		s := startServer(t, newChain(t, interceptor.Config{Verify: verifyUsers, DefaultDeadline: 2 * time.Second}), echo)
		defer s.stop()

		t0 := time.Now()
		if r := s.call(t, context.Background(), echoMethod, "authorization", "Bearer tok-alice"); r.err != nil {
			t.Fatalf("Echo with a token and no deadline = %s; want OK", describe(r.err))
		}
		if !hasDL || dl.Sub(t0) != 2*time.Second {
			t.Errorf("Echo with no client deadline, DefaultDeadline 2s: the handler's ctx.Deadline() = t0%+v, %v; want t0+2s, true (t0: the call)", dl.Sub(t0), hasDL)
		}
	})
}

// TestStreamChain shows a stream (rules 19 and 20): the chain runs once when
// the stream starts, the handler's ss.Context() is the chain's, and the
// record is made when the handler returns.
func TestStreamChain(t *testing.T) {
	katatest.Guard(t)
	synctest.Test(t, func(t *testing.T) {
		var log recorder
		var sub string
		var id string
		echo := &echoService{chat: func(ss grpc.ServerStream) error {
			p, _ := interceptor.PrincipalFromContext(ss.Context())
			sub = p.Subject
			id, _ = interceptor.RequestIDFromContext(ss.Context())
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
		}}
		s := startServer(t, newChain(t, interceptor.Config{Verify: verifyUsers, Observe: log.observe}), echo)
		defer s.stop()

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer tok-alice", "x-request-id", "chat-1")
		cs, err := s.cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, chatMethod)
		if err != nil {
			t.Fatalf("NewStream(Chat) = %s", describe(err))
		}
		for _, msg := range []string{"hello", "again"} {
			if err := cs.SendMsg(wrapperspb.String(msg)); err != nil {
				t.Fatalf("Chat: SendMsg(%q) = %v", msg, err)
			}
			got := new(wrapperspb.StringValue)
			if err := cs.RecvMsg(got); err != nil || got.GetValue() != msg {
				t.Fatalf("Chat with authorization %q: RecvMsg after SendMsg(%q) = %q, %s; want %q, OK", "Bearer tok-alice", msg, got.GetValue(), describe(err), msg)
			}
		}
		if recs := log.take(); len(recs) != 0 {
			t.Errorf("Chat: records while the stream is still open = %s; want none yet (the record is made when the handler returns)", recordsString(recs))
		}
		cs.CloseSend()
		if err := cs.RecvMsg(new(wrapperspb.StringValue)); err != io.EOF {
			t.Fatalf("Chat: RecvMsg after CloseSend = %s; want io.EOF", describe(err))
		}
		if sub != "alice" || id != "chat-1" {
			t.Errorf("in the Chat handler, PrincipalFromContext(ss.Context()).Subject = %q and RequestIDFromContext(ss.Context()) = %q; want %q and %q", sub, id, "alice", "chat-1")
		}
		want := interceptor.Record{Method: chatMethod, Code: codes.OK, Subject: "alice", RequestID: "chat-1"}
		if recs := log.take(); len(recs) != 1 || recs[0] != want {
			t.Errorf("Chat: records after the stream ended = %s; want exactly %s (one per stream, not per message)", recordsString(recs), recordString(want))
		}
	})
}

// TestConcurrentRPCs runs RPCs from ten goroutines at once (rules 4 and 22;
// run it with -race). Verify and the handler each take 100 ms: the hooks of
// different RPCs run at the same time, so every call takes exactly 200 ms,
// however many run together.
func TestConcurrentRPCs(t *testing.T) {
	katatest.Guard(t, "do the hooks run under a lock shared by all RPCs?")
	synctest.Test(t, func(t *testing.T) {
		var log recorder
		cfg := interceptor.Config{
			Verify: func(ctx context.Context, token string) (interceptor.Principal, error) {
				time.Sleep(100 * time.Millisecond)
				return verifyUsers(ctx, token)
			},
			Observe: log.observe,
		}
		echo := &echoService{unary: func(_ context.Context, _, in string) (string, error) {
			time.Sleep(100 * time.Millisecond)
			return in, nil
		}}
		s := startServer(t, newChain(t, cfg), echo)
		defer s.stop()

		const goroutines, calls = 10, 3
		start := time.Now()
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range calls {
					id := fmt.Sprintf("g%d-%d", g, i)
					r := s.call(t, context.Background(), echoMethod, "authorization", "Bearer tok-bob", "x-request-id", id)
					if r.err != nil || r.elapsed != 200*time.Millisecond {
						t.Errorf("Echo %s (Verify and the handler each sleep 100ms; %d goroutines at once) = %s after %v; want OK after exactly 200ms", id, goroutines, describe(r.err), r.elapsed)
					}
				}
			})
		}
		wg.Wait()
		if d := time.Since(start); d != calls*200*time.Millisecond {
			t.Errorf("%d goroutines × %d calls of 200ms each took %v of virtual time; want %v", goroutines, calls, d, calls*200*time.Millisecond)
		}
		recs := log.take()
		seen := map[string]int{}
		for _, rec := range recs {
			seen[rec.RequestID]++
			if rec.Code != codes.OK || rec.Subject != "bob" || rec.Duration != 200*time.Millisecond {
				t.Errorf("record %s; want Code OK, Subject %q, Duration 200ms", recordString(rec), "bob")
			}
		}
		if len(recs) != goroutines*calls || len(seen) != goroutines*calls {
			t.Errorf("%d concurrent calls gave %d records for %d distinct request ids; want exactly one record per call", goroutines*calls, len(recs), len(seen))
		}
	})
}

// benchChain is a chain whose hooks do nothing, for the benchmarks.
func benchChain(b *testing.B) *interceptor.Chain {
	return newChain(b, interceptor.Config{
		Verify: func(context.Context, string) (interceptor.Principal, error) {
			return interceptor.Principal{Subject: "alice"}, nil
		},
		Authorize: func(interceptor.Principal, string) bool { return true },
		Allow:     func(string) bool { return true },
		Observe:   func(interceptor.Record) {},
	})
}

// fakeTransportStream stands in for grpc's server stream in a direct call,
// so that grpc.SetHeader has somewhere to go.
type fakeTransportStream struct{ header metadata.MD }

func (s *fakeTransportStream) Method() string                  { return echoMethod }
func (s *fakeTransportStream) SetHeader(md metadata.MD) error  { s.header = md; return nil }
func (s *fakeTransportStream) SendHeader(md metadata.MD) error { return nil }
func (s *fakeTransportStream) SetTrailer(md metadata.MD) error { return nil }

// BenchmarkUnaryDirect calls the unary interceptor directly: incoming
// metadata with a token and a request id, no-op hooks and handler.
func BenchmarkUnaryDirect(b *testing.B) {
	u := benchChain(b).Unary()
	md := metadata.Pairs("authorization", "Bearer tok-alice", "x-request-id", "req-1")
	ctx := grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(context.Background(), md), &fakeTransportStream{})
	info := &grpc.UnaryServerInfo{FullMethod: echoMethod}
	handler := func(ctx context.Context, req any) (any, error) { return req, nil }
	req := wrapperspb.String("ping")
	for b.Loop() {
		if _, err := u(ctx, req, info, handler); err != nil {
			b.Fatalf("Unary()(ctx with a token, ...) = %s", describe(err))
		}
	}
}

// BenchmarkUnaryBufconn measures a health Check through the chain over
// bufconn (not exempt, with a token), one at a time on one ClientConn.
func BenchmarkUnaryBufconn(b *testing.B) {
	c := benchChain(b)
	gs := grpc.NewServer(grpc.UnaryInterceptor(c.Unary()), grpc.StreamInterceptor(c.Stream()))
	healthpb.RegisterHealthServer(gs, health.NewServer())
	lis := bufconn.Listen(1 << 20)
	go gs.Serve(lis)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cc.Close()
		gs.Stop()
	})
	client := healthpb.NewHealthClient(cc)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer tok-alice")
	req := &healthpb.HealthCheckRequest{}
	for b.Loop() {
		resp, err := client.Check(ctx, req)
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			b.Fatalf("health Check with a token = %v, %s", resp.GetStatus(), describe(err))
		}
	}
}
