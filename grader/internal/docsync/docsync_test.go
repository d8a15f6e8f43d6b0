package docsync

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readPair(t *testing.T) (en, zh string) {
	t.Helper()
	e, err := os.ReadFile(filepath.Join("testdata", "pair", English))
	if err != nil {
		t.Fatal(err)
	}
	z, err := os.ReadFile(filepath.Join("testdata", "pair", Chinese))
	if err != nil {
		t.Fatal(err)
	}
	return string(e), string(z)
}

// edit is one deliberate change to a file of the pair: old must occur
// exactly once.
type edit struct {
	chinese  bool // edit README.zh-CN.md (else README.md)
	old, new string
}

func apply(t *testing.T, text string, e edit) string {
	t.Helper()
	if n := strings.Count(text, e.old); n != 1 {
		t.Fatalf("the edit's old text %q occurs %d times, want once", e.old, n)
	}
	return strings.Replace(text, e.old, e.new, 1)
}

// TestCompareDrift feeds Compare drifted copies of a pair that agrees and
// checks that each drift is reported, in words that name it.
func TestCompareDrift(t *testing.T) {
	zh := func(old, new string) []edit { return []edit{{true, old, new}} }
	en := func(old, new string) []edit { return []edit{{false, old, new}} }
	cases := []struct {
		name  string
		edits []edit
		want  []string // the problems, exactly, in order
	}{
		{"in step", nil, nil},
		{"a missing rule",
			zh("2. `Burst()` 返回突发容量。\n", ""),
			[]string{"k: rule 2 is in README.md (line 21) but not in README.zh-CN.md"}},
		{"a rule only in the translation",
			zh("2. `Burst()` 返回突发容量。\n", "2. `Burst()` 返回突发容量。\n4. 多出来的规则。\n"),
			[]string{"k: rule 4 is in README.zh-CN.md (line 22) but not in README.md"}},
		{"a renumbered rule",
			en("2. `Burst()` returns the burst.", "3. `Burst()` returns the burst."),
			[]string{
				"k: rule 3 is in README.md (line 21) but not in README.zh-CN.md",
				"k: rule 2 is in README.zh-CN.md (line 21) but not in README.md",
			}},
		{"rules out of order",
			zh("1. `r < 0` 时 `New(r, b)` 返回错误。\n2. `Burst()` 返回突发容量。\n", "2. `Burst()` 返回突发容量。\n1. `r < 0` 时 `New(r, b)` 返回错误。\n"),
			[]string{"k: rule 1 is out of order: in README.md (line 20) it comes first, in README.zh-CN.md after rule 2"}},
		{"a missing lettered step",
			zh("    - **b.** `ctx` 已结束：`ctx.Err()`。\n", ""),
			[]string{"k: rule 3.b is in README.md (line 24) but not in README.zh-CN.md"}},
		{"a missing identifier",
			zh("**R1. 副本。** 切片会被复制。\n", "副本：切片会被复制。\n"),
			[]string{"k: rule R1 is in README.md (line 28) but not in README.zh-CN.md"}},
		{"a missing step under an identifier",
			zh("2. 空列表。\n", "以及空列表。\n"),
			[]string{"k: rule R2.2 is in README.md (line 32) but not in README.zh-CN.md"}},
		{"a changed number in a rule",
			zh("1. `r < 0` 时 `New(r, b)` 返回错误。", "1. `r < 0` 时 `New(r, b)` 在 2 ms 内返回错误。"),
			[]string{"k: rule 1 (README.md line 20, README.zh-CN.md line 20): number 2 only in README.zh-CN.md"}},
		{"a changed code span in a rule",
			zh("- **b.** `ctx` 已结束：`ctx.Err()`。", "- **b.** `ctx` 已结束：`context.Canceled`。"),
			[]string{"k: rule 3.b (README.md line 24, README.zh-CN.md line 24): code `ctx.Err()` only in README.md; code `context.Canceled` only in README.zh-CN.md"}},
		{"a code span written twice in one language and once in the other",
			zh("2. `Burst()` 返回突发容量。", "2. `Burst()` 返回突发容量（即 `Burst()` 的值）。"),
			nil},
		{"a changed number in a section's text",
			en("A small kata.", "A small kata of 3 rules."),
			[]string{"k: the introduction (README.md line 1, README.zh-CN.md line 1): number 3 only in README.md"}},
		{"a changed code block",
			zh("// New returns a limiter of r tokens per second.", "// New 返回每秒 r 个令牌的限流器。"),
			[]string{`k: code block 1 (README.md line 9, go, starting "package k") is not byte for byte the one in README.zh-CN.md (line 9): its line 4 is "// New returns a limiter of r tokens per second." in README.md and "// New 返回每秒 r 个令牌的限流器。" in README.zh-CN.md`}},
		{"a code block's language",
			zh("```go\npackage k", "```\npackage k"),
			[]string{`k: code block 1 (README.md line 9, go, starting "package k") is not byte for byte the one in README.zh-CN.md (line 9): its line 1 is "` + "```go" + `" in README.md and "` + "```" + `" in README.zh-CN.md`}},
		{"a missing code block",
			zh("```go\npackage k\n\n// New returns a limiter of r tokens per second.\nfunc New(r float64, burst int) (*Limiter, error)\n```\n", ""),
			[]string{`k: code block 1 (README.md line 9, go, starting "package k") is not in README.zh-CN.md`}},
		{"a changed number in a table",
			zh("| 10.4 ns/op，0 allocs/op |", "| 10.5 ns/op，0 allocs/op |"),
			[]string{"k: table 1 (README.md line 36, README.zh-CN.md line 36), row 1 (`BenchmarkAllowN`), column 3: the numbers are [10.4 0] in README.md and [10.5 0] in README.zh-CN.md"}},
		{"a changed code span in a table",
			zh("| `BenchmarkWait` |", "| `BenchmarkWaitN` |"),
			[]string{"k: table 1 (README.md line 36, README.zh-CN.md line 36), row 2 (`BenchmarkWait`), column 1: the code spans are [`BenchmarkWait`] in README.md and [`BenchmarkWaitN`] in README.zh-CN.md"}},
		{"words around the numbers may move",
			zh("| ≤ 40 ns/op，0 allocs/op |", "| 0 allocs/op，且 ≤ 40 ns/op |"),
			nil},
		{"a difficulty that no longer matches",
			[]edit{
				{false, "| `BenchmarkWait` | ≤ 150 ns/op | 92.5 ns/op |", "| `BenchmarkWait` | hard | 92.5 ns/op |"},
				{true, "| `BenchmarkWait` | ≤ 150 ns/op | 92.5 ns/op |", "| `BenchmarkWait` | 中等 | 92.5 ns/op |"},
			},
			[]string{`k: table 1 (README.md line 36, README.zh-CN.md line 36), row 2 (` + "`BenchmarkWait`" + `), column 2: "hard" in README.md is "中等" in README.zh-CN.md, want "困难"`}},
		{"a missing table row",
			zh("| `BenchmarkWait` | ≤ 150 ns/op | 92.5 ns/op |\n", ""),
			[]string{"k: table 1 (README.md line 36, README.zh-CN.md line 36): README.md has 3 rows, README.zh-CN.md has 2"}},
		{"a missing table column",
			zh("| `BenchmarkWait` | ≤ 150 ns/op | 92.5 ns/op |", "| `BenchmarkWait` | ≤ 150 ns/op，92.5 ns/op |"),
			[]string{"k: table 1 (README.md line 36, README.zh-CN.md line 36), row 2 (`BenchmarkWait`): README.md has 3 columns, README.zh-CN.md has 2"}},
		{"a missing table",
			zh("| 基准测试 | 目标 | 参考实现 |\n|---|---|---|\n| `BenchmarkAllowN` | ≤ 40 ns/op，0 allocs/op | 10.4 ns/op，0 allocs/op |\n| `BenchmarkWait` | ≤ 150 ns/op | 92.5 ns/op |\n", ""),
			[]string{"k: README.md has 1 tables (at lines [36]), README.zh-CN.md has 0 (at lines [])"}},
		{"a missing hint",
			zh("<details><summary>提示 2：锁</summary>\n\n在锁外睡眠。\n</details>\n", ""),
			[]string{"k: README.md has 2 hints, README.zh-CN.md has 1"}},
		{"a hint numbered out of place",
			zh("提示 2：锁", "提示 3：锁"),
			[]string{"k: hint 2 in README.zh-CN.md is numbered 3 in its <summary>"}},
		{"a hint without a title",
			zh("<summary>提示 2：锁</summary>", "<summary>提示 2：</summary>"),
			[]string{"k: hint 2 in README.zh-CN.md has no title in its <summary>"}},
		{"a changed link",
			zh("(https://pkg.go.dev/golang.org/x/time/rate)", "(https://pkg.go.dev/golang.org/x/time)"),
			[]string{"k: link 2 differs: README.md line 5 links to https://pkg.go.dev/golang.org/x/time/rate, README.zh-CN.md line 5 to https://pkg.go.dev/golang.org/x/time"}},
		{"a missing link",
			zh("和 [CONTRIBUTING](../CONTRIBUTING.md)。", "和 CONTRIBUTING。"),
			[]string{"k: link 4 to ../CONTRIBUTING.md (README.md line 55) is not in README.zh-CN.md"}},
		{"an extra link",
			zh("一个小练习。", "一个小[练习](https://example.com/kata)。"),
			[]string{"k: the link to https://example.com/kata (README.zh-CN.md line 5) is not in README.md"}},
		{"each language links its own version of a page",
			zh("(../CONTRIBUTING.md)", "(../CONTRIBUTING.zh-CN.md)"),
			nil},
		{"a heading link that resolves to another heading",
			zh("[规则](#规则)", "[规则](#示例)"),
			[]string{"k: link 3 differs: README.md line 55 links to #rules, README.zh-CN.md line 55 to #示例"}},
		{"a heading link that resolves to no heading",
			zh("[规则](#规则)", "[规则](#rules)"),
			[]string{
				"k: README.zh-CN.md line 55 links to #rules, which is no heading of that file",
				"k: link 3 differs: README.md line 55 links to #rules, README.zh-CN.md line 55 to #rules",
			}},
		{"no link to the other language",
			zh("[English](README.md)\n", "\n"),
			[]string{
				"k: README.zh-CN.md does not link to README.md in its first 5 lines (e.g. [English](README.md) under the title)",
				"k: link 1 to README.zh-CN.md (README.md line 3) is not in README.zh-CN.md",
			}},
		{"a missing heading",
			zh("### 集合\n", ""),
			[]string{"k: README.md has 6 headings (## and deeper), README.zh-CN.md has 5: [## API, ## Rules, ### Sets, ## Examples, ## Hints, ## How to run]; [## API, ## 规则, ## 示例, ## 提示, ## 如何运行]"}},
		{"a heading at another level",
			zh("### 集合\n", "## 集合\n"),
			[]string{
				`k: heading 3 is "Sets" at level 3 in README.md (line 26) but "集合" at level 2 in README.zh-CN.md (line 26)`,
				"k: rule R1 is in README.md (line 28) but not in README.zh-CN.md",
				"k: rule R2 is in README.md (line 30) but not in README.zh-CN.md",
				"k: rule R2.1 is in README.md (line 31) but not in README.zh-CN.md",
				"k: rule R2.2 is in README.md (line 32) but not in README.zh-CN.md",
				`k: numbered item R1 under "## 集合" is in README.zh-CN.md (line 28) but not in README.md`,
				`k: numbered item R2 under "## 集合" is in README.zh-CN.md (line 30) but not in README.md`,
				`k: numbered item R2.1 under "## 集合" is in README.zh-CN.md (line 31) but not in README.md`,
				`k: numbered item R2.2 under "## 集合" is in README.zh-CN.md (line 32) but not in README.md`,
			}},
	}
	en0, zh0 := readPair(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			en, zh := en0, zh0
			for _, e := range c.edits {
				if e.chinese {
					zh = apply(t, zh, e)
				} else {
					en = apply(t, en, e)
				}
			}
			var got []string
			for _, p := range Compare("k", en, zh) {
				got = append(got, p.String())
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("Compare reported\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
			}
		})
	}
}

