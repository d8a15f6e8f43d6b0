//go:build microkata_hidden

package lru_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/internal/katatest"
	"github.com/microkata/microkata/katas/lru"
	ref "github.com/microkata/microkata/solutions/lru"
)

// hHang is how long katatest.Within waits for a call that may deadlock:
// shorter than the hang guard, so that its message, which names the likely
// cause, is the one the learner sees.
const hHang = katatest.GuardTimeout - time.Second

// hScript is a cache of string keys and int values that records every call
// made through it as Go code, with its result and the eviction callbacks it
// caused, so that a failure message shows the whole sequence that led to
// it: `c, _ := lru.New[string, int](2, lru.WithOnEvict(onEvict)); c.Add("a", 1) = false; c.Keys()`.
// A call that panics fails the test with that sequence and the panic value.
type hScript struct {
	t       testing.TB
	c       *lru.Cache[string, int]
	async   bool     // the script runs on a goroutine of katatest.Within
	calls   []string // the calls so far, each with its result
	last    string   // the latest call, without its result
	evicted []string // the callbacks the latest call caused
}

// hNew returns an empty cache of the given capacity with an eviction
// callback that the script records. The tests that use it are sequential: a
// correct cache runs every callback before the call that caused it returns.
func hNew(t testing.TB, capacity int) *hScript {
	t.Helper()
	s := &hScript{t: t}
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
func (s *hScript) String() string {
	if s.last == "" {
		return strings.Join(s.calls, "; ")
	}
	return strings.Join(s.calls[:len(s.calls)-1], "; ") + "; " + s.last
}

// do makes the call text with f, which returns its result as text, and
// records it.
func (s *hScript) do(text string, f func() string) {
	s.t.Helper()
	s.last = "c." + text
	s.evicted = nil
	var result string
	if p := hCatch(func() { result = f() }); p != nil {
		// The cache's lock may still be held: stop here.
		s.calls = append(s.calls, s.last)
		s.t.Errorf("%v panicked: %v", s, p)
		if s.async {
			runtime.Goexit()
		}
		s.t.FailNow()
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

// hCatch runs f and returns what it panicked with, or nil.
func hCatch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

func (s *hScript) Add(key string, value int) (evicted bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Add(%q, %d)", key, value), func() string { evicted = s.c.Add(key, value); return fmt.Sprint(evicted) })
	return evicted
}

func (s *hScript) Get(key string) (value int, ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Get(%q)", key), func() string { value, ok = s.c.Get(key); return fmt.Sprintf("%d, %v", value, ok) })
	return value, ok
}

func (s *hScript) Peek(key string) (value int, ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Peek(%q)", key), func() string { value, ok = s.c.Peek(key); return fmt.Sprintf("%d, %v", value, ok) })
	return value, ok
}

func (s *hScript) Contains(key string) (ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Contains(%q)", key), func() string { ok = s.c.Contains(key); return fmt.Sprint(ok) })
	return ok
}

func (s *hScript) Remove(key string) (ok bool) {
	s.t.Helper()
	s.do(fmt.Sprintf("Remove(%q)", key), func() string { ok = s.c.Remove(key); return fmt.Sprint(ok) })
	return ok
}

func (s *hScript) RemoveOldest() (key string, value int, ok bool) {
	s.t.Helper()
	s.do("RemoveOldest()", func() string {
		key, value, ok = s.c.RemoveOldest()
		return fmt.Sprintf("%q, %d, %v", key, value, ok)
	})
	return key, value, ok
}

func (s *hScript) GetOldest() (key string, value int, ok bool) {
	s.t.Helper()
	s.do("GetOldest()", func() string {
		key, value, ok = s.c.GetOldest()
		return fmt.Sprintf("%q, %d, %v", key, value, ok)
	})
	return key, value, ok
}

func (s *hScript) Keys() (keys []string) {
	s.t.Helper()
	s.do("Keys()", func() string { keys = s.c.Keys(); return fmt.Sprint(keys) })
	return keys
}

func (s *hScript) Values() (values []int) {
	s.t.Helper()
	s.do("Values()", func() string { values = s.c.Values(); return fmt.Sprint(values) })
	return values
}

func (s *hScript) Len() (n int) {
	s.t.Helper()
	s.do("Len()", func() string { n = s.c.Len(); return fmt.Sprint(n) })
	return n
}

func (s *hScript) Cap() (n int) {
	s.t.Helper()
	s.do("Cap()", func() string { n = s.c.Cap(); return fmt.Sprint(n) })
	return n
}

func (s *hScript) Resize(capacity int) (n int, err error) {
	s.t.Helper()
	s.do(fmt.Sprintf("Resize(%d)", capacity), func() string {
		n, err = s.c.Resize(capacity)
		return fmt.Sprintf("%d, %s", n, hErr(err))
	})
	return n, err
}

func (s *hScript) Purge() {
	s.t.Helper()
	s.do("Purge()", func() string { s.c.Purge(); return "" })
}

// check fails the test unless got, the result of the latest call, prints
// as want does: "...; c.Keys() = [a c], want [b c]: oldest to newest".
// A Keys or Values call that passes is dropped from the sequence.
func (s *hScript) check(got, want any, format string, args ...any) bool {
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
func (s *hScript) wantEvicted(want ...string) {
	s.t.Helper()
	got, wanted := strings.Join(s.evicted, ", "), strings.Join(want, ", ")
	if got != wanted {
		s.t.Errorf("%v called %s, want %s", s, hOrNone(got), hOrNone(wanted))
	}
}

func hOrNone(calls string) string {
	if calls == "" {
		return "no onEvict"
	}
	return calls
}

// hErr names an error by the sentinel it matches.
func hErr(err error) string {
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, lru.ErrInvalidCapacity):
		return "ErrInvalidCapacity"
	}
	return fmt.Sprintf("%q", err.Error())
}

// TestHiddenNilOnEvict checks that WithOnEvict(nil) means no callback: every
// way out of the cache works without one.
//
// Category: config
func TestHiddenNilOnEvict(t *testing.T) {
	katatest.Guard(t)
	const call = "lru.New[string, int](2, lru.WithOnEvict[string, int](nil))"
	c, err := lru.New(2, lru.WithOnEvict[string, int](nil))
	require.NoError(t, err, call)
	require.NotNil(t, c, "%s returned a nil cache", call)
	s := &hScript{t: t, c: c, calls: []string{"c, _ := " + call}}

	s.Add("a", 1)
	s.Add("b", 2)
	assert.True(t, s.Add("c", 3), "%v: the cache is full", s)
	assert.True(t, s.Remove("b"), "%v: b is present", s)
	_, _, ok := s.RemoveOldest()
	assert.True(t, ok, "%v: the cache holds c", s)
	s.Add("d", 4)
	s.Add("e", 5)
	n, err := s.Resize(1)
	assert.NoError(t, err, "%v", s)
	assert.Equal(t, 1, n, "%v: one of the two entries leaves", s)
	s.Purge()
	assert.Equal(t, 0, s.Len(), "%v", s)
	assert.Equal(t, 1, s.Cap(), "%v", s)
}

// TestHiddenCapacityOne checks the smallest cache: every new key evicts the
// previous one.
//
// Category: boundary
func TestHiddenCapacityOne(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 1)

	assert.False(t, s.Add("a", 1), "%v: the cache has room", s)
	assert.True(t, s.Add("b", 2), "%v: the cache is full", s)
	s.wantEvicted(`onEvict("a", 1)`)

	_, ok := s.Get("a")
	assert.False(t, ok, "%v: a was evicted", s)
	v, ok := s.Get("b")
	assert.True(t, ok, "%v: b is present", s)
	assert.Equal(t, 2, v, "%v", s)
	assert.Equal(t, 1, s.Len(), "%v", s)
	s.check(s.Keys(), []string{"b"}, "")
}

// TestHiddenUpdateExistingKey checks that Add of a present key replaces the
// value and refreshes the key, without evicting or calling back.
//
// Category: behaviour
func TestHiddenUpdateExistingKey(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 2)
	s.Add("a", 1)
	s.Add("b", 2)

	assert.False(t, s.Add("a", 10), "%v: an update returns false", s)
	s.wantEvicted()
	assert.Equal(t, 2, s.Len(), "%v: an update adds no entry", s)
	s.check(s.Keys(), []string{"b", "a"}, "an update makes a the newest")
	s.check(s.Values(), []int{2, 10}, "")
	v, ok := s.Get("a")
	assert.True(t, ok, "%v: a is present", s)
	assert.Equal(t, 10, v, "%v: the new value", s)

	assert.True(t, s.Add("c", 3), "%v: the cache is full", s)
	s.wantEvicted(`onEvict("b", 2)`)
	s.check(s.Keys(), []string{"a", "c"}, "")
}

