package lru

import (
	"reflect"
	"testing"

	"github.com/microkata/microkata/conformance/internal/harness"
)

// The tests of golang-lru v2.0.7 (lru_test.go and simplelru/lru_test.go),
// ported to the kata's API with their assertions and messages as the
// library has them. NewLRU(size, cb) and NewWithEvict(size, cb) both become
// newImpl(size, cb); New(size) becomes newImpl(size, nil).
var scenarios = []harness.Case[newCache]{
	{Name: "lru_test.go/TestLRU", Run: func(t *testing.T, newImpl newCache) { testLRU(t, newImpl, false) }},
	{Name: "simplelru/lru_test.go/TestLRU", Run: func(t *testing.T, newImpl newCache) { testLRU(t, newImpl, true) }},
	{Name: "lru_test.go/TestLRUAdd", Run: testLRUAdd},
	{Name: "simplelru/lru_test.go/TestLRU_Add", Run: testLRUAdd},
	{Name: "lru_test.go/TestLRUContains", Run: testLRUContains},
	{Name: "simplelru/lru_test.go/TestLRU_Contains", Run: testLRUContains},
	{Name: "lru_test.go/TestLRUPeek", Run: testLRUPeek},
	{Name: "simplelru/lru_test.go/TestLRU_Peek", Run: testLRUPeek},
	{Name: "lru_test.go/TestLRUResize", Run: testLRUResize},
	{Name: "simplelru/lru_test.go/TestLRU_Resize", Run: testLRUResize},
	{Name: "simplelru/lru_test.go/TestLRU_GetOldest_RemoveOldest", Run: testGetOldestRemoveOldest},
	{
		Name:    "lru_test.go/TestCache_EvictionSameKey/Add",
		Adapted: "values are int 0 instead of struct{}{} (the adapter's caches hold ints; the test asserts keys only)",
		Run:     testEvictionSameKey,
	},
	{
		Name:    "simplelru/lru_test.go/TestCache_EvictionSameKey",
		Adapted: "values are int 0 instead of struct{}{} (the adapter's caches hold ints; the test asserts keys only)",
		Run:     testEvictionSameKey,
	},
}

func TestScenarios(t *testing.T) {
	harness.Scenarios(t, reference, library, scenarios)
	harness.NotPorted(map[string]string{
		"lru_test.go/TestLRUContainsOrAdd":                    "ContainsOrAdd is not in the kata's API",
		"lru_test.go/TestLRUPeekOrAdd":                        "PeekOrAdd is not in the kata's API",
		"lru_test.go/TestCache_EvictionSameKey/ContainsOrAdd": "ContainsOrAdd is not in the kata's API",
		"lru_test.go/TestCache_EvictionSameKey/PeekOrAdd":     "PeekOrAdd is not in the kata's API",
		"2q_test.go, arc, expirable/":                         "other cache policies (2Q, ARC, TTL) that the kata does not model",
		"BenchmarkLRU_Rand, BenchmarkLRU_Freq":                "benchmarks: their workload is BenchmarkABBA/MixedRand here",
	})
}

func mustNew(t *testing.T, newImpl newCache, size int, onEvict func(k, v int)) cache {
	t.Helper()
	l, err := newImpl(size, onEvict)
	if err != nil {
		t.Fatalf("err: %v", err)
	}
	return l
}

// testLRU is TestLRU; simple adds simplelru's checks of Remove's result.
func testLRU(t *testing.T, newImpl newCache, simple bool) {
	evictCounter := 0
	onEvicted := func(k int, v int) {
		if k != v {
			t.Fatalf("Evict values not equal (%v!=%v)", k, v)
		}
		evictCounter++
	}
	l := mustNew(t, newImpl, 128, onEvicted)

	for i := 0; i < 256; i++ {
		l.Add(i, i)
	}
	if l.Len() != 128 {
		t.Fatalf("bad len: %v", l.Len())
	}

	if evictCounter != 128 {
		t.Fatalf("bad evict count: %v", evictCounter)
	}

	for i, k := range l.Keys() {
		if v, ok := l.Get(k); !ok || v != k || v != i+128 {
			t.Fatalf("bad key: %v", k)
		}
	}
	for i, v := range l.Values() {
		if v != i+128 {
			t.Fatalf("bad value: %v", v)
		}
	}
	for i := 0; i < 128; i++ {
		if _, ok := l.Get(i); ok {
			t.Fatalf("should be evicted")
		}
	}
	for i := 128; i < 256; i++ {
		if _, ok := l.Get(i); !ok {
			t.Fatalf("should not be evicted")
		}
	}
	for i := 128; i < 192; i++ {
		if simple {
			if ok := l.Remove(i); !ok {
				t.Fatalf("should be contained")
			}
			if ok := l.Remove(i); ok {
				t.Fatalf("should not be contained")
			}
		} else {
			l.Remove(i)
		}
		if _, ok := l.Get(i); ok {
			t.Fatalf("should be deleted")
		}
	}

	l.Get(192) // expect 192 to be last key in l.Keys()

	for i, k := range l.Keys() {
		if (i < 63 && k != i+193) || (i == 63 && k != 192) {
			t.Fatalf("out of order key: %v", k)
		}
	}

	l.Purge()
	if l.Len() != 0 {
		t.Fatalf("bad len: %v", l.Len())
	}
	if _, ok := l.Get(200); ok {
		t.Fatalf("should contain nothing")
	}
}

