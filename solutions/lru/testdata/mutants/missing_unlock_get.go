// Mutant: Get forgets to unlock, so the next call on the cache blocks forever.
// Rule: 14

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

import (
	"errors"
	"sync"
)

// ErrInvalidCapacity is returned by New and Cache.Resize when the capacity is
// zero or negative.
var ErrInvalidCapacity = errors.New("lru: capacity must be positive")

// Option configures New. Its fields are unexported: make one with
// WithOnEvict. The zero Option changes nothing. When several options set the
// same thing, the last one wins.
type Option[K comparable, V any] struct {
	apply func(*Cache[K, V])
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
	return Option[K, V]{apply: func(c *Cache[K, V]) { c.onEvict = fn }}
}

// Cache is an LRU cache that is safe for concurrent use by multiple
// goroutines. Use New; the zero value is not usable.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	lru     lru[K, V]
	onEvict func(key K, value V) // nil means no callback; read-only after New
}

// New returns an empty cache that holds at most capacity entries.
// If capacity is zero or negative it returns a nil cache and
// ErrInvalidCapacity.
func New[K comparable, V any](capacity int, opts ...Option[K, V]) (*Cache[K, V], error) {
	if capacity <= 0 {
		return nil, ErrInvalidCapacity
	}
	c := &Cache[K, V]{}
	c.lru.init(capacity)
	for _, o := range opts {
		if o.apply != nil {
			o.apply(c)
		}
	}
	return c, nil
}

// Add stores value under key and makes key the newest entry.
//
// If key is already present, Add replaces its value and returns false;
// nothing leaves the cache and the callback does not run. If key is new and
// the cache is full, the oldest entry is evicted to make room, the callback
// (if any) runs for it, and Add returns true.
func (c *Cache[K, V]) Add(key K, value V) (evicted bool) {
	c.mu.Lock()
	k, v, evicted := c.lru.add(key, value)
	c.mu.Unlock()
	if evicted && c.onEvict != nil {
		c.onEvict(k, v)
	}
	return evicted
}

// Get returns the value stored under key and true, and makes key the newest
// entry. A stored zero value is returned as (zero, true). For a missing key it
// returns the zero value and false and changes nothing.
func (c *Cache[K, V]) Get(key K) (value V, ok bool) {
	c.mu.Lock()
	value, ok = c.lru.get(key)
	return value, ok
}

// Peek is like Get but does not change the recency order.
func (c *Cache[K, V]) Peek(key K) (value V, ok bool) {
	c.mu.Lock()
	value, ok = c.lru.peek(key)
	c.mu.Unlock()
	return value, ok
}

// Contains reports whether key is present, without changing the recency
// order.
func (c *Cache[K, V]) Contains(key K) bool {
	c.mu.Lock()
	_, ok := c.lru.peek(key)
	c.mu.Unlock()
	return ok
}

// Remove removes key and returns true, running the callback for it. For a
// missing key it returns false and does nothing.
func (c *Cache[K, V]) Remove(key K) (present bool) {
	c.mu.Lock()
	v, present := c.lru.remove(key)
	c.mu.Unlock()
	if present && c.onEvict != nil {
		c.onEvict(key, v)
	}
	return present
}

// RemoveOldest removes the oldest entry, runs the callback for it and
// returns its key and value and true. On an empty cache it returns zero
// values and false.
func (c *Cache[K, V]) RemoveOldest() (key K, value V, ok bool) {
	c.mu.Lock()
	key, value, ok = c.lru.removeOldest()
	c.mu.Unlock()
	if ok && c.onEvict != nil {
		c.onEvict(key, value)
	}
	return key, value, ok
}

// GetOldest returns the oldest entry's key and value and true without
// changing anything. On an empty cache it returns zero values and false.
func (c *Cache[K, V]) GetOldest() (key K, value V, ok bool) {
	c.mu.Lock()
	if e := c.lru.oldest(); e != nil {
		key, value, ok = e.key, e.value, true
	}
	c.mu.Unlock()
	return key, value, ok
}

// Keys returns the keys from the oldest to the newest, in a new slice that
// the caller may change. An empty cache gives an empty slice.
func (c *Cache[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.keys()
}

// Values returns the values in the order of Keys (oldest to newest), in a new
// slice that the caller may change.
func (c *Cache[K, V]) Values() []V {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.values()
}

// Len returns the number of entries in the cache. It is never more than Cap.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.len()
}

// Cap returns the current capacity: the one given to New, or to the last
// successful Resize.
func (c *Cache[K, V]) Cap() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.cap
}

// Resize sets the capacity to capacity. If the cache holds more entries than
// that, the oldest ones leave, oldest first, the callback runs for each in
// that order, and Resize returns how many left; otherwise it returns 0.
// A capacity that is zero or negative returns ErrInvalidCapacity and changes
// nothing.
func (c *Cache[K, V]) Resize(capacity int) (evicted int, err error) {
	if capacity <= 0 {
		return 0, ErrInvalidCapacity
	}
	var gone []pair[K, V]
	c.mu.Lock()
	for range c.lru.len() - capacity { // no iterations if it is not positive
		k, v, _ := c.lru.removeOldest()
		if c.onEvict != nil {
			gone = append(gone, pair[K, V]{k, v})
		}
		evicted++
	}
	c.lru.cap = capacity
	c.mu.Unlock()
	c.notify(gone)
	return evicted, nil
}

