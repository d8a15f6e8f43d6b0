package lru_test

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/lru"
)

// evicted is one call of the eviction callback.
type evicted struct {
	Key   string
	Value int
}

// newCache returns a cache of the given capacity whose eviction callback
// appends to *log. The tests that use it are sequential, so the log needs no
// lock: a correct cache runs every callback before the call that caused it
// returns.
func newCache(t *testing.T, capacity int, log *[]evicted) *lru.Cache[string, int] {
	t.Helper()
	onEvict := func(key string, value int) { *log = append(*log, evicted{key, value}) }
	c, err := lru.New(capacity, lru.WithOnEvict(onEvict))
	require.NoError(t, err, "New(%d)", capacity)
	require.NotNil(t, c, "New(%d)", capacity)
	return c
}

// R1: a capacity that is not positive is refused with ErrInvalidCapacity and
// a nil cache; a positive one gives an empty cache of that capacity.
func TestNewRejectsNonPositiveCapacity(t *testing.T) {
	for _, capacity := range []int{0, -1, -1 << 62} {
		c, err := lru.New[string, int](capacity)
		assert.ErrorIs(t, err, lru.ErrInvalidCapacity, "New(%d)", capacity)
		assert.Nil(t, c, "New(%d) must return a nil cache with its error", capacity)
	}

	c, err := lru.New[string, int](3)
	require.NoError(t, err, "New(3)")
	assert.Equal(t, 3, c.Cap(), "Cap after New(3)")
	assert.Equal(t, 0, c.Len(), "Len after New(3)")
}

// R3, R8: inserting into a full cache evicts the oldest entry, and Add
// reports it.
func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c, err := lru.New[string, int](2)
	require.NoError(t, err)

	assert.False(t, c.Add("a", 1), "Add(a) into an empty cache of capacity 2")
	assert.False(t, c.Add("b", 2), "Add(b): the cache is now full, nothing leaves")
	assert.True(t, c.Add("c", 3), "Add(c) into a full cache must evict and return true")

	assert.False(t, c.Contains("a"), "a was the oldest entry and must be evicted")
	_, ok := c.Get("a")
	assert.False(t, ok, "Get(a) after a was evicted")
	assert.Equal(t, []string{"b", "c"}, c.Keys(), "Keys, oldest to newest")
	assert.Equal(t, 2, c.Len(), "Len")
}

// R2: a Get that finds its key makes it the newest, so the other entry is
// evicted next.
func TestGetRefreshesRecency(t *testing.T) {
	c, err := lru.New[string, int](2)
	require.NoError(t, err)
	c.Add("a", 1)
	c.Add("b", 2)

	v, ok := c.Get("a")
	require.True(t, ok, "Get(a)")
	require.Equal(t, 1, v, "Get(a)")

	assert.True(t, c.Add("c", 3), "Add(c) into a full cache")
	assert.False(t, c.Contains("b"), "b became the oldest after Get(a) and must be evicted")
	assert.Equal(t, []string{"a", "c"}, c.Keys(), "Keys, oldest to newest")
}

// R2, R5: Peek and Contains read an entry without making it the newest.
func TestPeekAndContainsDoNotRefresh(t *testing.T) {
	tests := []struct {
		name  string
		touch func(t *testing.T, c *lru.Cache[string, int])
	}{
		{"Peek", func(t *testing.T, c *lru.Cache[string, int]) {
			v, ok := c.Peek("a")
			assert.True(t, ok, "Peek(a)")
			assert.Equal(t, 1, v, "Peek(a)")
		}},
		{"Contains", func(t *testing.T, c *lru.Cache[string, int]) {
			assert.True(t, c.Contains("a"), "Contains(a)")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := lru.New[string, int](2)
			require.NoError(t, err)
			c.Add("a", 1)
			c.Add("b", 2)

			tt.touch(t, c)

			assert.True(t, c.Add("c", 3), "Add(c) into a full cache")
			assert.False(t, c.Contains("a"), "%s(a) must not refresh a, so a is still the oldest and is evicted", tt.name)
			assert.Equal(t, []string{"b", "c"}, c.Keys(), "Keys, oldest to newest")
		})
	}
}

