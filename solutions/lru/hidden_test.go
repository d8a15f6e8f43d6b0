//go:build microkata_hidden

package lru_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/lru"
	ref "github.com/microkata/microkata/solutions/lru"
)

// exit is one call of the eviction callback.
type exit struct {
	Key   string
	Value int
}

// hiddenLog records the eviction callbacks of a cache of string keys and int
// values. Sequential tests read it without a lock: a correct cache has run
// every callback before the call that caused it returns.
type hiddenLog struct{ got []exit }

func (l *hiddenLog) onEvict(key string, value int) { l.got = append(l.got, exit{key, value}) }

// take returns the callbacks recorded since the last take.
func (l *hiddenLog) take() []exit {
	got := l.got
	l.got = nil
	return got
}

func newLogged(t *testing.T, capacity int) (*lru.Cache[string, int], *hiddenLog) {
	t.Helper()
	log := &hiddenLog{}
	c, err := lru.New(capacity, lru.WithOnEvict(log.onEvict))
	require.NoError(t, err, "New(%d)", capacity)
	require.NotNil(t, c, "New(%d)", capacity)
	return c, log
}

// TestHiddenNilOnEvict checks that WithOnEvict(nil) means no callback: every
// way out of the cache works without one.
//
// Category: config
func TestHiddenNilOnEvict(t *testing.T) {
	c, err := lru.New(2, lru.WithOnEvict[string, int](nil))
	require.NoError(t, err, "New(2, WithOnEvict(nil))")
	require.NotNil(t, c)

	// A panic may leave the cache's lock held, so the test stops there.
	if !assert.NotPanics(t, func() {
		c.Add("a", 1)
		c.Add("b", 2)
		assert.True(t, c.Add("c", 3), "Add(c) into a full cache")
		assert.True(t, c.Remove("b"), "Remove(b)")
		_, _, ok := c.RemoveOldest()
		assert.True(t, ok, "RemoveOldest")
		c.Add("d", 4)
		c.Add("e", 5)
		n, err := c.Resize(1)
		assert.NoError(t, err, "Resize(1)")
		assert.Equal(t, 1, n, "Resize(1) of a cache of 2 entries")
		c.Purge()
	}, "a cache made with WithOnEvict(nil) must not call a nil callback") {
		return
	}
	assert.Equal(t, 0, c.Len(), "Len after Purge")
	assert.Equal(t, 1, c.Cap(), "Cap after Resize(1) and Purge")
}

// TestHiddenCapacityOne checks the smallest cache: every new key evicts the
// previous one.
//
// Category: boundary
func TestHiddenCapacityOne(t *testing.T) {
	c, log := newLogged(t, 1)

	assert.False(t, c.Add("a", 1), "Add(a) into an empty cache of capacity 1")
	assert.True(t, c.Add("b", 2), "Add(b) into a full cache of capacity 1")

	_, ok := c.Get("a")
	assert.False(t, ok, "Get(a) after a was evicted")
	v, ok := c.Get("b")
	assert.True(t, ok, "Get(b)")
	assert.Equal(t, 2, v, "Get(b)")
	assert.Equal(t, 1, c.Len(), "Len")
	assert.Equal(t, []string{"b"}, c.Keys(), "Keys")
	assert.Equal(t, []exit{{"a", 1}}, log.take(), "callbacks")
}

// TestHiddenUpdateExistingKey checks that Add of a present key replaces the
// value and refreshes the key, without evicting or calling back.
//
// Category: behaviour
func TestHiddenUpdateExistingKey(t *testing.T) {
	c, log := newLogged(t, 2)
	c.Add("a", 1)
	c.Add("b", 2)

	assert.False(t, c.Add("a", 10), "Add(a) of a present key must return false")
	assert.Equal(t, 2, c.Len(), "Len after updating a")
	assert.Empty(t, log.take(), "callbacks after updating a: an update is not an exit")
	assert.Equal(t, []string{"b", "a"}, c.Keys(), "Keys after updating a: a is the newest")
	assert.Equal(t, []int{2, 10}, c.Values(), "Values after updating a")
	v, ok := c.Get("a")
	assert.True(t, ok, "Get(a)")
	assert.Equal(t, 10, v, "Get(a) returns the new value")

	assert.True(t, c.Add("c", 3), "Add(c) into a full cache")
	assert.Equal(t, []exit{{"b", 2}}, log.take(), "callbacks after Add(c): b is the oldest")
	assert.Equal(t, []string{"a", "c"}, c.Keys(), "Keys after Add(c)")
}

