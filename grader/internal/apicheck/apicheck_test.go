package apicheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const reference = `package k

import "errors"

// ErrBad is returned for bad input.
var ErrBad = errors.New("k: bad")

const Max = 10

type Limiter struct {
	mu    int
	Rate  float64
	burst int
}

type Cache[K comparable, V any] struct{ m map[K]V }

func New(rate float64, burst int) (*Limiter, error) { return &Limiter{Rate: rate, burst: burst}, nil }

func (l *Limiter) Allow(n int) (ok bool) { return n < l.burst }

func (c *Cache[K, V]) Get(key K) (value V, ok bool) { v, ok := c.m[key]; return v, ok }

func helper() {}
`

func write(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k.go")
	require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	return p
}

func decls(t *testing.T, src string) map[string]string {
	t.Helper()
	d, err := Decls(write(t, src))
	require.NoError(t, err)
	return d
}

func TestStubWithOtherNamesAndNoUnexportedFieldsMatches(t *testing.T) {
	stub := `package k

import "errors"

// ErrBad is returned for bad input.
var ErrBad = errors.New("k: bad")

const Max = 10

type Limiter struct{ Rate float64 }

type Cache[K comparable, V any] struct{}

func New(r float64, b int) (*Limiter, error) { panic("not implemented") }

func (lim *Limiter) Allow(count int) bool { panic("not implemented") }

func (x *Cache[K, V]) Get(k K) (V, bool) { panic("not implemented") }
`
	want := decls(t, reference)
	assert.Len(t, want, 7)
	assert.Empty(t, Diff(want, decls(t, stub)))
}

func TestDiffFindsEachKindOfDifference(t *testing.T) {
	stub := `package k

import "errors"

var ErrBad = errors.New("k: oops")

const Max = 10

type Limiter struct{ Rate float32 }

type Cache[K comparable, V any] struct{}

func New(rate float64) (*Limiter, error) { panic("not implemented") }

func (c *Cache[K, V]) Get(key K) (value V, ok bool) { panic("not implemented") }

func Extra() {}
`
	d := Diff(decls(t, reference), decls(t, stub))
	require.Len(t, d, 5, "%q", d)
	assert.Contains(t, d[0], "differs: reference func New(float64, int)")
	assert.Contains(t, d[1], "differs: reference type Limiter")
	assert.Contains(t, d[2], `differs: reference var ErrBad = errors.New("k: bad")`)
	assert.Contains(t, d[3], "missing from the stub: method (*Limiter).Allow")
	assert.Contains(t, d[4], "only in the stub: func Extra")
}

func TestDeclsReportsSyntaxErrors(t *testing.T) {
	_, err := Decls(write(t, "package k\nfunc {"))
	assert.Error(t, err)
}