// Purge removes every entry, running the callback for each from the oldest
// to the newest. The capacity is unchanged and the cache stays usable.
func (c *Cache[K, V]) Purge() {
	var gone []pair[K, V]
	c.mu.Lock()
	if c.onEvict != nil {
		gone = c.lru.appendAll(make([]pair[K, V], 0, c.lru.len()))
	}
	c.lru.purge()
	c.mu.Unlock()
	c.notify(gone)
}

// notify runs the callback for every entry in gone, in order. The caller
// must not hold c.mu.
func (c *Cache[K, V]) notify(gone []pair[K, V]) {
	for _, p := range gone {
		c.onEvict(p.key, p.value)
	}
}

// pair is a key and value that left the cache, kept until the callback runs.
type pair[K comparable, V any] struct {
	key   K
	value V
}

// entry is one cached key and value, linked into the recency list.
type entry[K comparable, V any] struct {
	prev, next *entry[K, V]
	key        K
	value      V
}

// lru is the single-threaded core: a map from key to entry and a circular
// doubly linked list through the sentinel root, with the newest entry at
// root.next and the oldest at root.prev. It knows nothing of locks or
// callbacks; its methods return what left so that Cache can report it.
// An lru must not be copied after init (the list points at its root).
type lru[K comparable, V any] struct {
	root  entry[K, V]
	items map[K]*entry[K, V]
	cap   int
}

func (l *lru[K, V]) init(capacity int) {
	l.root.next, l.root.prev = &l.root, &l.root
	l.items = make(map[K]*entry[K, V])
	l.cap = capacity
}

func (l *lru[K, V]) len() int { return len(l.items) }

// pushFront links e as the newest entry.
func (l *lru[K, V]) pushFront(e *entry[K, V]) {
	e.prev, e.next = &l.root, l.root.next
	l.root.next.prev = e
	l.root.next = e
}

// unlink takes e out of the list.
func (l *lru[K, V]) unlink(e *entry[K, V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (l *lru[K, V]) moveToFront(e *entry[K, V]) {
	if l.root.next == e {
		return
	}
	l.unlink(e)
	l.pushFront(e)
}

// oldest returns the oldest entry, or nil if the list is empty.
func (l *lru[K, V]) oldest() *entry[K, V] {
	if l.root.prev == &l.root {
		return nil
	}
	return l.root.prev
}

// add inserts or updates key as the newest entry. If the cache was full and
// key was new, the oldest entry is evicted and returned.
func (l *lru[K, V]) add(key K, value V) (oldKey K, oldValue V, evicted bool) {
	if e, ok := l.items[key]; ok {
		e.value = value
		l.moveToFront(e)
		return oldKey, oldValue, false
	}
	if l.len() < l.cap {
		e := &entry[K, V]{key: key, value: value}
		l.items[key] = e
		l.pushFront(e)
		return oldKey, oldValue, false
	}
	// Full: the oldest entry leaves, and its node is reused for the new key.
	e := l.root.prev
	oldKey, oldValue = e.key, e.value
	delete(l.items, oldKey)
	e.key, e.value = key, value
	l.items[key] = e
	l.moveToFront(e)
	return oldKey, oldValue, true
}

func (l *lru[K, V]) get(key K) (value V, ok bool) {
	e, ok := l.items[key]
	if !ok {
		return value, false
	}
	l.moveToFront(e)
	return e.value, true
}

func (l *lru[K, V]) peek(key K) (value V, ok bool) {
	e, ok := l.items[key]
	if !ok {
		return value, false
	}
	return e.value, true
}

func (l *lru[K, V]) remove(key K) (value V, ok bool) {
	e, ok := l.items[key]
	if !ok {
		return value, false
	}
	l.unlink(e)
	delete(l.items, key)
	return e.value, true
}

func (l *lru[K, V]) removeOldest() (key K, value V, ok bool) {
	e := l.oldest()
	if e == nil {
		return key, value, false
	}
	l.unlink(e)
	delete(l.items, e.key)
	return e.key, e.value, true
}

// keys returns the keys from the oldest to the newest in a new slice.
func (l *lru[K, V]) keys() []K {
	keys := make([]K, 0, l.len())
	for e := l.root.prev; e != &l.root; e = e.prev {
		keys = append(keys, e.key)
	}
	return keys
}

// values returns the values in the order of keys, in a new slice.
func (l *lru[K, V]) values() []V {
	values := make([]V, 0, l.len())
	for e := l.root.prev; e != &l.root; e = e.prev {
		values = append(values, e.value)
	}
	return values
}

// appendAll appends every entry to dst, oldest first.
func (l *lru[K, V]) appendAll(dst []pair[K, V]) []pair[K, V] {
	for e := l.root.prev; e != &l.root; e = e.prev {
		dst = append(dst, pair[K, V]{e.key, e.value})
	}
	return dst
}

// purge empties the cache; the capacity is kept.
func (l *lru[K, V]) purge() {
	clear(l.items)
	l.root.next, l.root.prev = &l.root, &l.root
}
