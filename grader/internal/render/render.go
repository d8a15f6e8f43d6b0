// Package render prints the grader's result model: a text scorecard for
// people (colour only when asked, see Options) and JSON for machines. Each
// format is a small function over result.Run.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/microkata/microkata/grader/internal/result"
)

// JSON writes run as indented JSON.
func JSON(w io.Writer, run *result.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(run)
}

// Options control the text scorecard.
type Options struct {
	// Color turns on ANSI colours.
	Color bool
	// MaxFailures is how many failing tests are listed under a kata
	// (default 3).
	MaxFailures int
}

// UseColor reports whether colour suits f: a terminal, and NO_COLOR unset
// (https://no-color.org).
func UseColor(f *os.File) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
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
	paint := func(color, s string) string {
		if !o.Color || color == "" {
			return s
		}
		return color + s + reset
	}
	race := "race detector on"
	if !run.Race {
		race = "race detector OFF"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s, %s, %.1fs\n\n", paint(bold, "microkata scorecard"), run.GoVersion, race, run.Duration)

	header := []string{"KATA", "STATUS", "VISIBLE", "HIDDEN", "RACE", "LEAK", "BENCH ns/allocs", "SCORE"}
	rows := [][]string{header}
	colors := []string{""}
	for _, k := range run.Katas {
		rows = append(rows, []string{k.Name, string(k.Status),
			fmt.Sprintf("%d/%d", k.VisiblePassed, k.VisibleTotal),
			fmt.Sprintf("%d/%d", k.HiddenPassed, k.HiddenTotal),
			yesNo(k.Race), yesNo(k.Leak), benchCell(k.Bench), fmt.Sprint(k.Score)})
		colors = append(colors, statusColor(k.Status))
	}
	t := run.Total
	rows = append(rows, []string{"TOTAL", fmt.Sprintf("%d/%d passing", t.Passing, t.Katas),
		fmt.Sprintf("%d/%d", t.VisiblePassed, t.VisibleTotal), fmt.Sprintf("%d/%d", t.HiddenPassed, t.HiddenTotal),
		"", "", "", fmt.Sprintf("%d/%d", t.Score, t.MaxScore)})
	colors = append(colors, bold)

	widths := make([]int, len(header))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string, color string) string {
		var l strings.Builder
		for i, c := range r {
			pad := widths[i] - utf8.RuneCountInString(c)
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
	for _, n := range run.Notes {
		fmt.Fprintf(&b, "\nnote: %s", n)
	}
	if len(run.Notes) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func details(k result.Kata, o Options, paint func(string, string) string) string {
	var b strings.Builder
	switch {
	case k.Status == result.NotStarted:
		fmt.Fprintf(&b, "    %s\n", paint(dim, fmt.Sprintf("start with katas/%s/README.md, then: go test ./katas/%s", k.Name, k.Name)))
		return b.String()
	case k.Status == result.Passing:
		return ""
	case k.BuildFailed:
		fmt.Fprintf(&b, "    %s did not build or run:\n", k.Name)
		for i, l := range k.BuildOutput {
			if i == 5 {
				fmt.Fprintf(&b, "      ...\n")
				break
			}
			fmt.Fprintf(&b, "      %s\n", l)
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
		if shown == o.MaxFailures {
			continue
		}
		shown++
		name := t.Name
		if t.Hidden {
			name += " [hidden: " + t.Category + "]"
		}
		fmt.Fprintf(&b, "    %s %s: %s\n", paint(red, "✗"), name, t.Reason)
	}
	if failed > shown {
		fmt.Fprintf(&b, "    ... and %d more failing test(s) (grader grade --json %s lists all)\n", failed-shown, k.Name)
	}
	for _, n := range k.Notes {
		fmt.Fprintf(&b, "    %s\n", paint(dim, "note: "+n))
	}
	return b.String()
}

func benchCell(b *result.Bench) string {
	switch {
	case b == nil:
		return "-"
	case b.Error != "":
		return "error"
	}
	return fmt.Sprintf("%.2fx %.2fx", b.NsRatio, b.AllocsRatio)
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
	case result.Failing:
		return red
	}
	return yellow
}