// TestHiddenZeroValueVsMiss checks that a stored zero value is a hit and a
// missing key is a miss.
//
// Category: boundary
func TestHiddenZeroValueVsMiss(t *testing.T) {
	c, err := lru.New[string, int](2)
	require.NoError(t, err)
	c.Add("zero", 0)

	v, ok := c.Get("zero")
	assert.True(t, ok, "Get of a key stored with value 0")
	assert.Equal(t, 0, v, "Get(zero)")
	v, ok = c.Peek("zero")
	assert.True(t, ok, "Peek of a key stored with value 0")
	assert.Equal(t, 0, v, "Peek(zero)")
	assert.True(t, c.Contains("zero"), "Contains of a key stored with value 0")

	c.Add("one", 1)
	v, ok = c.Get("one")
	assert.Equal(t, 1, v, "Get(one)")
	assert.True(t, ok, "Get(one)")

	v, ok = c.Get("missing")
	assert.False(t, ok, "Get of a missing key")
	assert.Equal(t, 0, v, "Get of a missing key returns the zero value")
	v, ok = c.Peek("missing")
	assert.False(t, ok, "Peek of a missing key")
	assert.Equal(t, 0, v, "Peek of a missing key returns the zero value")
	assert.False(t, c.Contains("missing"), "Contains of a missing key")

	// A nil pointer is a zero value too.
	p, err := lru.New[string, *int](1)
	require.NoError(t, err)
	p.Add("nil", nil)
	pv, ok := p.Get("nil")
	assert.True(t, ok, "Get of a key stored with a nil pointer")
	assert.Nil(t, pv, "Get(nil)")
}

// TestHiddenQueriesDoNotReorder checks that Peek, Contains, GetOldest, Keys,
// Values, Len, Cap and misses leave the recency order alone.
//
// Category: behaviour
func TestHiddenQueriesDoNotReorder(t *testing.T) {
	queries := []struct {
		name string
		do   func(c *lru.Cache[string, int])
	}{
		{"Peek(a)", func(c *lru.Cache[string, int]) { c.Peek("a") }},
		{"Contains(a)", func(c *lru.Cache[string, int]) { c.Contains("a") }},
		{"GetOldest", func(c *lru.Cache[string, int]) { c.GetOldest() }},
		{"Keys", func(c *lru.Cache[string, int]) { c.Keys() }},
		{"Values", func(c *lru.Cache[string, int]) { c.Values() }},
		{"Len and Cap", func(c *lru.Cache[string, int]) { c.Len(); c.Cap() }},
		{"Get of a missing key", func(c *lru.Cache[string, int]) { c.Get("zz") }},
		{"Peek of a missing key", func(c *lru.Cache[string, int]) { c.Peek("zz") }},
		{"Remove of a missing key", func(c *lru.Cache[string, int]) { c.Remove("zz") }},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			c, log := newLogged(t, 3)
			c.Add("a", 1)
			c.Add("b", 2)
			c.Add("c", 3)

			q.do(c)

			assert.Equal(t, []string{"a", "b", "c"}, c.Keys(), "Keys after %s", q.name)
			k, v, ok := c.GetOldest()
			assert.Equal(t, "a", k, "GetOldest key after %s", q.name)
			assert.Equal(t, 1, v, "GetOldest value after %s", q.name)
			assert.True(t, ok, "GetOldest after %s", q.name)
			assert.True(t, c.Add("d", 4), "Add(d) into a full cache")
			assert.Equal(t, []exit{{"a", 1}}, log.take(), "callbacks after Add(d): a must still be the oldest after %s", q.name)
		})
	}
}

