// Package docsync keeps a README and its Chinese translation (README.zh-CN.md
// beside it) from drifting apart. The translation is free prose, so it
// compares what must not change between the two languages:
//
//   - the rule identifiers, in order: the numbered items ("1.", "2." …) and
//     the bold identifiers ("**R1.", "- **G10.", "- **a.**") at the start of
//     a line, with their nesting ("S1.2" is item 2 under S1, "16.a" is item a
//     under rule 16);
//   - the headings (## and deeper): how many, and at which level;
//   - the fenced code blocks, byte for byte, info string included;
//   - the tables: how many, rows and columns, and in every cell the same
//     numbers and the same code spans (in any order, so the words around
//     them may move); a cell that is a difficulty (easy, medium, hard) is
//     its fixed translation (简单, 中等, 困难);
//   - the prose of each rule, and of each section before its first rule:
//     the same numbers and the same code spans (each written at least once
//     in both languages);
//   - the hints, as grader/internal/hints reads them: how many, and each
//     summary's number;
//   - the link targets, in order. A target whose file name ends in
//     .zh-CN.md compares equal to the same path ending in .md, so each
//     language may link to its own version of a page, and a link to a
//     heading of the same file ("#practice", "#练习") compares by the
//     heading it resolves to;
//   - each file's link to the other language in its first lines.
//
// CheckTree applies Compare to the top-level pair and to every kata folder
// with a README.zh-CN.md, and checks that relative link targets exist.
package docsync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/microkata/microkata/grader/internal/hints"
)

// The file names of the two languages.
const (
	English = "README.md"
	Chinese = "README.zh-CN.md"
)

// chineseSuffix ends the name of any translated page: a link to
// X.zh-CN.md compares equal to one to X.md.
const chineseSuffix = ".zh-CN.md"

// TopLevel is the Where of the repository's own README pair.
const TopLevel = "top level"

// langLines is how many lines from the top of a README may hold its link to
// the other language.
const langLines = 5

// Problem is one difference between a README and its translation.
type Problem struct {
	Where string // the pair: "katas/lru", or TopLevel
	What  string // e.g. "rule 7 is in README.md (line 80) but not in README.zh-CN.md"
}

func (p Problem) String() string { return p.Where + ": " + p.What }

// Compare returns every difference between an English README (en) and its
// Chinese translation (zh); where names the pair in the problems. Both texts
// are whole files. It reads nothing else: relative link targets are checked
// by CheckTree.
func Compare(where, en, zh string) []Problem {
	e, z := parse(en), parse(zh)
	var out []string
	out = append(out, checkLanguageLinks(e, z)...)
	out = append(out, compareHeadings(e, z)...)
	out = append(out, compareMarkers(e, z)...)
	out = append(out, compareBlocks(e, z)...)
	out = append(out, compareTables(e, z)...)
	out = append(out, compareProse(e, z)...)
	out = append(out, compareHints(en, zh)...)
	out = append(out, compareLinks(e, z)...)
	problems := make([]Problem, len(out))
	for i, w := range out {
		problems[i] = Problem{Where: where, What: w}
	}
	return problems
}

