// Package drift is a verify fixture: a stub whose API drifted.
package drift

// Double returns 2x.
func Double(x int64) int64 { panic("not implemented") }