// R6, R9: Remove deletes a present key and reports it; a missing key is a
// no-op. Len follows, and the freed room is usable.
func TestRemoveAndLen(t *testing.T) {
	c, err := lru.New[string, int](3)
	require.NoError(t, err)
	c.Add("a", 1)
	c.Add("b", 2)
	c.Add("c", 3)
	require.Equal(t, 3, c.Len(), "Len after three Adds")

	assert.True(t, c.Remove("b"), "Remove(b) of a present key")
	assert.Equal(t, 2, c.Len(), "Len after Remove(b)")
	assert.False(t, c.Contains("b"), "Contains(b) after Remove(b)")
	assert.False(t, c.Remove("b"), "Remove(b) a second time")
	assert.False(t, c.Remove("zz"), "Remove of a key never added")
	assert.Equal(t, 2, c.Len(), "Len after removing missing keys")
	assert.Equal(t, []string{"a", "c"}, c.Keys(), "Keys after Remove(b)")

	assert.False(t, c.Add("d", 4), "Add(d) fills the room freed by Remove: nothing is evicted")
	assert.Equal(t, 3, c.Len(), "Len after Add(d)")
	assert.Equal(t, []string{"a", "c", "d"}, c.Keys(), "Keys after Add(d)")
}

// R2, R8: Keys lists the keys from the oldest to the newest, and Values lists
// the values in the same order.
func TestKeysOldestToNewest(t *testing.T) {
	c, err := lru.New[string, int](4)
	require.NoError(t, err)
	assert.Empty(t, c.Keys(), "Keys of an empty cache")
	assert.Empty(t, c.Values(), "Values of an empty cache")

	steps := []struct {
		do     func()
		name   string
		keys   []string
		values []int
	}{
		{func() { c.Add("a", 1) }, "Add(a)", []string{"a"}, []int{1}},
		{func() { c.Add("b", 2) }, "Add(b)", []string{"a", "b"}, []int{1, 2}},
		{func() { c.Add("c", 3) }, "Add(c)", []string{"a", "b", "c"}, []int{1, 2, 3}},
		{func() { c.Get("a") }, "Get(a)", []string{"b", "c", "a"}, []int{2, 3, 1}},
		{func() { c.Add("d", 4) }, "Add(d)", []string{"b", "c", "a", "d"}, []int{2, 3, 1, 4}},
		{func() { c.Get("b") }, "Get(b)", []string{"c", "a", "d", "b"}, []int{3, 1, 4, 2}},
		{func() { c.Get("zz") }, "Get(zz), a miss", []string{"c", "a", "d", "b"}, []int{3, 1, 4, 2}},
		{func() { c.Get("d") }, "Get(d)", []string{"c", "a", "b", "d"}, []int{3, 1, 2, 4}},
		{func() { c.Add("e", 5) }, "Add(e) evicts c", []string{"a", "b", "d", "e"}, []int{1, 2, 4, 5}},
	}
	for _, s := range steps {
		s.do()
		assert.Equal(t, s.keys, c.Keys(), "Keys after %s", s.name)
		assert.Equal(t, s.values, c.Values(), "Values after %s", s.name)
	}
}

// R12: the callback receives the key and value of each entry evicted for
// capacity, when it is evicted, and nothing else.
func TestOnEvictOnCapacityEviction(t *testing.T) {
	var log []evicted
	c := newCache(t, 2, &log)

	c.Add("a", 1)
	c.Add("b", 2)
	assert.Empty(t, log, "no callback before the cache is over capacity")

	require.True(t, c.Add("c", 3), "Add(c) into a full cache")
	assert.Equal(t, []evicted{{"a", 1}}, log, "callbacks after Add(c)")

	c.Get("b")
	require.True(t, c.Add("d", 4), "Add(d) into a full cache")
	assert.Equal(t, []evicted{{"a", 1}, {"c", 3}}, log, "callbacks after Get(b) and Add(d): c was the oldest")
}

