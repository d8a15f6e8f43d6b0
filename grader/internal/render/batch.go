package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/microkata/microkata/grader/internal/result"
)

// batchRow is one submission of a batch as every batch format shows it.
type batchRow struct {
	Candidate, Submission, SHA256 string
	// Cells hold, per kata of the batch, its score or its status word
	// (refused, not started), "-" when the run has no such kata.
	Cells        []string
	Races, Leaks int
	// Bench is the geometric mean of the passing katas' ns/op ratios;
	// HasBench is false when no benchmark ran.
	Bench    float64
	HasBench bool
	Score    int
	MaxScore int
	Passing  int
	Seconds  float64
	Refused  string
	Warnings []string
}

// batchKatas are the batch's columns: b.Katas, or else every kata the runs
// have, in order of first appearance.
func batchKatas(b *result.Batch) []string {
	if len(b.Katas) > 0 {
		return b.Katas
	}
	var names []string
	seen := map[string]bool{}
	for _, r := range b.Runs {
		for _, k := range r.Katas {
			if !seen[k.Name] {
				seen[k.Name] = true
				names = append(names, k.Name)
			}
		}
	}
	return names
}

// batchRows turns every run of b into a row, in order: a refused
// submission too, with its reason.
func batchRows(b *result.Batch) []batchRow {
	katas := batchKatas(b)
	var rows []batchRow
	for _, run := range b.Runs {
		r := batchRow{Candidate: "(working tree)", Score: run.Total.Score, MaxScore: run.Total.MaxScore,
			Passing: run.Total.Passing, Seconds: run.Duration}
		if s := run.Submission; s != nil {
			r.Candidate, r.Submission, r.SHA256 = submissionLabel(s), s.Name, s.SHA256
			r.Refused, r.Warnings = s.Refused, s.Warnings
		}
		if r.MaxScore == 0 {
			r.MaxScore = 100 * len(katas)
		}
		byName := map[string]result.Kata{}
		for _, k := range run.Katas {
			byName[k.Name] = k
		}
		logSum, n := 0.0, 0
		for _, name := range katas {
			k, ok := byName[name]
			switch {
			case !ok && r.Refused != "":
				r.Cells = append(r.Cells, string(result.Refused))
			case !ok:
				r.Cells = append(r.Cells, "-")
			case k.Status == result.Refused || k.Status == result.NotStarted:
				r.Cells = append(r.Cells, string(k.Status))
			default:
				r.Cells = append(r.Cells, fmt.Sprint(k.Score))
			}
		}
		for _, k := range run.Katas {
			if k.Race {
				r.Races++
			}
			if k.Leak {
				r.Leaks++
			}
			if ratio, ok := benchRatio(k); ok {
				logSum += math.Log(ratio)
				n++
			}
		}
		if n > 0 {
			r.Bench, r.HasBench = math.Exp(logSum/float64(n)), true
		}
		rows = append(rows, r)
	}
	return rows
}

// remarks is a row's refusal, else its warnings, on one line.
func (r batchRow) Remarks() string {
	if r.Refused != "" {
		return "refused: " + r.Refused
	}
	return strings.Join(r.Warnings, "; ")
}

func (r batchRow) BenchText() string {
	if !r.HasBench {
		return "-"
	}
	return fmt.Sprintf("%.2fx", r.Bench)
}

func (r batchRow) TotalText() string {
	if r.Refused != "" {
		return string(result.Refused)
	}
	return fmt.Sprintf("%d/%d", r.Score, r.MaxScore)
}

// countText shows a count of katas, "-" for a refused submission.
func (r batchRow) CountText(n int) string {
	if r.Refused != "" {
		return "-"
	}
	return fmt.Sprint(n)
}

// BatchMarkdown writes the comparison table of a batch in Markdown: one
// row per submission (a refused one with its reason), a column per kata.
func BatchMarkdown(w io.Writer, b *result.Batch) error {
	var s strings.Builder
	katas := batchKatas(b)
	fmt.Fprintf(&s, "# microkata batch: %d submission(s)\n\n", len(b.Runs))
	graded := seconds(b.Duration)
	if !b.Started.IsZero() {
		graded += ", started " + b.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	fmt.Fprintf(&s, "- **Grading time:** %s\n", graded)
	if len(b.Runs) > 0 {
		r := b.Runs[0]
		fmt.Fprintf(&s, "- **Toolchain:** %s, %s\n", mdText(r.GoVersion), raceWord(r.Race))
	}
	s.WriteString("\n| Candidate | Submission |")
	align := "|:--|:--|"
	for _, k := range katas {
		s.WriteString(" " + mdCell(mdCode(k)) + " |")
		align += "--:|"
	}
	s.WriteString(" Races | Leaks | Bench | Total | Time | Remarks |\n")
	s.WriteString(align + "--:|--:|--:|--:|--:|:--|\n")
	for _, r := range batchRows(b) {
		fmt.Fprintf(&s, "| %s | %s |", mdCell(mdCode(r.Candidate)), mdCell(mdCode(r.Submission)))
		for _, c := range r.Cells {
			s.WriteString(" " + c + " |")
		}
		fmt.Fprintf(&s, " %s | %s | %s | %s | %s | %s |\n", r.CountText(r.Races), r.CountText(r.Leaks),
			r.BenchText(), r.TotalText(), seconds(r.Seconds), mdText(r.Remarks()))
	}
	s.WriteString("\nPer kata: its score out of 100, or its status. Bench: the geometric mean of the passing katas' ns/op ratios against the reference (below 1 is faster).\n")
	_, err := io.WriteString(w, s.String())
	return err
}

// BatchCSV writes the comparison table of a batch in CSV: candidate,
// submission, sha256, one column per kata (score or status word), races,
// leaks, bench_ratio, score, max_score, seconds, refused, warnings. Text
// from a submission is kept from being read as a formula.
func BatchCSV(w io.Writer, b *result.Batch) error {
	cw := csv.NewWriter(w)
	header := append([]string{"candidate", "submission", "sha256"}, batchKatas(b)...)
	header = append(header, "races", "leaks", "bench_ratio", "score", "max_score", "seconds", "refused", "warnings")
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range batchRows(b) {
		row := append([]string{csvSafe(r.Candidate), csvSafe(r.Submission), r.SHA256}, r.Cells...)
		races, leaks, bench, score := fmt.Sprint(r.Races), fmt.Sprint(r.Leaks), "", fmt.Sprint(r.Score)
		if r.HasBench {
			bench = ratio3(r.Bench)
		}
		if r.Refused != "" { // not graded: no number stands for it
			races, leaks, score = "", "", ""
		}
		row = append(row, races, leaks, bench, score, fmt.Sprint(r.MaxScore),
			fmt.Sprintf("%.1f", r.Seconds), csvSafe(r.Refused), csvSafe(strings.Join(r.Warnings, "; ")))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
