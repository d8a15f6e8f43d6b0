// Package drift is a verify fixture: the reference.
package drift

// Double returns 2x.
func Double(x int) int { return 2 * x }

// Half returns x/2.
func Half(x int) int { return x / 2 }
