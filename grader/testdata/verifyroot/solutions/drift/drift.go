// Package drift is a verify fixture: the reference. It also imports a
// package its allow-list does not name, which verify must report.
package drift

import "strconv"

// Double returns 2x.
func Double(x int) int { return 2 * x }

// Half returns x/2.
func Half(x int) int { return x / 2 }

var _ = strconv.Itoa