// TestHiddenZeroValueVsMiss checks that a stored zero value is a hit and a
// missing key is a miss.
//
// Category: boundary
func TestHiddenZeroValueVsMiss(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 2)
	s.Add("zero", 0)

	v, ok := s.Get("zero")
	assert.True(t, ok, "%v: a stored zero value is a hit", s)
	assert.Equal(t, 0, v, "%v", s)
	v, ok = s.Peek("zero")
	assert.True(t, ok, "%v: a stored zero value is a hit", s)
	assert.Equal(t, 0, v, "%v", s)
	assert.True(t, s.Contains("zero"), "%v: a stored zero value is present", s)

	s.Add("one", 1)
	v, ok = s.Get("one")
	assert.Equal(t, 1, v, "%v", s)
	assert.True(t, ok, "%v", s)

	v, ok = s.Get("missing")
	assert.False(t, ok, "%v: a missing key is a miss", s)
	assert.Equal(t, 0, v, "%v: a miss returns the zero value", s)
	v, ok = s.Peek("missing")
	assert.False(t, ok, "%v: a missing key is a miss", s)
	assert.Equal(t, 0, v, "%v: a miss returns the zero value", s)
	assert.False(t, s.Contains("missing"), "%v", s)

	// A nil pointer is a zero value too.
	p, err := lru.New[string, *int](1)
	require.NoError(t, err, "lru.New[string, *int](1)")
	p.Add("nil", nil)
	pv, ok := p.Get("nil")
	if !ok || pv != nil {
		t.Errorf(`c, _ := lru.New[string, *int](1); c.Add("nil", nil); c.Get("nil") = %v, %v, want <nil>, true`, pv, ok)
	}
}