// CheckTree checks the README pairs of the repository at root: the top-level
// pair and every katas/<kata>/ folder that has a README.zh-CN.md, each with
// Compare, plus the relative link targets of both files (a file or folder
// that must exist). A README.zh-CN.md without a README.md beside it is a
// problem. A README.md without a translation is a problem only when
// requireZH is set (see RequireFromEnv).
func CheckTree(root string, requireZH bool) ([]Problem, error) {
	dirs := []string{"."}
	matches, err := filepath.Glob(filepath.Join(root, "katas", "*"))
	if err != nil {
		return nil, err
	}
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			rel, err := filepath.Rel(root, m)
			if err != nil {
				return nil, err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
	}
	var out []Problem
	for _, dir := range dirs {
		where := dir
		if dir == "." {
			where = TopLevel
		}
		en, enErr := os.ReadFile(filepath.Join(root, dir, English))
		zh, zhErr := os.ReadFile(filepath.Join(root, dir, Chinese))
		switch {
		case enErr != nil && zhErr != nil:
			if !errors.Is(enErr, fs.ErrNotExist) {
				return nil, enErr
			}
			continue // not a kata folder (yet)
		case enErr != nil:
			if !errors.Is(enErr, fs.ErrNotExist) {
				return nil, enErr
			}
			out = append(out, Problem{where, Chinese + " has no " + English + " beside it"})
			continue
		case zhErr != nil:
			if !errors.Is(zhErr, fs.ErrNotExist) {
				return nil, zhErr
			}
			if requireZH {
				out = append(out, Problem{where, English + " has no translation: " + Chinese + " is missing (MICROKATA_REQUIRE_ZH=1)"})
			}
			continue
		}
		out = append(out, Compare(where, string(en), string(zh))...)
		for _, f := range []struct {
			name string
			text []byte
		}{{English, en}, {Chinese, zh}} {
			for _, l := range parse(string(f.text)).links {
				if p := missingTarget(root, dir, l.target); p != "" {
					out = append(out, Problem{where, fmt.Sprintf("%s line %d links to %s, which does not exist", f.name, l.line, p)})
				}
			}
		}
	}
	return out, nil
}

// RequireFromEnv reports whether MICROKATA_REQUIRE_ZH=1 asks for a
// translation of every README.
func RequireFromEnv() bool { return os.Getenv("MICROKATA_REQUIRE_ZH") == "1" }

// missingTarget returns the repository path a relative link target of a
// README in dir points to, when nothing is there; "" otherwise (and for
// URLs, mail addresses and links within the same file).
func missingTarget(root, dir, target string) string {
	if target == "" || strings.HasPrefix(target, "#") || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	p, _, _ := strings.Cut(target, "#")
	p, _, _ = strings.Cut(p, "?")
	p = path.Clean(path.Join(dir, p))
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
		return p
	}
	return ""
}

// doc is what a README holds that the other language must match.
type doc struct {
	lines    []string
	headings []heading
	markers  []marker
	blocks   []block
	tables   []table
	links    []link
	anchors  map[string]int // heading slug → index in headings
	chunks   []chunk
}

// chunk is the prose of a rule (from its marker to the next marker or
// heading) or of a section before its first rule, code blocks and tables
// left out.
type chunk struct {
	key  string // a marker's key, or "heading N"
	line int
	text string
}

type heading struct {
	level int
	title string
	line  int
}

// marker is a rule identifier: label is "7", "R1", "S1.2", "16.a".
type marker struct {
	label   string
	rules   bool // in a section titled Rules / 规则
	section string
	line    int
}

type block struct {
	text string // the opening fence line, the content and the closing fence
	info string
	line int
}

type table struct {
	rows [][]string // cells, without the delimiter row
	line int
}

type link struct {
	target string
	line   int
}

var (
	headingRE  = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	numberedRE = regexp.MustCompile(`^(\s*)(\d+)\.\s`)
	idRE       = regexp.MustCompile(`^(\s*)(?:[-*+]\s+)?\*\*([A-Z]{1,2}\d+)\.`)
	letterRE   = regexp.MustCompile(`^(\s*)(?:[-*+]\s+)?\*\*([a-z])\.\*\*`)
	fenceRE    = regexp.MustCompile("^(\\s*)(`{3,}|~{3,})(.*)$")
	delimRE    = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)
	numRE      = regexp.MustCompile(`(?:^|[^A-Za-z0-9_])([-−]?\d+(?:[.,]\d+)*)`) // not after a Latin letter or digit: "t0", "L2" and the sign of "Limit-1" are no numbers
	inlineRE   = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	autoRE     = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	refDefRE   = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	hrefRE     = regexp.MustCompile(`\bhref="([^"]*)"`)
	summaryRE  = regexp.MustCompile(`<summary>\s*(?:(?:Hint|提示)\s*)?(\d+)?`)

	summaryNumberRE = regexp.MustCompile(`<summary>\s*(?:(?:Hint|提示)\s*)?\d+\s*[:：.]`)
)

