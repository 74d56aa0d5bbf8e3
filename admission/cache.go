package admission

import (
	"container/list"
	"sync"
	"time"
)

// Verdict is a decision about one model reference in one environment.
type Verdict struct {
	Allowed bool
	Reason  string // a short label, for metrics
	Message string // what a person reads
	Warning string // what is close to expiry, when allowed
}

// Cache keeps verified verdicts, bounded in size, each until its expiry:
// never longer than the TTL (so a revocation or rollback takes effect
// within it) nor past the admitting VSA's own expiry.
type Cache struct {
	mu    sync.Mutex
	size  int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	key     string
	verdict Verdict
	expires time.Time
}

// NewCache holds at most size verdicts.
func NewCache(size int) *Cache {
	return &Cache{size: size, ll: list.New(), items: map[string]*list.Element{}}
}

// Get returns a verdict that has not expired at now.
func (c *Cache) Get(key string, now time.Time) (Verdict, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return Verdict{}, false
	}
	ent := e.Value.(*cacheEntry)
	if !now.Before(ent.expires) {
		c.ll.Remove(e)
		delete(c.items, key)
		return Verdict{}, false
	}
	c.ll.MoveToFront(e)
	return ent.verdict, true
}

// Put keeps a verdict until expires, evicting the least recently used.
func (c *Cache) Put(key string, v Verdict, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.Remove(e)
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, verdict: v, expires: expires})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// Purge forgets every verdict: a rollback this process wrote takes effect
// at once rather than within the TTL.
func (c *Cache) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.items)
}
