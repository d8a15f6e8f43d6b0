package main

// End-to-end test of `grader grade` against the fixture katas in
// testdata/root: one kata per way a learner's code can go wrong (or cheat),
// each with the same tiny API (Add, Div, ErrDivByZero, Counter), the same
// three visible and three hidden tests, and a correct reference solution.
// The test builds the grader once, grades the fixtures with --json and
// checks every row of the result, above all that no test is ever counted as
// passed when it did not really run and pass. The scenario of each fixture is
// in its README.md.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/racereport"
	"github.com/microkata/microkata/grader/internal/result"
)

// Reason substrings the test expects (matched case-insensitively; "a|b"
// accepts either). Adjust the wording here, in one place.
const (
	reasonAssertion      = "Not equal"       // a testify assertion's message
	reasonNotImplemented = "not implemented" // the stub's panic
	reasonPanic          = "panic"           // a test or goroutine panicked
	reasonTimedOut       = "timed out"       // the test binary hit --timeout in this test
	reasonOutput         = "output"          // the test's output passed --output-cap
	reasonDidNotRun      = "did not run"     // no trustworthy result (early exit, TestMain, ...)
	reasonBuild          = "compile"         // the package did not compile
	reasonRace           = "race"            // the race detector fired in this test
	reasonExit           = "os.Exit"         // the code called os.Exit during a test
	reasonAny            = ""                // any non-empty reason
)

// fixtureRoot is the fixture tree, relative to this package's folder.
const fixtureRoot = "testdata/root"

// Every fixture kata has these tests, visible ones first, in source order.
var (
	fixtureVisible    = []string{"TestAdd", "TestDiv", "TestCounter"}
	fixtureHidden     = []string{"TestHiddenDivByZero", "TestHiddenAddMatchesReference", "TestHiddenCounterSequential"}
	fixtureCategories = map[string]string{
		"TestHiddenDivByZero":           "boundary",
		"TestHiddenAddMatchesReference": "differential",
		"TestHiddenCounterSequential":   "behaviour",
	}
)

// fixtureWant is what the grader must report for one fixture kata.
type fixtureWant struct {
	status          result.Status
	visible, hidden int // passed; the totals are always 3 and 3
	race, leak      bool
	// buildFailed must equal BuildFailed unless buildEither is set.
	buildFailed, buildEither bool
	// failed maps every test that must not pass to a reason substring; every
	// other test must pass.
	failed map[string]string
	// rerun are tests that can only have a result from a re-run, because the
	// first test binary died before reaching them.
	rerun []string
	// notes are substrings the kata's notes must hold, all of them.
	notes []string
	// score, when not zero, is the expected score.
	score int
	// imports are the expected import violations.
	imports []string
	// slow fixtures (hang, flood) are graded in a run of their own with a
	// small --timeout and --output-cap, and skipped by -short.
	slow bool
}

// fixtureAllTests maps every test to reason.
func fixtureAllTests(reason string) map[string]string {
	m := map[string]string{}
	for _, n := range append(append([]string{}, fixtureVisible...), fixtureHidden...) {
		m[n] = reason
	}
	return m
}