// rulesTitles are the titles of the section whose numbered items are the
// kata's rules, in both languages.
var rulesTitles = []string{"Rules", "规则"}

func parse(text string) *doc {
	d := &doc{lines: strings.Split(text, "\n"), anchors: map[string]int{}}
	d.chunks = []chunk{{key: "intro", line: 1}} // the title and what precedes the first heading
	type open struct {
		indent, rank int
		label        string
	}
	var stack []open
	var fence string // the fence that opened the current code block
	var fenceIndent int
	var cur *block
	var tab *table
	section, inRules := "", false
	for i, line := range d.lines {
		n := i + 1
		if cur != nil {
			cur.text += "\n" + line
			t := strings.TrimSpace(line)
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" && indentOf(line) <= fenceIndent+3 {
				d.blocks = append(d.blocks, *cur)
				cur = nil
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil && !(m[2][0] == '`' && strings.Contains(m[3], "`")) {
			fence, fenceIndent = m[2], indentOf(line)
			cur = &block{text: line, info: strings.TrimSpace(m[3]), line: n}
			tab = nil
			continue
		}
		for _, target := range linkTargets(line) {
			d.links = append(d.links, link{target: target, line: n})
		}
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "|") {
			if tab == nil {
				d.tables = append(d.tables, table{line: n})
				tab = &d.tables[len(d.tables)-1]
			}
			if !delimRE.MatchString(t) {
				tab.rows = append(tab.rows, splitRow(t))
			}
			continue
		}
		tab = nil
		if m := headingRE.FindStringSubmatch(line); m != nil && len(m[1]) >= 2 {
			h := heading{level: len(m[1]), title: m[2], line: n}
			d.headings = append(d.headings, h)
			if slug := slugify(h.title); slug != "" {
				if _, dup := d.anchors[slug]; !dup {
					d.anchors[slug] = len(d.headings) - 1
				}
			}
			if h.level == 2 {
				section, inRules = h.title, slices.Contains(rulesTitles, h.title)
			}
			stack = stack[:0]
			d.chunks = append(d.chunks, chunk{key: fmt.Sprintf("heading %d", len(d.headings)), line: n})
			continue
		}
		var ind, rank int
		var label string
		if m := idRE.FindStringSubmatch(line); m != nil {
			ind, rank, label = indentOf(m[1]), 0, m[2]
		} else if m := numberedRE.FindStringSubmatch(line); m != nil {
			ind, rank, label = indentOf(m[1]), 1, m[2]
		} else if m := letterRE.FindStringSubmatch(line); m != nil {
			ind, rank, label = indentOf(m[1]), 2, m[2]
		} else {
			d.chunks[len(d.chunks)-1].text += line + "\n"
			continue
		}
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.indent > ind || (top.indent == ind && top.rank >= rank) {
				stack = stack[:len(stack)-1]
				continue
			}
			break
		}
		full := label
		if len(stack) > 0 {
			full = stack[len(stack)-1].label + "." + label
		}
		stack = append(stack, open{ind, rank, full})
		d.markers = append(d.markers, marker{label: full, rules: inRules, section: section, line: n})
		// the marker itself ("16.", "**R1.") is not the rule's prose
		prose := line[len(line)-len(strings.TrimLeft(line, " \t-*+")):]
		prose = strings.TrimPrefix(prose, label+".")
		prose = strings.TrimPrefix(prose, "**")
		d.chunks = append(d.chunks, chunk{key: d.markerKey(len(d.markers) - 1), line: n, text: prose + "\n"})
	}
	if cur != nil { // an unclosed fence runs to the end of the file
		d.blocks = append(d.blocks, *cur)
	}
	return d
}