// TestHiddenQueriesDoNotReorder checks that Peek, Contains, GetOldest, Keys,
// Values, Len, Cap and misses leave the recency order alone.
//
// Category: behaviour
func TestHiddenQueriesDoNotReorder(t *testing.T) {
	katatest.Guard(t)
	queries := []struct {
		name string
		do   func(s *hScript)
	}{
		{"Peek(a)", func(s *hScript) { s.Peek("a") }},
		{"Contains(a)", func(s *hScript) { s.Contains("a") }},
		{"GetOldest", func(s *hScript) { s.GetOldest() }},
		{"Keys", func(s *hScript) { s.Keys() }},
		{"Values", func(s *hScript) { s.Values() }},
		{"Len and Cap", func(s *hScript) { s.Len(); s.Cap() }},
		{"Get of a missing key", func(s *hScript) { s.Get("zz") }},
		{"Peek of a missing key", func(s *hScript) { s.Peek("zz") }},
		{"Remove of a missing key", func(s *hScript) { s.Remove("zz") }},
	}
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			s := hNew(t, 3)
			s.Add("a", 1)
			s.Add("b", 2)
			s.Add("c", 3)

			q.do(s)

			s.check(s.Keys(), []string{"a", "b", "c"}, "%s must not change the order", q.name)
			k, v, ok := s.GetOldest()
			assert.Equal(t, "a", k, "%v: %s must not change the order", s, q.name)
			assert.Equal(t, 1, v, "%v", s)
			assert.True(t, ok, "%v", s)
			assert.True(t, s.Add("d", 4), "%v: the cache is full", s)
			s.wantEvicted(`onEvict("a", 1)`)
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
	katatest.Guard(t)
	// full returns a cache of capacity 3 holding a, b, c (oldest first).
	full := func(t *testing.T) *hScript {
		s := hNew(t, 3)
		s.Add("a", 1)
		s.Add("b", 2)
		s.Add("c", 3)
		return s
	}
	t.Run("capacity eviction", func(t *testing.T) {
		s := full(t)
		assert.True(t, s.Add("d", 4), "%v: the cache is full", s)
		s.wantEvicted(`onEvict("a", 1)`)
	})
	t.Run("Remove", func(t *testing.T) {
		s := full(t)
		s.Add("b", 20)
		s.wantEvicted()
		assert.False(t, s.Remove("zz"), "%v: zz is missing", s)
		s.wantEvicted()
		assert.True(t, s.Remove("b"), "%v: b is present", s)
		s.wantEvicted(`onEvict("b", 20)`)
	})
	t.Run("RemoveOldest", func(t *testing.T) {
		s := full(t)
		k, v, ok := s.RemoveOldest()
		assert.Equal(t, "a", k, "%v: a is the oldest", s)
		assert.Equal(t, 1, v, "%v", s)
		assert.True(t, ok, "%v", s)
		s.wantEvicted(`onEvict("a", 1)`)
		s.check(s.Keys(), []string{"b", "c"}, "")
	})
	t.Run("Resize", func(t *testing.T) {
		s := full(t)
		n, err := s.Resize(5)
		require.NoError(t, err, "%v", s)
		assert.Equal(t, 0, n, "%v: growing evicts nothing", s)
		s.Add("d", 4)
		s.Add("e", 5)
		s.wantEvicted()
		n, err = s.Resize(2)
		require.NoError(t, err, "%v", s)
		assert.Equal(t, 3, n, "%v: 5 entries, capacity 2", s)
		s.wantEvicted(`onEvict("a", 1)`, `onEvict("b", 2)`, `onEvict("c", 3)`)
		s.check(s.Keys(), []string{"d", "e"}, "")
	})
	t.Run("Purge", func(t *testing.T) {
		s := full(t)
		s.Purge()
		s.wantEvicted(`onEvict("a", 1)`, `onEvict("b", 2)`, `onEvict("c", 3)`)
		assert.Equal(t, 0, s.Len(), "%v", s)
		assert.Empty(t, s.Keys(), "%v", s)
		assert.Empty(t, s.Values(), "%v", s)
		s.Purge()
		s.wantEvicted()

		// The cache works afterwards.
		s.Add("x", 24)
		s.Add("y", 25)
		s.Add("z", 26)
		assert.True(t, s.Add("w", 27), "%v: the cache is full", s)
		s.wantEvicted(`onEvict("x", 24)`)
		s.check(s.Keys(), []string{"y", "z", "w"}, "")
	})
}

// TestHiddenKeysIsACopy checks that Keys and Values return new slices: the
// caller may change them, and later calls do not change them either.
//
// Category: behaviour
func TestHiddenKeysIsACopy(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 3)
	s.Add("a", 1)
	s.Add("b", 2)
	s.Add("c", 3)

	keys := s.Keys()
	if !s.check(keys, []string{"a", "b", "c"}, "") {
		return
	}
	keys[0] = "zzz"
	s.calls = append(s.calls, `keys := c.Keys()`, `keys[0] = "zzz"`)
	s.check(s.Keys(), []string{"a", "b", "c"}, "changing a slice Keys returned must not change the cache")
	assert.False(t, s.Contains("zzz"), "%v", s)

	values := s.Values()
	if !s.check(values, []int{1, 2, 3}, "") {
		return
	}
	values[0] = 99
	s.calls = append(s.calls, `values := c.Values()`, `values[0] = 99`)
	s.check(s.Values(), []int{1, 2, 3}, "changing a slice Values returned must not change the cache")
	v, _ := s.Peek("a")
	assert.Equal(t, 1, v, "%v: changing a slice Values returned must not change the cache", s)

	before := s.Keys()
	s.calls[len(s.calls)-1] = "before := " + s.calls[len(s.calls)-1]
	beforeValues := s.Values()
	s.calls[len(s.calls)-1] = "beforeValues := " + s.calls[len(s.calls)-1]
	s.Get("a")
	s.Add("d", 4)
	s.check(s.Keys(), []string{"c", "a", "d"}, "")
	if fmt.Sprint(before) != "[a b c]" {
		t.Errorf("%v; then before is %v, want [a b c]: a slice Keys returned must not change when the cache does", s, before)
	}
	if fmt.Sprint(beforeValues) != "[1 2 3]" {
		t.Errorf("%v; then beforeValues is %v, want [1 2 3]: a slice Values returned must not change when the cache does", s, beforeValues)
	}
}

// TestHiddenResize checks growing, shrinking (oldest by recency first) and
// invalid capacities. A Resize that never terminates (a loop waiting for Len
// to shrink while evicted keys stay behind) fails under the hang guard
// instead of stalling the suite.
//
// Category: behaviour
func TestHiddenResize(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 3)
	s.async = true
	katatest.Within(t, hHang,
		"Resize did not return: does Len shrink as entries leave?",
		func() { resize(t, s) })
}

