// Package interceptor is the gRPC server interceptor chain kata: read
// katas/interceptor/README.md and implement the API below. Every body panics
// "not implemented" until you do.
//
// The chain runs these stages, outermost first, for unary and streaming RPCs
// alike (rule 3):
//
//	recovery → request id → access log → deadline → authentication → authorization → rate limit → handler
package interceptor

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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

// Chain is the interceptor chain built by New. It is safe for concurrent
// use.
type Chain struct {
	// Add the fields you need.
}

// New checks cfg and returns the chain it describes (rules 1 and 2): a nil
// Chain and an error wrapping ErrInvalidConfig when Verify is nil,
// DefaultDeadline is negative or an Exempt entry is malformed.
func New(cfg Config) (*Chain, error) {
	panic("not implemented")
}

// Unary returns the whole chain as one unary server interceptor.
func (c *Chain) Unary() grpc.UnaryServerInterceptor {
	panic("not implemented")
}

// Stream returns the whole chain as one stream server interceptor, run once
// when a stream starts.
func (c *Chain) Stream() grpc.StreamServerInterceptor {
	panic("not implemented")
}

// PrincipalFromContext returns the principal that authenticated the RPC of
// ctx, and false when there is none (rules 15, 13 and 21).
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	panic("not implemented")
}

// RequestIDFromContext returns the request id of the RPC of ctx, and false
// for a context that did not pass the chain (rules 7 and 21).
func RequestIDFromContext(ctx context.Context) (string, bool) {
	panic("not implemented")
}