func indentOf(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

// splitRow splits a table row into its cells at the pipes that are not
// escaped (GitHub splits at a pipe inside a code span too, so a pipe meant
// for a cell's text is written \|).
func splitRow(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cells []string
	var b strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			b.WriteString(`\|`)
			i++
		case row[i] == '|':
			cells = append(cells, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(row[i])
		}
	}
	return append(cells, strings.TrimSpace(b.String()))
}

// codeSpans returns the contents of s's code spans and s with each of them
// replaced by a lone backtick pair.
func codeSpans(s string) (spans []string, rest string) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		run := s[i:j]
		end := -1
		for k := j; k < len(s); {
			idx := strings.Index(s[k:], run)
			if idx < 0 {
				break
			}
			k += idx
			e := k + len(run)
			if e < len(s) && s[e] == '`' { // a longer run: not the closing one
				for e < len(s) && s[e] == '`' {
					e++
				}
				k = e
				continue
			}
			end = k
			break
		}
		if end < 0 {
			b.WriteString(run)
			i = j
			continue
		}
		spans = append(spans, s[j:end])
		b.WriteString("``")
		i = end + len(run)
	}
	return spans, b.String()
}

// linkTargets returns the targets of the links and images on a line outside
// code spans: inline, autolinks, reference definitions and HTML href.
func linkTargets(line string) []string {
	_, rest := codeSpans(line)
	type hit struct {
		at     int
		target string
	}
	var hits []hit
	for _, re := range []*regexp.Regexp{inlineRE, autoRE, refDefRE, hrefRE} {
		for _, m := range re.FindAllStringSubmatchIndex(rest, -1) {
			hits = append(hits, hit{m[0], rest[m[2]:m[3]]})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return a.at - b.at })
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.target
	}
	return out
}

