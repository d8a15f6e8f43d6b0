package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/result"
)

// TestGradeWithoutCgoSaysSo grades with cgo off, where -race cannot work:
// the grader must still grade, without -race, and say so.
func TestGradeWithoutCgoSaysSo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fixture kata")
	}
	t.Setenv("CGO_ENABLED", "0")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"grade", "--root", fixtureRoot, "--json", "--no-bench", "--quiet", "passing"}, &out, &errb)
	require.Equal(t, exitOK, code, "stderr: %s", errb.String())
	var r result.Run
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.False(t, r.Race)
	require.NotEmpty(t, r.Notes)
	assert.Contains(t, r.Notes[0], "race detector off")
	assert.Equal(t, result.Passing, r.Katas[0].Status)

	out.Reset()
	code = run(context.Background(), []string{"grade", "--root", fixtureRoot, "--no-bench", "--quiet", "--color=never", "passing"}, &out, &errb)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out.String(), "race detector OFF")
}
