// Package mutant reads mutants stored as the change they make: a unified
// diff against the reference file, after a header that says what the bug
// is and which rule it breaks:
//
//	Mutant: a Get that hits does not make its key the newest.
//	Rule: 2
//
//	--- lru.go
//	+++ lru.go
//	@@ -327,7 +327,6 @@
//	 	if e, ok := l.items[key]; ok {
//	-		l.moveToFront(e)
//	 		return e.value, true
//
// Apply replays the diff on the reference in memory. A hunk applies where
// its header says, or at the nearest place within a few dozen lines where
// its context and removed lines match exactly (the reference may have
// moved); otherwise Apply fails, naming the hunk and the first line that
// differs, so a reference change that breaks a mutant is a verify failure,
// never a silently different mutant.
package mutant

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ErrNotApplicable is matched when a diff does not apply to the file.
var ErrNotApplicable = errors.New("the diff does not apply")

// Diff is a parsed mutant.
type Diff struct {
	// Description and Rule come from the header.
	Description, Rule string
	// File is the reference file the diff changes (its name in the
	// "--- " line).
	File  string
	Hunks []Hunk
}

// Hunk is one @@ section.
type Hunk struct {
	Header   string // the @@ line
	OldStart int    // 1-based line of the original where it starts
	Lines    []string
}

var hunkRE = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// Parse reads a mutant file.
func Parse(data string) (*Diff, error) {
	d := &Diff{}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	i := 0
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "--- "); i++ {
		l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "//"))
		if v, ok := strings.CutPrefix(l, "Mutant:"); ok {
			d.Description = strings.TrimSpace(v)
		} else if v, ok := strings.CutPrefix(l, "Rule:"); ok {
			d.Rule = strings.TrimSpace(v)
		}
	}
	if d.Description == "" {
		return nil, errors.New(`the header needs a line "Mutant: <the bug>"`)
	}
	if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
		return nil, errors.New(`no unified diff after the header ("--- file", "+++ file", "@@ ... @@")`)
	}
	d.File = strings.Fields(strings.TrimPrefix(lines[i], "--- "))[0]
	i += 2
	for i < len(lines) {
		m := hunkRE.FindStringSubmatch(lines[i])
		if m == nil {
			return nil, fmt.Errorf("line %d: want a hunk header \"@@ -a,b +c,d @@\", got %q", i+1, lines[i])
		}
		start, _ := strconv.Atoi(m[1])
		h := Hunk{Header: lines[i], OldStart: start}
		i++
		for i < len(lines) && !strings.HasPrefix(lines[i], "@@ ") {
			l := lines[i]
			switch {
			case l == "":
				l = " " // an empty context line whose space an editor removed
			case l[0] == ' ' || l[0] == '-' || l[0] == '+':
			case strings.HasPrefix(l, `\ No newline at end of file`):
				i++
				continue
			default:
				return nil, fmt.Errorf("line %d: a hunk line must start with ' ', '-' or '+': %q", i+1, l)
			}
			h.Lines = append(h.Lines, l)
			i++
		}
		d.Hunks = append(d.Hunks, h)
	}
	if len(d.Hunks) == 0 {
		return nil, errors.New("the diff has no hunk: the mutant would be the reference")
	}
	return d, nil
}

// fuzz is how far from its stated line a hunk may have moved.
const fuzz = 60

// Apply returns original with d applied.
func Apply(original string, d *Diff) (string, error) {
	lines := strings.Split(original, "\n")
	var out []string
	pos := 0   // next original line (0-based) not yet copied
	delta := 0 // how far the hunks so far moved from their stated lines
	for n, h := range d.Hunks {
		var old, repl []string
		for _, l := range h.Lines {
			switch l[0] {
			case ' ':
				old = append(old, l[1:])
				repl = append(repl, l[1:])
			case '-':
				old = append(old, l[1:])
			case '+':
				repl = append(repl, l[1:])
			}
		}
		want := h.OldStart - 1 + delta
		if len(old) == 0 {
			want = h.OldStart + delta // a pure insertion comes after its line
		}
		at := -1
		for off := 0; off <= fuzz && at < 0; off++ {
			for _, c := range []int{want + off, want - off} {
				if c >= pos && c+len(old) <= len(lines) && slices.Equal(lines[c:c+len(old)], old) {
					at = c
					break
				}
			}
		}
		if at < 0 {
			return "", fmt.Errorf("%w: hunk %d (%s): %s", ErrNotApplicable, n+1, h.Header, mismatch(lines, want, old))
		}
		delta += at - (h.OldStart - 1)
		if len(old) == 0 {
			delta = at - h.OldStart
		}
		out = append(out, lines[pos:at]...)
		out = append(out, repl...)
		pos = at + len(old)
	}
	out = append(out, lines[pos:]...)
	return strings.Join(out, "\n"), nil
}

// mismatch describes the first line where old differs from the file at
// its stated place.
func mismatch(lines []string, at int, old []string) string {
	for i, o := range old {
		switch {
		case at+i < 0 || at+i >= len(lines):
			return fmt.Sprintf("the file ends before line %d, where the diff expects %q", at+i+1, o)
		case lines[at+i] != o:
			return fmt.Sprintf("line %d is %q, the diff expects %q", at+i+1, lines[at+i], o)
		}
	}
	return "its lines match only where an earlier hunk already applied"
}
