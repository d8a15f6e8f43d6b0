package render

import (
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"

	"github.com/microkata/microkata/grader/internal/racereport"
	"github.com/microkata/microkata/grader/internal/result"
)

// Formats are the report formats of one run, for Write and the --format
// flag's help.
var Formats = []string{"text", "json", "markdown", "junit", "csv", "html"}

// BatchFormats are the report formats of a batch, for WriteBatch.
var BatchFormats = []string{"markdown", "csv", "html", "json"}

// Write renders run in format, one of Formats. Options apply to the text
// scorecard only.
func Write(w io.Writer, run *result.Run, format string, o Options) error {
	switch format {
	case "text":
		return Text(w, run, o)
	case "json":
		return JSON(w, run)
	case "markdown":
		return Markdown(w, run)
	case "junit":
		return JUnit(w, run)
	case "csv":
		return CSV(w, run)
	case "html":
		return HTML(w, run)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// WriteBatch renders b in format, one of BatchFormats.
func WriteBatch(w io.Writer, b *result.Batch, format string) error {
	switch format {
	case "markdown":
		return BatchMarkdown(w, b)
	case "csv":
		return BatchCSV(w, b)
	case "html":
		return BatchHTML(w, b)
	case "json":
		return jsonIndent(w, b)
	}
	return fmt.Errorf("unknown batch format %q: want one of %s", format, strings.Join(BatchFormats, ", "))
}

// raceSummary is what every format shows of a test's race reports: the
// first report trimmed to the frames of the code under test (the text
// scorecard's summary), or one line saying that none of them is there.
func raceSummary(report string) []string {
	reports := racereport.Extract(report)
	if len(reports) == 0 {
		reports = []string{report}
	}
	lines := racereport.Summary(reports[0], nil)
	if len(lines) == 0 {
		return []string{"(no frame of your code in the report; --json has it whole)"}
	}
	if len(reports) > 1 {
		lines = append(lines, fmt.Sprintf("(and %d more race report(s); --json has them whole)", len(reports)-1))
	}
	return lines
}

// failedTests returns the tests of k that did not pass.
func failedTests(k result.Kata) []result.Test {
	var out []result.Test
	for _, t := range k.Tests {
		if !t.Passed {
			out = append(out, t)
		}
	}
	return out
}

// testKind names a test's side: "visible" or its hidden category.
func testKind(t result.Test) string {
	if !t.Hidden {
		return "visible"
	}
	if t.Category == "" {
		return "hidden"
	}
	return "hidden: " + t.Category
}

// sandboxWord says whether a submission's test binaries ran in a sandbox.
func sandboxWord(s *result.Submission) string {
	if s.Sandbox == "" || s.Sandbox == "off" {
		return "OFF"
	}
	return "on (" + s.Sandbox + ")"
}

// raceWord says whether the race detector was on.
func raceWord(on bool) string {
	if on {
		return "race detector on"
	}
	return "race detector OFF"
}

// hasDetails reports whether a kata needs a section of its own in a
// report: it is not passing (a kata not started only when it has notes),
// or it has notes.
func hasDetails(k result.Kata) bool {
	switch k.Status {
	case result.Passing, result.NotStarted:
		return len(k.Notes) > 0
	}
	return true
}

// benchRatio returns a kata's ns/op ratio when its benchmarks ran.
func benchRatio(k result.Kata) (float64, bool) {
	b := k.Bench
	if k.Status != result.Passing || b == nil || b.Error != "" || b.NsRatio <= 0 || math.IsInf(b.NsRatio, 0) || math.IsNaN(b.NsRatio) {
		return 0, false
	}
	return b.NsRatio, true
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// seconds formats a duration in seconds as the reports show it.
func seconds(s float64) string {
	return fmt.Sprintf("%.1fs", s)
}

// clean makes s safe to print on a terminal or in a one-line cell: a
// newline shows as \n, and other control characters (an escape sequence
// could rewrite the screen, and a scorecard with it) and bidirectional
// overrides as Go escapes; a tab stays.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// kataChecks say why a kata fails beyond its failing tests: a leak, a race
// outside any test, imports that are not allowed.
func kataChecks(k result.Kata) []string {
	var out []string
	if k.Race && !anyRaceReport(k) {
		out = append(out, "The race detector found a data race outside any single test.")
	}
	if k.Leak {
		out = append(out, "Goroutines were still running after the tests: a leak (the notes say where).")
	}
	if len(k.Imports) > 0 {
		out = append(out, "The code imports packages the kata does not allow, so it is not passing.")
	}
	return out
}

func anyRaceReport(k result.Kata) bool {
	for _, t := range k.Tests {
		if t.RaceReport != "" {
			return true
		}
	}
	return false
}

// cleanLines cleans every line of s, keeping its newlines.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return strings.Join(lines, "\n")
}

func cleanAll(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = cleanLines(t)
	}
	return out
}
