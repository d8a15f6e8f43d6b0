// Mutant: does not compile (verify must report it, not count it as caught).
// Rule: 2

package adder

func Clamp(x, lo, hi int) int { return undefined }

func Sum(xs []int) int { return 0 }