// test that Add returns true/false if an eviction occurred
func testLRUAdd(t *testing.T, newImpl newCache) {
	evictCounter := 0
	onEvicted := func(k int, v int) {
		evictCounter++
	}

	l := mustNew(t, newImpl, 1, onEvicted)

	if l.Add(1, 1) == true || evictCounter != 0 {
		t.Errorf("should not have an eviction")
	}
	if l.Add(2, 2) == false || evictCounter != 1 {
		t.Errorf("should have an eviction")
	}
}

// test that Contains doesn't update recent-ness
func testLRUContains(t *testing.T, newImpl newCache) {
	l := mustNew(t, newImpl, 2, nil)

	l.Add(1, 1)
	l.Add(2, 2)
	if !l.Contains(1) {
		t.Errorf("1 should be contained")
	}

	l.Add(3, 3)
	if l.Contains(1) {
		t.Errorf("Contains should not have updated recent-ness of 1")
	}
}

// test that Peek doesn't update recent-ness
func testLRUPeek(t *testing.T, newImpl newCache) {
	l := mustNew(t, newImpl, 2, nil)

	l.Add(1, 1)
	l.Add(2, 2)
	if v, ok := l.Peek(1); !ok || v != 1 {
		t.Errorf("1 should be set to 1: %v, %v", v, ok)
	}

	l.Add(3, 3)
	if l.Contains(1) {
		t.Errorf("should not have updated recent-ness of 1")
	}
}

// test that Resize can upsize and downsize
func testLRUResize(t *testing.T, newImpl newCache) {
	onEvictCounter := 0
	onEvicted := func(k int, v int) {
		onEvictCounter++
	}
	l := mustNew(t, newImpl, 2, onEvicted)

	// Downsize
	l.Add(1, 1)
	l.Add(2, 2)
	evicted, _ := l.Resize(1)
	if evicted != 1 {
		t.Errorf("1 element should have been evicted: %v", evicted)
	}
	if onEvictCounter != 1 {
		t.Errorf("onEvicted should have been called 1 time: %v", onEvictCounter)
	}

	l.Add(3, 3)
	if l.Contains(1) {
		t.Errorf("Element 1 should have been evicted")
	}

	// Upsize
	evicted, _ = l.Resize(2)
	if evicted != 0 {
		t.Errorf("0 elements should have been evicted: %v", evicted)
	}

	l.Add(4, 4)
	if !l.Contains(3) || !l.Contains(4) {
		t.Errorf("Cache should have contained 2 elements")
	}
}

func testGetOldestRemoveOldest(t *testing.T, newImpl newCache) {
	l := mustNew(t, newImpl, 128, nil)
	for i := 0; i < 256; i++ {
		l.Add(i, i)
	}
	k, _, ok := l.GetOldest()
	if !ok {
		t.Fatalf("missing")
	}
	if k != 128 {
		t.Fatalf("bad: %v", k)
	}

	k, _, ok = l.RemoveOldest()
	if !ok {
		t.Fatalf("missing")
	}
	if k != 128 {
		t.Fatalf("bad: %v", k)
	}

	k, _, ok = l.RemoveOldest()
	if !ok {
		t.Fatalf("missing")
	}
	if k != 129 {
		t.Fatalf("bad: %v", k)
	}
}

func wantKeys(t *testing.T, c cache, want []int) {
	t.Helper()
	got := c.Keys()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wrong keys got: %v, want: %v ", got, want)
	}
}

func testEvictionSameKey(t *testing.T, newImpl newCache) {
	var evictedKeys []int

	cache := mustNew(t, newImpl, 2, func(key int, _ int) {
		evictedKeys = append(evictedKeys, key)
	})

	if evicted := cache.Add(1, 0); evicted {
		t.Error("First 1: got unexpected eviction")
	}
	wantKeys(t, cache, []int{1})

	if evicted := cache.Add(2, 0); evicted {
		t.Error("2: got unexpected eviction")
	}
	wantKeys(t, cache, []int{1, 2})

	if evicted := cache.Add(1, 0); evicted {
		t.Error("Second 1: got unexpected eviction")
	}
	wantKeys(t, cache, []int{2, 1})

	if evicted := cache.Add(3, 0); !evicted {
		t.Error("3: did not get expected eviction")
	}
	wantKeys(t, cache, []int{1, 3})

	want := []int{2}
	if !reflect.DeepEqual(evictedKeys, want) {
		t.Errorf("evictedKeys got: %v want: %v", evictedKeys, want)
	}
}
