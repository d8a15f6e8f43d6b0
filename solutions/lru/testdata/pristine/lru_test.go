package lru_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/lru"
)

// script is a cache of string keys and int values that records every call
// made through it as Go code, with its result and the eviction callbacks it
// caused, so that a failure message shows the whole sequence that led to
// it: `c, _ := lru.New[string, int](2, lru.WithOnEvict(onEvict)); c.Add("a", 1) = false; c.Keys()`.
// A call that panics fails the test with that sequence and the panic value.
type script struct {
	t       testing.TB
	c       *lru.Cache[string, int]
	calls   []string // the calls so far, each with its result
	last    string   // the latest call, without its result
	evicted []string // the callbacks the latest call caused
}

// newScript returns an empty cache of the given capacity with an eviction
// callback that the script records. The tests that use it are sequential: a
// correct cache runs every callback before the call that caused it returns.
func newScript(t testing.TB, capacity int) *script {
	t.Helper()
	s := &script{t: t}
	onEvict := func(key string, value int) { s.evicted = append(s.evicted, fmt.Sprintf("onEvict(%q, %d)", key, value)) }
	call := fmt.Sprintf("lru.New[string, int](%d, lru.WithOnEvict(onEvict))", capacity)
	c, err := lru.New(capacity, lru.WithOnEvict(onEvict))
	require.NoError(t, err, call)
	require.NotNil(t, c, "%s returned a nil cache", call)
	s.c = c
	s.calls = []string{"c, _ := " + call}
	return s
}

// String is the sequence of calls so far, the latest without its result:
// testify prints the expected and the actual result after it.
func (s *script) String() string {
	if s.last == "" {
		return strings.Join(s.calls, "; ")
	}
	return strings.Join(s.calls[:len(s.calls)-1], "; ") + "; " + s.last
}

// do makes the call text with f, which returns its result as text, and
// records it.
func (s *script) do(text string, f func() string) {
	s.t.Helper()
	s.last = "c." + text
	s.evicted = nil
	var result string
	if p := catch(func() { result = f() }); p != nil {
		s.calls = append(s.calls, s.last)
		s.t.Fatalf("%v panicked: %v", s, p)
	}
	record := s.last
	if result != "" {
		record += " = " + result
	}
	if len(s.evicted) > 0 {
		record += " (" + strings.Join(s.evicted, ", ") + ")"
	}
	s.calls = append(s.calls, record)
}

// catch runs f and returns what it panicked with, or nil.
func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

func (s *script) Add(key string, value int) (evicted bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Add(%q, %d)", key, value), func() string { evicted = s.c.Add(key, value); return fmt.Sprint(evicted) })
	return evicted
}

func (s *script) Get(key string) (value int, ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Get(%q)", key), func() string { value, ok = s.c.Get(key); return fmt.Sprintf("%d, %v", value, ok) })
	return value, ok
}

func (s *script) Peek(key string) (value int, ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Peek(%q)", key), func() string { value, ok = s.c.Peek(key); return fmt.Sprintf("%d, %v", value, ok) })
	return value, ok
}

func (s *script) Contains(key string) (ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Contains(%q)", key), func() string { ok = s.c.Contains(key); return fmt.Sprint(ok) })
	return ok
}

func (s *script) Remove(key string) (ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Remove(%q)", key), func() string { ok = s.c.Remove(key); return fmt.Sprint(ok) })
	return ok
}

func (s *script) Keys() (keys []string) {
	s.t.Helper()
	s.do("Keys()", func() string { keys = s.c.Keys(); return fmt.Sprint(keys) })
	return keys
}

func (s *script) Values() (values []int) {
	s.t.Helper()
	s.do("Values()", func() string { values = s.c.Values(); return fmt.Sprint(values) })
	return values
}

func (s *script) Len() (n int) {
	s.t.Helper()
	s.do("Len()", func() string { n = s.c.Len(); return fmt.Sprint(n) })
	return n
}

// check fails the test unless got, the result of the latest call, prints
// as want does: "...; c.Keys() = [a c], want [b c]: oldest to newest".
// A Keys or Values call that passes is dropped from the sequence.
func (s *script) check(got, want any, format string, args ...any) bool {
	s.t.Helper()
	if fmt.Sprint(got) == fmt.Sprint(want) {
		// A Keys or Values that returned what it should tells the reader
		// nothing new: keep the sequence short.
		if n := len(s.calls) - 1; s.last == "c.Keys()" || s.last == "c.Values()" {
			s.calls, s.last = s.calls[:n], ""
		}
		return true
	}
	why := fmt.Sprintf(format, args...)
	if why != "" {
		why = ": " + why
	}
	s.t.Errorf("%v = %v, want %v%s", s, got, want, why)
	return false
}

