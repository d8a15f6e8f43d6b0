package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
)

// TestREADMECatalogInStep checks that the README's catalog table is the one
// `grader catalog` prints from katas/catalog.json.
func TestREADMECatalogInStep(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	cat, err := catalog.Load("..")
	require.NoError(t, err)
	s := string(readme)
	start := strings.Index(s, "<!-- catalog:start")
	end := strings.Index(s, "<!-- catalog:end -->")
	require.True(t, start >= 0 && end > start, "README.md needs the catalog:start and catalog:end markers")
	table := s[strings.Index(s[start:], "\n")+start+1 : end]
	assert.Equal(t, catalogTable(cat.Katas), table, "README catalog differs from katas/catalog.json: paste `go run ./grader catalog`")
}