// TestCodeBlocksAreRaw: a fenced block is compared with its fences and
// indentation, and what looks like a rule, a table or a link inside it is
// code, not prose.
func TestCodeBlocksAreRaw(t *testing.T) {
	d := parse("## Rules\n\n```md\n1. not a rule\n| not | a table |\n[not](a-link)\n## not a heading\n```\n\n  ````go\n  x := 1\n  ````\n")
	if len(d.markers) != 0 || len(d.tables) != 0 || len(d.links) != 0 || len(d.headings) != 1 {
		t.Errorf("parse saw markers %v, tables %v, links %v, headings %v inside code", d.markers, d.tables, d.links, d.headings)
	}
	want := []string{"```md\n1. not a rule\n| not | a table |\n[not](a-link)\n## not a heading\n```", "  ````go\n  x := 1\n  ````"}
	if len(d.blocks) != len(want) {
		t.Fatalf("parse found %d blocks, want %d", len(d.blocks), len(want))
	}
	for i, b := range d.blocks {
		if b.text != want[i] {
			t.Errorf("block %d = %q, want %q", i+1, b.text, want[i])
		}
	}
}

func TestSplitRow(t *testing.T) {
	for row, want := range map[string][]string{
		"| a | b |":                            {"a", "b"},
		"| `grade` | `--color=auto\\|never` |": {"`grade`", "`--color=auto\\|never`"},
		"a | b":                                {"a", "b"},
		"| x |  |":                             {"x", ""},
	} {
		if got := splitRow(row); !slices.Equal(got, want) {
			t.Errorf("splitRow(%q) = %q, want %q", row, got, want)
		}
	}
}

