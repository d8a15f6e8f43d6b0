// Package gotest runs `go test -json` and compiled test binaries under the
// grader's limits (a per-binary timeout, an overall deadline that kills the
// whole process group, a per-package output cap) and folds their JSON
// events into one record per package and test.
//
// It records what the events say and nothing more; deciding what passed is
// the caller's job (see the grader's accounting), because events can be
// forged by the code under test.
package gotest

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"time"
)

// Event is one line of `go test -json` (cmd/test2json's TestEvent, plus the
// build events that cmd/go adds).
type Event struct {
	Time        time.Time `json:",omitempty"`
	Action      string
	Package     string  `json:",omitempty"`
	Test        string  `json:",omitempty"`
	Elapsed     float64 `json:",omitempty"`
	Output      string  `json:",omitempty"`
	FailedBuild string  `json:",omitempty"`
	ImportPath  string  `json:",omitempty"` // build-output and build-fail
}

// Test is what the events said about one test (a top-level test or a
// subtest, by its full name).
type Test struct {
	Name string
	// Runs counts "run" events; Passes, Fails and Skips count terminal
	// events.
	Runs, Passes, Fails, Skips int
	// Last is the last terminal action ("pass", "fail", "skip"), or "" when
	// the test started but never finished.
	Last    string
	Elapsed float64
	// Output is the test's output, capped at TestOutputCap bytes.
	Output strings.Builder
	// Cut reports that Output was capped.
	Cut bool
}

// Terminals is the number of terminal events.
func (t *Test) Terminals() int { return t.Passes + t.Fails + t.Skips }

// TestOutputCap bounds the output kept per test, to find its failure
// message; the package cap bounds the whole.
const TestOutputCap = 64 << 10

// Package is what the events said about one package.
type Package struct {
	ImportPath string
	// Started reports a "start" event.
	Started bool
	// Action is the package's terminal action ("pass", "fail", "skip"), or
	// "" if none arrived.
	Action string
	// BuildFailed reports a build-fail event or a FailedBuild field.
	BuildFailed bool
	// BuildOutput holds the build-output lines (capped).
	BuildOutput []string
	// Tests maps full test names to their records; Order lists top-level
	// test names in the order they started.
	Tests map[string]*Test
	Order []string
	// Output is package-level output (not attributed to a test), capped.
	Output strings.Builder
	// OutputBytes counts all output bytes seen for the package.
	OutputBytes int64
	// OverCap reports that OutputBytes passed the run's output cap.
	OverCap bool
}

func newPackage(path string) *Package {
	return &Package{ImportPath: path, Tests: map[string]*Test{}}
}

// Running returns the tests that started and have not finished, top-level
// first.
func (p *Package) Running() []string {
	var out []string
	for _, name := range p.Order {
		if t := p.Tests[name]; t.Runs > t.Terminals() {
			out = append(out, name)
		}
	}
	return out
}

// TopLevel returns the record for a top-level test name, or nil.
func (p *Package) TopLevel(name string) *Test { return p.Tests[name] }

// Subtests returns the records of name's subtests, in no particular order.
func (p *Package) Subtests(name string) []*Test {
	var out []*Test
	for full, t := range p.Tests {
		if strings.HasPrefix(full, name+"/") {
			out = append(out, t)
		}
	}
	return out
}

// fold applies one event to the package records. outputCap bounds each
// package's total output; it returns true when this event pushed the
// package over it.
func fold(pkgs map[string]*Package, e *Event, outputCap int64) (overCap bool) {
	path := e.Package
	if path == "" {
		path = e.ImportPath
		if i := strings.IndexByte(path, ' '); i >= 0 {
			path = path[:i] // "pkg [pkg.test]"
		}
		// Setup failures of the test main name the test binary: "pkg.test".
		path = strings.TrimSuffix(path, ".test")
	}
	if path == "" {
		return false
	}
	p := pkgs[path]
	if p == nil {
		p = newPackage(path)
		pkgs[path] = p
	}
	switch e.Action {
	case "build-output":
		if len(p.BuildOutput) < 200 {
			p.BuildOutput = append(p.BuildOutput, strings.TrimRight(e.Output, "\n"))
		}
		return false
	case "build-fail":
		p.BuildFailed = true
		return false
	case "start":
		p.Started = true
		return false
	}
	if e.FailedBuild != "" {
		p.BuildFailed = true
	}
	if e.Test == "" {
		switch e.Action {
		case "pass", "fail", "skip":
			p.Action = e.Action
		case "output":
			p.OutputBytes += int64(len(e.Output))
			appendCapped(&p.Output, e.Output, TestOutputCap)
		}
		return checkCap(p, outputCap)
	}
	t := p.Tests[e.Test]
	if t == nil {
		t = &Test{Name: e.Test}
		p.Tests[e.Test] = t
		if !strings.Contains(e.Test, "/") {
			p.Order = append(p.Order, e.Test)
		}
	}
	switch e.Action {
	case "run":
		t.Runs++
	case "pass":
		t.Passes++
		t.Last, t.Elapsed = e.Action, e.Elapsed
	case "fail":
		t.Fails++
		t.Last, t.Elapsed = e.Action, e.Elapsed
	case "skip":
		t.Skips++
		t.Last, t.Elapsed = e.Action, e.Elapsed
	case "output":
		p.OutputBytes += int64(len(e.Output))
		if !appendCapped(&t.Output, e.Output, TestOutputCap) {
			t.Cut = true
		}
	}
	return checkCap(p, outputCap)
}

func checkCap(p *Package, outputCap int64) bool {
	if outputCap > 0 && !p.OverCap && p.OutputBytes > outputCap {
		p.OverCap = true
		return true
	}
	return false
}

// appendCapped appends s to b while b stays under limit; it reports
// whether all of s fit.
func appendCapped(b *strings.Builder, s string, limit int) bool {
	room := limit - b.Len()
	if room <= 0 {
		return false
	}
	if len(s) > room {
		b.WriteString(s[:room])
		return false
	}
	b.WriteString(s)
	return true
}

func parseEvent(line []byte) (*Event, bool) {
	var e Event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
		return nil, false
	}
	return &e, true
}

// Parse folds a recorded `go test -json` stream, such as a saved run; lines
// that are not events are skipped.
func Parse(r io.Reader) (map[string]*Package, error) {
	pkgs := map[string]*Package{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if e, ok := parseEvent(sc.Bytes()); ok {
			fold(pkgs, e, 0)
		}
	}
	return pkgs, sc.Err()
}
