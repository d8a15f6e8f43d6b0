package grade

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
