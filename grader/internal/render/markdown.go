package render

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microkata/microkata/grader/internal/result"
)

// Markdown writes run as a GitHub-flavoured Markdown report, for
// GITHUB_STEP_SUMMARY or an email to a hiring panel: the run's facts (and
// the submission's), the scorecard table, then a section per kata that is
// not passing (or has notes) with its failing tests, race summaries and
// notes. Test messages are code spans and every other text is escaped, so
// nothing a submission prints becomes markup.
func Markdown(w io.Writer, run *result.Run) error {
	var blocks []string // paragraphs, lists, tables and code blocks, without their blank lines
	title := "microkata report"
	if s := run.Submission; s != nil {
		title += ": " + mdText(submissionLabel(s))
	}
	blocks = append(blocks, "# "+title)
	blocks = append(blocks, markdownFacts(run)...)

	if len(run.Katas) > 0 {
		var t strings.Builder
		t.WriteString("| Kata | Status | Visible | Hidden | Race | Leak | Bench ns/allocs | Score |\n")
		t.WriteString("|:-----|:-------|--------:|-------:|:----:|:----:|----------------:|------:|\n")
		for _, k := range run.Katas {
			fmt.Fprintf(&t, "| %s | %s | %d/%d | %d/%d | %s | %s | %s | %d |\n",
				mdCell(mdCode(k.Name)), mdStatus(k), k.VisiblePassed, k.VisibleTotal, k.HiddenPassed, k.HiddenTotal,
				yesNo(k.Race), yesNo(k.Leak), benchCell(k.Bench), k.Score)
		}
		tt := run.Total
		fmt.Fprintf(&t, "| **Total** | %d/%d passing | %d/%d | %d/%d | | | | **%d/%d** |",
			tt.Passing, tt.Katas, tt.VisiblePassed, tt.VisibleTotal, tt.HiddenPassed, tt.HiddenTotal, tt.Score, tt.MaxScore)
		blocks = append(blocks, "## Scorecard", t.String(),
			fmt.Sprintf("**Total: %d/%d**, %d of %d kata(s) passing.", tt.Score, tt.MaxScore, tt.Passing, tt.Katas))
	}

	details := false
	for _, k := range run.Katas {
		if hasDetails(k) {
			if !details {
				blocks = append(blocks, "## Details")
				details = true
			}
			blocks = append(blocks, markdownKata(k)...)
		}
	}
	if len(run.Notes) > 0 {
		blocks = append(blocks, "## Notes", mdList("", run.Notes))
	}
	_, err := io.WriteString(w, strings.Join(blocks, "\n\n")+"\n")
	return err
}

