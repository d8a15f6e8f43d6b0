//go:build microkata_hidden

package adder_test

import (
	"testing"

	"github.com/microkata/microkata/grader/testdata/verifyroot/katas/adder"
)

// TestHiddenClampJustBelow checks the value just under the lower bound.
//
// Category: boundary
func TestHiddenClampJustBelow(t *testing.T) {
	if got := adder.Clamp(-1, 0, 10); got != 0 {
		t.Errorf("Clamp(-1, 0, 10) = %d, want 0", got)
	}
}

// TestHiddenSumEmpty checks the empty sum.
//
// Category: boundary
func TestHiddenSumEmpty(t *testing.T) {
	if got := adder.Sum(nil); got != 0 {
		t.Errorf("Sum(nil) = %d, want 0", got)
	}
}