// TestHiddenCallbackExactlyOncePerExit walks through every way out of the
// cache and checks that each entry that leaves is reported once, with its
// value at that moment, in the order the entries left, and that nothing
// else is reported.
//
// Category: behaviour
func TestHiddenCallbackExactlyOncePerExit(t *testing.T) {
	c, log := newLogged(t, 3)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)

	// Capacity eviction.
	assert.True(t, c.Add("d", 4), "Add(d) into a full cache")
	assert.Equal(t, []exit{{"a", 1}}, log.take(), "callbacks after Add(d)")

	// Remove, with the value the entry has at that moment.
	c.Add("b", 20)
	assert.Empty(t, log.take(), "callbacks after updating b")
	assert.False(t, c.Remove("zz"), "Remove of a missing key")
	assert.Empty(t, log.take(), "callbacks after Remove of a missing key")
	assert.True(t, c.Remove("b"), "Remove(b)")
	assert.Equal(t, []exit{{"b", 20}}, log.take(), "callbacks after Remove(b)")

	// RemoveOldest.
	k, v, ok := c.RemoveOldest()
	assert.Equal(t, "c", k, "RemoveOldest key")
	assert.Equal(t, 3, v, "RemoveOldest value")
	assert.True(t, ok, "RemoveOldest")
	assert.Equal(t, []exit{{"c", 3}}, log.take(), "callbacks after RemoveOldest")
	assert.Equal(t, []string{"d"}, c.Keys(), "Keys after RemoveOldest")

	// Resize 5 → 2.
	n, err := c.Resize(5)
	require.NoError(t, err, "Resize(5)")
	assert.Equal(t, 0, n, "Resize(5) of a cache of 1 entry")
	for i, k := range []string{"e", "f", "g", "h"} {
		assert.False(t, c.Add(k, 5+i), "Add(%s) into a cache of capacity 5", k)
	}
	assert.Empty(t, log.take(), "callbacks after growing and filling the cache")
	n, err = c.Resize(2)
	require.NoError(t, err, "Resize(2)")
	assert.Equal(t, 3, n, "Resize(2) of a cache of 5 entries")
	assert.Equal(t, []exit{{"d", 4}, {"e", 5}, {"f", 6}}, log.take(), "callbacks after Resize(2), oldest first")
	assert.Equal(t, []string{"g", "h"}, c.Keys(), "Keys after Resize(2)")

	// Purge.
	c.Purge()
	assert.Equal(t, []exit{{"g", 7}, {"h", 8}}, log.take(), "callbacks after Purge, oldest first")
	assert.Equal(t, 0, c.Len(), "Len after Purge")
	assert.Empty(t, c.Keys(), "Keys after Purge")
	assert.Empty(t, c.Values(), "Values after Purge")
	c.Purge()
	assert.Empty(t, log.take(), "callbacks after Purge of an empty cache")

	// The cache works afterwards.
	c.Add("x", 24)
	c.Add("y", 25)
	assert.True(t, c.Add("z", 26), "Add(z) into a full cache after Purge")
	assert.Equal(t, []exit{{"x", 24}}, log.take(), "callbacks after refilling")
	assert.Equal(t, []string{"y", "z"}, c.Keys(), "Keys after refilling")
}

// TestHiddenKeysIsACopy checks that Keys and Values return new slices: the
// caller may change them, and later calls do not change them either.
//
// Category: behaviour
func TestHiddenKeysIsACopy(t *testing.T) {
	c, err := lru.New[string, int](3)
	require.NoError(t, err)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)

	keys := c.Keys()
	require.Equal(t, []string{"a", "b", "c"}, keys)
	keys[0] = "zzz"
	assert.Equal(t, []string{"a", "b", "c"}, c.Keys(), "Keys after changing the slice a previous Keys returned")
	assert.False(t, c.Contains("zzz"), "Contains(zzz)")

	values := c.Values()
	require.Equal(t, []int{1, 2, 3}, values)
	values[0] = 99
	assert.Equal(t, []int{1, 2, 3}, c.Values(), "Values after changing the slice a previous Values returned")
	v, _ := c.Peek("a")
	assert.Equal(t, 1, v, "Peek(a) after changing the slice Values returned")

	before, beforeValues := c.Keys(), c.Values()
	c.Get("a")
	c.Add("d", 4)
	assert.Equal(t, []string{"c", "a", "d"}, c.Keys(), "Keys after Get(a) and Add(d)")
	assert.Equal(t, []string{"a", "b", "c"}, before, "a slice returned by Keys must not change when the cache does")
	assert.Equal(t, []int{1, 2, 3}, beforeValues, "a slice returned by Values must not change when the cache does")
}

// TestHiddenResize checks growing, shrinking (oldest by recency first) and
// invalid capacities. A Resize that never terminates (a loop waiting for Len
// to shrink while evicted keys stay behind) fails under the hang guard
// instead of stalling the suite.
//
// Category: behaviour
func TestHiddenResize(t *testing.T) {
	c, log := newLogged(t, 3)
	katatest.Within(t, katatest.DefaultHang,
		"Resize did not return: does Len shrink as entries leave?",
		func() { resize(t, c, log) })
}

