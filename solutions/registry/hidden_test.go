//go:build microkata_hidden

package registry_test

import (
	"testing"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/registry"
)

// TestHiddenPlaceholder is replaced by the hidden tests.
//
// Category: config
func TestHiddenPlaceholder(t *testing.T) {
	katatest.Guard(t)
	r, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}