func TestNumbers(t *testing.T) {
	for text, want := range map[string][]string{
		"−7/2 → {−3, −1}; 7/−2":             {"−7", "2", "−3", "−1", "7", "−2"},
		"a Limit-1 client, 2-vCPU, x2":      {"1", "2"},
		"10,000 steps, 1.5 minutes, 8 192":  {"10,000", "1.5", "8", "192"},
		"see [#80](https://x/issues/80) ok": {"80"},
		"t0 + 1ms, L2, -1":                  {"1", "-1"},
		"第6次，约12 s":                         {"6", "12"},
	} {
		if got := cellNumbers(text); !slices.Equal(got, want) {
			t.Errorf("cellNumbers(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestSlugify(t *testing.T) {
	for title, want := range map[string]string{
		"Reading the scorecard": "reading-the-scorecard",
		"How a kata is made":    "how-a-kata-is-made",
		"阅读计分卡":                 "阅读计分卡",
		"`grade` 与 `verify`":    "grade-与-verify",
		"Two languages (中文)":    "two-languages-中文",
	} {
		if got := slugify(title); got != want {
			t.Errorf("slugify(%q) = %q, want %q", title, got, want)
		}
	}
}

// TestCheckTree: the folders CheckTree reads, the translations it requires
// and the link targets it resolves.
func TestCheckTree(t *testing.T) {
	en0, zh0 := readPair(t)
	root := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	top := "# top\n\n[中文](README.zh-CN.md)\n\nSee [a](katas/a/README.md) and [b](katas/b/README.md).\n"
	write("README.md", top)
	write("README.zh-CN.md", "# 顶层\n\n[English](README.md)\n\n见 [a](katas/a/README.zh-CN.md) 和 [b](katas/b/README.zh-CN.md)。\n")
	write("katas/CONTRIBUTING.md", "") // the pair links to ../CONTRIBUTING.md
	write("katas/a/README.md", en0)
	write("katas/a/README.zh-CN.md", zh0)
	write("katas/b/README.md", strings.Replace(en0, "[中文](README.zh-CN.md)\n", "", 1))
	write("katas/c/README.zh-CN.md", zh0)
	write("katas/notes.txt", "not a folder")

	for _, c := range []struct {
		require bool
		want    []string
	}{
		{false, []string{
			"top level: README.zh-CN.md line 5 links to katas/b/README.zh-CN.md, which does not exist",
			"katas/c: README.zh-CN.md has no README.md beside it",
		}},
		{true, []string{
			"top level: README.zh-CN.md line 5 links to katas/b/README.zh-CN.md, which does not exist",
			"katas/b: README.md has no translation: README.zh-CN.md is missing (MICROKATA_REQUIRE_ZH=1)",
			"katas/c: README.zh-CN.md has no README.md beside it",
		}},
	} {
		problems, err := CheckTree(root, c.require)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range problems {
			got = append(got, p.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("CheckTree(require %v) reported\n\t%s\nwant\n\t%s", c.require, strings.Join(got, "\n\t"), strings.Join(c.want, "\n\t"))
		}
	}
}

// TestRepository checks the repository's own README pairs: every kata and
// the top-level pair. Every kata has its Chinese README now, so a kata
// without one fails (grader new writes both).
func TestRepository(t *testing.T) {
	problems, err := CheckTree(filepath.Join("..", "..", ".."), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