// resize runs on the hang guard's goroutine, so it uses assert only.
func resize(t *testing.T, c *lru.Cache[string, int], log *hiddenLog) {
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)

	n, err := c.Resize(5)
	if !assert.NoError(t, err, "Resize(5)") {
		return
	}
	assert.Equal(t, 0, n, "Resize(5): growing evicts nothing")
	assert.Equal(t, 5, c.Cap(), "Cap after Resize(5)")
	assert.Equal(t, 3, c.Len(), "Len after Resize(5)")
	assert.False(t, c.Add("d", 4), "Add(d) after growing to 5")
	assert.False(t, c.Add("e", 5), "Add(e) after growing to 5")
	assert.Empty(t, log.take(), "callbacks after growing")

	for _, bad := range []int{0, -1} {
		n, err := c.Resize(bad)
		assert.ErrorIs(t, err, lru.ErrInvalidCapacity, "Resize(%d)", bad)
		assert.Equal(t, 0, n, "Resize(%d) evicts nothing", bad)
		assert.Equal(t, 5, c.Cap(), "Cap after Resize(%d)", bad)
		assert.Equal(t, []string{"a", "b", "c", "d", "e"}, c.Keys(), "Keys after Resize(%d)", bad)
		assert.Empty(t, log.take(), "callbacks after Resize(%d)", bad)
	}

	c.Get("a") // order: b c d e a
	n, err = c.Resize(2)
	if !assert.NoError(t, err, "Resize(2)") {
		return
	}
	assert.Equal(t, 3, n, "Resize(2) of a cache of 5 entries")
	assert.Equal(t, 2, c.Cap(), "Cap after Resize(2)")
	assert.Equal(t, 2, c.Len(), "Len after Resize(2)")
	assert.Equal(t, []string{"e", "a"}, c.Keys(), "Keys after Get(a) and Resize(2): the least recently used leave")
	assert.Equal(t, []exit{{"b", 2}, {"c", 3}, {"d", 4}}, log.take(), "callbacks after Resize(2)")

	n, err = c.Resize(2)
	if !assert.NoError(t, err, "Resize(2) again") {
		return
	}
	assert.Equal(t, 0, n, "Resize to the current capacity")
	assert.True(t, c.Add("f", 6), "Add(f) into the shrunk, full cache")
	assert.Equal(t, []exit{{"e", 5}}, log.take(), "callbacks after Add(f)")
	assert.Equal(t, []string{"a", "f"}, c.Keys(), "Keys after Add(f)")
}

// TestHiddenRemoveThenReAdd removes the oldest, a middle and the newest
// entry, re-adds each, and checks that it comes back as the newest.
//
// Category: behaviour
func TestHiddenRemoveThenReAdd(t *testing.T) {
	for _, tt := range []struct {
		remove  string
		after   []string // Keys after Remove
		readded []string // Keys after Add of the removed key
		evicted exit     // evicted by Add(d) afterwards
	}{
		{"a", []string{"b", "c"}, []string{"b", "c", "a"}, exit{"b", 2}},
		{"b", []string{"a", "c"}, []string{"a", "c", "b"}, exit{"a", 1}},
		{"c", []string{"a", "b"}, []string{"a", "b", "c"}, exit{"a", 1}},
	} {
		t.Run("remove "+tt.remove, func(t *testing.T) {
			c, log := newLogged(t, 3)
			c.Add("a", 1)
			c.Add("b", 2)
			c.Add("c", 3)

			require.True(t, c.Remove(tt.remove), "Remove(%s)", tt.remove)
			assert.Equal(t, tt.after, c.Keys(), "Keys after Remove(%s)", tt.remove)
			assert.Equal(t, 2, c.Len(), "Len after Remove(%s)", tt.remove)
			log.take()

			value := map[string]int{"a": 1, "b": 2, "c": 3}[tt.remove]
			assert.False(t, c.Add(tt.remove, value), "Add(%s) into the room freed by Remove", tt.remove)
			assert.Equal(t, tt.readded, c.Keys(), "Keys after re-adding %s", tt.remove)
			assert.Equal(t, 3, c.Len(), "Len after re-adding %s", tt.remove)

			assert.True(t, c.Add("d", 4), "Add(d) into a full cache")
			assert.Equal(t, []exit{tt.evicted}, log.take(), "callbacks after Add(d)")
			assert.Equal(t, 3, c.Len(), "Len after Add(d)")

			assert.True(t, c.Remove(tt.remove), "Remove(%s) after re-adding it", tt.remove)
			assert.False(t, c.Remove(tt.remove), "Remove(%s) a second time", tt.remove)
			assert.Len(t, c.Keys(), c.Len(), "Keys and Len must agree")
		})
	}
}