// wantEvicted checks the eviction callbacks of the latest call, in order,
// each written as onEvict("a", 1).
func (s *script) wantEvicted(want ...string) {
	s.t.Helper()
	got, wanted := strings.Join(s.evicted, ", "), strings.Join(want, ", ")
	if got != wanted {
		s.t.Errorf("%v called %s, want %s", s, orNone(got), orNone(wanted))
	}
}

func orNone(calls string) string {
	if calls == "" {
		return "no onEvict"
	}
	return calls
}

// R1: a capacity that is not positive is refused with ErrInvalidCapacity and
// a nil cache; a positive one gives an empty cache of that capacity.
func TestNewRejectsNonPositiveCapacity(t *testing.T) {
	katatest.Guard(t)
	for _, capacity := range []int{0, -1, -1 << 62} {
		call := fmt.Sprintf("lru.New[string, int](%d)", capacity)
		var (
			c   *lru.Cache[string, int]
			err error
		)
		if p := catch(func() { c, err = lru.New[string, int](capacity) }); p != nil {
			t.Errorf("%s panicked: %v; want a nil cache and ErrInvalidCapacity", call, p)
			continue
		}
		if !errors.Is(err, lru.ErrInvalidCapacity) {
			t.Errorf("%s returned the error %v, want ErrInvalidCapacity", call, err)
		}
		if c != nil {
			t.Errorf("%s returned a cache, want nil with its error", call)
		}
	}

	c, err := lru.New[string, int](3)
	require.NoError(t, err, "lru.New[string, int](3)")
	require.NotNil(t, c, "lru.New[string, int](3) returned a nil cache")
	assert.Equal(t, 3, c.Cap(), "c, _ := lru.New[string, int](3); c.Cap()")
	assert.Equal(t, 0, c.Len(), "c, _ := lru.New[string, int](3); c.Len()")
}

// R3, R8: inserting into a full cache evicts the oldest entry, and Add
// reports it.
func TestEvictsLeastRecentlyUsed(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 2)

	assert.False(t, s.Add("a", 1), "%v: the cache has room", s)
	assert.False(t, s.Add("b", 2), "%v: the cache has room", s)
	assert.True(t, s.Add("c", 3), "%v: Add of a new key into a full cache evicts and returns true", s)

	assert.False(t, s.Contains("a"), "%v: a was the oldest entry and must be evicted", s)
	_, ok := s.Get("a")
	assert.False(t, ok, "%v: a was evicted", s)
	s.check(s.Keys(), []string{"b", "c"}, "oldest to newest")
	assert.Equal(t, 2, s.Len(), "%v", s)
}

// R2: a Get that finds its key makes it the newest, so the other entry is
// evicted next.
func TestGetRefreshesRecency(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 2)
	s.Add("a", 1)
	s.Add("b", 2)

	v, ok := s.Get("a")
	require.True(t, ok, "%v: a is present", s)
	require.Equal(t, 1, v, "%v", s)

	assert.True(t, s.Add("c", 3), "%v: the cache is full", s)
	assert.False(t, s.Contains("b"), "%v: b became the oldest after Get(a) and must be evicted", s)
	s.check(s.Keys(), []string{"a", "c"}, "oldest to newest")
}

// R2, R5: Peek and Contains read an entry without making it the newest.
func TestPeekAndContainsDoNotRefresh(t *testing.T) {
	katatest.Guard(t)
	tests := []struct {
		name  string
		touch func(t *testing.T, s *script)
	}{
		{"Peek", func(t *testing.T, s *script) {
			v, ok := s.Peek("a")
			assert.True(t, ok, "%v: a is present", s)
			assert.Equal(t, 1, v, "%v", s)
		}},
		{"Contains", func(t *testing.T, s *script) {
			assert.True(t, s.Contains("a"), "%v: a is present", s)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(t, 2)
			s.Add("a", 1)
			s.Add("b", 2)

			tt.touch(t, s)

			assert.True(t, s.Add("c", 3), "%v: the cache is full", s)
			assert.False(t, s.Contains("a"), "%v: %s(a) must not refresh a, so a is still the oldest and is evicted", s, tt.name)
			s.check(s.Keys(), []string{"b", "c"}, "oldest to newest")
		})
	}
}

