// Package hints reads the hints of a kata from the "## Hints" section of its
// README, where each hint is a collapsed HTML block that a reader opens on
// purpose:
//
//	<details>
//	<summary>Hint 1: two views of the same entries</summary>
//
//	A map finds an entry by key in O(1) but has no order; ...
//	</details>
//
// A section without such blocks may list its hints as a numbered Markdown
// list ("1. ...") instead.
package hints

import (
	"errors"
	"regexp"
	"strings"
)

// ErrNone is matched when a README has no hints.
var ErrNone = errors.New("no hints")

// Hint is one hint: its title (from <summary>, without "Hint N:") and its
// text.
type Hint struct {
	Title string
	Body  string
}

var (
	summaryRE = regexp.MustCompile(`(?s)<summary>\s*(.*?)\s*</summary>`)
	numberRE  = regexp.MustCompile(`^(?:(?:Hint|提示)\s*)?\d+\s*[:：.]\s*`)
	itemRE    = regexp.MustCompile(`^\d+\.\s+`)
)

// Parse returns the hints of a README, in order. A README without a Hints
// section, or with an empty one, gives an error matching ErrNone.
func Parse(readme string) ([]Hint, error) {
	section := Section(readme, "Hints")
	if section == "" {
		section = Section(readme, "提示")
	}
	var out []Hint
	for _, block := range strings.Split(section, "<details>")[1:] {
		block, _, _ = strings.Cut(block, "</details>")
		h := Hint{}
		if m := summaryRE.FindStringSubmatchIndex(block); m != nil {
			h.Title = numberRE.ReplaceAllString(strings.TrimSpace(block[m[2]:m[3]]), "")
			block = block[m[1]:]
		}
		h.Body = strings.TrimSpace(block)
		out = append(out, h)
	}
	if len(out) == 0 {
		var cur *Hint
		for line := range strings.SplitSeq(section, "\n") {
			switch {
			case itemRE.MatchString(line):
				out = append(out, Hint{Body: itemRE.ReplaceAllString(line, "")})
				cur = &out[len(out)-1]
			case cur != nil && strings.TrimSpace(line) != "" && strings.HasPrefix(line, " "):
				cur.Body += " " + strings.TrimSpace(line)
			case strings.TrimSpace(line) == "":
			default:
				cur = nil
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNone
	}
	return out, nil
}

// Section returns the text of the level-2 section titled title ("## title"),
// without its heading, up to the next level-2 heading; "" when there is
// none. Headings inside fenced code blocks do not count.
func Section(readme, title string) string {
	var b strings.Builder
	in, fence := false, false
	for line := range strings.SplitSeq(readme, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "## ") {
			if in {
				break
			}
			in = strings.TrimSpace(strings.TrimPrefix(line, "## ")) == title
			continue
		}
		if in {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Task returns the README without its Hints section: what an interview
// simulation shows.
func Task(readme string) string {
	var b strings.Builder
	skip, fence := false, false
	for line := range strings.SplitSeq(readme, "\n") {
		if strings.HasPrefix(line, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(line, "## ") {
			t := strings.TrimSpace(strings.TrimPrefix(line, "## "))
			skip = t == "Hints" || t == "提示"
		}
		if !skip {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