// TestHiddenEmptyOldest checks GetOldest and RemoveOldest on a cache that is
// new or has been emptied in each way: both return zero values and false,
// and nothing else happens.
//
// Category: boundary
func TestHiddenEmptyOldest(t *testing.T) {
	empties := []struct {
		name  string
		empty func(c *lru.Cache[string, int])
	}{
		{"new cache", func(*lru.Cache[string, int]) {}},
		{"after RemoveOldest", func(c *lru.Cache[string, int]) { c.Add("a", 1); c.RemoveOldest() }},
		{"after Remove", func(c *lru.Cache[string, int]) { c.Add("a", 1); c.Remove("a") }},
		{"after Purge", func(c *lru.Cache[string, int]) { c.Add("a", 1); c.Add("b", 2); c.Purge() }},
	}
	methods := []struct {
		name string
		call func(c *lru.Cache[string, int]) (string, int, bool)
	}{
		{"GetOldest", (*lru.Cache[string, int]).GetOldest},
		{"RemoveOldest", (*lru.Cache[string, int]).RemoveOldest},
	}
	for _, e := range empties {
		for _, m := range methods {
			t.Run(m.name+" on "+e.name, func(t *testing.T) {
				c, log := newLogged(t, 2)
				e.empty(c)
				require.Equal(t, 0, c.Len(), "Len of the emptied cache")
				log.take()

				var (
					k  string
					v  int
					ok bool
				)
				// A panic here may leave the cache's lock held, so the
				// test stops using the cache if there is one.
				if !assert.NotPanics(t, func() { k, v, ok = m.call(c) }, "%s on an empty cache", m.name) {
					return
				}
				assert.Equal(t, "", k, "%s key", m.name)
				assert.Equal(t, 0, v, "%s value", m.name)
				assert.False(t, ok, "%s ok", m.name)
				assert.Empty(t, log.take(), "callbacks after %s on an empty cache", m.name)
				assert.Equal(t, 0, c.Len(), "Len after %s", m.name)

				assert.False(t, c.Add("c", 3), "Add(c) afterwards")
				k, v, ok = c.GetOldest()
				assert.Equal(t, "c", k, "GetOldest key after Add(c)")
				assert.Equal(t, 3, v, "GetOldest value after Add(c)")
				assert.True(t, ok, "GetOldest after Add(c)")
			})
		}
	}
}

// TestHiddenStructKeys checks comparable struct keys: equal structs are the
// same key.
//
// Category: behaviour
func TestHiddenStructKeys(t *testing.T) {
	type point struct{ A, B int }
	c, err := lru.New[point, string](2)
	require.NoError(t, err)

	c.Add(point{1, 2}, "first")
	assert.False(t, c.Add(point{1, 2}, "second"), "Add of an equal struct key is an update")
	assert.Equal(t, 1, c.Len(), "Len after adding equal struct keys")
	v, ok := c.Get(point{1, 2})
	assert.True(t, ok, "Get({1 2})")
	assert.Equal(t, "second", v, "Get({1 2})")

	assert.False(t, c.Contains(point{2, 1}), "{2 1} is a different key")
	assert.False(t, c.Add(point{2, 1}, "third"), "Add({2 1})")
	assert.True(t, c.Add(point{3, 3}, "fourth"), "Add({3 3}) into a full cache")
	assert.Equal(t, []point{{2, 1}, {3, 3}}, c.Keys(), "Keys")
}

