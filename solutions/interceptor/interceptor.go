// Package interceptor is a gRPC server interceptor chain for service
// governance: the cross-cutting work that runs in front of every handler
// (recovery, a request id, an access log, a default deadline, Bearer-token
// authentication, authorization and a per-principal rate limit), packaged
// as one unary and one stream interceptor:
//
//	c, err := interceptor.New(interceptor.Config{Verify: verify})
//	gs := grpc.NewServer(grpc.UnaryInterceptor(c.Unary()), grpc.StreamInterceptor(c.Stream()))
//
// The stages run in a fixed order, outermost first:
//
//	recovery → request id → access log → deadline → authentication → authorization → rate limit → handler
//
// Recovery is outermost, so a panic anywhere becomes codes.Internal with a
// fixed message. The request id is chosen before anything can reject, so
// every response header and every record carries it. The access log wraps
// every stage that can reject, so rejections are recorded too. The default
// deadline comes before authentication, so Verify runs under it. The rate
// limit is keyed by the principal and comes last, so an unauthenticated or
// forbidden call never spends a principal's budget.
//
// This is one inline pipeline, shared by the unary and the stream
// interceptor (serve), rather than seven interceptors joined by a chain
// function: the access log then knows the subject found further in and the
// code of a panic without a mutable holder in the context, and a stream is
// wrapped once. Two recovery points make the order work. The inner one
// (inside the log) turns a panic of an inner stage, a hook or the handler
// into errInternal, which the log records as any other result. The outer
// one catches what can only happen outside the log: a panic of NewRequestID
// or of Observe itself, which is therefore never called twice.
//
// The chain starts no goroutine, takes no lock and calls every hook on the
// RPC's own goroutine, so concurrent RPCs never wait for each other.
package interceptor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// ErrInvalidConfig is wrapped by the error New returns for a Config it
// refuses (rule 1).
var ErrInvalidConfig = errors.New("interceptor: invalid config")

// DefaultTimeout is the deadline budget when Config.DefaultDeadline is 0 (seed §2.4).
const DefaultTimeout = 500 * time.Millisecond

// Principal is who a verified token belongs to.
type Principal struct {
	Subject string   // who the token belongs to; never empty once verified
	Roles   []string // for Authorize; the chain does not read it
}

// Record describes one finished RPC (access log and metrics).
type Record struct {
	Method    string        // full method name, "/pkg.Service/Method"
	Code      codes.Code    // the code the client receives
	Duration  time.Duration // from entry until the handler or rejecting stage returned
	Subject   string        // the verified Principal's Subject, "" if none
	RequestID string
}

// Config configures a Chain. Only Verify is required.
type Config struct {
	Verify          func(ctx context.Context, token string) (Principal, error) // required
	Authorize       func(p Principal, fullMethod string) bool                  // nil: allow all
	Exempt          []string                                                   // "/svc/Method" (one method) or "/svc/" (whole service)
	Allow           func(subject string) bool                                  // per-principal rate limiter; nil: no limit
	DefaultDeadline time.Duration                                              // for RPCs that arrive without one; 0 means DefaultTimeout
	NewRequestID    func() string                                              // nil: 32 lowercase hex chars from crypto/rand
	Observe         func(Record)                                               // access-log/metrics hook; nil: none
}

// The metadata keys the chain reads and writes.
const (
	requestIDKey     = "x-request-id"
	authorizationKey = "authorization"
	maxRequestIDLen  = 128
)

// The chain's own answers (rules 5 and 14–18). They are fixed, so they
// never carry a token, a verifier's error text or a panic value.
var (
	errInternal          = status.Error(codes.Internal, "internal error")
	errNoToken           = status.Error(codes.Unauthenticated, "missing bearer token")
	errManyTokens        = status.Error(codes.Unauthenticated, "more than one authorization value")
	errMalformed         = status.Error(codes.Unauthenticated, `malformed authorization: want "Bearer <token>"`)
	errInvalidToken      = status.Error(codes.Unauthenticated, "invalid bearer token")
	errPermissionDenied  = status.Error(codes.PermissionDenied, "permission denied")
	errResourceExhausted = status.Error(codes.ResourceExhausted, "rate limit exceeded")
)

// Chain is the interceptor chain built by New. It is immutable and safe for
// concurrent use.
type Chain struct {
	verify    func(context.Context, string) (Principal, error)
	authorize func(Principal, string) bool
	allow     func(string) bool
	deadline  time.Duration
	newID     func() string
	observe   func(Record)

	exemptMethods  map[string]bool // "/svc/Method"
	exemptServices map[string]bool // "svc", from "/svc/"
}