// fixtureScenarios is the table of fixture katas, in catalog order.
var fixtureScenarios = []struct {
	kata string
	want fixtureWant
}{
	{"passing", fixtureWant{status: result.Passing, visible: 3, hidden: 3}},
	{"failing", fixtureWant{status: result.Failing, visible: 2, hidden: 2, failed: map[string]string{
		"TestAdd":                       reasonAssertion,
		"TestHiddenAddMatchesReference": reasonAssertion,
	}}},
	{"notstarted", fixtureWant{status: result.NotStarted, failed: fixtureAllTests(reasonNotImplemented)}},
	{"compileerror", fixtureWant{status: result.Failing, buildFailed: true, failed: fixtureAllTests(reasonBuild)}},
	{"testpanic", fixtureWant{status: result.Failing, visible: 3, hidden: 2,
		failed: map[string]string{"TestHiddenDivByZero": reasonPanic},
		rerun:  []string{"TestHiddenAddMatchesReference", "TestHiddenCounterSequential"}}},
	{"gopanic", fixtureWant{status: result.Failing, visible: 2, hidden: 3,
		failed: map[string]string{"TestDiv": reasonPanic},
		rerun:  append([]string{"TestCounter"}, fixtureHidden...)}},
	{"hang", fixtureWant{status: result.Failing, visible: 3, hidden: 2, slow: true,
		failed: map[string]string{"TestHiddenDivByZero": reasonTimedOut},
		rerun:  []string{"TestHiddenAddMatchesReference", "TestHiddenCounterSequential"}}},
	{"exitinit", fixtureWant{status: result.Failing, failed: fixtureAllTests(reasonDidNotRun)}},
	{"owntestmain", fixtureWant{status: result.Failing, buildEither: true, failed: fixtureAllTests(reasonBuild + "|" + reasonDidNotRun)}},
	{"fakepass", fixtureWant{status: result.Failing, failed: fixtureAllTests(reasonAny)}},
	{"race", fixtureWant{status: result.Failing, visible: 2, hidden: 3, race: true,
		failed: map[string]string{"TestCounter": reasonRace}}},
	{"leak", fixtureWant{status: result.Failing, visible: 3, hidden: 3, leak: true}},
	{"flood", fixtureWant{status: result.Failing, visible: 3, hidden: 2, slow: true,
		failed: map[string]string{"TestHiddenAddMatchesReference": reasonOutput},
		rerun:  []string{"TestHiddenCounterSequential"}}},
	{"exitmidtest", fixtureWant{status: result.Failing, visible: 2, hidden: 2,
		failed: map[string]string{"TestDiv": reasonExit, "TestHiddenDivByZero": reasonExit},
		rerun:  append([]string{"TestCounter"}, fixtureHidden...)}},
	{"forgecrash", fixtureWant{status: result.Failing, failed: func() map[string]string {
		m := fixtureAllTests(reasonAny)
		m["TestAdd"] = reasonPanic
		return m
	}()}},
	// A leaked network goroutine is named by where it waits and who called
	// it, not by internal/poll.runtime_pollWait.
	{"netleak", fixtureWant{status: result.Failing, visible: 3, hidden: 3, leak: true,
		notes: []string{"blocked in net.(*TCPListener).Accept", "called from netleak.acceptLoop", "a listener that is never closed?"}}},
	{"bubbleleak", fixtureWant{status: result.Failing, visible: 2, hidden: 3, leak: true,
		failed: map[string]string{"TestDiv": "blocked goroutines remain; 2 goroutines: 2× blocked in net.(*pipe).Read [select] called from bubbleleak.readRequest"},
		rerun:  append([]string{"TestCounter"}, fixtureHidden...)}},
	// Correct code with a forbidden import: every test runs and passes, the
	// kata does not.
	{"badimport", fixtureWant{status: result.Failing, visible: 3, hidden: 3, score: 99,
		imports: []string{`badimport.go:10 imports "os/exec": no kata may run other programs; badimport may import: errors, sync`},
		notes:   []string{`not allowed: katas/badimport/badimport.go:10 imports "os/exec"`}}},
}

// Flags of the slow run.
const (
	slowTimeout   = "8s"
	slowOutputCap = "1048576"
	// floodResultLimit bounds the JSON result of the flood run: 10 MB of
	// output must not reach it.
	floodResultLimit = 256 << 10
	// graderMemLimitKB bounds the grader process's own peak RSS (VmHWM)
	// while it grades the 10 MB flood with a 1 MiB cap.
	graderMemLimitKB = 64 << 10
)

// buildGrader builds the grader binary into a temporary folder of t.
func buildGrader(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "grader")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build of the grader:\n%s", out)
	return bin
}

// graderRun is one run of `grader grade`.
type graderRun struct {
	code           int
	stdout, stderr string
	run            result.Run // decoded when --json printed one
	peakKB         int64      // the grader's own peak RSS (VmHWM), 0 if unknown
	elapsed        time.Duration
}