// TestHiddenPurgeThenReuse checks that Purge keeps the capacity and the
// cache evicts at that capacity afterwards.
//
// Category: behaviour
func TestHiddenPurgeThenReuse(t *testing.T) {
	c, log := newLogged(t, 2)
	c.Add("a", 1)
	c.Add("b", 2)

	c.Purge()
	assert.Equal(t, []exit{{"a", 1}, {"b", 2}}, log.take(), "callbacks after Purge")
	assert.Equal(t, 2, c.Cap(), "Cap after Purge")
	assert.Equal(t, 0, c.Len(), "Len after Purge")
	assert.False(t, c.Contains("a"), "Contains(a) after Purge")
	_, ok := c.Get("b")
	assert.False(t, ok, "Get(b) after Purge")

	assert.False(t, c.Add("b", 20), "Add(b) after Purge")
	assert.False(t, c.Add("x", 24), "Add(x) after Purge")
	assert.True(t, c.Add("y", 25), "Add(y): the cache is full at its old capacity")
	assert.Equal(t, []exit{{"b", 20}}, log.take(), "callbacks after refilling")
	assert.Equal(t, []string{"x", "y"}, c.Keys(), "Keys after refilling")
	assert.Equal(t, []int{24, 25}, c.Values(), "Values after refilling")
}

// cacheAPI is the API that the differential test drives, implemented by the
// learner's cache and by the reference.
type cacheAPI interface {
	Add(key, value int) bool
	Get(key int) (int, bool)
	Peek(key int) (int, bool)
	Contains(key int) bool
	Remove(key int) bool
	RemoveOldest() (int, int, bool)
	GetOldest() (int, int, bool)
	Keys() []int
	Values() []int
	Len() int
	Cap() int
	Resize(capacity int) (int, error)
	Purge()
}

// TestHiddenDifferential runs the same random operations (every method, a
// small key space, capacities 1 to 8) against the learner's cache and the
// reference, and compares every result, Keys, Values and the callbacks after
// each step.
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	const (
		steps    = 20000
		keySpace = 12
	)
	r := rand.New(rand.NewPCG(1, 2))

	var gotLog, wantLog [][2]int
	var got, want cacheAPI
	renew := func(step int) {
		capacity := 1 + r.IntN(8)
		bad := -r.IntN(2) // 0 or -1
		g, err := lru.New(bad, lru.WithOnEvict(func(k, v int) { gotLog = append(gotLog, [2]int{k, v}) }))
		require.ErrorIs(t, err, lru.ErrInvalidCapacity, "seed PCG(1, 2), step %d: New(%d)", step, bad)
		require.Nil(t, g, "seed PCG(1, 2), step %d: New(%d)", step, bad)
		gc, err := lru.New(capacity, lru.WithOnEvict(func(k, v int) { gotLog = append(gotLog, [2]int{k, v}) }))
		require.NoError(t, err, "seed PCG(1, 2), step %d: New(%d)", step, capacity)
		wc, err := ref.New(capacity, ref.WithOnEvict(func(k, v int) { wantLog = append(wantLog, [2]int{k, v}) }))
		require.NoError(t, err)
		got, want = gc, wc
	}
	renew(0)

	for step := 1; step <= steps; step++ {
		if step%1000 == 0 {
			renew(step)
		}
		k := r.IntN(keySpace)
		var op string // the operation, formatted only on a divergence
		var arg int
		var g, w outcome
		switch p := r.IntN(100); {
		case p < 30:
			op, arg = "Add(%d, step)", k
			g.OK, w.OK = got.Add(k, step), want.Add(k, step)
		case p < 50:
			op, arg = "Get(%d)", k
			g.Value, g.OK = got.Get(k)
			w.Value, w.OK = want.Get(k)
		case p < 57:
			op, arg = "Peek(%d)", k
			g.Value, g.OK = got.Peek(k)
			w.Value, w.OK = want.Peek(k)
		case p < 64:
			op, arg = "Contains(%d)", k
			g.OK, w.OK = got.Contains(k), want.Contains(k)
		case p < 75:
			op, arg = "Remove(%d)", k
			g.OK, w.OK = got.Remove(k), want.Remove(k)
		case p < 80:
			op = "RemoveOldest()"
			g.Key, g.Value, g.OK = got.RemoveOldest()
			w.Key, w.Value, w.OK = want.RemoveOldest()
		case p < 85:
			op = "GetOldest()"
			g.Key, g.Value, g.OK = got.GetOldest()
			w.Key, w.Value, w.OK = want.GetOldest()
		case p < 88:
			op = "Len()"
			g.N, w.N = got.Len(), want.Len()
		case p < 91:
			op = "Cap()"
			g.N, w.N = got.Cap(), want.Cap()
		case p < 98:
			arg = r.IntN(10) - 1 // -1 to 8
			op = "Resize(%d)"
			var gerr, werr error
			g.N, gerr = got.Resize(arg)
			w.N, werr = want.Resize(arg)
			g.OK, g.Invalid = gerr == nil, errors.Is(gerr, lru.ErrInvalidCapacity)
			w.OK, w.Invalid = werr == nil, errors.Is(werr, ref.ErrInvalidCapacity)
		default:
			op = "Purge()"
			got.Purge()
			want.Purge()
		}

		gotKeys, wantKeys := got.Keys(), want.Keys()
		gotValues, wantValues := got.Values(), want.Values()
		gotLen, wantLen := got.Len(), want.Len()
		if g == w && slices.Equal(gotLog, wantLog) && slices.Equal(gotKeys, wantKeys) &&
			slices.Equal(gotValues, wantValues) && gotLen == wantLen {
			gotLog, wantLog = gotLog[:0], wantLog[:0]
			continue
		}
		if strings.Contains(op, "%d") {
			op = fmt.Sprintf(op, arg)
		}
		where := fmt.Sprintf("seed PCG(1, 2), step %d, after %s", step, op)
		assert.Equal(t, w, g, "%s: results", where)
		assert.Equal(t, wantLog, gotLog, "%s: eviction callbacks (key, value)", where)
		assert.Equal(t, wantKeys, gotKeys, "%s: Keys", where)
		assert.Equal(t, wantValues, gotValues, "%s: Values", where)
		assert.Equal(t, wantLen, gotLen, "%s: Len", where)
		return
	}
}

