// Package render prints the grader's result model: a text scorecard for
// people (colour only when asked, see Options), JSON for machines, JUnit XML
// for CI dashboards, Markdown for a step summary or a hiring panel, CSV for a
// spreadsheet and one self-contained HTML file. Each format is a small
// function over result.Run (Write picks one by name); a batch of graded
// submissions has its comparison table in Markdown, CSV and HTML.
//
// Messages in a run come from the code under test, a stranger's code when a
// submission is graded: every format escapes them for its own syntax.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/microkata/microkata/grader/internal/i18n"
	"github.com/microkata/microkata/grader/internal/result"
)

// JSON writes run as indented JSON.
func JSON(w io.Writer, run *result.Run) error {
	return jsonIndent(w, run)
}

func jsonIndent(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Options control the text scorecard.
type Options struct {
	// Color turns on ANSI colours.
	Color bool
	// MaxFailures is how many failing tests are listed under a kata
	// (default 3); Verbose lists them all, with every line of their race
	// reports.
	MaxFailures int
	Verbose     bool
	// Width, when positive, is the terminal's width: longer lines are cut
	// to it with "…". Zero keeps every line whole (a pipe, a file, CI).
	Width int
	// More is the command that lists every failing test of a kata, shown
	// when some are left out; %s is the kata's name. Default:
	// "make grade KATA=%s FLAGS=-v".
	More string
	// Lang is the language of the scorecard's own words (headings,
	// statuses, notes); test names and messages stay as they are.
	Lang i18n.Lang
}

// raceLines is how many lines of a race summary the scorecard shows under
// a failing test without Verbose.
const raceLines = 4

// UseColor reports whether colour suits f: a terminal, and NO_COLOR unset
// or empty (https://no-color.org: "when present and not an empty string").
func UseColor(f *os.File) bool {
	fi, err := f.Stat()
	return colorFor(err == nil && fi.Mode()&os.ModeCharDevice != 0, os.Getenv("NO_COLOR"), os.Getenv("TERM"))
}

// colorFor decides colour from whether the output is a terminal and the
// values of NO_COLOR and TERM.
func colorFor(terminal bool, noColor, termName string) bool {
	return terminal && noColor == "" && termName != "dumb"
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	dim    = "\x1b[2m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

// Text writes the scorecard: one row per kata, the first failing tests
// under each failing kata, and a total.
func Text(w io.Writer, run *result.Run, o Options) error {
	if o.MaxFailures == 0 {
		o.MaxFailures = 3
	}
	if o.More == "" {
		o.More = "make grade KATA=%s FLAGS=-v"
	}
	paint := func(color, s string) string {
		if !o.Color || color == "" {
			return s
		}
		return color + s + reset
	}
	var b strings.Builder
	L := o.Lang
	fmt.Fprintf(&b, "%s  %s, %s, %.1fs\n", paint(bold, L.S("microkata scorecard")), run.GoVersion, L.S(raceWord(run.Race)), run.Duration)
	if s := run.Submission; s != nil {
		b.WriteString(submissionLines(s, o, paint))
	}
	if run.Submission == nil || len(run.Katas) > 0 { // a refused submission has no table
		b.WriteString("\n")
		table(&b, run, o, paint)
	}
	for _, n := range run.Notes {
		fmt.Fprintf(&b, "\n%s", cut(L.S("note: ")+n, o.Width))
	}
	if len(run.Notes) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// table writes the scorecard's table: a row per kata with its details
// under it, and the total.
func table(b *strings.Builder, run *result.Run, o Options, paint func(string, string) string) {
	L := o.Lang
	header := []string{"KATA", "STATUS", "VISIBLE", "HIDDEN", "RACE", "LEAK", "BENCH ns/allocs", "SCORE"}
	for i, h := range header {
		header[i] = L.S(h)
	}
	rows := [][]string{header}
	colors := []string{""}
	for _, k := range run.Katas {
		rows = append(rows, []string{k.Name, L.S(string(k.Status)),
			fmt.Sprintf("%d/%d", k.VisiblePassed, k.VisibleTotal),
			fmt.Sprintf("%d/%d", k.HiddenPassed, k.HiddenTotal),
			L.S(yesNo(k.Race)), L.S(yesNo(k.Leak)), benchCell(k.Bench), fmt.Sprint(k.Score)})
		colors = append(colors, statusColor(k.Status))
	}
	t := run.Total
	rows = append(rows, []string{L.S("TOTAL"), L.F("%d/%d passing", t.Passing, t.Katas),
		fmt.Sprintf("%d/%d", t.VisiblePassed, t.VisibleTotal), fmt.Sprintf("%d/%d", t.HiddenPassed, t.HiddenTotal),
		"", "", "", fmt.Sprintf("%d/%d", t.Score, t.MaxScore)})
	colors = append(colors, bold)

	// Columns are as wide as their widest cell in terminal columns: a
	// Chinese character takes two.
	widths := make([]int, len(header))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], i18n.Width(c))
		}
	}
	line := func(r []string, color string) string {
		var l strings.Builder
		for i, c := range r {
			pad := widths[i] - i18n.Width(c)
			cell := c
			if i == 1 {
				cell = paint(color, c)
			}
			if i >= 2 { // numbers right-aligned
				l.WriteString(strings.Repeat(" ", pad) + cell)
			} else {
				l.WriteString(cell + strings.Repeat(" ", pad))
			}
			if i < len(r)-1 {
				l.WriteString("  ")
			}
		}
		return strings.TrimRight(l.String(), " ") + "\n"
	}
	b.WriteString(paint(dim, line(rows[0], "")))
	for i, k := range run.Katas {
		b.WriteString(line(rows[i+1], colors[i+1]))
		b.WriteString(details(k, o, paint))
	}
	b.WriteString(line(rows[len(rows)-1], ""))
}

