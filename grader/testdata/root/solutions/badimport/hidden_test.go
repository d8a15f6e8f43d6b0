//go:build microkata_hidden

package badimport_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/testdata/root/katas/badimport"
	ref "github.com/microkata/microkata/grader/testdata/root/solutions/badimport"
)

// TestHiddenDivByZero checks that dividing by zero is an error, not a panic.
//
// Category: boundary
func TestHiddenDivByZero(t *testing.T) {
	got, err := badimport.Div(1, 0)
	require.ErrorIs(t, err, badimport.ErrDivByZero, "Div(1, 0)")
	assert.Zero(t, got, "Div(1, 0)")
}

// TestHiddenAddMatchesReference compares Add with the reference solution on
// negative and large numbers.
//
// Category: differential
func TestHiddenAddMatchesReference(t *testing.T) {
	for _, c := range [][2]int{{-2, -3}, {-1, 1}, {1 << 40, 1 << 40}} {
		assert.Equal(t, ref.Add(c[0], c[1]), badimport.Add(c[0], c[1]), "Add(%d, %d)", c[0], c[1])
	}
}

// TestHiddenCounterSequential checks the zero Counter and increments from one
// goroutine.
//
// Category: behaviour
func TestHiddenCounterSequential(t *testing.T) {
	var c badimport.Counter
	assert.Equal(t, 0, c.Value(), "zero Counter")
	for range 3 {
		c.Inc()
	}
	assert.Equal(t, 3, c.Value(), "Value after 3 Inc")
}