// outcome holds the results of one call in the differential test; each
// method fills the fields it returns.
type outcome struct {
	Key, Value, N int  // key and value returned, or Len, Cap, Resize's count
	OK            bool // ok, present, evicted, Contains, or Resize's err == nil
	Invalid       bool // Resize's error matches ErrInvalidCapacity
}

// TestHiddenConcurrentMixedOps hammers one cache with Get, Add, Peek, Remove
// and RemoveOldest on overlapping keys from 8 goroutines. Run with -race: a
// Get under a read lock reorders the list concurrently and is reported as a
// data race. Afterwards Len ≤ Cap, Keys holds Len distinct keys, and the
// callback ran once for every reported exit.
//
// Category: concurrency
func TestHiddenConcurrentMixedOps(t *testing.T) {
	const capacity = 32
	var callbacks atomic.Int64
	c, err := lru.New(capacity, lru.WithOnEvict(func(int, int) { callbacks.Add(1) }))
	require.NoError(t, err)

	// A wrong solution that corrupts its list can loop forever under its
	// lock; the hang guard turns that into a failure.
	katatest.Within(t, katatest.DefaultHang,
		"a call did not return under concurrent use: a corrupted list (a cycle) or a lock that is never released?",
		func() {
			var exits, overCap atomic.Int64
			katatest.Hammer(8, 5000, func(g, i int) {
				key := (g*13 + i*7) % 64
				switch i % 8 {
				case 0, 1, 2:
					if c.Add(key, i) {
						exits.Add(1)
					}
				case 3, 4, 5:
					c.Get(key)
				case 6:
					c.Peek(key)
					if c.Len() > capacity {
						overCap.Add(1)
					}
				case 7:
					if i%16 == 7 {
						if c.Remove(key) {
							exits.Add(1)
						}
					} else if _, _, ok := c.RemoveOldest(); ok {
						exits.Add(1)
					}
				}
			})

			assert.Zero(t, overCap.Load(), "number of times Len exceeded Cap during the run")
			keys := c.Keys()
			assert.LessOrEqual(t, c.Len(), c.Cap(), "Len after the run")
			assert.Len(t, keys, c.Len(), "Keys and Len must agree")
			slices.Sort(keys)
			assert.Len(t, slices.Compact(keys), c.Len(), "Keys must hold Len distinct keys")
			assert.Equal(t, exits.Load(), callbacks.Load(),
				"callbacks run must equal Adds that returned true plus Removes and RemoveOldests that removed an entry")
		})
}

// TestHiddenConcurrentGets runs only Gets, all hits, from 8 goroutines on a
// full cache. Every hit reorders the list, so Gets must exclude each other:
// under -race, a Get that takes only a read lock is reported as a data race.
// Afterwards the cache holds the same entries, each once.
//
// Category: concurrency
func TestHiddenConcurrentGets(t *testing.T) {
	const capacity = 64
	c, err := lru.New[int, int](capacity)
	require.NoError(t, err)
	for k := range capacity {
		c.Add(k, -k)
	}

	var wrong atomic.Int64
	katatest.Hammer(8, 2000, func(g, i int) {
		k := (g*17 + i*5) % capacity
		if v, ok := c.Get(k); !ok || v != -k {
			wrong.Add(1)
		}
	})

	assert.Zero(t, wrong.Load(), "number of Gets of present keys that missed or returned a wrong value")
	keys := c.Keys()
	assert.Equal(t, capacity, c.Len(), "Len after concurrent Gets")
	slices.Sort(keys)
	want := make([]int, capacity)
	for k := range want {
		want[k] = k
	}
	assert.Equal(t, want, keys, "the sorted Keys after concurrent Gets: every key once")
}

