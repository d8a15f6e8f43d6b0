// Package result is the grader's result model: one documented, versioned
// value that every output format (text, JSON, JUnit, Markdown) renders.
//
// The JSON form of Run is a public interface: fields are only ever added,
// and a change that alters the meaning of an existing field bumps Version.
package result

import "time"

// Version is the version of the JSON result model written by
// `grader grade --json`. It changes when a field changes meaning or is
// removed; added fields do not change it.
const Version = 1

// Status is the state of one kata.
type Status string

const (
	// NotStarted means no test passed and the learner's code still panics
	// "not implemented" (the committed stub).
	NotStarted Status = "not started"
	// Failing means at least one test did not pass, or a race or a leaked
	// goroutine was detected.
	Failing Status = "failing"
	// Passing means every visible and hidden test passed, with no race and
	// no leaked goroutine.
	Passing Status = "passing"
	// Refused means a take-home submission's code for the kata was not
	// built at all: it broke the static policy (a forbidden import,
	// //go:linkname, TestMain, ...). Kata.Notes says why.
	Refused Status = "refused"
)

// Run is the result of one `grader grade`.
type Run struct {
	// Version is the result model version (see the Version constant).
	Version int `json:"version"`
	// Started is when the run began.
	Started time.Time `json:"started"`
	// Duration is the wall time of the whole run, in seconds.
	Duration float64 `json:"durationSeconds"`
	// GoVersion is the Go toolchain that ran the tests (`go env GOVERSION`).
	GoVersion string `json:"goVersion"`
	// Race reports whether the tests ran with the race detector. It is
	// false where cgo is unavailable; Notes then says so.
	Race bool `json:"race"`
	// Katas holds one entry per selected kata, in catalog order.
	Katas []Kata `json:"katas"`
	// Notes are run-wide remarks for the reader (race detector off, the
	// deadline was hit, ...).
	Notes []string `json:"notes,omitempty"`
	// Total sums the katas.
	Total Total `json:"total"`
	// Submission describes the take-home submission graded, when one was
	// (grader grade --submission); nil for a learner's own tree.
	Submission *Submission `json:"submission,omitempty"`
}

// Submission is what a report says about a graded take-home submission.
type Submission struct {
	// Name is the submission's file or folder name; SHA256 the hash of the
	// archive (or, for a folder, of its files' names and contents).
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Candidate is the candidate id from the bundle's manifest, if any.
	Candidate string `json:"candidate,omitempty"`
	// Sandbox says how the test binaries ran: "bubblewrap" or "off".
	Sandbox string `json:"sandbox"`
	// Warnings are remarks on the submission as a whole: a manifest that
	// does not match, files for katas that were not asked for.
	Warnings []string `json:"warnings,omitempty"`
	// Refused, when set, is why the submission could not be graded at all
	// (an archive entry that escapes, a zip bomb, ...): no kata ran.
	Refused string `json:"refused,omitempty"`
}

// Batch is the comparison of several submissions graded one after another
// (grader grade --batch).
type Batch struct {
	// Version is the result model version.
	Version int `json:"version"`
	// Started is when the batch began; Duration its wall time in seconds.
	Started  time.Time `json:"started"`
	Duration float64   `json:"durationSeconds"`
	// Katas are the katas graded, in catalog order: the table's columns.
	Katas []string `json:"katas"`
	// Runs holds one graded submission each, in the order of their names.
	Runs []Run `json:"runs"`
}

// Total sums the rows of a Run.
type Total struct {
	Katas         int `json:"katas"`
	Passing       int `json:"passing"`
	NotStarted    int `json:"notStarted"`
	VisiblePassed int `json:"visiblePassed"`
	VisibleTotal  int `json:"visibleTotal"`
	HiddenPassed  int `json:"hiddenPassed"`
	HiddenTotal   int `json:"hiddenTotal"`
	Score         int `json:"score"`    // sum of the katas' scores
	MaxScore      int `json:"maxScore"` // 100 per kata
}

