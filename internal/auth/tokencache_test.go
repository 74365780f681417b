package auth

import (
	"strconv"
	"testing"
)

// A token read before the cache was emptied is not remembered after: the
// event that emptied it may be its revocation.
func TestTokenCacheDropsReadsFromBeforeAClear(t *testing.T) {
	c := &tokenCache{entries: map[string]Viewer{}}
	_, gen, ok := c.get("h")
	if ok {
		t.Fatal("empty cache hit")
	}
	c.clear() // a revocation published while the token was being read
	c.put("h", Viewer{AgentID: 1}, gen)
	if _, _, ok := c.get("h"); ok {
		t.Fatal("a read from before the clear was remembered")
	}
	_, gen, _ = c.get("h")
	c.put("h", Viewer{AgentID: 1}, gen)
	if v, _, ok := c.get("h"); !ok || v.AgentID != 1 {
		t.Fatal("a read after the clear was not remembered")
	}
}

// The cache stays within its bound.
func TestTokenCacheIsBounded(t *testing.T) {
	c := &tokenCache{entries: map[string]Viewer{}}
	for i := range tokenCacheSize + 10 {
		c.put(strconv.Itoa(i), Viewer{AgentID: i}, 0)
	}
	if len(c.entries) != tokenCacheSize {
		t.Fatalf("%d entries, bound %d", len(c.entries), tokenCacheSize)
	}
}