// slugify is GitHub's anchor for a heading: lower case, letters, digits,
// '-' and '_' kept, spaces turned into '-', everything else dropped.
func slugify(title string) string {
	_, title = codeSpansKeep(title)
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// codeSpansKeep is s with the backticks of its code spans removed and their
// contents kept, as a heading's text reads.
func codeSpansKeep(s string) (int, string) {
	spans, rest := codeSpans(s)
	for _, sp := range spans {
		rest = strings.Replace(rest, "``", sp, 1)
	}
	return len(spans), rest
}

// checkLanguageLinks: each file links to the other in its first lines.
func checkLanguageLinks(e, z *doc) []string {
	var out []string
	for _, c := range []struct {
		d          *doc
		file, want string
	}{{e, English, Chinese}, {z, Chinese, English}} {
		found := false
		for _, l := range c.d.links {
			if l.line <= langLines && path.Base(strings.SplitN(l.target, "#", 2)[0]) == c.want {
				found = true
			}
		}
		if !found {
			out = append(out, fmt.Sprintf("%s does not link to %s in its first %d lines (e.g. %s)", c.file, c.want, langLines, langLink(c.want)))
		}
	}
	return out
}

func langLink(to string) string {
	if to == Chinese {
		return "[中文](" + Chinese + ") under the title"
	}
	return "[English](" + English + ") under the title"
}

func compareHeadings(e, z *doc) []string {
	if len(e.headings) != len(z.headings) {
		return []string{fmt.Sprintf("%s has %d headings (## and deeper), %s has %d: %s; %s",
			English, len(e.headings), Chinese, len(z.headings), headingList(e.headings), headingList(z.headings))}
	}
	for i := range e.headings {
		if e.headings[i].level != z.headings[i].level {
			return []string{fmt.Sprintf("heading %d is %q at level %d in %s (line %d) but %q at level %d in %s (line %d)",
				i+1, e.headings[i].title, e.headings[i].level, English, e.headings[i].line,
				z.headings[i].title, z.headings[i].level, Chinese, z.headings[i].line)}
		}
	}
	return nil
}

func headingList(hs []heading) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = strings.Repeat("#", h.level) + " " + h.title
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// markerKey is how marker i is compared: a rule by its label, another
// numbered item by its label and its section's position.
func (d *doc) markerKey(i int) string {
	m := d.markers[i]
	if m.rules {
		return "rule " + m.label
	}
	return fmt.Sprintf("numbered item %s of section %d", m.label, d.sectionIndex(m.line))
}

func (d *doc) markerKeys() []string {
	keys := make([]string, len(d.markers))
	for i := range d.markers {
		keys[i] = d.markerKey(i)
	}
	return keys
}

// sectionIndex is the position (from 1) of the level-2 section holding line.
func (d *doc) sectionIndex(line int) int {
	n := 0
	for _, h := range d.headings {
		if h.line > line {
			break
		}
		if h.level == 2 {
			n++
		}
	}
	return n
}

// markerName is a marker as a message names it.
func (d *doc) markerName(i int) string {
	m := d.markers[i]
	if m.rules {
		return "rule " + m.label
	}
	if m.section == "" {
		return "numbered item " + m.label
	}
	return fmt.Sprintf("numbered item %s under %q", m.label, "## "+m.section)
}

func compareMarkers(e, z *doc) []string {
	ek, zk := e.markerKeys(), z.markerKeys()
	ec, zc := map[string]int{}, map[string]int{}
	for _, k := range ek {
		ec[k]++
	}
	for _, k := range zk {
		zc[k]++
	}
	var out []string
	for _, op := range diff(ek, zk) {
		switch {
		case op.b < 0:
			if zc[ek[op.a]] >= ec[ek[op.a]] {
				out = append(out, fmt.Sprintf("%s is out of order: in %s (line %d) it comes %s, in %s %s",
					e.markerName(op.a), English, e.markers[op.a].line, after(ek, op.a), Chinese, after(zk, slices.Index(zk, ek[op.a]))))
				continue
			}
			out = append(out, fmt.Sprintf("%s is in %s (line %d) but not in %s", e.markerName(op.a), English, e.markers[op.a].line, Chinese))
		default:
			if ec[zk[op.b]] >= zc[zk[op.b]] {
				continue // reported from the English side
			}
			out = append(out, fmt.Sprintf("%s is in %s (line %d) but not in %s", z.markerName(op.b), Chinese, z.markers[op.b].line, English))
		}
	}
	return out
}

func after(keys []string, i int) string {
	if i == 0 {
		return "first"
	}
	return "after " + keys[i-1]
}

func compareBlocks(e, z *doc) []string {
	ek, zk := blockKeys(e), blockKeys(z)
	var out []string
	ops := diff(ek, zk)
	for _, p := range pairUp(ops) {
		switch {
		case p.a >= 0 && p.b >= 0:
			eb, zb := e.blocks[p.a], z.blocks[p.b]
			el, zl := strings.Split(eb.text, "\n"), strings.Split(zb.text, "\n")
			k := 0
			for k < len(el) && k < len(zl) && el[k] == zl[k] {
				k++
			}
			ea, za := "(none: the block ends)", "(none: the block ends)"
			if k < len(el) {
				ea = strconv.Quote(el[k])
			}
			if k < len(zl) {
				za = strconv.Quote(zl[k])
			}
			out = append(out, fmt.Sprintf("code block %d (%s line %d, %s) is not byte for byte the one in %s (line %d): its line %d is %s in %s and %s in %s",
				p.a+1, English, eb.line, describeBlock(eb), Chinese, zb.line, k+1, ea, English, za, Chinese))
		case p.a >= 0:
			out = append(out, fmt.Sprintf("code block %d (%s line %d, %s) is not in %s", p.a+1, English, e.blocks[p.a].line, describeBlock(e.blocks[p.a]), Chinese))
		default:
			out = append(out, fmt.Sprintf("code block %d of %s (line %d, %s) is not in %s", p.b+1, Chinese, z.blocks[p.b].line, describeBlock(z.blocks[p.b]), English))
		}
	}
	return out
}

func blockKeys(d *doc) []string {
	keys := make([]string, len(d.blocks))
	for i, b := range d.blocks {
		keys[i] = b.text
	}
	return keys
}

func describeBlock(b block) string {
	lines := strings.Split(b.text, "\n")
	first := ""
	if len(lines) > 1 {
		first = strings.TrimSpace(lines[1])
	}
	if len(first) > 50 {
		first = first[:47] + "..."
	}
	info := b.info
	if info == "" {
		info = "no language"
	}
	return fmt.Sprintf("%s, starting %q", info, first)
}

func compareTables(e, z *doc) []string {
	if len(e.tables) != len(z.tables) {
		return []string{fmt.Sprintf("%s has %d tables (at lines %v), %s has %d (at lines %v)",
			English, len(e.tables), tableLines(e), Chinese, len(z.tables), tableLines(z))}
	}
	var out []string
	for i := range e.tables {
		et, zt := e.tables[i], z.tables[i]
		name := fmt.Sprintf("table %d (%s line %d, %s line %d)", i+1, English, et.line, Chinese, zt.line)
		if len(et.rows) != len(zt.rows) {
			out = append(out, fmt.Sprintf("%s: %s has %d rows, %s has %d", name, English, len(et.rows), Chinese, len(zt.rows)))
			continue
		}
		for r := range et.rows {
			row := rowName(et.rows, r)
			if len(et.rows[r]) != len(zt.rows[r]) {
				out = append(out, fmt.Sprintf("%s, %s: %s has %d columns, %s has %d", name, row, English, len(et.rows[r]), Chinese, len(zt.rows[r])))
				continue
			}
			for c := range et.rows[r] {
				en, zn := cellNumbers(et.rows[r][c]), cellNumbers(zt.rows[r][c])
				if !sameMultiset(en, zn) {
					out = append(out, fmt.Sprintf("%s, %s, column %d: the numbers are %v in %s and %v in %s", name, row, c+1, en, English, zn, Chinese))
				}
				if want, ok := cellTerms[et.rows[r][c]]; ok && zt.rows[r][c] != want && zt.rows[r][c] != et.rows[r][c] {
					out = append(out, fmt.Sprintf("%s, %s, column %d: %q in %s is %q in %s, want %q", name, row, c+1, et.rows[r][c], English, zt.rows[r][c], Chinese, want))
				}
				ec, _ := codeSpans(et.rows[r][c])
				zc, _ := codeSpans(zt.rows[r][c])
				if !sameMultiset(ec, zc) {
					out = append(out, fmt.Sprintf("%s, %s, column %d: the code spans are %s in %s and %s in %s", name, row, c+1, quoteAll(ec), English, quoteAll(zc), Chinese))
				}
			}
		}
	}
	return out
}

// cellTerms are table cells with a fixed translation: a cell that is
// exactly the key in English is the value (or the key again) in Chinese, so
// the catalog's difficulties follow katas/catalog.json in both languages.
var cellTerms = map[string]string{"easy": "简单", "medium": "中等", "hard": "困难"}

func tableLines(d *doc) []int {
	out := make([]int, len(d.tables))
	for i, t := range d.tables {
		out[i] = t.line
	}
	return out
}

// rowName names a row by its position and its first cell, as the English
// file has it: "the header row", "row 3 (`BenchmarkAllow`)".
func rowName(rows [][]string, r int) string {
	if r == 0 {
		return "the header row"
	}
	first := ""
	if len(rows[r]) > 0 {
		first = rows[r][0]
	}
	if len(first) > 40 {
		first = first[:37] + "..."
	}
	return fmt.Sprintf("row %d (%s)", r, first)
}

// cellNumbers returns the numbers written in a cell, link targets left out.
func cellNumbers(cell string) []string {
	cell = inlineRE.ReplaceAllStringFunc(cell, func(m string) string {
		text, _, _ := strings.Cut(m, "](")
		return text + "]"
	})
	nums := []string{}
	for _, m := range numRE.FindAllStringSubmatch(cell, -1) {
		nums = append(nums, m[1])
	}
	return nums
}

func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return "[" + strings.Join(q, " ") + "]"
}