// runGrader runs the grader binary with args and decodes its JSON result when
// it exits 0 or 1.
func runGrader(t *testing.T, bin string, args ...string) graderRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"grade", "--root", fixtureRoot}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	peak := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	r := graderRun{stdout: stdout.String(), stderr: stderr.String(), peakKB: peak(), elapsed: time.Since(start)}
	t.Logf("grader grade %s: exit %d in %v, peak RSS %d KiB, stdout %d bytes",
		strings.Join(args, " "), cmd.ProcessState.ExitCode(), r.elapsed.Round(time.Millisecond), r.peakKB, stdout.Len())
	if err != nil {
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "grader did not exit normally; stderr:\n%s", r.stderr)
	}
	require.NoError(t, ctx.Err(), "grader still running after 5 minutes; stderr:\n%s", r.stderr)
	r.code = cmd.ProcessState.ExitCode()
	if r.code == 0 || r.code == 1 {
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		require.NoError(t, dec.Decode(&r.run), "stdout is not one JSON result.Run; stderr:\n%s", r.stderr)
		var rest json.RawMessage
		require.Error(t, dec.Decode(&rest), "stdout holds more than one JSON value")
		require.Equal(t, result.Version, r.run.Version)
	}
	return r
}

// watchPeakRSS polls the peak resident set size (VmHWM) of process pid
// until the returned function is called (after Wait); it returns the last
// value read, in KiB. It returns 0 where /proc is not available.
func watchPeakRSS(pid int) func() int64 {
	path := filepath.Join("/proc", strconv.Itoa(pid), "status")
	var (
		mu   sync.Mutex
		peak int64
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	read := func() {
		b, err := os.ReadFile(path)
		if err != nil {
			return
		}
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
				if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
					mu.Lock()
					peak = max(peak, kb)
					mu.Unlock()
				}
			}
		}
	}
	go func() {
		defer close(stopped)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// kataRow returns the row of kata in run.
func kataRow(t *testing.T, run result.Run, kata string) result.Kata {
	t.Helper()
	for _, k := range run.Katas {
		if k.Name == kata {
			return k
		}
	}
	require.FailNowf(t, "kata missing from the result", "%s not among %d katas", kata, len(run.Katas))
	return result.Kata{}
}

// checkKata checks one row against its scenario.
func checkKata(t *testing.T, k result.Kata, w fixtureWant) {
	t.Helper()
	dump, _ := json.MarshalIndent(k, "", "  ")
	t.Logf("%s:\n%s", k.Name, dump)

	// The expected tests come from the sources: all six, visible first.
	var names []string
	for _, tr := range k.Tests {
		names = append(names, tr.Name)
		assert.Equal(t, strings.HasPrefix(tr.Name, "TestHidden"), tr.Hidden, "%s: Hidden", tr.Name)
		assert.Equal(t, fixtureCategories[tr.Name], tr.Category, "%s: Category", tr.Name)
	}
	require.Equal(t, append(append([]string{}, fixtureVisible...), fixtureHidden...), names, "expected tests")
	assert.Equal(t, 3, k.VisibleTotal, "VisibleTotal")
	assert.Equal(t, 3, k.HiddenTotal, "HiddenTotal")

	assert.Equal(t, w.status, k.Status, "Status")
	assert.Equal(t, w.visible, k.VisiblePassed, "VisiblePassed")
	assert.Equal(t, w.hidden, k.HiddenPassed, "HiddenPassed")
	assert.Equal(t, w.race, k.Race, "Race")
	assert.Equal(t, w.leak, k.Leak, "Leak")
	if !w.buildEither {
		assert.Equal(t, w.buildFailed, k.BuildFailed, "BuildFailed")
	}
	if k.BuildFailed {
		assert.NotEmpty(t, k.BuildOutput, "BuildOutput of a failed build")
	}
	assert.Nil(t, k.Bench, "Bench with --no-bench")
	assert.Equal(t, w.imports, k.Imports, "Imports")
	if w.score != 0 {
		assert.Equal(t, w.score, k.Score, "Score")
	}
	notes := strings.Join(k.Notes, "\n")
	for _, n := range w.notes {
		assert.Contains(t, notes, n, "Notes")
	}

	// Per test: passed exactly when the scenario says so, never without a
	// run; a failure always says why.
	visible, hidden := 0, 0
	for _, tr := range k.Tests {
		reason, mustFail := w.failed[tr.Name]
		if mustFail {
			if assert.False(t, tr.Passed, "%s passed; it must not", tr.Name) {
				assert.NotEmpty(t, tr.Reason, "%s: a failed test needs a reason", tr.Name)
				if reason != reasonAny {
					assertReason(t, tr, reason)
				}
			}
		} else {
			assert.True(t, tr.Passed, "%s did not pass: %s", tr.Name, tr.Reason)
		}
		if tr.Passed {
			assert.Empty(t, tr.Reason, "%s passed but has a reason", tr.Name)
			if tr.Hidden {
				hidden++
			} else {
				visible++
			}
		}
	}
	assert.Equal(t, visible, k.VisiblePassed, "VisiblePassed must count the passed tests")
	assert.Equal(t, hidden, k.HiddenPassed, "HiddenPassed must count the passed tests")
	for _, name := range w.rerun {
		for _, tr := range k.Tests {
			if tr.Name == name && tr.Passed {
				assert.True(t, tr.Rerun, "%s can only have passed in a re-run", name)
			}
		}
	}
	if k.BuildFailed {
		assert.Zero(t, visible+hidden, "a test passed although the package did not build")
	}

	// Status and score agree with the counts.
	all := visible+hidden == 6 && !k.Race && !k.Leak && !k.BuildFailed && len(k.Imports) == 0
	assert.Equal(t, all, k.Status == result.Passing, "Status passing iff every test passed with no race, leak, build failure or forbidden import")
	assert.True(t, k.Score >= 0 && k.Score <= 100, "Score %d out of range", k.Score)
	if k.Status == result.Passing {
		assert.Equal(t, 100, k.Score, "Score of a passing kata")
	}
	if visible+hidden == 0 {
		assert.Zero(t, k.Score, "Score with no test passed")
	}
}

// assertReason checks that tr's reason holds one of the |-separated
// substrings of want, ignoring case.
func assertReason(t *testing.T, tr result.Test, want string) {
	t.Helper()
	got := strings.ToLower(tr.Reason)
	for _, w := range strings.Split(want, "|") {
		if strings.Contains(got, strings.ToLower(w)) {
			return
		}
	}
	assert.Failf(t, "wrong reason", "%s: reason %q does not mention %q", tr.Name, tr.Reason, want)
}

// checkTotal checks run.Total against the rows.
func checkTotal(t *testing.T, run result.Run) {
	t.Helper()
	var tot result.Total
	for _, k := range run.Katas {
		tot.Katas++
		if k.Status == result.Passing {
			tot.Passing++
		}
		if k.Status == result.NotStarted {
			tot.NotStarted++
		}
		tot.VisiblePassed += k.VisiblePassed
		tot.VisibleTotal += k.VisibleTotal
		tot.HiddenPassed += k.HiddenPassed
		tot.HiddenTotal += k.HiddenTotal
		tot.Score += k.Score
		tot.MaxScore += 100
	}
	assert.Equal(t, tot, run.Total, "Total")
}

// fixtureNames returns the scenario katas, slow or not.
func fixtureNames(slow bool) []string {
	var ns []string
	for _, s := range fixtureScenarios {
		if s.want.slow == slow {
			ns = append(ns, s.kata)
		}
	}
	return ns
}

// fixtureWantFor returns the scenario of kata.
func fixtureWantFor(kata string) fixtureWant {
	for _, s := range fixtureScenarios {
		if s.kata == kata {
			return s.want
		}
	}
	panic("no scenario " + kata)
}

// TestFixtureCatalog keeps the scenario table and the fixture catalog in
// step: every fixture kata is graded by TestFixtures.
func TestFixtureCatalog(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(fixtureRoot, "katas", "catalog.json"))
	require.NoError(t, err)
	var cat struct {
		Version int
		Katas   []struct{ Name string }
	}
	require.NoError(t, json.Unmarshal(b, &cat))
	var got, want []string
	for _, k := range cat.Katas {
		got = append(got, k.Name)
	}
	for _, s := range fixtureScenarios {
		want = append(want, s.kata)
	}
	assert.Equal(t, want, got, "fixture catalog vs fixtureScenarios table")
}