// Kata is one row of the scorecard.
type Kata struct {
	// Name is the kata's folder name under katas/.
	Name string `json:"name"`
	// Title is the catalog title.
	Title string `json:"title"`
	// Status is the kata's overall state.
	Status Status `json:"status"`
	// VisiblePassed and VisibleTotal count the visible tests.
	VisiblePassed int `json:"visiblePassed"`
	VisibleTotal  int `json:"visibleTotal"`
	// HiddenPassed and HiddenTotal count the hidden tests.
	HiddenPassed int `json:"hiddenPassed"`
	HiddenTotal  int `json:"hiddenTotal"`
	// Race reports that the race detector found a data race.
	Race bool `json:"race"`
	// Leak reports that goroutines were still running after the tests, or
	// that a test reported a goroutine leak.
	Leak bool `json:"leak"`
	// BuildFailed reports that the package or its tests did not compile;
	// BuildOutput then holds the compiler's first lines.
	BuildFailed bool     `json:"buildFailed,omitempty"`
	BuildOutput []string `json:"buildOutput,omitempty"`
	// Imports lists the imports the graded code may not use (file:line,
	// import, rule); a kata with any is never passing.
	Imports []string `json:"imports,omitempty"`
	// Score is 0..100: the share of visible and hidden tests that passed.
	Score int `json:"score"`
	// Bench compares the learner's benchmarks with the reference's, measured
	// in the same run. Nil when benchmarks did not run (kata not passing, or
	// --no-bench).
	Bench *Bench `json:"bench,omitempty"`
	// Tests holds every expected test, visible ones first, in source order.
	Tests []Test `json:"tests"`
	// Notes are remarks on this kata (output cut at the cap, re-runs, ...).
	Notes []string `json:"notes,omitempty"`
}

// Test is the outcome of one expected test.
type Test struct {
	// Name is the top-level test function name.
	Name string `json:"name"`
	// Hidden reports whether the test is one of the hidden tests.
	Hidden bool `json:"hidden"`
	// Category is the hidden test's category (boundary, timing, ...);
	// empty for visible tests.
	Category string `json:"category,omitempty"`
	// Passed is true only when the test reported exactly one run and one
	// terminal pass event, in a test binary that completed.
	Passed bool `json:"passed"`
	// Reason says why a test did not pass: the first line of its failure
	// message, or why it never reported ("did not run: ...").
	Reason string `json:"reason,omitempty"`
	// RaceReport holds the race detector's reports printed during the test,
	// whole (the scorecard shows them trimmed to the code under test).
	RaceReport string `json:"raceReport,omitempty"`
	// Rerun reports that the result comes from running the test on its own
	// after the first run ended early.
	Rerun bool `json:"rerun,omitempty"`
	// Elapsed is the test's own duration in seconds, when it reported one.
	Elapsed float64 `json:"elapsedSeconds,omitempty"`
}

// Bench is the benchmark comparison for one kata.
type Bench struct {
	// NsRatio is the geometric mean over benchmarks of learner ns/op
	// divided by reference ns/op. Below 1 means faster than the reference.
	NsRatio float64 `json:"nsRatio"`
	// AllocsRatio is the geometric mean of (learner allocs/op + 1) divided
	// by (reference allocs/op + 1); the +1 keeps 0/0 at 1.
	AllocsRatio float64 `json:"allocsRatio"`
	// NsLow and NsHigh bound NsRatio: a 95% confidence interval of the
	// per-round ratio (learner and reference measured back to back in
	// each round), so a reader can tell a real difference from noise.
	NsLow  float64 `json:"nsRatioLow,omitempty"`
	NsHigh float64 `json:"nsRatioHigh,omitempty"`
	// Rounds is how many interleaved rounds ran: more when the first ones
	// disagreed.
	Rounds int `json:"rounds,omitempty"`
	// Noisy reports that the rounds still disagreed by more than ±25%
	// after the most rounds allowed: the machine was too busy to tell, and
	// NsRatio should not be chased.
	Noisy bool `json:"noisy,omitempty"`
	// Benchmarks holds the per-benchmark figures.
	Benchmarks []BenchResult `json:"benchmarks"`
	// Error is set when benchmarks could not be measured.
	Error string `json:"error,omitempty"`
}

// BenchResult is one benchmark, learner and reference side by side
// (ns/op: the fastest of the interleaved rounds; allocs/op: the median).
type BenchResult struct {
	Name            string  `json:"name"`
	LearnerNsOp     float64 `json:"learnerNsPerOp"`
	ReferenceNsOp   float64 `json:"referenceNsPerOp"`
	LearnerAllocs   float64 `json:"learnerAllocsPerOp"`
	ReferenceAllocs float64 `json:"referenceAllocsPerOp"`
}
