package drift_test

import (
	"testing"

	"github.com/microkata/microkata/grader/testdata/verifyroot/katas/drift"
)

func TestDouble(t *testing.T) {
	if got := drift.Double(2); got != 4 {
		t.Errorf("Double(2) = %d, want 4", got)
	}
}
