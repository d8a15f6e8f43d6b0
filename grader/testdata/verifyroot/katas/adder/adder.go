// Package adder is a verify fixture: the stub.
package adder

// Clamp returns x limited to [lo, hi].
func Clamp(x, lo, hi int) int { panic("not implemented") }

// Sum returns the sum of xs.
func Sum(xs []int) int { panic("not implemented") }
