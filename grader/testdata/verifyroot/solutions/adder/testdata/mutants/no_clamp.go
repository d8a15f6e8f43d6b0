// Mutant: Clamp returns x unchanged (the visible tests catch it).
// Rule: 1

package adder

// Clamp returns x limited to [lo, hi].
func Clamp(x, lo, hi int) int { return x }

// Sum returns the sum of xs.
func Sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}
