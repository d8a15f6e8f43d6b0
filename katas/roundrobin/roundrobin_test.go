package roundrobin_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/katas/roundrobin"
)

// picks calls Pick n times and joins the results into one string, so that a
// failure shows the whole sequence. Every pick must succeed.
func picks(t *testing.T, p roundrobin.Picker[string], n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		s, err := p.Pick()
		require.NoError(t, err, "pick %d", i)
		b.WriteString(s)
	}
	return b.String()
}

// weighted builds SWRR entries named a, b, c, … with the given weights.
func weighted(weights ...int) []roundrobin.Weighted[string] {
	items := make([]roundrobin.Weighted[string], len(weights))
	for i, w := range weights {
		items[i] = roundrobin.Weighted[string]{Item: string(rune('a' + i)), Weight: w}
	}
	return items
}

// R3: without WithStart, pick k returns backends[k mod n].
func TestRoundRobinSequence(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]string{"a", "b", "c"})
	require.NoError(t, err)
	require.NotNil(t, rr)
	assert.Equal(t, "abcabc", picks(t, rr, 6))
}

// R3: a single backend is returned every time.
func TestRoundRobinSingleBackend(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]string{"a"})
	require.NoError(t, err)
	assert.Equal(t, "aaa", picks(t, rr, 3))
}

// R1, R4: an empty or nil set is valid; Pick returns the zero value and
// ErrNoBackends.
func TestRoundRobinEmpty(t *testing.T) {
	for _, tc := range []struct {
		name     string
		backends []string
	}{
		{"nil", nil},
		{"empty", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr, err := roundrobin.NewRoundRobin(tc.backends)
			require.NoError(t, err, "NewRoundRobin(%s) must succeed", tc.name)
			require.NotNil(t, rr)
			for i := range 2 {
				got, err := rr.Pick()
				assert.ErrorIs(t, err, roundrobin.ErrNoBackends, "pick %d on an empty set", i)
				assert.Equal(t, "", got, "pick %d on an empty set must return the zero value", i)
			}
		})
	}
}

// R2, R3: WithStart(i) makes the first pick backends[i mod n]; a negative
// start is refused with ErrInvalidStart and a nil picker.
func TestRoundRobinWithStart(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]string{"a", "b", "c", "d"}, roundrobin.WithStart(2))
	require.NoError(t, err)
	assert.Equal(t, "cdab", picks(t, rr, 4), "WithStart(2) on [a b c d]")

	for _, start := range []int{-1, -1 << 62} {
		bad, err := roundrobin.NewRoundRobin([]string{"a", "b", "c"}, roundrobin.WithStart(start))
		assert.ErrorIs(t, err, roundrobin.ErrInvalidStart, "WithStart(%d)", start)
		assert.Nil(t, bad, "WithStart(%d) must give a nil picker with its error", start)
	}
}

// R3, R5: Update changes the set, and the numbering of picks continues: after
// pick 0 on [a b c], picks 1, 2, 3 on [x y] are y x y.
func TestRoundRobinUpdate(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]string{"a", "b", "c"})
	require.NoError(t, err)
	assert.Equal(t, "a", picks(t, rr, 1))

	rr.Update([]string{"x", "y"})
	assert.Equal(t, "yxy", picks(t, rr, 3), "picks 1, 2, 3 after Update([x y])")
}

// S3, S4: weights {5,1,1} give a a b a c a a, and the period repeats.
func TestSmoothWeighted511(t *testing.T) {
	sw, err := roundrobin.NewSmoothWeighted(weighted(5, 1, 1))
	require.NoError(t, err)
	require.NotNil(t, sw)
	assert.Equal(t, "aabacaa"+"aabacaa", picks(t, sw, 14))
}

// S1: a negative weight is ErrInvalidWeight; no entries, or only entries of
// weight 0, are ErrNoBackends. The picker is nil on every error.
func TestSmoothWeightedErrors(t *testing.T) {
	tests := []struct {
		name  string
		items []roundrobin.Weighted[string]
		want  error
	}{
		{"negative weight", weighted(-1), roundrobin.ErrInvalidWeight},
		{"nil", nil, roundrobin.ErrNoBackends},
		{"all zero", weighted(0, 0), roundrobin.ErrNoBackends},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw, err := roundrobin.NewSmoothWeighted(tt.items)
			assert.ErrorIs(t, err, tt.want)
			assert.Nil(t, sw, "the picker must be nil with its error")
		})
	}
}

// Both pickers satisfy Picker.
var (
	_ roundrobin.Picker[string] = (*roundrobin.RoundRobin[string])(nil)
	_ roundrobin.Picker[string] = (*roundrobin.SmoothWeighted[string])(nil)
)

// R3, S3: either picker can be used through the Picker interface.
func TestPickerInterface(t *testing.T) {
	rr, err := roundrobin.NewRoundRobin([]string{"a", "b"})
	require.NoError(t, err)
	sw, err := roundrobin.NewSmoothWeighted(weighted(1, 3))
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		p    roundrobin.Picker[string]
		want string
	}{
		{"RoundRobin", rr, "a"},
		{"SmoothWeighted", sw, "b"},
	} {
		got, err := tc.p.Pick()
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, "%s: first pick", tc.name)
	}
}

// backends8 is the set of the round-robin benchmarks.
var backends8 = []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"}

// BenchmarkRoundRobinPick: Pick over 8 backends from one goroutine.
// Target: at most 10 ns/op, 0 allocs/op.
func BenchmarkRoundRobinPick(b *testing.B) {
	rr, err := roundrobin.NewRoundRobin(backends8)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := rr.Pick(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoundRobinPickParallel: Pick over 8 backends from every P at
// once. Target: at most 25 ns/op, 0 allocs/op.
func BenchmarkRoundRobinPickParallel(b *testing.B) {
	rr, err := roundrobin.NewRoundRobin(backends8)
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rr.Pick(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// newSmooth8 returns a SmoothWeighted over 8 entries of weights 1 to 8.
func newSmooth8(b *testing.B) *roundrobin.SmoothWeighted[string] {
	b.Helper()
	items := make([]roundrobin.Weighted[string], len(backends8))
	for i, name := range backends8 {
		items[i] = roundrobin.Weighted[string]{Item: name, Weight: i + 1}
	}
	sw, err := roundrobin.NewSmoothWeighted(items)
	if err != nil {
		b.Fatal(err)
	}
	return sw
}

// BenchmarkSmoothWeightedPick8: Pick over 8 entries of weights 1 to 8 from
// one goroutine. Target: at most 50 ns/op, 0 allocs/op.
func BenchmarkSmoothWeightedPick8(b *testing.B) {
	sw := newSmooth8(b)
	for b.Loop() {
		if _, err := sw.Pick(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmoothWeightedPick8Parallel: as BenchmarkSmoothWeightedPick8 from
// every P at once. Target: at most 80 ns/op, 0 allocs/op.
func BenchmarkSmoothWeightedPick8Parallel(b *testing.B) {
	sw := newSmooth8(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := sw.Pick(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
