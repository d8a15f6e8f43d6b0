package grade

import (
	"fmt"
	"path"
	"strings"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/gotest"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/racereport"
	"github.com/microkata/microkata/internal/leakreport"
)

// outcome is the accounting of one expected test.
type outcome struct {
	passed    bool
	reason    string
	needRerun bool // it never reported, or its pass came from a binary that did not complete
	reran     bool // the outcome comes from a run of its own
	elapsed   float64
	race      string // the race detector's reports during the test
}

// accounting is one kata's share of one run.
type accounting struct {
	tests          map[string]*outcome
	buildFailed    bool
	buildOutput    []string
	race, leak     bool
	notImplemented bool
	ranAny         bool // some expected test reported an event
	cut            bool // the run was cut before this package reported: run it again
	notes          []string
}

// account decides, fail-closed, what one run says about each expected test
// of k:
//   - a test passed only if it has exactly count run events and count
//     terminal events, all "pass", in a binary whose completion marker is
//     present, carries the run's token, and agrees with the events;
//   - a fail event is a failure, whatever else was printed;
//   - a test that started and never finished is the one the binary died in
//     (panic, timeout, output cap, os.Exit) and fails with that reason;
//   - a test that never reported, or whose pass cannot be trusted because
//     the binary did not complete, is marked for a re-run on its own.
func account(tests []catalog.Test, pkg *gotest.Package, res *gotest.Result, marker *overlay.Marker, count int) *accounting {
	a := &accounting{tests: map[string]*outcome{}}
	if pkg == nil && res.Killed != "" {
		// Cut before this package reported anything (another package's
		// output cap, the deadline): not its fault; run it again.
		for _, t := range tests {
			a.tests[t.Name] = &outcome{needRerun: true, reason: "did not run: the run was cut: " + res.Killed}
		}
		a.cut = true
		return a
	}
	if pkg == nil || pkg.BuildFailed {
		a.buildFailed = true
		why := "did not run: the package or its tests did not compile"
		if pkg == nil {
			why = "did not run: go test reported nothing for this package"
			if s := firstLine(res.Stderr); s != "" {
				why += ": " + s
			}
			a.buildOutput = head(strings.Split(strings.TrimSpace(res.Stderr), "\n"), 20)
		} else {
			a.buildOutput = pkg.BuildOutput
		}
		for _, t := range tests {
			a.tests[t.Name] = &outcome{reason: why}
		}
		return a
	}

	all := pkg.Output.String()
	for _, t := range pkg.Tests {
		all += t.Output.String()
	}
	a.race = strings.Contains(all, "WARNING: DATA RACE")
	a.notImplemented = strings.Contains(all, "panic: not implemented")
	a.leak = strings.Contains(all, "katatest: goroutine leak") ||
		strings.Contains(all, "blocked goroutines remain")

	// The marker must agree with the events: exit code 0 exactly when no
	// test failed.
	anyFail := false
	for _, t := range pkg.Tests {
		if t.Fails > 0 {
			anyFail = true
		}
	}
	trusted := marker != nil && (marker.Code == 0) == !anyFail
	if marker != nil && marker.Leak != "" {
		a.leak = true
		a.notes = append(a.notes, "goroutines still running after the tests: "+leakSummary(marker.Leak))
	}
	if marker != nil && !trusted {
		a.notes = append(a.notes, fmt.Sprintf("the test binary's exit code (%d) disagrees with its test events", marker.Code))
	}

	died := diedReason(pkg, res)
	for _, t := range tests {
		r := pkg.TopLevel(t.Name)
		o := &outcome{}
		a.tests[t.Name] = o
		if r != nil {
			a.ranAny = true
			o.elapsed = r.Elapsed
		}
		switch {
		case r == nil || r.Runs == 0:
			// Never started (terminal events without a run are forged).
			o.needRerun = true
			o.reason = "did not run: " + died
		case r.Fails > 0:
			o.reason = failureMessage(r, pkg)
			o.race = raceReports(r, pkg)
			// test2json ends the test that was running when the memory
			// limit killed the binary with a bare fail.
			if mk := memoryKill(pkg, res); mk != "" && o.reason == "failed" {
				o.reason = "the test binary was " + mk + " during this test"
			}
		case r.Runs > r.Terminals() && res.Killed != "" && !pkg.OverCap:
			// The grader cut the run for another package's sake (its
			// output cap) or for the deadline: not this test's fault.
			o.needRerun = true
			o.reason = "did not complete: the run was cut: " + res.Killed
		case r.Runs > r.Terminals() && memoryKill(pkg, res) != "":
			o.reason = "the test binary was " + memoryKill(pkg, res) + " during this test"
		case r.Runs > r.Terminals():
			o.reason = culpritMessage(r, pkg)
		case r.Skips > 0:
			o.reason = "skipped" + suffix(assertion(r.Output.String()))
		case r.Runs != count || r.Passes != count:
			o.reason = fmt.Sprintf("inconsistent events: %d run, %d pass for %d expected (forged test output?)", r.Runs, r.Passes, count)
		case !trusted:
			o.needRerun = true
			o.reason = "did not complete: " + died
		default:
			o.passed = true
		}
	}
	return a
}