// compareProse compares the prose of each rule, and of each section before
// its first rule, by the numbers and the code spans it holds: each must be
// written in both languages, however often and wherever the sentence puts
// it. Prose the two files do not both have (a missing rule or heading) is
// reported by compareMarkers and compareHeadings.
func compareProse(e, z *doc) []string {
	// Pairs are made by key: a rule's label, or a heading's position when
	// both files have the same headings. A key that is not unique in both
	// files is left out: the marker check reports it.
	sameHeadings := len(compareHeadings(e, z)) == 0
	count := map[string]int{}
	zc := map[string]*chunk{}
	for i := range z.chunks {
		count[z.chunks[i].key]++
		zc[z.chunks[i].key] = &z.chunks[i]
	}
	for i := range e.chunks {
		count[e.chunks[i].key] += 10
	}
	var out []string
	for i := range e.chunks {
		ec := &e.chunks[i]
		zch, ok := zc[ec.key]
		if !ok || count[ec.key] != 11 || (!sameHeadings && strings.HasPrefix(ec.key, "heading ")) {
			continue
		}
		name := e.chunkName(ec)
		en, zn := proseNumbers(ec.text), proseNumbers(zch.text)
		if only, also := setDiff(en, zn), setDiff(zn, en); len(only)+len(also) > 0 {
			out = append(out, fmt.Sprintf("%s (%s line %d, %s line %d): %s", name, English, ec.line, Chinese, zch.line, onlyIn("number", only, also)))
		}
		es, _ := codeSpans(ec.text)
		zs, _ := codeSpans(zch.text)
		if only, also := setDiff(es, zs), setDiff(zs, es); len(only)+len(also) > 0 {
			out = append(out, fmt.Sprintf("%s (%s line %d, %s line %d): %s", name, English, ec.line, Chinese, zch.line, onlyIn("code", quoteEach(only), quoteEach(also))))
		}
	}
	return out
}

