// Package racereport reads the race detector's reports out of test output
// and trims them to what a learner can act on: for each access of the race
// and each goroutine's creation, the frames of the code under test, with
// their file and line.
//
// A report looks like this (Go's -race output):
//
//	==================
//	WARNING: DATA RACE
//	Read at 0x00c000018d58 by goroutine 10:
//	  github.com/.../katas/race.(*Counter).Inc()
//	      /home/me/microkata/katas/race/race.go:33 +0x3a
//	  github.com/.../katas/race_test.TestCounter.func1()
//	      /home/me/microkata/katas/race/race_test.go:32 +0x35
//
//	Previous write at 0x00c000018d58 by goroutine 11:
//	  ...
//	Goroutine 10 (running) created at:
//	  ...
//	==================
//
// Summary turns it into
//
//	read by goroutine 10:
//	  race.(*Counter).Inc  katas/race/race.go:33
//	previous write by goroutine 11:
//	  race.(*Counter).Inc  katas/race/race.go:33
package racereport

import (
	"regexp"
	"strings"

	"github.com/microkata/microkata/internal/leakreport"
)

const (
	fence  = "=================="
	banner = "WARNING: DATA RACE"
)

// Extract returns every race report in out, each from its WARNING line to
// the line before its closing fence, in order.
func Extract(out string) []string {
	var reports []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != banner {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != fence {
			j++
		}
		reports = append(reports, strings.TrimRight(strings.Join(lines[i:j], "\n"), "\n "))
		i = j
	}
	return reports
}

var (
	access  = regexp.MustCompile(`^(Previous )?(Read|Write|read|write)( \S+)? at 0x[0-9a-f]+ by (goroutine \d+|main goroutine):$`)
	created = regexp.MustCompile(`^Goroutine (\d+) \((running|finished)\) created at:$`)
	// A frame's file line: "/abs/path/katas/k/k.go:33 +0x3a".
	fileLine = regexp.MustCompile(`^(\S+\.go:\d+)(?: \+0x[0-9a-f]+)?$`)
)

// Summary trims one report (as Extract returns it) to the accesses and
// goroutine creations that involve the code under test, and for each the
// frames of that code only: "function  katas/<kata>/<file>.go:<line>". A
// section with no such frame is left out. isCode says whether a function
// (with its import path) is code under test; nil means "neither the
// standard library nor a _test package".
func Summary(report string, isCode func(fn string) bool) []string {
	if isCode == nil {
		isCode = DefaultIsCode
	}
	var out, section []string
	header := ""
	flush := func() {
		if header != "" && len(section) > 0 {
			out = append(out, header)
			out = append(out, section...)
		}
		header, section = "", nil
	}
	lines := strings.Split(report, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case access.MatchString(l):
			flush()
			m := access.FindStringSubmatch(l)
			h := strings.ToLower(m[2]) + m[3] + " by " + m[4] + ":"
			if m[1] != "" {
				h = "previous " + h
			}
			header = h
		case created.MatchString(l):
			flush()
			m := created.FindStringSubmatch(l)
			header = "goroutine " + m[1] + " (" + m[2] + ") was started at:"
		case header != "" && strings.HasSuffix(l, ")") && i+1 < len(lines):
			fn := leakreport.FuncName(l)
			where := ""
			if m := fileLine.FindStringSubmatch(strings.TrimSpace(lines[i+1])); m != nil {
				where = shortPath(m[1])
				i++
			}
			if isCode(fn) {
				section = append(section, "  "+leakreport.Short(fn)+"  "+where)
			}
		}
	}
	flush()
	return out
}

// DefaultIsCode reports whether fn is neither in the standard library (no
// dot in its import path's first element) nor in a _test package, nor in
// the repository's shared test helpers (internal/katatest).
func DefaultIsCode(fn string) bool {
	return !leakreport.IsStd(fn) && !leakreport.IsTest(fn) && !strings.Contains(fn, "/internal/katatest.")
}

// shortPath keeps a file's path from its "katas/" or "solutions/" folder on,
// or its base name.
func shortPath(p string) string {
	for _, dir := range []string{"/katas/", "/solutions/"} {
		if i := strings.LastIndex(p, dir); i >= 0 {
			return p[i+1:]
		}
	}
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