// New checks cfg and returns the chain it describes (rules 1 and 2). The
// Exempt entries are copied into sets, so later changes to cfg.Exempt have
// no effect.
func New(cfg Config) (*Chain, error) {
	if cfg.Verify == nil {
		return nil, fmt.Errorf("%w: Verify is nil", ErrInvalidConfig)
	}
	if cfg.DefaultDeadline < 0 {
		return nil, fmt.Errorf("%w: DefaultDeadline %v is negative", ErrInvalidConfig, cfg.DefaultDeadline)
	}
	c := &Chain{
		verify:         cfg.Verify,
		authorize:      cfg.Authorize,
		allow:          cfg.Allow,
		deadline:       cfg.DefaultDeadline,
		newID:          cfg.NewRequestID,
		observe:        cfg.Observe,
		exemptMethods:  map[string]bool{},
		exemptServices: map[string]bool{},
	}
	for _, e := range cfg.Exempt {
		svc, method, ok := splitMethod(e)
		if !ok {
			return nil, fmt.Errorf("%w: Exempt entry %q is not \"/service/method\" or \"/service/\"", ErrInvalidConfig, e)
		}
		if method == "" {
			c.exemptServices[svc] = true
		} else {
			c.exemptMethods[e] = true
		}
	}
	if c.deadline == 0 {
		c.deadline = DefaultTimeout
	}
	if c.newID == nil {
		c.newID = randomID
	}
	return c, nil
}

// splitMethod splits "/S/M" into S and M; ok is false unless S is non-empty
// and neither contains "/" (M may be empty).
func splitMethod(full string) (svc, method string, ok bool) {
	rest, ok := strings.CutPrefix(full, "/")
	if !ok {
		return "", "", false
	}
	svc, method, ok = strings.Cut(rest, "/")
	if !ok || svc == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return svc, method, true
}

// randomID is the default NewRequestID: 16 bytes of crypto/rand as 32
// lowercase hex characters.
func randomID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24 and later)
	return hex.EncodeToString(b[:])
}

// Unary returns the whole chain as one unary server interceptor.
func (c *Chain) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		var resp any
		err := c.serve(ctx, info.FullMethod, grpc.SetHeader, func(ctx context.Context) error {
			var err error
			resp, err = handler(ctx, req)
			return err
		})
		return resp, err
	}
}

// Stream returns the whole chain as one stream server interceptor. It runs
// once per stream, when the stream starts; the handler gets a stream whose
// Context is the chain's.
func (c *Chain) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		setHeader := func(_ context.Context, md metadata.MD) error { return ss.SetHeader(md) }
		return c.serve(ss.Context(), info.FullMethod, setHeader, func(ctx context.Context) error {
			return handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
		})
	}
}

// serverStream is the original stream with the chain's context (rule 19).
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the chain's context: principal, request id, deadline.
func (s *serverStream) Context() context.Context { return s.ctx }

// serve runs the stages around call, the handler, for one RPC.
//
// Recovery is the deferred function below; then the request id; then the
// access log, which measures and records whatever the stages inside it
// (guarded) end with.
func (c *Chain) serve(ctx context.Context, method string, setHeader func(context.Context, metadata.MD) error, call func(context.Context) error) (err error) {
	defer func() {
		// Recovery (rule 5): a panic of NewRequestID or Observe. Panics
		// further in were recovered by guarded and recorded.
		if recover() != nil {
			err = errInternal
		}
	}()
	entry := time.Now()

	// Request id (rules 6–8): chosen, planted in the context (value and
	// outgoing metadata) and set in the response header before anything
	// can reject the RPC.
	id := c.requestID(ctx)
	ctx = withRequestID(ctx, id)
	_ = setHeader(ctx, metadata.MD{requestIDKey: []string{id}}) // no server stream (a direct call): nothing to set

	// Access log (rules 9 and 10).
	subject, err := c.guarded(ctx, method, entry, call)
	if c.observe != nil {
		c.observe(Record{
			Method:    method,
			Code:      codeOf(err),
			Duration:  time.Since(entry),
			Subject:   subject,
			RequestID: id,
		})
	}
	return err
}

