package lru

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/microkata/microkata/conformance/internal/harness"
	ref "github.com/microkata/microkata/solutions/lru"
)

// The documented differences between the kata and golang-lru v2.0.7. Each
// reproduction asserts the kata's rule on the reference and golang-lru's
// behaviour on golang-lru, on the same calls.

func TestExclusions(t *testing.T) {
	harness.Exclusion(t, "LRU-1", "Resize(n <= 0) is refused with ErrInvalidCapacity and changes nothing (README rule 10); golang-lru empties the cache, and with 0 every later Add evicts its own key", testResizeZero)
	harness.Exclusion(t, "LRU-2", "Purge calls the callback oldest first (rule 11); golang-lru calls it in map order", testPurgeOrder)
	harness.Exclusion(t, "LRU-3", "New(capacity <= 0) fails with an error matching ErrInvalidCapacity (rule 1); golang-lru's error is an unexported errors.New", testNewError)
}

func fill(t *testing.T, newImpl newCache, capacity int, keys ...int) (cache, *[]int) {
	t.Helper()
	var gone []int
	c, err := newImpl(capacity, func(k, _ int) { gone = append(gone, k) })
	if err != nil {
		t.Fatalf("New(%d) failed: %v", capacity, err)
	}
	for _, k := range keys {
		c.Add(k, 10*k)
	}
	return c, &gone
}

func testResizeZero(t *testing.T) {
	const calls = "c := New(2); c.Add(1, 10); c.Add(2, 20)"
	for _, n := range []int{0, -1} {
		t.Run(fmt.Sprintf("Resize(%d)", n), func(t *testing.T) {
			r, rgone := fill(t, newRef, 2, 1, 2)
			if got, err := r.Resize(n); got != 0 || !errors.Is(err, ref.ErrInvalidCapacity) {
				t.Errorf("reference: %s; c.Resize(%d) = (%d, %v), want (0, ErrInvalidCapacity)", calls, n, got, err)
			}
			if k := r.Keys(); !slices.Equal(k, []int{1, 2}) || r.Cap() != 2 || len(*rgone) != 0 {
				t.Errorf("reference: %s; c.Resize(%d); then Keys() = %v, Cap() = %d, callbacks for %v; want [1 2], 2, none", calls, n, k, r.Cap(), *rgone)
			}

			l, lgone := fill(t, newLib, 2, 1, 2)
			got, _ := l.Resize(n)
			if want := 2 - n; got != want || l.Len() != 0 || !slices.Equal(*lgone, []int{1, 2}) {
				t.Errorf("golang-lru: %s; c.Resize(%d) = %d (callbacks for %v), then Len() = %d; documented: %d, callbacks for [1 2], 0",
					calls, n, got, *lgone, l.Len(), want)
			}
			if evicted := l.Add(3, 30); !evicted || l.Contains(3) {
				t.Errorf("golang-lru: %s; c.Resize(%d); c.Add(3, 30) = %t, Contains(3) = %t; documented: true, false (the new key evicts itself)",
					calls, n, evicted, l.Contains(3))
			}
		})
	}
}

func testPurgeOrder(t *testing.T) {
	keys := make([]int, 64)
	for i := range keys {
		keys[i] = i
	}
	r, rgone := fill(t, newRef, 64, keys...)
	r.Purge()
	if !slices.Equal(*rgone, keys) {
		t.Errorf("reference: c := New(64); c.Add(0, 0) ... c.Add(63, 630); c.Purge() called back for %v, want oldest first %v", *rgone, keys)
	}

	l, lgone := fill(t, newLib, 64, keys...)
	l.Purge()
	sorted := slices.Sorted(slices.Values(*lgone))
	if !slices.Equal(sorted, keys) {
		t.Fatalf("golang-lru: c.Purge() called back for %v, want every key once", *lgone)
	}
	// Map order: the chance that 64 keys come out oldest first is 1/64!.
	if slices.Equal(*lgone, keys) {
		t.Errorf("golang-lru: c.Purge() called back oldest first; documented: in map order (if golang-lru now orders Purge, LRU-2 is gone)")
	}
}

func testNewError(t *testing.T) {
	for _, n := range []int{0, -1} {
		if c, err := newRef(n, nil); c != nil || !errors.Is(err, ref.ErrInvalidCapacity) {
			t.Errorf("reference: New(%d) = (%v, %v), want (nil, ErrInvalidCapacity)", n, c, err)
		}
		if c, err := newLib(n, nil); c != nil || err == nil || errors.Is(err, ref.ErrInvalidCapacity) {
			t.Errorf("golang-lru: NewWithEvict(%d, nil) = (%v, %v); documented: (nil, an error that is not ErrInvalidCapacity)", n, c, err)
		}
	}
}
