// Alternate: seven separate unary interceptors joined by a chain function like grpc-go's (go-grpc-middleware's shape); the log learns the subject through a mutable holder planted in the context and sees a panic by recovering and re-panicking it; streams run the unary chain once around the stream handler; Exempt is a slice matched in a loop.

// Package interceptor, alternate design: seven separate unary interceptors
// joined by a chain function like grpc-go's chainUnaryInterceptors, in the
// shape of go-grpc-middleware v2 (recovery, request id, a logging reporter
// with a mutable field holder planted in the context, a deadline, auth,
// authorization, ratelimit). Streams reuse the unary stages: the stream
// interceptor runs the unary chain once with a handler that calls the
// stream handler with a wrapped stream. The access log learns the subject
// through the holder the authentication stage fills in, and sees a panic
// by recovering and re-panicking it for the recovery stage outside it.
package interceptor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var ErrInvalidConfig = errors.New("interceptor: invalid config")

const DefaultTimeout = 500 * time.Millisecond

type Principal struct {
	Subject string
	Roles   []string
}

type Record struct {
	Method    string
	Code      codes.Code
	Duration  time.Duration
	Subject   string
	RequestID string
}

type Config struct {
	Verify          func(ctx context.Context, token string) (Principal, error)
	Authorize       func(p Principal, fullMethod string) bool
	Exempt          []string
	Allow           func(subject string) bool
	DefaultDeadline time.Duration
	NewRequestID    func() string
	Observe         func(Record)
}

type Chain struct {
	cfg   Config
	unary grpc.UnaryServerInterceptor
}

func New(cfg Config) (*Chain, error) {
	if cfg.Verify == nil || cfg.DefaultDeadline < 0 {
		return nil, fmt.Errorf("%w: Verify nil or DefaultDeadline negative", ErrInvalidConfig)
	}
	for _, e := range cfg.Exempt {
		parts := strings.Split(e, "/")
		if len(parts) != 3 || parts[0] != "" || parts[1] == "" {
			return nil, fmt.Errorf("%w: exempt entry %q", ErrInvalidConfig, e)
		}
	}
	cfg.Exempt = slices.Clone(cfg.Exempt)
	if cfg.DefaultDeadline == 0 {
		cfg.DefaultDeadline = DefaultTimeout
	}
	if cfg.NewRequestID == nil {
		cfg.NewRequestID = func() string {
			b := make([]byte, 16)
			rand.Read(b)
			return hex.EncodeToString(b)
		}
	}
	c := &Chain{cfg: cfg}
	c.unary = chainUnary(c.recovery, c.requestID, c.accessLog, c.deadline, c.authenticate, c.authorize, c.rateLimit)
	return c, nil
}

// chainUnary joins interceptors, the first outermost.
func chainUnary(ints ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ints[0](ctx, req, info, nextHandler(ints, 0, info, handler))
	}
}

func nextHandler(ints []grpc.UnaryServerInterceptor, i int, info *grpc.UnaryServerInfo, final grpc.UnaryHandler) grpc.UnaryHandler {
	if i == len(ints)-1 {
		return final
	}
	return func(ctx context.Context, req any) (any, error) {
		return ints[i+1](ctx, req, info, nextHandler(ints, i+1, info, final))
	}
}

func (c *Chain) Unary() grpc.UnaryServerInterceptor { return c.unary }

func (c *Chain) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		_, err := c.unary(ss.Context(), nil, &grpc.UnaryServerInfo{Server: srv, FullMethod: info.FullMethod},
			func(ctx context.Context, _ any) (any, error) {
				return nil, handler(srv, wrappedStream{ss, ctx})
			})
		return err
	}
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w wrappedStream) Context() context.Context { return w.ctx }

func (c *Chain) recovery(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, status.Error(codes.Internal, "internal error")
		}
	}()
	return next(ctx, req)
}

type idKey struct{}