// resize runs on the hang guard's goroutine, so it uses assert only.
func resize(t *testing.T, s *hScript) {
	s.Add("a", 1)
	s.Add("b", 2)
	s.Add("c", 3)

	n, err := s.Resize(5)
	if !assert.NoError(t, err, "%v", s) {
		return
	}
	assert.Equal(t, 0, n, "%v: growing evicts nothing", s)
	assert.Equal(t, 5, s.Cap(), "%v", s)
	assert.Equal(t, 3, s.Len(), "%v", s)
	assert.False(t, s.Add("d", 4), "%v: capacity 5", s)
	assert.False(t, s.Add("e", 5), "%v: capacity 5", s)
	s.wantEvicted()

	for _, bad := range []int{0, -1} {
		n, err := s.Resize(bad)
		if !errors.Is(err, lru.ErrInvalidCapacity) {
			t.Errorf("%v returned the error %s, want ErrInvalidCapacity", s, hErr(err))
		}
		assert.Equal(t, 0, n, "%v: an invalid capacity evicts nothing", s)
		s.wantEvicted()
		assert.Equal(t, 5, s.Cap(), "%v: an invalid capacity changes nothing", s)
		s.check(s.Keys(), []string{"a", "b", "c", "d", "e"}, "an invalid capacity changes nothing")
	}

	s.Get("a") // order: b c d e a
	n, err = s.Resize(2)
	if !assert.NoError(t, err, "%v", s) {
		return
	}
	assert.Equal(t, 3, n, "%v: 5 entries, capacity 2", s)
	s.wantEvicted(`onEvict("b", 2)`, `onEvict("c", 3)`, `onEvict("d", 4)`)
	assert.Equal(t, 2, s.Cap(), "%v", s)
	assert.Equal(t, 2, s.Len(), "%v", s)
	s.check(s.Keys(), []string{"e", "a"}, "the least recently used leave")

	n, err = s.Resize(2)
	if !assert.NoError(t, err, "%v", s) {
		return
	}
	assert.Equal(t, 0, n, "%v: the capacity it has", s)
	assert.True(t, s.Add("f", 6), "%v: the cache is full at capacity 2", s)
	s.wantEvicted(`onEvict("e", 5)`)
	s.check(s.Keys(), []string{"a", "f"}, "")
}

// TestHiddenRemoveThenReAdd removes the oldest, a middle and the newest
// entry, re-adds each, and checks that it comes back as the newest.
//
// Category: behaviour
func TestHiddenRemoveThenReAdd(t *testing.T) {
	katatest.Guard(t)
	for _, tt := range []struct {
		remove  string
		after   []string // Keys after Remove
		readded []string // Keys after Add of the removed key
		evicted string   // evicted by Add(d) afterwards
	}{
		{"a", []string{"b", "c"}, []string{"b", "c", "a"}, `onEvict("b", 2)`},
		{"b", []string{"a", "c"}, []string{"a", "c", "b"}, `onEvict("a", 1)`},
		{"c", []string{"a", "b"}, []string{"a", "b", "c"}, `onEvict("a", 1)`},
	} {
		t.Run("remove "+tt.remove, func(t *testing.T) {
			s := hNew(t, 3)
			s.Add("a", 1)
			s.Add("b", 2)
			s.Add("c", 3)

			require.True(t, s.Remove(tt.remove), "%v: %s is present", s, tt.remove)
			s.check(s.Keys(), tt.after, "")
			assert.Equal(t, 2, s.Len(), "%v", s)

			value := map[string]int{"a": 1, "b": 2, "c": 3}[tt.remove]
			assert.False(t, s.Add(tt.remove, value), "%v: Remove freed room", s)
			s.check(s.Keys(), tt.readded, "a re-added key is the newest")
			assert.Equal(t, 3, s.Len(), "%v", s)

			assert.True(t, s.Add("d", 4), "%v: the cache is full", s)
			s.wantEvicted(tt.evicted)
			assert.Equal(t, 3, s.Len(), "%v", s)

			assert.True(t, s.Remove(tt.remove), "%v: %s is present", s, tt.remove)
			assert.False(t, s.Remove(tt.remove), "%v: %s was removed already", s, tt.remove)
			assert.Len(t, s.Keys(), 2, "%v", s)
		})
	}
}

// TestHiddenEmptyOldest checks GetOldest and RemoveOldest on a cache that is
// new or has been emptied in each way: both return zero values and false,
// and nothing else happens.
//
// Category: boundary
func TestHiddenEmptyOldest(t *testing.T) {
	katatest.Guard(t)
	empties := []struct {
		name  string
		empty func(s *hScript)
	}{
		{"new cache", func(*hScript) {}},
		{"after RemoveOldest", func(s *hScript) { s.Add("a", 1); s.RemoveOldest() }},
		{"after Remove", func(s *hScript) { s.Add("a", 1); s.Remove("a") }},
		{"after Purge", func(s *hScript) { s.Add("a", 1); s.Add("b", 2); s.Purge() }},
	}
	methods := []struct {
		name string
		call func(s *hScript) (string, int, bool)
	}{
		{"GetOldest", (*hScript).GetOldest},
		{"RemoveOldest", (*hScript).RemoveOldest},
	}
	for _, e := range empties {
		for _, m := range methods {
			t.Run(m.name+" on "+e.name, func(t *testing.T) {
				s := hNew(t, 2)
				e.empty(s)
				require.Equal(t, 0, s.Len(), "%v", s)

				k, v, ok := m.call(s)
				if k != "" || v != 0 || ok {
					t.Errorf(`%v = %q, %d, %v on an empty cache, want "", 0, false`, s, k, v, ok)
				}
				s.wantEvicted()
				assert.Equal(t, 0, s.Len(), "%v", s)

				assert.False(t, s.Add("c", 3), "%v: the cache is empty", s)
				k, v, ok = s.GetOldest()
				if k != "c" || v != 3 || !ok {
					t.Errorf(`%v = %q, %d, %v, want "c", 3, true`, s, k, v, ok)
				}
			})
		}
	}
}

