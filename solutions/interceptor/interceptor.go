// Package interceptor is the reference solution of the gRPC server interceptor chain for service governance kata.
package interceptor

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