// TestHiddenCallbackMayReenter calls back into the cache from the eviction
// callback: after an Add that evicts (the callback reads the cache and Adds,
// which evicts again) and after a Resize whose first callback Purges the
// cache. Nested callbacks run; each entry is reported once, in the order the
// entries left; the final state is consistent. A callback run under the
// cache's lock deadlocks here, which the hang guard reports.
//
// Category: concurrency
func TestHiddenCallbackMayReenter(t *testing.T) {
	katatest.Within(t, katatest.DefaultHang,
		"the eviction callback runs while the cache's lock is held, so calling the cache from it deadlocks",
		func() {
			reenterFromAdd(t)
			reenterFromResize(t)
		})
}

// reenterFromAdd runs on the hang guard's goroutine, so it uses assert only.
func reenterFromAdd(t *testing.T) {
	var (
		mu  sync.Mutex
		log []exit
		c   *lru.Cache[string, int]
	)
	onEvict := func(key string, value int) {
		mu.Lock()
		log = append(log, exit{key, value})
		mu.Unlock()
		if key != "a" {
			return
		}
		// Add(c) has made its change: the cache holds b, c.
		assert.Equal(t, 2, c.Len(), "Add: Len inside the callback")
		v, ok := c.Get("b") // b becomes the newest: c, b
		assert.True(t, ok, "Add: Get(b) inside the callback")
		assert.Equal(t, 2, v, "Add: Get(b) inside the callback")
		assert.True(t, c.Contains("c"), "Add: Contains(c) inside the callback")
		v, ok = c.Peek("c")
		assert.True(t, ok, "Add: Peek(c) inside the callback")
		assert.Equal(t, 3, v, "Add: Peek(c) inside the callback")
		assert.True(t, c.Add("x", 24), "Add: Add(x) inside the callback evicts c")
	}
	var err error
	c, err = lru.New(2, lru.WithOnEvict(onEvict))
	if !assert.NoError(t, err) {
		return
	}
	c.Add("a", 1)
	c.Add("b", 2)

	assert.True(t, c.Add("c", 3), "Add(c) into a full cache")
	mu.Lock()
	assert.Equal(t, []exit{{"a", 1}, {"c", 3}}, log, "Add: callbacks, the nested one included, when Add(c) returns")
	mu.Unlock()
	assert.Equal(t, []string{"b", "x"}, c.Keys(), "Add: Keys after Add(c)")
}

// reenterFromResize runs on the hang guard's goroutine, so it uses assert
// only.
func reenterFromResize(t *testing.T) {
	var (
		mu  sync.Mutex
		log []exit
		c   *lru.Cache[string, int]
	)
	onEvict := func(key string, value int) {
		mu.Lock()
		log = append(log, exit{key, value})
		mu.Unlock()
		if key == "a" {
			c.Purge() // Resize(2) has made its change: the cache holds c, d
		}
	}
	var err error
	c, err = lru.New(4, lru.WithOnEvict(onEvict))
	if !assert.NoError(t, err) {
		return
	}
	for i, k := range []string{"a", "b", "c", "d"} {
		c.Add(k, i+1)
	}

	n, err := c.Resize(2)
	assert.NoError(t, err, "Resize(2)")
	assert.Equal(t, 2, n, "Resize(2) of a cache of 4 entries")
	mu.Lock()
	assert.Equal(t, []exit{{"a", 1}, {"c", 3}, {"d", 4}, {"b", 2}}, log,
		"Resize: callbacks when Resize(2) returns: a, then c and d from the Purge inside a's callback, then b")
	mu.Unlock()
	assert.Equal(t, 0, c.Len(), "Resize: Len after Resize(2)")
	assert.False(t, c.Add("e", 5), "Resize: Add(e) afterwards")
	assert.Equal(t, []string{"e"}, c.Keys(), "Resize: Keys after Add(e)")
}