// TestHiddenStructKeys checks comparable struct keys: equal structs are the
// same key.
//
// Category: behaviour
func TestHiddenStructKeys(t *testing.T) {
	katatest.Guard(t)
	type point struct{ A, B int }
	c, err := lru.New[point, string](2)
	require.NoError(t, err, "lru.New[struct{ A, B int }, string](2)")
	const setup = `c, _ := lru.New[struct{ A, B int }, string](2); c.Add({1 2}, "first")`

	c.Add(point{1, 2}, "first")
	assert.False(t, c.Add(point{1, 2}, "second"), `%s; c.Add({1 2}, "second"): an equal struct is the same key, so this is an update`, setup)
	const setup2 = setup + `; c.Add({1 2}, "second")`
	assert.Equal(t, 1, c.Len(), "%s; c.Len()", setup2)
	v, ok := c.Get(point{1, 2})
	if v != "second" || !ok {
		t.Errorf("%s; c.Get({1 2}) = %q, %v, want \"second\", true", setup2, v, ok)
	}

	assert.False(t, c.Contains(point{2, 1}), "%s; c.Contains({2 1}): {2 1} is a different key", setup2)
	assert.False(t, c.Add(point{2, 1}, "third"), `%s; c.Add({2 1}, "third"): the cache has room`, setup2)
	assert.True(t, c.Add(point{3, 3}, "fourth"), `%s; c.Add({2 1}, "third"); c.Add({3 3}, "fourth"): the cache is full`, setup2)
	assert.Equal(t, "[{2 1} {3 3}]", fmt.Sprint(c.Keys()), `%s; c.Add({2 1}, "third"); c.Add({3 3}, "fourth"); c.Keys()`, setup2)
}

// TestHiddenPurgeThenReuse checks that Purge keeps the capacity and the
// cache evicts at that capacity afterwards.
//
// Category: behaviour
func TestHiddenPurgeThenReuse(t *testing.T) {
	katatest.Guard(t)
	s := hNew(t, 2)
	s.Add("a", 1)
	s.Add("b", 2)

	s.Purge()
	s.wantEvicted(`onEvict("a", 1)`, `onEvict("b", 2)`)
	assert.Equal(t, 2, s.Cap(), "%v: Purge keeps the capacity", s)
	assert.Equal(t, 0, s.Len(), "%v", s)
	assert.False(t, s.Contains("a"), "%v", s)
	_, ok := s.Get("b")
	assert.False(t, ok, "%v: b was purged", s)

	assert.False(t, s.Add("b", 20), "%v: the cache is empty", s)
	assert.False(t, s.Add("x", 24), "%v: the cache has room", s)
	assert.True(t, s.Add("y", 25), "%v: the cache is full at its old capacity", s)
	s.wantEvicted(`onEvict("b", 20)`)
	s.check(s.Keys(), []string{"x", "y"}, "")
	s.check(s.Values(), []int{24, 25}, "")
}

// hOp is one call of the differential test on a cache of int keys and
// values.
type hOp struct {
	kind hOpKind
	key  int
	arg  int // Add's value, Resize's capacity
}

type hOpKind int

const (
	hAdd hOpKind = iota
	hGet
	hPeek
	hContains
	hRemove
	hRemoveOldest
	hGetOldest
	hLen
	hCap
	hResize
	hPurge
	hKeys
	hValues
)

func (o hOp) String() string {
	switch o.kind {
	case hAdd:
		return fmt.Sprintf("c.Add(%d, %d)", o.key, o.arg)
	case hGet:
		return fmt.Sprintf("c.Get(%d)", o.key)
	case hPeek:
		return fmt.Sprintf("c.Peek(%d)", o.key)
	case hContains:
		return fmt.Sprintf("c.Contains(%d)", o.key)
	case hRemove:
		return fmt.Sprintf("c.Remove(%d)", o.key)
	case hRemoveOldest:
		return "c.RemoveOldest()"
	case hGetOldest:
		return "c.GetOldest()"
	case hLen:
		return "c.Len()"
	case hCap:
		return "c.Cap()"
	case hResize:
		return fmt.Sprintf("c.Resize(%d)", o.arg)
	case hPurge:
		return "c.Purge()"
	case hKeys:
		return "c.Keys()"
	}
	return "c.Values()"
}

