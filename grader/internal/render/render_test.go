package render

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	t.Setenv("NO_COLOR", "")
	assert.False(t, UseColor(os.Stdout), "NO_COLOR set, even empty")
}

func TestJSONRoundTrips(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JSON(&b, sample()))
	var back result.Run
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *sample(), back)
	assert.Contains(t, b.String(), `"version": 1`)
}