// memoryKill says why the memory limit killed pkg's test binary, or "".
func memoryKill(pkg *gotest.Package, res *gotest.Result) string {
	name := path.Base(pkg.ImportPath) + ".test"
	if len(name) > 15 {
		name = name[:15] // the kernel keeps 15 bytes of a process's name
	}
	return res.MemoryKilled[name]
}

// diedReason explains why tests of a package never reported.
func diedReason(pkg *gotest.Package, res *gotest.Result) string {
	running := pkg.Running()
	switch {
	case pkg.OverCap:
		return "the run was cut when the package's output passed the cap"
	case len(running) > 0:
		return "the test binary died during " + strings.Join(running, ", ")
	case res.Killed != "":
		return "the run was killed: " + res.Killed
	case len(pkg.Order) == 0:
		return "the test binary exited before running any test (os.Exit in init or a TestMain?)"
	default:
		return "the test binary exited before this test (os.Exit?)"
	}
}

// culpritMessage explains why the test that was running when the binary
// died did not finish.
func culpritMessage(r *gotest.Test, pkg *gotest.Package) string {
	// A panic in a background goroutine is attributed to the subtest that
	// was running, if any.
	out := r.Output.String()
	for _, s := range pkg.Subtests(r.Name) {
		out += s.Output.String()
	}
	out += pkg.Output.String()
	switch {
	case pkg.OverCap:
		return "output limit: the package printed more than the output cap; the run was cut during this test"
	case strings.Contains(out, "test timed out after"):
		return "timed out: " + strings.TrimPrefix(lineWith(out, "test timed out after"), "panic: ") + " (a hang or a deadlock?)"
	case strings.Contains(out, "katatest: watchdog:"):
		return strings.TrimPrefix(lineWith(out, "katatest: watchdog:"), "panic: ")
	case strings.Contains(out, "panic: "):
		return "the test binary crashed during this test: " + panicLine(out) + bubbleLeak(out)
	case strings.Contains(out, "fatal error: "):
		return "the test binary crashed during this test: " + lineWith(out, "fatal error: ")
	default:
		return "the test binary exited during this test (os.Exit?)"
	}
}

// failureMessage is the first line of a failed test's message: a panic,
// a testify "Error:" line, or the first t.Error line, with the failing
// subtest's name when there is one.
func failureMessage(r *gotest.Test, pkg *gotest.Package) string {
	out := r.Output.String()
	prefix := ""
	for _, s := range pkg.Subtests(r.Name) {
		if s.Fails > 0 && (prefix == "" || s.Name < prefix) {
			prefix = s.Name
			out = s.Output.String() + out
		}
	}
	msg := ""
	switch {
	case strings.Contains(out, "panic: "):
		msg = "panicked: " + strings.TrimPrefix(panicLine(out), "panic: ") + bubbleLeak(out)
		// An assertion that failed before the panic is the learner's
		// message; a synctest deadlock after it is its consequence (the
		// test stopped while goroutines it started still waited).
		if i := strings.Index(out, "panic: "); i > 0 {
			if a := assertion(out[:i]); a != "" && strings.Contains(out[:i], "Error:") {
				msg = a + "; then " + msg
			}
		}
	case strings.Contains(out, "WARNING: DATA RACE"):
		msg = "data race detected during the test"
		if m := fileMessage(out); m != "" && !strings.Contains(m, "race detected") {
			msg += "; " + m
		}
	default:
		msg = assertion(out)
	}
	if msg == "" {
		msg = "failed"
	}
	if prefix != "" {
		msg = strings.TrimPrefix(prefix, r.Name+"/") + ": " + msg
	}
	return msg
}

// raceReports returns the race detector's reports printed during test r
// (or its subtests), whole, separated by blank lines.
func raceReports(r *gotest.Test, pkg *gotest.Package) string {
	out := r.Output.String()
	for _, s := range pkg.Subtests(r.Name) {
		out += s.Output.String()
	}
	return strings.Join(racereport.Extract(out), "\n\n")
}