// hCacheAPI is what the differential test calls, implemented by the
// learner's cache and by the reference.
type hCacheAPI interface {
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

// hApply makes op on c and returns its result and the callbacks it caused
// (read from and then cleared in *log) as text; a panic is a result too.
func hApply(c hCacheAPI, o hOp, log *[]string, invalid error) (result string) {
	defer func() {
		if p := recover(); p != nil {
			result = fmt.Sprintf("panicked: %v", p)
		}
		if len(*log) > 0 {
			result += " (" + strings.Join(*log, ", ") + ")"
			*log = (*log)[:0]
		}
	}()
	switch o.kind {
	case hAdd:
		return fmt.Sprint(c.Add(o.key, o.arg))
	case hGet:
		v, ok := c.Get(o.key)
		return fmt.Sprintf("%d, %v", v, ok)
	case hPeek:
		v, ok := c.Peek(o.key)
		return fmt.Sprintf("%d, %v", v, ok)
	case hContains:
		return fmt.Sprint(c.Contains(o.key))
	case hRemove:
		return fmt.Sprint(c.Remove(o.key))
	case hRemoveOldest:
		k, v, ok := c.RemoveOldest()
		return fmt.Sprintf("%d, %d, %v", k, v, ok)
	case hGetOldest:
		k, v, ok := c.GetOldest()
		return fmt.Sprintf("%d, %d, %v", k, v, ok)
	case hLen:
		return fmt.Sprint(c.Len())
	case hCap:
		return fmt.Sprint(c.Cap())
	case hResize:
		n, err := c.Resize(o.arg)
		switch {
		case err == nil:
			return fmt.Sprintf("%d, nil", n)
		case errors.Is(err, invalid):
			return fmt.Sprintf("%d, ErrInvalidCapacity", n)
		}
		return fmt.Sprintf("%d, %q", n, err.Error())
	case hPurge:
		c.Purge()
		return ""
	case hKeys:
		return fmt.Sprint(c.Keys())
	}
	return fmt.Sprint(c.Values())
}

// hDiff replays ops on a new learner cache and a new reference cache of the
// given capacity, both with an eviction callback. It returns the index of
// the first op whose results or callbacks differ (-1 if none), the
// reference's results up to it and the learner's result there.
func hDiff(capacity int, ops []hOp) (at int, wants []string, got string) {
	var gotLog, wantLog []string
	g, err := lru.New(capacity, lru.WithOnEvict(func(k, v int) { gotLog = append(gotLog, fmt.Sprintf("onEvict(%d, %d)", k, v)) }))
	if err != nil || g == nil {
		return -1, nil, "" // the test checks New first
	}
	w, _ := ref.New(capacity, ref.WithOnEvict(func(k, v int) { wantLog = append(wantLog, fmt.Sprintf("onEvict(%d, %d)", k, v)) }))
	for i, o := range ops {
		got := hApply(g, o, &gotLog, lru.ErrInvalidCapacity)
		want := hApply(w, o, &wantLog, ref.ErrInvalidCapacity)
		wants = append(wants, want)
		if got != want {
			return i, wants, got
		}
	}
	return -1, wants, ""
}

// hShrink returns a shorter sequence of ops that still makes the learner's
// cache differ from the reference: it drops chunks of ops, then single ops,
// while a difference remains, within a budget of replayed calls and until
// the deadline.
func hShrink(capacity int, ops []hOp, deadline time.Time) []hOp {
	budget := 3_000_000
	fails := func(cand []hOp) int {
		budget -= len(cand)
		i, _, _ := hDiff(capacity, cand)
		return i
	}
	if i := fails(ops); i >= 0 {
		ops = ops[:i+1]
	}
	for chunk := max(1, len(ops)/2); ; {
		removed := false
		for i := 0; i < len(ops) && budget > 0 && time.Now().Before(deadline); {
			cand := slices.Concat(ops[:i], ops[min(len(ops), i+chunk):])
			if j := fails(cand); j >= 0 {
				ops, removed = cand[:j+1], true
			} else {
				i += chunk
			}
		}
		if budget <= 0 || !time.Now().Before(deadline) || chunk == 1 && !removed {
			return ops
		}
		chunk = max(1, chunk/2)
	}
}

// TestHiddenDifferential runs the same random calls (every method, a small
// key space) against the learner's cache and the reference, in 20 runs of
// 1000 steps on new caches of capacity 1 to 8, and compares every result
// and every eviction callback, with Keys and Values after each step. A
// difference is reported as the shortest call sequence found that
// reproduces it.
//
// Category: differential
func TestHiddenDifferential(t *testing.T) {
	katatest.Guard(t)
	start := time.Now()
	const (
		runs     = 20
		steps    = 1000
		keySpace = 12
	)
	r := rand.New(rand.NewPCG(1, 2))
	for run := range runs {
		capacity := 1 + r.IntN(8)
		c, err := lru.New(capacity, lru.WithOnEvict(func(int, int) {}))
		require.NoError(t, err, "lru.New[int, int](%d, lru.WithOnEvict(onEvict))", capacity)
		require.NotNil(t, c, "lru.New[int, int](%d, lru.WithOnEvict(onEvict)) returned a nil cache", capacity)

		var ops []hOp
		for step := range steps {
			k := r.IntN(keySpace)
			switch p := r.IntN(100); {
			case p < 30:
				ops = append(ops, hOp{kind: hAdd, key: k, arg: 100*run + step})
			case p < 50:
				ops = append(ops, hOp{kind: hGet, key: k})
			case p < 57:
				ops = append(ops, hOp{kind: hPeek, key: k})
			case p < 64:
				ops = append(ops, hOp{kind: hContains, key: k})
			case p < 75:
				ops = append(ops, hOp{kind: hRemove, key: k})
			case p < 80:
				ops = append(ops, hOp{kind: hRemoveOldest})
			case p < 85:
				ops = append(ops, hOp{kind: hGetOldest})
			case p < 88:
				ops = append(ops, hOp{kind: hLen})
			case p < 91:
				ops = append(ops, hOp{kind: hCap})
			case p < 98:
				ops = append(ops, hOp{kind: hResize, arg: r.IntN(10) - 1}) // -1 to 8
			default:
				ops = append(ops, hOp{kind: hPurge})
			}
			ops = append(ops, hOp{kind: hKeys}, hOp{kind: hValues})
		}

		if i, _, _ := hDiff(capacity, ops); i < 0 {
			continue
		}
		short := hShrink(capacity, ops, start.Add(3*time.Second)) // the hang guard allows 5 s in all
		i, wants, got := hDiff(capacity, short)
		calls := []string{fmt.Sprintf("c, _ := lru.New[int, int](%d, lru.WithOnEvict(onEvict))", capacity)}
		for j, o := range short[:i] {
			calls = append(calls, hWithResult(o, wants[j]))
		}
		calls = append(calls, fmt.Sprintf("%s, want %s", hWithResult(short[i], got), hOrNothing(wants[i])))
		t.Fatalf("%s (the shortest sequence found, shrunk from %d random calls)", strings.Join(calls, "; "), len(ops))
	}
}

// hWithResult writes an op with its result: c.Add(1, 5) = false.
func hWithResult(o hOp, result string) string {
	if strings.HasPrefix(result, " (") || strings.HasPrefix(result, "panicked") { // Purge returns nothing
		return o.String() + " " + strings.TrimPrefix(result, " ")
	}
	return o.String() + " = " + hOrNothing(result)
}

func hOrNothing(result string) string {
	if result == "" {
		return "no onEvict"
	}
	return strings.TrimPrefix(result, " ")
}

// hHammer is katatest.Hammer that returns the first panic of fn (nil if
// none). After a panic no goroutine calls fn again: the panic may have left
// the cache's lock held.
func hHammer(goroutines, iterations int, fn func(g, i int)) any {
	var (
		mu      sync.Mutex
		first   any
		stopped atomic.Bool
	)
	katatest.Hammer(goroutines, iterations, func(g, i int) {
		if stopped.Load() {
			return
		}
		defer func() {
			if p := recover(); p != nil {
				stopped.Store(true)
				mu.Lock()
				if first == nil {
					first = p
				}
				mu.Unlock()
			}
		}()
		fn(g, i)
	})
	return first
}

// TestHiddenConcurrentMixedOps hammers one cache with Get, Add, Peek, Remove
// and RemoveOldest on overlapping keys from 8 goroutines. Run with -race: a
// Get under a read lock reorders the list concurrently and is reported as a
// data race. Afterwards Len ≤ Cap, Keys holds Len distinct keys, and the
// callback ran once for every reported exit.
//
// Category: concurrency
func TestHiddenConcurrentMixedOps(t *testing.T) {
	katatest.Guard(t)
	const capacity = 32
	var callbacks atomic.Int64
	c, err := lru.New(capacity, lru.WithOnEvict(func(int, int) { callbacks.Add(1) }))
	require.NoError(t, err, "lru.New[int, int](32, lru.WithOnEvict(onEvict))")

	const what = "c, _ := lru.New[int, int](32, lru.WithOnEvict(onEvict)); 8 goroutines call c.Add, c.Get, c.Peek, c.Len, c.Remove and c.RemoveOldest 5000 times each, keys 0 to 63"
	// A wrong solution that corrupts its list can loop forever under its
	// lock; the hang guard turns that into a failure.
	katatest.Within(t, hHang,
		"a call did not return under concurrent use: a corrupted list (a cycle) or a lock that is never released?",
		func() {
			var exits, overCap atomic.Int64
			p := hHammer(8, 5000, func(g, i int) {
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
			if p != nil {
				t.Errorf("%s: a call panicked: %v", what, p)
				return
			}

			assert.Zero(t, overCap.Load(), "%s: how often c.Len() returned more than 32", what)
			keys := c.Keys()
			n := c.Len()
			assert.LessOrEqual(t, n, capacity, "%s; then c.Len()", what)
			assert.Len(t, keys, n, "%s; then c.Keys() must hold c.Len() keys", what)
			slices.Sort(keys)
			assert.Len(t, slices.Compact(keys), n, "%s; then c.Keys() must hold c.Len() distinct keys", what)
			assert.Equal(t, exits.Load(), callbacks.Load(),
				"%s: onEvict calls, want one for every Add that returned true, Remove that returned true and RemoveOldest that returned ok", what)
		})
}

// TestHiddenConcurrentGets runs only Gets, all hits, from 8 goroutines on a
// full cache. Every hit reorders the list, so Gets must exclude each other:
// under -race, a Get that takes only a read lock is reported as a data race.
// Afterwards the cache holds the same entries, each once.
//
// Category: concurrency
func TestHiddenConcurrentGets(t *testing.T) {
	katatest.Guard(t)
	const capacity = 64
	c, err := lru.New[int, int](capacity)
	require.NoError(t, err, "lru.New[int, int](64)")
	for k := range capacity {
		c.Add(k, -k)
	}

	const what = "c, _ := lru.New[int, int](64); c.Add(k, -k) for k = 0 to 63; 8 goroutines call c.Get(k) 2000 times each"
	// Gets that corrupt the list can loop forever; the hang guard turns
	// that into a failure.
	katatest.Within(t, hHang,
		"a call did not return under concurrent Gets: a corrupted list (a cycle) or a lock that is never released?",
		func() {
			var wrong atomic.Int64
			p := hHammer(8, 2000, func(g, i int) {
				k := (g*17 + i*5) % capacity
				if v, ok := c.Get(k); !ok || v != -k {
					wrong.Add(1)
				}
			})
			if p != nil {
				t.Errorf("%s: a c.Get panicked: %v", what, p)
				return
			}

			assert.Zero(t, wrong.Load(), "%s: how many c.Get(k) did not return -k, true", what)
			keys := c.Keys()
			assert.Equal(t, capacity, c.Len(), "%s; then c.Len()", what)
			slices.Sort(keys)
			want := make([]int, capacity)
			for k := range want {
				want[k] = k
			}
			if fmt.Sprint(keys) != fmt.Sprint(want) {
				t.Errorf("%s; then c.Keys(), sorted, = %v, want every key from 0 to 63 once", what, keys)
			}
		})
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
	katatest.Guard(t)
	katatest.Within(t, hHang,
		"the eviction callback runs while the cache's lock is held, so calling the cache from it deadlocks",
		func() {
			reenterFromAdd(t)
			reenterFromResize(t)
		})
}

// hLog is a callback log that callbacks on any goroutine may append to.
type hLog struct {
	mu  sync.Mutex
	got []string
}

func (l *hLog) add(key string, value int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, fmt.Sprintf("onEvict(%q, %d)", key, value))
}

func (l *hLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return hOrNone(strings.Join(l.got, ", "))
}

// reenterFromAdd runs on the hang guard's goroutine, so it uses assert only.
func reenterFromAdd(t *testing.T) {
	var (
		log hLog
		c   *lru.Cache[string, int]
	)
	const (
		setup = `c, _ := lru.New[string, int](2, lru.WithOnEvict(onEvict)); c.Add("a", 1); c.Add("b", 2); c.Add("c", 3)`
		in    = setup + `; inside onEvict("a", 1)`
	)
	onEvict := func(key string, value int) {
		log.add(key, value)
		if key != "a" {
			return
		}
		// Add(c) has made its change: the cache holds b, c.
		assert.Equal(t, 2, c.Len(), "%s: c.Len()", in)
		v, ok := c.Get("b") // b becomes the newest: c, b
		if v != 2 || !ok {
			t.Errorf(`%s: c.Get("b") = %d, %v, want 2, true`, in, v, ok)
		}
		assert.True(t, c.Contains("c"), `%s: c.Get("b"); c.Contains("c"): Add(c) has finished when its callback runs`, in)
		v, ok = c.Peek("c")
		if v != 3 || !ok {
			t.Errorf(`%s: c.Get("b"); c.Peek("c") = %d, %v, want 3, true`, in, v, ok)
		}
		assert.True(t, c.Add("x", 24), `%s: c.Get("b"); c.Peek("c"); c.Add("x", 24): the cache is full`, in)
	}
	var err error
	c, err = lru.New(2, lru.WithOnEvict(onEvict))
	if !assert.NoError(t, err, "lru.New[string, int](2, lru.WithOnEvict(onEvict))") {
		return
	}
	c.Add("a", 1)
	c.Add("b", 2)

	assert.True(t, c.Add("c", 3), "%s: the cache is full", setup)
	if got := log.String(); got != `onEvict("a", 1), onEvict("c", 3)` {
		t.Errorf(`%s, whose onEvict("a", 1) calls c.Get("b") and c.Add("x", 24): when c.Add("c", 3) returns, the callbacks were %s, want onEvict("a", 1), onEvict("c", 3) (the nested one included)`, setup, got)
	}
	if keys := fmt.Sprint(c.Keys()); keys != "[b x]" {
		t.Errorf(`%s, whose onEvict("a", 1) calls c.Get("b") and c.Add("x", 24); c.Keys() = %s, want [b x]`, setup, keys)
	}
}

// reenterFromResize runs on the hang guard's goroutine, so it uses assert
// only.
func reenterFromResize(t *testing.T) {
	var (
		log hLog
		c   *lru.Cache[string, int]
	)
	onEvict := func(key string, value int) {
		log.add(key, value)
		if key == "a" {
			c.Purge() // Resize(2) has made its change: the cache holds c, d
		}
	}
	var err error
	c, err = lru.New(4, lru.WithOnEvict(onEvict))
	if !assert.NoError(t, err, "lru.New[string, int](4, lru.WithOnEvict(onEvict))") {
		return
	}
	for i, k := range []string{"a", "b", "c", "d"} {
		c.Add(k, i+1)
	}
	const setup = `c, _ := lru.New[string, int](4, lru.WithOnEvict(onEvict)); c.Add("a", 1); c.Add("b", 2); c.Add("c", 3); c.Add("d", 4); c.Resize(2), whose onEvict("a", 1) calls c.Purge()`

	n, err := c.Resize(2)
	assert.NoError(t, err, setup)
	assert.Equal(t, 2, n, "%s: how many left", setup)
	if got := log.String(); got != `onEvict("a", 1), onEvict("c", 3), onEvict("d", 4), onEvict("b", 2)` {
		t.Errorf(`%s: when Resize returns, the callbacks were %s, want onEvict("a", 1), onEvict("c", 3), onEvict("d", 4), onEvict("b", 2) (a, then c and d from the Purge in a's callback, then b)`, setup, got)
	}
	assert.Equal(t, 0, c.Len(), "%s; c.Len()", setup)
	assert.False(t, c.Add("e", 5), `%s; c.Add("e", 5): the cache is empty`, setup)
	if keys := fmt.Sprint(c.Keys()); keys != "[e]" {
		t.Errorf(`%s; c.Add("e", 5); c.Keys() = %s, want [e]`, setup, keys)
	}
}

// TestHiddenCallbackReentersFromEveryExit calls the cache from the callback
// of each of the five ways out: the callback runs after the call that
// caused it has finished changing the cache and released its lock, so it
// sees the entry gone and Len as that call left it. A callback run under
// the lock deadlocks, which the hang guard reports (rules 12, 13).
//
// Category: concurrency
func TestHiddenCallbackReentersFromEveryExit(t *testing.T) {
	katatest.Guard(t)
	ways := []struct {
		call string
		do   func(c *lru.Cache[string, int])
		len  int // Len after the call
	}{
		{`c.Add("c", 3)`, func(c *lru.Cache[string, int]) { c.Add("c", 3) }, 2},
		{`c.Remove("a")`, func(c *lru.Cache[string, int]) { c.Remove("a") }, 1},
		{`c.RemoveOldest()`, func(c *lru.Cache[string, int]) { c.RemoveOldest() }, 1},
		{`c.Resize(1)`, func(c *lru.Cache[string, int]) { c.Resize(1) }, 1},
		{`c.Purge()`, func(c *lru.Cache[string, int]) { c.Purge() }, 0},
	}
	for _, way := range ways {
		setup := `c, _ := lru.New[string, int](2, lru.WithOnEvict(onEvict)); c.Add("a", 1); c.Add("b", 2); ` + way.call
		cause := fmt.Sprintf("%s, whose onEvict calls c.Contains and c.Len, did not return: does %s run the callback while the cache's lock is held?", setup, strings.Split(way.call, "(")[0])
		if !katatest.Within(t, time.Second, cause, func() {
			var (
				c     *lru.Cache[string, int]
				calls []string
			)
			onEvict := func(key string, value int) {
				calls = append(calls, fmt.Sprintf("onEvict(%q, %d)", key, value))
				in := fmt.Sprintf("%s; inside onEvict(%q, %d)", setup, key, value)
				assert.False(t, c.Contains(key), "%s: c.Contains(%q): the entry has left when its callback runs", in, key)
				assert.Equal(t, way.len, c.Len(), "%s: c.Len(): the callback sees the cache as %s left it", in, way.call)
			}
			var err error
			c, err = lru.New(2, lru.WithOnEvict(onEvict))
			if !assert.NoError(t, err, "lru.New[string, int](2, lru.WithOnEvict(onEvict))") {
				return
			}
			c.Add("a", 1)
			c.Add("b", 2)
			way.do(c)
			want := `onEvict("a", 1)`
			if way.call == "c.Purge()" {
				want += `, onEvict("b", 2)`
			}
			if got := hOrNone(strings.Join(calls, ", ")); got != want {
				t.Errorf("%s called %s, want %s", setup, got, want)
			}
		}) {
			return // the cache's lock is held for good; the other ways would wait too
		}
	}
}