// R9, R14: concurrent Adds and reads never leave more entries than the
// capacity. Run with -race: an unlocked cache is reported as a data race.
func TestConcurrentAddAndLen(t *testing.T) {
	const capacity = 16
	c, err := lru.New[int, int](capacity)
	require.NoError(t, err)

	var overCap atomic.Int64
	katatest.Hammer(8, 1000, func(g, i int) {
		key := (g*7 + i) % 40 // overlapping keys: inserts, updates and evictions
		c.Add(key, i)
		if c.Len() > capacity {
			overCap.Add(1)
		}
		c.Contains(key)
	})

	assert.Zero(t, overCap.Load(), "number of times Len exceeded Cap during the run")
	assert.Equal(t, capacity, c.Len(), "Len after more distinct keys than the capacity")
	assert.Len(t, c.Keys(), c.Len(), "Keys and Len must agree")
}

// The benchmarks fill a cache of int keys 0..n-1 (values equal to the keys).
func filled(b *testing.B, capacity int) *lru.Cache[int, int] {
	b.Helper()
	c, err := lru.New[int, int](capacity)
	if err != nil {
		b.Fatal(err)
	}
	for k := range capacity {
		c.Add(k, k)
	}
	return c
}

// benchGetHit reads present keys in a fixed pseudo-random order.
func benchGetHit(b *testing.B, capacity int) {
	c := filled(b, capacity)
	order := rand.New(rand.NewPCG(1, 2)).Perm(capacity) // capacity is a power of two
	mask := capacity - 1
	i := 0
	for b.Loop() {
		if _, ok := c.Get(order[i&mask]); !ok {
			b.Fatal("Get missed a present key")
		}
		i++
	}
}

// BenchmarkGetHit: Get of present keys in a full cache of 8192 entries.
// Target: at most 50 ns/op, 0 allocs/op.
func BenchmarkGetHit(b *testing.B) { benchGetHit(b, 8192) }

// BenchmarkGetHitLarge is BenchmarkGetHit with 1<<17 entries. Target: at most
// 3 × BenchmarkGetHit; an O(n) design is about a thousand times slower.
func BenchmarkGetHitLarge(b *testing.B) { benchGetHit(b, 1<<17) }

// BenchmarkGetParallel is BenchmarkGetHit from every P at once. Target: at
// most 60 ns/op, 0 allocs/op.
func BenchmarkGetParallel(b *testing.B) {
	const capacity = 8192
	c := filled(b, capacity)
	order := rand.New(rand.NewPCG(1, 2)).Perm(capacity)
	var start atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(start.Add(1009)) // each goroutine starts elsewhere in order
		for pb.Next() {
			if _, ok := c.Get(order[i&(capacity-1)]); !ok {
				b.Error("Get missed a present key")
				return
			}
			i++
		}
	})
}

// BenchmarkAddEvict: every Add inserts a new key into a full cache of 8192
// entries, so every Add evicts. Target: at most 300 ns/op, at most 1
// alloc/op.
func BenchmarkAddEvict(b *testing.B) {
	const capacity = 8192
	c := filled(b, capacity)
	k := capacity
	for b.Loop() {
		if !c.Add(k, k) {
			b.Fatal("Add of a new key into a full cache did not evict")
		}
		k++
	}
}

// BenchmarkMixedRand: a cache of 8192 entries, keys drawn from 32768, one Add
// and one Get per op (about a quarter of the Gets hit). Target: at most 250
// ns/op.
func BenchmarkMixedRand(b *testing.B) {
	const (
		capacity = 8192
		keySpace = 32768
		traceLen = 1 << 16
	)
	c, err := lru.New[int, int](capacity)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	trace := make([]int, traceLen)
	for i := range trace {
		trace[i] = r.IntN(keySpace)
	}
	for _, k := range trace[:capacity] {
		c.Add(k, k)
	}
	i := 0
	for b.Loop() {
		k := trace[i&(traceLen-1)]
		c.Add(k, i)
		c.Get(trace[(i+traceLen/2)&(traceLen-1)])
		i++
	}
}
