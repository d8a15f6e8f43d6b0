package lru

import (
	"testing"

	golru "github.com/hashicorp/golang-lru/v2"

	"github.com/microkata/microkata/conformance/internal/harness"
	"github.com/microkata/microkata/conformance/internal/report"
	ref "github.com/microkata/microkata/solutions/lru"
)

// libVersion is the golang-lru version go.mod requires.
const libVersion = "github.com/hashicorp/golang-lru/v2 v2.0.7"

func TestMain(m *testing.M) { report.Main(m, "lru", "solutions/lru", libVersion) }

// cache is the kata's API with int keys and values: what both sides offer.
type cache interface {
	Add(key, value int) (evicted bool)
	Get(key int) (value int, ok bool)
	Peek(key int) (value int, ok bool)
	Contains(key int) bool
	Remove(key int) (present bool)
	RemoveOldest() (key, value int, ok bool)
	GetOldest() (key, value int, ok bool)
	Keys() []int
	Values() []int
	Len() int
	Cap() int
	Resize(capacity int) (evicted int, err error)
	Purge()
}

// newCache builds a cache of the given capacity; onEvict may be nil.
type newCache func(capacity int, onEvict func(key, value int)) (cache, error)

var (
	reference = harness.Impl[newCache]{Name: "reference", New: newRef}
	library   = harness.Impl[newCache]{Name: "golang-lru", New: newLib}
)

func newRef(capacity int, onEvict func(key, value int)) (cache, error) {
	c, err := ref.New(capacity, ref.WithOnEvict(onEvict))
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newLib(capacity int, onEvict func(key, value int)) (cache, error) {
	c, err := golru.NewWithEvict(capacity, onEvict)
	if err != nil {
		return nil, err
	}
	return &libCache{Cache: c, capacity: capacity}, nil
}

// libCache adds what golang-lru's Cache does not have in the kata's form:
// Cap (golang-lru v2.0.7 has none on Cache, so the adapter remembers the
// capacity it last gave New or Resize) and Resize's error result (golang-lru
// returns none: it never refuses, see exclusion LRU-1).
type libCache struct {
	*golru.Cache[int, int]
	capacity int
}

func (c *libCache) Cap() int { return c.capacity }

func (c *libCache) Resize(capacity int) (int, error) {
	n := c.Cache.Resize(capacity)
	c.capacity = capacity
	return n, nil
}