// chunkName names a chunk in a message: "rule 7", or the text under a
// heading, by the English title.
func (d *doc) chunkName(c *chunk) string {
	for i, m := range d.markers {
		if m.line == c.line {
			return d.markerName(i)
		}
	}
	for _, h := range d.headings {
		if h.line == c.line {
			return fmt.Sprintf("the text under %q", strings.Repeat("#", h.level)+" "+h.title)
		}
	}
	if c.key == "intro" {
		return "the introduction"
	}
	return c.key
}

// proseNumbers returns the numbers written in prose, outside code spans and
// link targets.
func proseNumbers(text string) []string {
	_, rest := codeSpans(text)
	rest = summaryNumberRE.ReplaceAllString(rest, "<summary>") // checked by compareHints
	return cellNumbers(rest)
}

// setDiff returns the distinct elements of a that b lacks, in a's order.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func quoteEach(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return q
}

// onlyIn says which things one file has and the other lacks.
func onlyIn(what string, en, zh []string) string {
	var parts []string
	if len(en) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s only in %s", plural(what, len(en)), strings.Join(en, ", "), English))
	}
	if len(zh) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s only in %s", plural(what, len(zh)), strings.Join(zh, ", "), Chinese))
	}
	return strings.Join(parts, "; ")
}

func plural(what string, n int) string {
	if n == 1 {
		return what
	}
	if what == "code" {
		return what
	}
	return what + "s"
}

func compareHints(en, zh string) []string {
	eh, eErr := hints.Parse(en)
	zh2, zErr := hints.Parse(zh)
	var out []string
	if len(eh) != len(zh2) {
		out = append(out, fmt.Sprintf("%s has %d hints, %s has %d", English, len(eh), Chinese, len(zh2)))
	}
	if eErr == nil && zErr == nil {
		for i, h := range zh2 {
			if strings.TrimSpace(h.Title) == "" {
				out = append(out, fmt.Sprintf("hint %d in %s has no title in its <summary>", i+1, Chinese))
			}
		}
	}
	for _, f := range []struct{ name, text string }{{English, en}, {Chinese, zh}} {
		section := hints.Section(f.text, "Hints") + hints.Section(f.text, "提示")
		for i, m := range summaryRE.FindAllStringSubmatch(section, -1) {
			if m[1] != "" && m[1] != strconv.Itoa(i+1) {
				out = append(out, fmt.Sprintf("hint %d in %s is numbered %s in its <summary>", i+1, f.name, m[1]))
			}
		}
	}
	return out
}