func (c *Chain) requestID(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var id string
	if ids := md.Get("x-request-id"); len(ids) > 0 && goodID(ids[0]) {
		id = ids[0]
	} else {
		id = c.cfg.NewRequestID()
	}
	grpc.SetHeader(ctx, metadata.Pairs("x-request-id", id)) // no stream in a direct call: nothing to do
	out, _ := metadata.FromOutgoingContext(ctx)
	out = out.Copy()
	if out == nil {
		out = metadata.MD{}
	}
	out.Set("x-request-id", id)
	ctx = metadata.NewOutgoingContext(context.WithValue(ctx, idKey{}, id), out)
	return next(ctx, req)
}

func goodID(id string) bool {
	return len(id) >= 1 && len(id) <= 128 && strings.IndexFunc(id, func(r rune) bool { return r < '!' || r > '~' }) < 0
}

// logFields is the mutable holder the access log plants for the stages
// inside it (logging.AddFields in go-grpc-middleware).
type logFields struct{ subject string }

type fieldsKey struct{}

func (c *Chain) accessLog(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	fields := &logFields{}
	ctx = context.WithValue(ctx, fieldsKey{}, fields)
	reported := false // Observe itself may panic: never call it twice
	report := func(code codes.Code) {
		if c.cfg.Observe == nil || reported {
			return
		}
		reported = true
		id, _ := RequestIDFromContext(ctx)
		c.cfg.Observe(Record{Method: info.FullMethod, Code: code, Duration: time.Since(start), Subject: fields.subject, RequestID: id})
	}
	defer func() {
		if r := recover(); r != nil {
			report(codes.Internal)
			panic(r)
		}
	}()
	resp, err = next(ctx, req)
	report(clientCode(err))
	return resp, err
}

func clientCode(err error) codes.Code {
	var se interface{ GRPCStatus() *status.Status }
	switch {
	case err == nil:
		return codes.OK
	case errors.As(err, &se) && se.GRPCStatus() != nil:
		return se.GRPCStatus().Code()
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Unknown
}

func (c *Chain) deadline(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithTimeout(ctx, c.cfg.DefaultDeadline)
	}
	defer cancel()
	return next(ctx, req)
}

func (c *Chain) isExempt(method string) bool {
	for _, e := range c.cfg.Exempt {
		if strings.HasSuffix(e, "/") && strings.HasPrefix(method, e) && !strings.Contains(method[len(e):], "/") || method == e {
			return true
		}
	}
	return false
}

type principalKey struct{}

func (c *Chain) authenticate(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if c.isExempt(info.FullMethod) {
		return next(ctx, req)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return nil, status.Error(codes.Unauthenticated, "exactly one authorization value required")
	}
	scheme, token, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || token == "" || strings.Contains(token, " ") {
		return nil, status.Error(codes.Unauthenticated, "authorization must be a bearer token")
	}
	p, err := c.cfg.Verify(ctx, token)
	var se interface{ GRPCStatus() *status.Status }
	switch {
	case err != nil && errors.As(err, &se) && se.GRPCStatus() != nil:
		return nil, err
	case err != nil || p.Subject == "":
		return nil, status.Error(codes.Unauthenticated, "token rejected")
	}
	if f, ok := ctx.Value(fieldsKey{}).(*logFields); ok {
		f.subject = p.Subject
	}
	return next(context.WithValue(ctx, principalKey{}, &p), req)
}

func (c *Chain) authorize(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if p, ok := PrincipalFromContext(ctx); ok && c.cfg.Authorize != nil && !c.cfg.Authorize(p, info.FullMethod) {
		return nil, status.Error(codes.PermissionDenied, "not allowed")
	}
	return next(ctx, req)
}

func (c *Chain) rateLimit(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
	if p, ok := PrincipalFromContext(ctx); ok && c.cfg.Allow != nil && !c.cfg.Allow(p.Subject) {
		return nil, status.Error(codes.ResourceExhausted, "too many requests")
	}
	return next(ctx, req)
}

func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok {
		return *p, true
	}
	return Principal{}, false
}

func RequestIDFromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(idKey{}).(string)
	return id, ok
}