// guarded runs the stages inside the access log: deadline, authentication,
// authorization, rate limit and the handler. It returns the subject of a
// successful authentication (kept when a later stage rejects or panics) and
// the RPC's error; a panic becomes errInternal.
func (c *Chain) guarded(ctx context.Context, method string, entry time.Time, call func(context.Context) error) (subject string, err error) {
	defer func() {
		if recover() != nil {
			err = errInternal
		}
	}()

	// Deadline (rules 11 and 12): entry + DefaultDeadline only when the
	// RPC arrived without one; a client's own deadline, and its
	// cancellation, pass through untouched.
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithDeadline(ctx, entry.Add(c.deadline))
	}
	defer cancel()

	if c.exempt(method) { // rule 13
		return "", call(ctx)
	}

	// Authentication (rules 14–16).
	p, err := c.authenticate(ctx)
	if err != nil {
		return "", err
	}
	subject = p.Subject
	ctx = context.WithValue(ctx, principalKey{}, p)

	// Authorization (rule 17), then the rate limit (rule 18).
	if c.authorize != nil && !c.authorize(p, method) {
		return subject, errPermissionDenied
	}
	if c.allow != nil && !c.allow(p.Subject) {
		return subject, errResourceExhausted
	}
	return subject, call(ctx)
}

// exempt reports whether method ("/svc/M") is exempt by an exact entry or
// by its service's whole-service entry.
func (c *Chain) exempt(method string) bool {
	if c.exemptMethods[method] {
		return true
	}
	svc, _, ok := splitMethod(method)
	return ok && c.exemptServices[svc]
}

// authenticate checks the one authorization value and asks Verify.
func (c *Chain) authenticate(ctx context.Context) (Principal, error) {
	vals := metadata.ValueFromIncomingContext(ctx, authorizationKey)
	switch {
	case len(vals) == 0:
		return Principal{}, errNoToken
	case len(vals) > 1:
		return Principal{}, errManyTokens
	}
	token, ok := bearerToken(vals[0])
	if !ok {
		return Principal{}, errMalformed
	}
	p, err := c.verify(ctx, token)
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return Principal{}, err // the verifier chose the status (Unavailable, ...)
		}
		return Principal{}, errInvalidToken // never its text, never ctx.Err()'s code
	}
	if p.Subject == "" {
		return Principal{}, errInvalidToken // fail closed
	}
	return p, nil
}

// bearerToken returns the token of "Bearer <token>": the scheme in any
// ASCII case, exactly one space, then one or more bytes, none a space.
func bearerToken(v string) (string, bool) {
	const scheme = "Bearer"
	if len(v) < len(scheme)+2 || !strings.EqualFold(v[:len(scheme)], scheme) || v[len(scheme)] != ' ' {
		return "", false
	}
	token := v[len(scheme)+1:]
	if strings.IndexByte(token, ' ') >= 0 {
		return "", false
	}
	return token, true
}

// requestID returns the first incoming x-request-id when it is valid, and
// otherwise one from NewRequestID, unchecked (rule 6).
func (c *Chain) requestID(ctx context.Context) string {
	if vals := metadata.ValueFromIncomingContext(ctx, requestIDKey); len(vals) > 0 && validRequestID(vals[0]) {
		return vals[0]
	}
	return c.newID()
}

// validRequestID reports whether id is 1 to 128 bytes of visible ASCII.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// withRequestID plants id in ctx: as a value for RequestIDFromContext, and
// as the one x-request-id of the outgoing metadata, so that calls made with
// the context forward it (rule 7).
func withRequestID(ctx context.Context, id string) context.Context {
	ctx = context.WithValue(ctx, requestIDCtxKey{}, id)
	md, ok := metadata.FromOutgoingContext(ctx) // a copy, or nothing
	if !ok {
		return metadata.NewOutgoingContext(ctx, metadata.MD{requestIDKey: []string{id}})
	}
	md.Set(requestIDKey, id)
	return metadata.NewOutgoingContext(ctx, md)
}

// codeOf is the code the client receives for err, as grpc-go's server
// computes it: OK, the status code, or the code of a context error
// (Unknown for any other error).
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if st, ok := status.FromError(err); ok {
		return st.Code()
	}
	return status.FromContextError(err).Code()
}

type (
	principalKey    struct{}
	requestIDCtxKey struct{}
)

// PrincipalFromContext returns the principal that authenticated the RPC of
// ctx, and false for an exempt RPC or a context that did not pass the chain.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// RequestIDFromContext returns the request id of the RPC of ctx, and false
// for a context that did not pass the chain.
func RequestIDFromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(requestIDCtxKey{}).(string)
	return id, ok
}