// markdownFacts are the run's facts as a list, then the submission's
// refusal and warnings as quotes.
func markdownFacts(run *result.Run) []string {
	var facts []string
	fact := func(name, value string) { facts = append(facts, fmt.Sprintf("- **%s:** %s", name, value)) }
	if s := run.Submission; s != nil {
		fact("Submission", mdCode(s.Name))
		fact("SHA-256", mdCode(s.SHA256))
		if s.Candidate != "" {
			fact("Candidate", mdCode(s.Candidate))
		}
		sandbox := sandboxWord(s)
		if sandbox == "OFF" {
			sandbox = "**OFF**: the test binaries ran without a sandbox"
		}
		fact("Sandbox", sandbox)
	}
	fact("Toolchain", mdText(run.GoVersion)+", "+raceWord(run.Race))
	graded := seconds(run.Duration)
	if !run.Started.IsZero() {
		graded += ", started " + run.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fact("Grading time", graded)
	blocks := []string{strings.Join(facts, "\n")}
	if s := run.Submission; s != nil {
		if s.Refused != "" {
			blocks = append(blocks, "> **Refused:** "+mdText(s.Refused)+"  \n> The submission was not graded: no kata ran.")
		}
		for _, warn := range s.Warnings {
			blocks = append(blocks, "> **Warning:** "+mdText(warn))
		}
	}
	return blocks
}

// markdownKata is a kata's section: why it did not build, its failing
// tests and race summaries, its notes.
func markdownKata(k result.Kata) []string {
	heading := "### " + mdCode(k.Name)
	if k.Title != "" {
		heading += " (" + mdText(k.Title) + ")"
	}
	blocks := []string{fmt.Sprintf("%s: %s, %d/100", heading, k.Status, k.Score)}
	switch {
	case k.Status == result.Refused:
		blocks = append(blocks, "Not built: the submission's code for this kata breaks the grading policy.")
	case k.BuildFailed:
		blocks = append(blocks, "Did not build or run:", mdFence(strings.Join(k.BuildOutput, "\n")))
	case k.Status != result.NotStarted:
		failed := failedTests(k)
		if len(failed) > 0 {
			var t strings.Builder
			t.WriteString("| Test | Category | Message |\n|:-----|:---------|:--------|")
			for _, ft := range failed {
				fmt.Fprintf(&t, "\n| %s | %s | %s |", mdCell(mdCode(ft.Name)), testKind(ft), mdCodeLines(ft.Reason))
			}
			blocks = append(blocks, t.String())
		}
		for _, ft := range failed {
			if ft.RaceReport != "" {
				blocks = append(blocks, "Data race in "+mdCode(ft.Name)+":", mdFence(strings.Join(raceSummary(ft.RaceReport), "\n")))
			}
		}
	}
	if k.Status == result.Failing && !k.BuildFailed {
		blocks = append(blocks, kataChecks(k)...)
	}
	if len(k.Imports) > 0 {
		blocks = append(blocks, "Imports not allowed:", mdList("", k.Imports))
	}
	if len(k.Notes) > 0 {
		blocks = append(blocks, mdList("note: ", k.Notes))
	}
	return blocks
}

// mdList is a bulleted list of texts, each after prefix.
func mdList(prefix string, texts []string) string {
	items := make([]string, len(texts))
	for i, t := range texts {
		items[i] = "- " + prefix + mdText(t)
	}
	return strings.Join(items, "\n")
}

// mdStatus is a kata's status word, with why when it did not build.
func mdStatus(k result.Kata) string {
	if k.BuildFailed && k.Status == result.Failing {
		return "failing (build)"
	}
	return string(k.Status)
}

// submissionLabel names a submission: its candidate, else its name.
func submissionLabel(s *result.Submission) string {
	if s.Candidate != "" {
		return s.Candidate
	}
	return s.Name
}

// mdCode makes s one code span, whatever backticks it holds: its text is
// shown as it is, never as markup. A newline becomes a space; control
// characters are cleaned.
func mdCode(s string) string {
	s = clean(strings.ReplaceAll(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n", " "))
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdCodeLines makes every line of s a code span, joined by <br>, for a
// table cell.
func mdCodeLines(s string) string {
	var spans []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if c := mdCode(l); c != "" {
			spans = append(spans, mdCell(c))
		}
	}
	return strings.Join(spans, "<br>")
}

// mdCell escapes the pipes of a table cell's text (in a code span too:
// GitHub reads the table's pipes before the spans).
func mdCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// mdFence makes s a fenced code block, with a fence longer than any run of
// backticks in s.
func mdFence(s string) string {
	s = cleanLines(strings.TrimRight(s, "\n"))
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "\n" + s + "\n" + fence
}

// mdText escapes s for Markdown prose on one line: characters that would
// start emphasis, a link, a code span, HTML, an entity or (first) a block
// are backslash-escaped (an underscore inside a word is not markup and
// stays), newlines become <br> and control characters are cleaned.
func mdText(s string) string {
	s = cleanLines(strings.TrimRight(s, "\n"))
	var b strings.Builder
	prev := ' '
	for i, r := range s {
		next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
		switch r {
		case '\\', '`', '*', '[', ']', '<', '|', '~':
			b.WriteByte('\\')
		case '&':
			if isWordRune(next) || next == '#' {
				b.WriteByte('\\') // "&lt;" would be an entity
			}
		case '_':
			if !isWordRune(prev) || !isWordRune(next) {
				b.WriteByte('\\')
			}
		case '-', '+', '=', '#', '>':
			if i == 0 { // a list, a heading, a quote
				b.WriteByte('\\')
			}
		case '.', ')':
			if isDigits(s[:i]) {
				b.WriteByte('\\') // "1." would start an ordered list
			}
		case '\r':
			continue
		case '\n':
			b.WriteString("<br>")
			prev = ' '
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}
