// Package lru implements a fixed-capacity cache that, when full, evicts the
// entry used least recently.
//
// Every operation is O(1) because the cache keeps two views of the same
// entries: a map from key to entry finds an entry, and a doubly linked list
// keeps the entries in recency order, from the oldest (least recently used)
// to the newest. A hit unlinks its entry and relinks it as the newest; an
// insert into a full cache unlinks the oldest entry, deletes its key from the
// map and reuses its node for the new key. The invariant that ties the two
// views together is simple: a key is in the map if and only if its entry is
// in the list, and the map never holds more than the capacity.
//
// The package follows hashicorp/golang-lru: a plain, single-threaded core
// and a thin wrapper, Cache, that adds a mutex and the eviction callback.
// Even Get writes (it reorders the list), so every method takes the full
// lock; a read lock is not enough. The callback set with WithOnEvict is
// never called with the lock held: the wrapper collects the entries that
// left while it holds the lock and calls the callback for each of them, in
// the order they left, after it has released the lock. The callback may
// therefore call any method of the same cache.
//
//	c, _ := lru.New[string, int](2)
//	c.Add("a", 1)
//	c.Add("b", 2)
//	c.Get("a")    // "a" is now the newest
//	c.Add("c", 3) // evicts "b", the least recently used
//	c.Keys()      // [a c]
package lru

import "errors"

// ErrInvalidCapacity is returned by New and Cache.Resize when the capacity is
// zero or negative.
var ErrInvalidCapacity = errors.New("lru: capacity must be positive")

// Option configures New. Its fields are unexported: make one with
// WithOnEvict. The zero Option changes nothing. When several options set the
// same thing, the last one wins.
type Option[K comparable, V any] struct {
	// TODO: your fields.
}

// WithOnEvict sets a function called for every entry that leaves the cache:
// evicted by Add for capacity, or removed by Remove, RemoveOldest, Resize or
// Purge. It receives the entry's key and its value at that moment. It is not
// called when Add replaces the value of a present key.
//
// The function is called after the cache's lock has been released, so it may
// call any method of the same cache. The calls caused by one method call run
// in the order the entries left and have all returned before that method
// returns. WithOnEvict(nil) means no callback.
func WithOnEvict[K comparable, V any](fn func(key K, value V)) Option[K, V] {
	panic("not implemented")
}

// Cache is an LRU cache that is safe for concurrent use by multiple
// goroutines. Use New; the zero value is not usable.
type Cache[K comparable, V any] struct {
	// TODO: your fields.
}

// New returns an empty cache that holds at most capacity entries.
// If capacity is zero or negative it returns a nil cache and
// ErrInvalidCapacity.
func New[K comparable, V any](capacity int, opts ...Option[K, V]) (*Cache[K, V], error) {
	panic("not implemented")
}

// Add stores value under key and makes key the newest entry.
//
// If key is already present, Add replaces its value and returns false;
// nothing leaves the cache and the callback does not run. If key is new and
// the cache is full, the oldest entry is evicted to make room, the callback
// (if any) runs for it, and Add returns true.
func (c *Cache[K, V]) Add(key K, value V) (evicted bool) {
	panic("not implemented")
}

// Get returns the value stored under key and true, and makes key the newest
// entry. A stored zero value is returned as (zero, true). For a missing key it
// returns the zero value and false and changes nothing.
func (c *Cache[K, V]) Get(key K) (value V, ok bool) {
	panic("not implemented")
}

// Peek is like Get but does not change the recency order.
func (c *Cache[K, V]) Peek(key K) (value V, ok bool) {
	panic("not implemented")
}

// Contains reports whether key is present, without changing the recency
// order.
func (c *Cache[K, V]) Contains(key K) bool {
	panic("not implemented")
}

// Remove removes key and returns true, running the callback for it. For a
// missing key it returns false and does nothing.
func (c *Cache[K, V]) Remove(key K) (present bool) {
	panic("not implemented")
}

// RemoveOldest removes the oldest entry, runs the callback for it and
// returns its key and value and true. On an empty cache it returns zero
// values and false.
func (c *Cache[K, V]) RemoveOldest() (key K, value V, ok bool) {
	panic("not implemented")
}

// GetOldest returns the oldest entry's key and value and true without
// changing anything. On an empty cache it returns zero values and false.
func (c *Cache[K, V]) GetOldest() (key K, value V, ok bool) {
	panic("not implemented")
}

// Keys returns the keys from the oldest to the newest, in a new slice that
// the caller may change. An empty cache gives an empty slice.
func (c *Cache[K, V]) Keys() []K {
	panic("not implemented")
}

// Values returns the values in the order of Keys (oldest to newest), in a new
// slice that the caller may change.
func (c *Cache[K, V]) Values() []V {
	panic("not implemented")
}

// Len returns the number of entries in the cache. It is never more than Cap.
func (c *Cache[K, V]) Len() int {
	panic("not implemented")
}

// Cap returns the current capacity: the one given to New, or to the last
// successful Resize.
func (c *Cache[K, V]) Cap() int {
	panic("not implemented")
}

// Resize sets the capacity to capacity. If the cache holds more entries than
// that, the oldest ones leave, oldest first, the callback runs for each in
// that order, and Resize returns how many left; otherwise it returns 0.
// A capacity that is zero or negative returns ErrInvalidCapacity and changes
// nothing.
func (c *Cache[K, V]) Resize(capacity int) (evicted int, err error) {
	panic("not implemented")
}

// Purge removes every entry, running the callback for each from the oldest
// to the newest. The capacity is unchanged and the cache stays usable.
func (c *Cache[K, V]) Purge() {
	panic("not implemented")
}
