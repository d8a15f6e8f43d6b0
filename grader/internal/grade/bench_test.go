package grade

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
goarch: amd64
pkg: github.com/microkata/microkata/katas/lru
BenchmarkGetHit-2          	41062706	        28.20 ns/op	       0 B/op	       0 allocs/op
BenchmarkAddEvict-2        	 5000000	       210 ns/op	      80 B/op	       1 allocs/op
BenchmarkNoMem             	 1000	      1.5e+03 ns/op
BenchmarkBroken-2   FAIL
PASS
`)
	got := parseBench(out)
	assert.Equal(t, map[string]sample{
		"BenchmarkGetHit":   {ns: 28.2, allocs: 0},
		"BenchmarkAddEvict": {ns: 210, allocs: 1},
		"BenchmarkNoMem":    {ns: 1500},
	}, got)
}

func TestMedianAndFastest(t *testing.T) {
	s := []sample{{ns: 5}, {ns: 1}, {ns: 3}}
	assert.Equal(t, 3.0, median(s, nsOf))
	assert.Equal(t, 2.0, median(s[1:], nsOf))
	assert.Equal(t, 1.0, fastest(s))
	assert.Equal(t, 3.0, fastest(s[2:]))
}

// fakeRounds returns a run function for measure whose learner ns/op in
// round r (counting both sides' calls) is ratios[r] times the reference's
// 100 ns, the last ratio repeating.
func fakeRounds(ratios ...float64) (func(side int) (map[string]sample, error), *int) {
	calls := 0
	return func(side int) (map[string]sample, error) {
		r := ratios[min(calls/2, len(ratios)-1)]
		calls++
		ns := 100.0
		if side == 0 {
			ns *= r
		}
		return map[string]sample{"BenchmarkA": {ns: ns}, "BenchmarkB": {ns: 2 * ns, allocs: 1}}, nil
	}, &calls
}

func TestMeasure(t *testing.T) {
	names := []string{"BenchmarkA", "BenchmarkB"}
	for _, tc := range []struct {
		name      string
		ratios    []float64
		rounds    int
		noisy     bool
		low, high float64
	}{
		// Identical code: the rounds straddle 1, and 4 suffice.
		{"identical", []float64{1.02, 0.98, 1.01, 0.99}, 4, false, 0.95, 1.05},
		// A real 2x: settled, and shown as a number.
		{"twice as slow", []float64{1.95, 2.05, 2.0, 1.98}, 4, false, 1.9, 2.1},
		// The figures of the issue: identical code read 0.99x, 1.85x, 1.80x
		// and 1.16x on a loaded machine; more rounds run, and if they
		// keep disagreeing the ratio is marked noisy.
		{"busy machine", []float64{0.99, 1.85, 1.80, 1.16, 0.7, 1.9, 1.0, 1.6, 0.8, 1.7, 0.9, 1.5}, maxRounds, true, 0, 0},
		// Noisy at first, quiet later: the extra rounds narrow the interval
		// below the noisy mark, and it still holds 1.
		{"calms down", []float64{0.99, 1.85, 1.80, 1.16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, maxRounds, false, 0.9, 1.3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, calls := fakeRounds(tc.ratios...)
			b := measure(4, names, run)
			require.Empty(t, b.Error)
			assert.Equal(t, tc.rounds, b.Rounds, "rounds")
			assert.Equal(t, 2*b.Rounds, *calls, "two runs a round")
			assert.Equal(t, tc.noisy, b.Noisy, "noisy (interval %.3f..%.3f)", b.NsLow, b.NsHigh)
			assert.Equal(t, 1.0, b.AllocsRatio, "allocs: the same on both sides")
			if tc.low > 0 {
				assert.True(t, b.NsLow >= tc.low && b.NsHigh <= tc.high && b.NsLow <= b.NsRatio*1.2,
					"interval %.3f..%.3f, want within %.2f..%.2f", b.NsLow, b.NsHigh, tc.low, tc.high)
			}
		})
	}
}

func TestMeasureError(t *testing.T) {
	b := measure(4, []string{"BenchmarkA"}, func(int) (map[string]sample, error) { return nil, errors.New("boom") })
	assert.Equal(t, "boom", b.Error)
	b = measure(4, []string{"BenchmarkA"}, func(int) (map[string]sample, error) { return map[string]sample{}, nil })
	assert.Equal(t, "no benchmark reported a result", b.Error)
}