// submissionLines name a graded submission under the scorecard's title:
// its name, hash, candidate and sandbox, then its warnings, or why it was
// refused.
func submissionLines(s *result.Submission, o Options, paint func(string, string) string) string {
	var b strings.Builder
	fact := func(name, value, color string) {
		fmt.Fprintf(&b, "%-10s  %s\n", name, paint(color, cut(value, o.Width-12)))
	}
	fact("submission", s.Name, "")
	fact("sha256", s.SHA256, "")
	if s.Candidate != "" {
		fact("candidate", s.Candidate, "")
	}
	sandbox := sandboxWord(s)
	if sandbox == "OFF" {
		fact("sandbox", "OFF: the test binaries ran without a sandbox", yellow)
	} else {
		fact("sandbox", sandbox, "")
	}
	for _, w := range s.Warnings {
		b.WriteString(paint(yellow, cut("warning: "+w, o.Width)) + "\n")
	}
	if s.Refused != "" {
		b.WriteString(paint(red, cut("refused: "+s.Refused, o.Width)) + "\n")
		b.WriteString("not graded: no kata ran\n")
	}
	return b.String()
}

func details(k result.Kata, o Options, paint func(string, string) string) string {
	var b strings.Builder
	// put writes one line, indented, cut to the width before it is
	// painted (escape codes take no columns).
	put := func(indent, color, text string) {
		b.WriteString(indent + paint(color, cut(text, o.Width-len(indent))) + "\n")
	}
	switch {
	case k.Status == result.NotStarted:
		put("    ", dim, o.Lang.F("start with katas/%s/README.md, then: go test -race ./katas/%s", k.Name, k.Name))
		return b.String()
	case k.Status == result.Passing:
		return ""
	case k.Status == result.Refused:
		put("    ", "", "not built: the submission's code for "+k.Name+" breaks the grading policy:")
		for _, n := range k.Notes {
			put("      ", "", n)
		}
		return b.String()
	case k.BuildFailed:
		put("    ", "", o.Lang.F("%s did not build or run:", k.Name))
		for i, l := range k.BuildOutput {
			if i == 5 && !o.Verbose {
				put("      ", "", "...")
				break
			}
			put("      ", "", l)
		}
		return b.String()
	}
	shown := 0
	failed := 0
	for _, t := range k.Tests {
		if t.Passed {
			continue
		}
		failed++
		if shown == o.MaxFailures && !o.Verbose {
			continue
		}
		shown++
		name := t.Name
		if t.Hidden {
			name += " [" + o.Lang.S("hidden") + ": " + t.Category + "]"
		}
		b.WriteString("    " + paint(red, "✗") + " " + cut(name+": "+t.Reason, o.Width-6) + "\n")
		if t.RaceReport != "" {
			for i, l := range raceSummary(t.RaceReport) {
				if i == raceLines && !o.Verbose {
					put("        ", dim, o.Lang.F("... (%s shows the whole report)", fmt.Sprintf(o.More, k.Name)))
					break
				}
				put("        ", dim, l)
			}
		}
	}
	if failed > shown {
		put("    ", "", o.Lang.F("... and %d more failing test(s): %s lists them all", failed-shown, fmt.Sprintf(o.More, k.Name)))
	}
	for _, n := range k.Notes {
		put("    ", dim, o.Lang.S("note: ")+n)
	}
	return b.String()
}

// cut cleans s of control characters and shortens it to width columns,
// ending it with "…"; a width of zero or less keeps s whole.
func cut(s string, width int) string {
	return i18n.Cut(clean(s), width)
}

func benchCell(b *result.Bench) string {
	switch {
	case b == nil:
		return "-"
	case b.Error != "":
		return "error"
	}
	ns := fmt.Sprintf("%.2fx", b.NsRatio)
	switch {
	case b.Noisy:
		ns = fmt.Sprintf("%.1fx?", b.NsRatio) // too busy to tell: a note says so
	case b.NsHigh > 0 && b.NsLow <= 1 && 1 <= b.NsHigh:
		ns = "≈1.0x" // the rounds cannot tell it from the reference
	}
	return ns + fmt.Sprintf(" %.2fx", b.AllocsRatio)
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "-"
}

func statusColor(s result.Status) string {
	switch s {
	case result.Passing:
		return green
	case result.Failing, result.Refused:
		return red
	}
	return yellow
}
