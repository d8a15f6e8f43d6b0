package flood_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/testdata/root/katas/flood"
)

func TestAdd(t *testing.T) {
	assert.Equal(t, 5, flood.Add(2, 3), "Add(2, 3)")
	assert.Equal(t, 0, flood.Add(0, 0), "Add(0, 0)")
}

func TestDiv(t *testing.T) {
	for _, c := range []struct{ a, b, want int }{{7, 2, 3}, {-9, 3, -3}} {
		got, err := flood.Div(c.a, c.b)
		require.NoError(t, err, "Div(%d, %d)", c.a, c.b)
		assert.Equal(t, c.want, got, "Div(%d, %d)", c.a, c.b)
	}
}

func TestCounter(t *testing.T) {
	var c flood.Counter
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 1000 {
				c.Inc()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 2000, c.Value(), "Value after 2 goroutines x 1000 Inc")
}
