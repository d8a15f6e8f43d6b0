package adder_test

import (
	"testing"

	"github.com/microkata/microkata/grader/testdata/verifyroot/katas/adder"
)

func TestClampInside(t *testing.T) {
	if got := adder.Clamp(5, 0, 10); got != 5 {
		t.Errorf("Clamp(5, 0, 10) = %d, want 5", got)
	}
	if got := adder.Clamp(50, 0, 10); got != 10 {
		t.Errorf("Clamp(50, 0, 10) = %d, want 10", got)
	}
}

func TestSum(t *testing.T) {
	if got := adder.Sum([]int{1, 2, 3}); got != 6 {
		t.Errorf("Sum(1, 2, 3) = %d, want 6", got)
	}
}