// linkKey is how a link target compares across the languages.
func (d *doc) linkKey(target string) string {
	if strings.HasPrefix(target, "#") {
		if i, ok := d.anchors[strings.TrimPrefix(target, "#")]; ok {
			return fmt.Sprintf("#(heading %d)", i+1)
		}
		return target
	}
	p, frag, hasFrag := strings.Cut(target, "#")
	if strings.HasSuffix(p, chineseSuffix) {
		p = strings.TrimSuffix(p, chineseSuffix) + ".md"
	}
	if hasFrag {
		return p + "#" + frag
	}
	return p
}

func compareLinks(e, z *doc) []string {
	ek, zk := make([]string, len(e.links)), make([]string, len(z.links))
	for i, l := range e.links {
		ek[i] = e.linkKey(l.target)
	}
	for i, l := range z.links {
		zk[i] = z.linkKey(l.target)
	}
	var out []string
	for _, d := range []*doc{e, z} {
		file := English
		if d == z {
			file = Chinese
		}
		for _, l := range d.links {
			if strings.HasPrefix(l.target, "#") && d.linkKey(l.target) == l.target {
				out = append(out, fmt.Sprintf("%s line %d links to %s, which is no heading of that file", file, l.line, l.target))
			}
		}
	}
	for _, p := range pairUp(diff(ek, zk)) {
		switch {
		case p.a >= 0 && p.b >= 0:
			out = append(out, fmt.Sprintf("link %d differs: %s line %d links to %s, %s line %d to %s",
				p.a+1, English, e.links[p.a].line, e.links[p.a].target, Chinese, z.links[p.b].line, z.links[p.b].target))
		case p.a >= 0:
			out = append(out, fmt.Sprintf("link %d to %s (%s line %d) is not in %s", p.a+1, e.links[p.a].target, English, e.links[p.a].line, Chinese))
		default:
			out = append(out, fmt.Sprintf("the link to %s (%s line %d) is not in %s", z.links[p.b].target, Chinese, z.links[p.b].line, English))
		}
	}
	return out
}

// op is one step of a diff that is not kept: b < 0 deletes a[a], a < 0
// inserts b[b]. i and j are the positions in a and b before the step.
type op struct{ a, b, i, j int }

// diff aligns two sequences by a longest common subsequence and returns the
// steps that are not kept (deletions from a and insertions into b), in order.
func diff(a, b []string) []op {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, op{i, -1, i, j})
			i++
		default:
			out = append(out, op{-1, j, i, j})
			j++
		}
	}
	return out
}

// pairUp turns the deletions and insertions between the same two kept
// elements into changed pairs (a and b both >= 0), one for one, in order;
// what is left over stays a deletion or an insertion.
func pairUp(ops []op) []op {
	var out []op
	for k := 0; k < len(ops); {
		end := k + 1
		for end < len(ops) && touches(ops[end-1], ops[end]) {
			end++
		}
		var dels, ins []int
		for _, o := range ops[k:end] {
			if o.b < 0 {
				dels = append(dels, o.a)
			} else {
				ins = append(ins, o.b)
			}
		}
		for x := range max(len(dels), len(ins)) {
			switch {
			case x < len(dels) && x < len(ins):
				out = append(out, op{a: dels[x], b: ins[x]})
			case x < len(dels):
				out = append(out, op{a: dels[x], b: -1})
			default:
				out = append(out, op{a: -1, b: ins[x]})
			}
		}
		k = end
	}
	return out
}

// touches reports whether step q comes right after step p, with nothing
// kept between them.
func touches(p, q op) bool {
	i, j := p.i, p.j
	if p.b < 0 {
		i++
	} else {
		j++
	}
	return q.i == i && q.j == j
}
