// Alternate: Clamp with min and max, Sum by index.

package adder

// Clamp returns x limited to [lo, hi].
func Clamp(x, lo, hi int) int { return max(lo, min(x, hi)) }

// Sum returns the sum of xs.
func Sum(xs []int) int {
	s := 0
	for i := range xs {
		s += xs[i]
	}
	return s
}
