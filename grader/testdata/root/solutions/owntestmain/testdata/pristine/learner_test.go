package owntestmain

import (
	"os"
	"testing"
)

// TestMain is the learner's: it exits 0 without running a single test, an
// attempt to make the package look clean. The grader owns TestMain, so this
// must end in a build failure or in no test passing, never in a pass.
func TestMain(m *testing.M) {
	os.Exit(0)
}