// TestFixtureReferences checks the fixtures themselves: every scenario's
// reference solution passes all its visible and hidden tests (with -race
// where cgo is available), with the learner's extra test files removed.
func TestFixtureReferences(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(fixtureRoot)
	require.NoError(t, err)
	replace := map[string]string{}
	for _, s := range fixtureScenarios {
		k := s.kata
		dir, sol := filepath.Join(root, "katas", k), filepath.Join(root, "solutions", k)
		replace[filepath.Join(dir, k+".go")] = filepath.Join(sol, k+".go")
		replace[filepath.Join(dir, "zz_hidden_test.go")] = filepath.Join(sol, "hidden_test.go")
		extra, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
		require.NoError(t, err)
		for _, f := range extra {
			if filepath.Base(f) != k+"_test.go" {
				replace[f] = "" // a learner's own test file (owntestmain)
			}
		}
	}
	ov, err := json.Marshal(map[string]any{"Replace": replace})
	require.NoError(t, err)
	ovFile := filepath.Join(t.TempDir(), "overlay.json")
	require.NoError(t, os.WriteFile(ovFile, ov, 0o666))

	// No -count=1: the references have no side effects, and go test caches
	// results with overlays correctly, so a warm re-run costs under a second.
	args := []string{"test", "-json", "-tags", "microkata_hidden", "-overlay", ovFile}
	if cgo, _ := exec.Command(goBin, "env", "CGO_ENABLED").Output(); strings.TrimSpace(string(cgo)) == "1" {
		args = append(args, "-race")
	}
	cmd := exec.Command(goBin, append(args, "./"+fixtureRoot+"/katas/...")...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	out, err := cmd.Output()
	require.NoError(t, err, "the reference solutions must pass:\n%s", out)

	passes := map[string]int{} // "kata.Test" -> pass events
	for line := range strings.Lines(string(out)) {
		var e struct{ Action, Package, Test string }
		require.NoError(t, json.Unmarshal([]byte(line), &e), "go test -json line %q", line)
		if e.Action == "pass" && e.Test != "" {
			passes[filepath.Base(e.Package)+"."+e.Test]++
		}
	}
	for _, s := range fixtureScenarios {
		for _, n := range append(append([]string{}, fixtureVisible...), fixtureHidden...) {
			assert.Equal(t, 1, passes[s.kata+"."+n], "reference %s: %s must pass once", s.kata, n)
		}
	}
}

// TestFixtures grades the fixture katas end to end. Cold (the fixtures built
// with -race for the first time) it takes about a minute; warm, well under.
func TestFixtures(t *testing.T) {
	bin := buildGrader(t)

	t.Run("unknown kata", func(t *testing.T) {
		r := runGrader(t, bin, "--json", "--no-bench", "passing", "nosuchkata")
		assert.Equal(t, 2, r.code, "exit status for an unknown kata; stderr:\n%s", r.stderr)
		assert.Contains(t, r.stderr+r.stdout, "nosuchkata", "the message must name the unknown kata")
	})

	t.Run("passing alone", func(t *testing.T) {
		r := runGrader(t, bin, "--json", "--no-bench", "passing")
		require.Equal(t, 0, r.code, "exit status when every kata passes; stderr:\n%s", r.stderr)
		require.Len(t, r.run.Katas, 1)
		checkKata(t, kataRow(t, r.run, "passing"), fixtureWantFor("passing"))
		checkTotal(t, r.run)
		assert.Equal(t, 1, r.run.Total.Passing)
	})

	t.Run("benchmarks", func(t *testing.T) {
		// Benchmarks run only for passing katas: leak gets none.
		r := runGrader(t, bin, "--json", "--bench-rounds", "2", "--benchtime", "2ms", "passing", "leak")
		require.Equal(t, 1, r.code, "stderr:\n%s", r.stderr)
		assert.Nil(t, kataRow(t, r.run, "leak").Bench, "Bench of a failing kata")
		b := kataRow(t, r.run, "passing").Bench
		require.NotNil(t, b, "Bench of a passing kata with benchmarks; stderr:\n%s", r.stderr)
		require.Empty(t, b.Error, "Bench error")
		var names []string
		for _, br := range b.Benchmarks {
			names = append(names, br.Name)
			assert.Positive(t, br.LearnerNsOp, "%s learner ns/op", br.Name)
			assert.Positive(t, br.ReferenceNsOp, "%s reference ns/op", br.Name)
			assert.Zero(t, br.LearnerAllocs, "%s learner allocs/op", br.Name)
			assert.Zero(t, br.ReferenceAllocs, "%s reference allocs/op", br.Name)
		}
		assert.ElementsMatch(t, []string{"BenchmarkAdd", "BenchmarkCounter"}, names)
		assert.Positive(t, b.NsRatio, "NsRatio")
		assert.Equal(t, 1.0, b.AllocsRatio, "AllocsRatio of 0 vs 0 allocs")
	})

	t.Run("passing and leak", func(t *testing.T) {
		// The only failure is a leaked goroutine: still exit status 1.
		r := runGrader(t, bin, "--json", "--no-bench", "passing", "leak")
		require.Equal(t, 1, r.code, "exit status when a kata leaks; stderr:\n%s", r.stderr)
		checkKata(t, kataRow(t, r.run, "leak"), fixtureWantFor("leak"))
		checkTotal(t, r.run)
	})

	t.Run("all fast", func(t *testing.T) {
		katas := fixtureNames(false)
		r := runGrader(t, bin, append([]string{"--json", "--no-bench"}, katas...)...)
		require.Equal(t, 1, r.code, "exit status when some kata fails; stderr:\n%s", r.stderr)
		var got []string
		for _, k := range r.run.Katas {
			got = append(got, k.Name)
		}
		require.Equal(t, katas, got, "katas in catalog order")
		for _, kata := range katas {
			t.Run(kata, func(t *testing.T) {
				checkKata(t, kataRow(t, r.run, kata), fixtureWantFor(kata))
			})
		}
		checkTotal(t, r.run)
		assert.True(t, r.run.Race, "the run used the race detector")

		// The race detector's report is kept whole, and its summary names
		// the learner's code with file and line.
		for _, tr := range kataRow(t, r.run, "race").Tests {
			if tr.Name != "TestCounter" {
				assert.Empty(t, tr.RaceReport, "%s has no race", tr.Name)
				continue
			}
			require.Contains(t, tr.RaceReport, "WARNING: DATA RACE")
			assert.Contains(t, tr.RaceReport, "race_test.TestCounter", "the report is whole, test frames included")
			reports := racereport.Extract(tr.RaceReport)
			require.NotEmpty(t, reports)
			assert.Regexp(t, `(?m)^  race\.\(\*Counter\)\.(Inc|Value)  katas/race/race\.go:\d+$`, strings.Join(racereport.Summary(reports[0], nil), "\n"))
		}
	})

	t.Run("hang and flood", func(t *testing.T) {
		if testing.Short() {
			t.Skip("slow: a test binary must time out (-short)")
		}
		katas := fixtureNames(true)
		r := runGrader(t, bin, append([]string{"--json", "--no-bench", "--timeout", slowTimeout, "--output-cap", slowOutputCap}, katas...)...)
		require.Equal(t, 1, r.code, "exit status; stderr:\n%s", r.stderr)
		for _, kata := range katas {
			t.Run(kata, func(t *testing.T) {
				checkKata(t, kataRow(t, r.run, kata), fixtureWantFor(kata))
			})
		}
		checkTotal(t, r.run)
		assert.Less(t, len(r.stdout), floodResultLimit, "the flood's output must not reach the result")
		if r.peakKB > 0 {
			assert.Less(t, r.peakKB, int64(graderMemLimitKB), "grader peak RSS (KiB) while grading a 10 MB flood")
		}
	})
}
