// Package shrink reduces a failing sequence of random steps to a short one
// that still fails, so that a differential mismatch is reported as a few
// calls rather than as "seed 3, step 1313".
package shrink

import "time"

// Minimal returns a sub-sequence of ops (order kept) for which fails still
// returns true: it drops chunks of halving size, then single steps until
// none can go, while the failure persists, or until budget (real time) runs
// out. fails must replay its argument on fresh instances; ops itself must
// fail.
func Minimal[O any](ops []O, fails func([]O) bool, budget time.Duration) []O {
	deadline := time.Now().Add(budget)
	cur := append([]O(nil), ops...)
	// pass drops chunks of size chunk wherever the failure persists and
	// reports whether it dropped any.
	pass := func(chunk int) bool {
		dropped := false
		for start := 0; start+chunk <= len(cur); {
			if time.Now().After(deadline) {
				return false
			}
			cand := append(append([]O(nil), cur[:start]...), cur[start+chunk:]...)
			if fails(cand) {
				cur, dropped = cand, true
				continue // the same start now holds the next chunk
			}
			start += chunk
		}
		return dropped
	}
	for chunk := len(cur) / 2; chunk > 1; chunk /= 2 {
		pass(chunk)
	}
	for pass(1) {
	}
	return cur
}
