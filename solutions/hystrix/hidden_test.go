//go:build microkata_hidden

package hystrix_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/hystrix"
)

// TestHiddenNewIsDistinct checks rule 1: each New is a value of its own.
//
// Category: behaviour
func TestHiddenNewIsDistinct(t *testing.T) {
	katatest.Guard(t)
	a, b := hystrix.New(), hystrix.New()
	assert.NotNil(t, a, "New() returned nil")
	assert.NotSame(t, a, b, "two calls of New() returned the same *T")
}
