// Mutant: Clamp lets x == lo-1 through (only the hidden tests catch it).
// Rule: 1

package adder

// Clamp returns x limited to [lo, hi].
func Clamp(x, lo, hi int) int {
	if x < lo-1 {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// Sum returns the sum of xs.
func Sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
