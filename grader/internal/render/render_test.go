package render

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/i18n"
	"github.com/microkata/microkata/grader/internal/result"
)

func sample() *result.Run {
	return &result.Run{
		Version: result.Version, GoVersion: "go1.26.8", Race: true, Duration: 3.2,
		Katas: []result.Kata{
			{Name: "tokenbucket", Status: result.NotStarted, VisibleTotal: 10, HiddenTotal: 18},
			{Name: "lru", Status: result.Failing, VisiblePassed: 8, VisibleTotal: 8, HiddenPassed: 11, HiddenTotal: 13, Score: 90, Race: true,
				Tests: []result.Test{
					{Name: "TestA", Passed: true},
					{Name: "TestHiddenResize", Hidden: true, Category: "boundary", Reason: "Resize(2) = 0, want 3"},
					{Name: "TestHiddenB", Hidden: true, Category: "timing", Reason: "r2"},
					{Name: "TestHiddenC", Hidden: true, Category: "timing", Reason: "r3"},
					{Name: "TestHiddenD", Hidden: true, Category: "timing", Reason: "r4"},
				}},
			{Name: "breaker", Status: result.Passing, VisiblePassed: 5, VisibleTotal: 5, HiddenPassed: 9, HiddenTotal: 9, Score: 100,
				Bench: &result.Bench{NsRatio: 1.04, AllocsRatio: 1}},
		},
		Total: result.Total{Katas: 3, Passing: 1, VisiblePassed: 13, VisibleTotal: 23, HiddenPassed: 20, HiddenTotal: 40, Score: 190, MaxScore: 300},
	}
}

func TestTextScorecard(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, sample(), Options{}))
	out := b.String()
	assert.NotContains(t, out, "\x1b[", "no colour unless asked")
	lines := strings.Split(out, "\n")
	find := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("no line starts with %q in\n%s", prefix, out)
		return ""
	}
	assert.Regexp(t, `^tokenbucket\s+not started\s+0/10\s+0/18\s+-\s+-\s+-\s+0$`, find("tokenbucket"))
	assert.Regexp(t, `^lru\s+failing\s+8/8\s+11/13\s+yes\s+-\s+-\s+90$`, find("lru "))
	assert.Regexp(t, `^breaker\s+passing\s+5/5\s+9/9\s+-\s+-\s+1.04x 1.00x\s+100$`, find("breaker"))
	assert.Regexp(t, `^TOTAL\s+1/3 passing\s+13/23\s+20/40\s+190/300$`, find("TOTAL"))
	assert.Contains(t, out, "✗ TestHiddenResize [hidden: boundary]: Resize(2) = 0, want 3")
	assert.Contains(t, out, "... and 1 more failing test(s)")
	assert.NotContains(t, out, "TestHiddenD", "only the first three failures")
	assert.Contains(t, out, "start with katas/tokenbucket/README.md")

	// Columns line up: every row has its SCORE column ending at the same place.
	width := len(find("KATA"))
	for _, name := range []string{"tokenbucket", "lru ", "breaker", "TOTAL"} {
		assert.Equal(t, width, len([]rune(find(name))), name)
	}
}

func TestTextColour(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, sample(), Options{Color: true}))
	assert.Contains(t, b.String(), green+"passing"+reset)
	assert.Contains(t, b.String(), red+"failing"+reset)
}

func TestUseColorRespectsNoColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, UseColor(f), "a file is not a terminal")
	t.Setenv("NO_COLOR", "1")
	assert.False(t, UseColor(os.Stdout), "NO_COLOR=1")

	// https://no-color.org: NO_COLOR turns colour off only when present
	// and not an empty string.
	for _, c := range []struct {
		terminal      bool
		noColor, term string
		want          bool
	}{
		{true, "", "xterm", true},
		{true, "1", "xterm", false},
		{true, "false", "xterm", false},
		{true, "", "dumb", false},
		{false, "", "xterm", false},
	} {
		assert.Equal(t, c.want, colorFor(c.terminal, c.noColor, c.term), "terminal=%v NO_COLOR=%q TERM=%q", c.terminal, c.noColor, c.term)
	}
}

