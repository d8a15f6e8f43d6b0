package connpool_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/connpool"
)

// Rule 1.
func TestNew(t *testing.T) {
	katatest.Guard(t)
	assert.NotNil(t, connpool.New(), "New() returned nil")
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		_ = connpool.New()
	}
}
