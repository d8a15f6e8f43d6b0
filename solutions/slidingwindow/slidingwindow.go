// Package slidingwindow is the reference solution of the sliding-window rate limiter: exact log and weighted counter kata.
package slidingwindow

// T is the placeholder type: replace it with the kata's API.
type T struct{}

// New returns a ready-to-use T.
func New() *T {
	return &T{}
}