// assertion extracts the first assertion message from test output.
func assertion(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(t, "Error:"); ok {
			msg := strings.TrimSpace(v)
			// testify continues a message on the next lines (expected/actual).
			for j := i + 1; j < len(lines) && j < i+4; j++ {
				n := strings.TrimSpace(lines[j])
				if n == "" || strings.HasSuffix(n, ":") && !strings.Contains(n, " ") || strings.HasPrefix(n, "Test:") || strings.HasPrefix(n, "Messages:") {
					break
				}
				if strings.HasPrefix(n, "expected:") || strings.HasPrefix(n, "actual") || strings.HasPrefix(n, "in chain:") {
					msg += " " + n
				}
			}
			// require.NoError and friends print the error on the lines
			// after; a goroutine dump (a goleak report) is summarised.
			if strings.HasSuffix(msg, "Received unexpected error:") {
				msg += " " + errorText(lines[i+1:])
			}
			// assert.NotPanics names the function by its address; the
			// panic value, on a later line, is what a learner needs.
			if strings.Contains(msg, "should not panic") {
				for _, n := range lines[i+1 : min(len(lines), i+8)] {
					if v, ok := strings.CutPrefix(strings.TrimSpace(n), "Panic value:"); ok {
						msg = "panicked: " + strings.TrimSpace(v)
						break
					}
				}
			}
			// Its "Messages:" line, if any, comes before the next
			// assertion's "Error Trace:".
			// (after a panic's stack, for NotPanics).
			for _, m := range lines[i+1 : min(len(lines), i+200)] {
				m = strings.TrimSpace(m)
				if strings.HasPrefix(m, "Error Trace:") || strings.HasPrefix(m, "Error:") {
					break
				}
				if v, ok := strings.CutPrefix(m, "Messages:"); ok {
					msg = strings.TrimSpace(v) + ": " + msg
					break
				}
			}
			return strings.TrimSpace(msg)
		}
	}
	if m := fileMessage(out); m != "" {
		return m
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "===") && !strings.HasPrefix(t, "---") {
			return t
		}
	}
	return ""
}

// fileMessage returns the first "file.go:NN: message" line's message.
func fileMessage(out string) string {
	for l := range strings.SplitSeq(out, "\n") {
		t := strings.TrimSpace(l)
		i := strings.Index(t, ".go:")
		if i <= 0 || strings.ContainsAny(t[:i], " \t") {
			continue
		}
		rest := t[i+4:]
		if j := strings.Index(rest, ": "); j >= 0 {
			if m := strings.TrimSpace(rest[j+2:]); m != "" {
				return m
			}
		}
	}
	return ""
}

func panicLine(out string) string {
	l := lineWith(out, "panic: ")
	if i := strings.Index(l, "panic: "); i >= 0 {
		l = l[i:]
	}
	l = strings.TrimSuffix(l, " [recovered, repanicked]")
	l = strings.TrimSuffix(l, " [recovered]")
	return l
}

func lineWith(out, s string) string {
	for l := range strings.SplitSeq(out, "\n") {
		if strings.Contains(l, s) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// errorText reads the error testify printed on the continuation lines of
// an "Error:" field: a summary if it is a goroutine dump, else its first
// line.
func errorText(lines []string) string {
	var text []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "Test:") || strings.HasPrefix(t, "Messages:") || strings.HasPrefix(t, "Error Trace:") || strings.HasPrefix(t, "Error:") {
			break
		}
		text = append(text, t)
	}
	joined := strings.Join(text, "\n")
	if s := leakreport.Summarize(leakreport.Parse(joined), 3); s != "" {
		return s
	}
	return firstLine(joined)
}

// leakSummary says where goroutines of a goleak report are blocked and who
// started them (see leakreport), or falls back to the report's first line.
func leakSummary(report string) string {
	if s := leakreport.Summarize(leakreport.ByBlame(leakreport.Parse(report)), 3); s != "" {
		return s
	}
	return firstLine(strings.TrimPrefix(report, "found unexpected goroutines:"))
}

// bubbleLeak explains a synctest deadlock panic ("blocked goroutines
// remain", "all goroutines in bubble are blocked"): which goroutines of the
// bubble were blocked, and where. It returns "" for any other output.
func bubbleLeak(out string) string {
	if !strings.Contains(out, "blocked goroutines remain") && !strings.Contains(out, "all goroutines in bubble are blocked") {
		return ""
	}
	var blocked []leakreport.Goroutine
	for _, g := range leakreport.Parse(out) {
		if g.InBubble {
			blocked = append(blocked, g)
		}
	}
	if s := leakreport.Summarize(leakreport.ByBlame(blocked), 2); s != "" {
		return "; " + s
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