// R6, R9: Remove deletes a present key and reports it; a missing key is a
// no-op. Len follows, and the freed room is usable.
func TestRemoveAndLen(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 3)
	s.Add("a", 1)
	s.Add("b", 2)
	s.Add("c", 3)
	require.Equal(t, 3, s.Len(), "%v", s)

	assert.True(t, s.Remove("b"), "%v: b is present", s)
	assert.Equal(t, 2, s.Len(), "%v", s)
	assert.False(t, s.Contains("b"), "%v: b was removed", s)
	assert.False(t, s.Remove("b"), "%v: b was removed already", s)
	assert.False(t, s.Remove("zz"), "%v: zz was never added", s)
	assert.Equal(t, 2, s.Len(), "%v: removing missing keys changes nothing", s)
	s.check(s.Keys(), []string{"a", "c"}, "oldest to newest")

	assert.False(t, s.Add("d", 4), "%v: Remove freed room, so nothing is evicted", s)
	assert.Equal(t, 3, s.Len(), "%v", s)
	s.check(s.Keys(), []string{"a", "c", "d"}, "oldest to newest")
}

// R2, R8: Keys lists the keys from the oldest to the newest, and Values lists
// the values in the same order.
func TestKeysOldestToNewest(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 4)
	s.check(s.Keys(), []string{}, "an empty cache")
	s.check(s.Values(), []int{}, "an empty cache")

	steps := []struct {
		do     func()
		keys   []string
		values []int
	}{
		{func() { s.Add("a", 1) }, []string{"a"}, []int{1}},
		{func() { s.Add("b", 2) }, []string{"a", "b"}, []int{1, 2}},
		{func() { s.Add("c", 3) }, []string{"a", "b", "c"}, []int{1, 2, 3}},
		{func() { s.Get("a") }, []string{"b", "c", "a"}, []int{2, 3, 1}},
		{func() { s.Add("d", 4) }, []string{"b", "c", "a", "d"}, []int{2, 3, 1, 4}},
		{func() { s.Get("b") }, []string{"c", "a", "d", "b"}, []int{3, 1, 4, 2}},
		{func() { s.Get("zz") }, []string{"c", "a", "d", "b"}, []int{3, 1, 4, 2}}, // a miss
		{func() { s.Get("d") }, []string{"c", "a", "b", "d"}, []int{3, 1, 2, 4}},
		{func() { s.Add("e", 5) }, []string{"a", "b", "d", "e"}, []int{1, 2, 4, 5}}, // evicts c
	}
	for _, step := range steps {
		step.do()
		s.check(s.Keys(), step.keys, "oldest to newest")
		s.check(s.Values(), step.values, "in the order of Keys")
	}
}

// R12: the callback receives the key and value of each entry evicted for
// capacity, when it is evicted, and nothing else.
func TestOnEvictOnCapacityEviction(t *testing.T) {
	katatest.Guard(t)
	s := newScript(t, 2)

	s.Add("a", 1)
	s.wantEvicted()
	s.Add("b", 2)
	s.wantEvicted()

	require.True(t, s.Add("c", 3), "%v: the cache is full", s)
	s.wantEvicted(`onEvict("a", 1)`)

	s.Get("b")
	s.wantEvicted()
	require.True(t, s.Add("d", 4), "%v: the cache is full", s)
	s.wantEvicted(`onEvict("c", 3)`) // c was the oldest after Get(b)
}

// R9, R14: concurrent Adds and reads never leave more entries than the
// capacity. Run with -race: an unlocked cache is reported as a data race.
func TestConcurrentAddAndLen(t *testing.T) {
	katatest.Guard(t)
	const capacity = 16
	c, err := lru.New[int, int](capacity)
	require.NoError(t, err, "lru.New[int, int](16)")

	var (
		overCap  atomic.Int64
		panicked atomic.Value
	)
	katatest.Hammer(8, 1000, func(g, i int) {
		if panicked.Load() != nil {
			return // a panic may have left the cache's lock held
		}
		defer func() {
			if p := recover(); p != nil {
				panicked.CompareAndSwap(nil, fmt.Sprint(p))
			}
		}()
		key := (g*7 + i) % 40 // overlapping keys: inserts, updates and evictions
		c.Add(key, i)
		if c.Len() > capacity {
			overCap.Add(1)
		}
		c.Contains(key)
	})

	const what = "c, _ := lru.New[int, int](16); 8 goroutines call c.Add(key, i), c.Len() and c.Contains(key) 1000 times each, keys 0 to 39"
	if p := panicked.Load(); p != nil {
		t.Fatalf("%s: a call panicked: %v", what, p)
	}
	assert.Zero(t, overCap.Load(), "%s: how often c.Len() returned more than 16", what)
	assert.Equal(t, capacity, c.Len(), "%s; then c.Len()", what)
	assert.Len(t, c.Keys(), c.Len(), "%s; then c.Keys() must hold c.Len() keys", what)
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
