// Mutant: an equivalent rewrite that no test can catch (verify must flag it).
// Rule: 2

package adder

// Clamp returns x limited to [lo, hi].
func Clamp(x, lo, hi int) int {
	if x > hi {
		return hi
	}
	if x < lo {
		return lo
	}
	return x
}

// Sum returns the sum of xs.
func Sum(xs []int) int {
	s := 0
	for i := len(xs) - 1; i >= 0; i-- {
		s += xs[i]
	}
	return s
}
