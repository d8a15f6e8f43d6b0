// Alternate: container/list with the oldest entry at the front, a fresh element per insert, and one method that runs a locked step and then the callbacks it collected.

// Package lru implements a fixed-capacity cache that, when full, evicts the
// entry used least recently. This version keeps the recency order in a
// container/list (oldest at the front, newest at the back) next to a map
// from key to list element.
package lru

import (
	"container/list"
	"errors"
	"sync"
)

// ErrInvalidCapacity is returned by New and Cache.Resize when the capacity is
// zero or negative.
var ErrInvalidCapacity = errors.New("lru: capacity must be positive")

// Option configures New. Make one with WithOnEvict.
type Option[K comparable, V any] struct {
	onEvict func(key K, value V)
	set     bool
}

// WithOnEvict sets a function called for every entry that leaves the cache.
// WithOnEvict(nil) means no callback.
func WithOnEvict[K comparable, V any](fn func(key K, value V)) Option[K, V] {
	return Option[K, V]{onEvict: fn, set: true}
}

// Cache is a thread-safe LRU cache. Use New; the zero value is not usable.
type Cache[K comparable, V any] struct {
	mu       sync.Mutex
	capacity int
	order    *list.List // of *item; front is the oldest
	items    map[K]*list.Element
	onEvict  func(key K, value V)
}

type item[K comparable, V any] struct {
	key   K
	value V
}

// New returns an empty cache that holds at most capacity entries.
func New[K comparable, V any](capacity int, opts ...Option[K, V]) (*Cache[K, V], error) {
	if capacity <= 0 {
		return nil, ErrInvalidCapacity
	}
	c := &Cache[K, V]{
		capacity: capacity,
		order:    list.New(),
		items:    make(map[K]*list.Element),
	}
	for _, o := range opts {
		if o.set {
			c.onEvict = o.onEvict
		}
	}
	return c, nil
}

// do runs step with the lock held, then calls the callback, without the
// lock, for every item step reported as gone, in order.
func (c *Cache[K, V]) do(step func(gone func(*item[K, V]))) {
	var gone []*item[K, V]
	c.mu.Lock()
	step(func(it *item[K, V]) { gone = append(gone, it) })
	c.mu.Unlock()
	if c.onEvict == nil {
		return
	}
	for _, it := range gone {
		c.onEvict(it.key, it.value)
	}
}

// drop unlinks e and returns its item. The caller holds the lock.
func (c *Cache[K, V]) drop(e *list.Element) *item[K, V] {
	it := c.order.Remove(e).(*item[K, V])
	delete(c.items, it.key)
	return it
}

// Add stores value under key and makes it the newest entry.
func (c *Cache[K, V]) Add(key K, value V) (evicted bool) {
	c.do(func(gone func(*item[K, V])) {
		if e, ok := c.items[key]; ok {
			e.Value.(*item[K, V]).value = value
			c.order.MoveToBack(e)
			return
		}
		c.items[key] = c.order.PushBack(&item[K, V]{key, value})
		if c.order.Len() > c.capacity {
			gone(c.drop(c.order.Front()))
			evicted = true
		}
	})
	return evicted
}

// Get returns the value for key and makes it the newest entry.
func (c *Cache[K, V]) Get(key K) (value V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return value, false
	}
	c.order.MoveToBack(e)
	return e.Value.(*item[K, V]).value, true
}

// Peek returns the value for key without changing the order.
func (c *Cache[K, V]) Peek(key K) (value V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return value, false
	}
	return e.Value.(*item[K, V]).value, true
}

// Contains reports whether key is present.
func (c *Cache[K, V]) Contains(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.items[key]
	return ok
}

// Remove removes key and reports whether it was present.
func (c *Cache[K, V]) Remove(key K) (present bool) {
	c.do(func(gone func(*item[K, V])) {
		if e, ok := c.items[key]; ok {
			gone(c.drop(e))
			present = true
		}
	})
	return present
}

// RemoveOldest removes and returns the oldest entry.
func (c *Cache[K, V]) RemoveOldest() (key K, value V, ok bool) {
	c.do(func(gone func(*item[K, V])) {
		if e := c.order.Front(); e != nil {
			it := c.drop(e)
			gone(it)
			key, value, ok = it.key, it.value, true
		}
	})
	return key, value, ok
}

// GetOldest returns the oldest entry without changing anything.
func (c *Cache[K, V]) GetOldest() (key K, value V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.order.Front(); e != nil {
		it := e.Value.(*item[K, V])
		return it.key, it.value, true
	}
	return key, value, false
}

// Keys returns the keys from the oldest to the newest in a new slice.
func (c *Cache[K, V]) Keys() []K {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]K, 0, c.order.Len())
	for e := c.order.Front(); e != nil; e = e.Next() {
		keys = append(keys, e.Value.(*item[K, V]).key)
	}
	return keys
}

// Values returns the values in the order of Keys in a new slice.
func (c *Cache[K, V]) Values() []V {
	c.mu.Lock()
	defer c.mu.Unlock()
	values := make([]V, 0, c.order.Len())
	for e := c.order.Front(); e != nil; e = e.Next() {
		values = append(values, e.Value.(*item[K, V]).value)
	}
	return values
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Cap returns the capacity.
func (c *Cache[K, V]) Cap() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capacity
}

// Resize changes the capacity, evicting the oldest entries that no longer
// fit, and returns how many left.
func (c *Cache[K, V]) Resize(capacity int) (evicted int, err error) {
	if capacity <= 0 {
		return 0, ErrInvalidCapacity
	}
	c.do(func(gone func(*item[K, V])) {
		c.capacity = capacity
		for c.order.Len() > capacity {
			gone(c.drop(c.order.Front()))
			evicted++
		}
	})
	return evicted, nil
}

// Purge removes every entry, oldest first.
func (c *Cache[K, V]) Purge() {
	c.do(func(gone func(*item[K, V])) {
		for e := c.order.Front(); e != nil; e = c.order.Front() {
			gone(c.drop(e))
		}
	})
}