func TestTextVerboseAndWidth(t *testing.T) {
	run := sample()
	lru := &run.Katas[1]
	lru.Tests[1].Reason = "Resize(2) = 0, want 3; " + strings.Repeat("a long explanation ", 10)
	lru.Tests[2].RaceReport = `WARNING: DATA RACE
Write at 0x00c0000a0010 by goroutine 8:
  example.com/m/katas/lru.(*Cache).Get()
      /src/katas/lru/lru.go:40 +0x44

Previous read at 0x00c0000a0010 by goroutine 9:
  example.com/m/katas/lru.(*Cache).Len()
      /src/katas/lru/lru.go:52 +0x30
  example.com/m/katas/lru.(*Cache).Peek()
      /src/katas/lru/lru.go:60 +0x30
`

	var b bytes.Buffer
	require.NoError(t, Text(&b, run, Options{}))
	out := b.String()
	assert.Contains(t, out, strings.Repeat("a long explanation ", 10), "no width: messages whole")
	assert.Contains(t, out, "... and 1 more failing test(s): make grade KATA=lru FLAGS=-v lists them all")
	assert.Contains(t, out, "        write by goroutine 8:\n          lru.(*Cache).Get  katas/lru/lru.go:40\n        previous read by goroutine 9:\n          lru.(*Cache).Len  katas/lru/lru.go:52\n        ... (make grade KATA=lru FLAGS=-v shows the whole report)")
	assert.NotContains(t, out, "lru.(*Cache).Peek", "race summary cut to its first lines")

	b.Reset()
	require.NoError(t, Text(&b, run, Options{Verbose: true}))
	out = b.String()
	assert.Contains(t, out, "TestHiddenD [hidden: timing]: r4", "verbose lists every failing test")
	assert.NotContains(t, out, "more failing test(s)")
	assert.Contains(t, out, "          lru.(*Cache).Peek  katas/lru/lru.go:60", "verbose shows the whole race summary")

	b.Reset()
	require.NoError(t, Text(&b, run, Options{Width: 90}))
	cutLine := ""
	for _, l := range strings.Split(b.String(), "\n") {
		// The table is as wide as it is; the lines under it fit.
		if strings.HasPrefix(l, "    ") {
			assert.LessOrEqual(t, len([]rune(l)), 90, "line longer than the terminal: %q", l)
		}
		if strings.Contains(l, "TestHiddenResize") {
			cutLine = l
		}
	}
	assert.True(t, strings.HasPrefix(cutLine, "    ✗ TestHiddenResize [hidden: boundary]: Resize(2) = 0, want 3; a long") &&
		strings.HasSuffix(cutLine, "…") && len([]rune(cutLine)) == 90, "a long message is cut at the width with …: %q", cutLine)
}

func TestJSONRoundTrips(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JSON(&b, sample()))
	var back result.Run
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *sample(), back)
	assert.Contains(t, b.String(), `"version": 1`)
}

func TestBenchCell(t *testing.T) {
	for _, tc := range []struct {
		b    *result.Bench
		want string
	}{
		{nil, "-"},
		{&result.Bench{Error: "boom"}, "error"},
		{&result.Bench{NsRatio: 1.85, NsLow: 1.7, NsHigh: 2.0, AllocsRatio: 1}, "1.85x 1.00x"},
		{&result.Bench{NsRatio: 0.5, NsLow: 0.45, NsHigh: 0.55, AllocsRatio: 2}, "0.50x 2.00x"},
		// The interval holds 1: not a difference worth chasing.
		{&result.Bench{NsRatio: 1.08, NsLow: 0.97, NsHigh: 1.12, AllocsRatio: 1}, "≈1.0x 1.00x"},
		{&result.Bench{NsRatio: 1.34, NsLow: 0.8, NsHigh: 2.2, AllocsRatio: 1, Noisy: true}, "1.3x? 1.00x"},
	} {
		assert.Equal(t, tc.want, benchCell(tc.b), "%+v", tc.b)
	}
}

// In Chinese the columns line up by display width: a CJK character takes
// two terminal columns.
func TestTextChineseAlignment(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, sample(), Options{Lang: i18n.Chinese}))
	out := b.String()
	for _, want := range []string{"microkata 评分卡", "竞态检测开启", "练习", "状态", "未开始", "未通过", "已通过", "合计", "1/3 通过", "[隐藏: boundary]"} {
		assert.Contains(t, out, want)
	}
	assert.Contains(t, out, "TestHiddenResize", "test names stay as they are")
	assert.Contains(t, out, "Resize(2) = 0, want 3", "test messages stay as they are")
	var widths []int
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "练习") || strings.HasPrefix(l, "tokenbucket") || strings.HasPrefix(l, "lru ") || strings.HasPrefix(l, "breaker") || strings.HasPrefix(l, "合计") {
			widths = append(widths, i18n.Width(l))
		}
	}
	require.Len(t, widths, 5)
	for _, w := range widths[1:] {
		assert.Equal(t, widths[0], w, "every row ends at the same display column:\n%s", out)
	}
}
