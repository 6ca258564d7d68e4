// Package throttle slows down guessing. It counts failures per key in a
// token bucket: each failure takes a token, tokens come back at a steady
// rate, and a key with an empty bucket is refused until one returns.
// Successful attempts cost nothing.
package throttle

import (
	"sync"
	"time"
)

// maxKeys bounds memory: when full, buckets that have refilled are dropped,
// and failing that the whole table is reset (which favours availability
// over strictness under a flood of distinct keys).
const maxKeys = 10000

// Failures throttles failed attempts.
type Failures struct {
	Burst int           // failures allowed at once
	Every time.Duration // one failure forgiven per interval
	Now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func (f *Failures) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Failures) refill(b *bucket, now time.Time) {
	if f.Every > 0 {
		b.tokens += float64(now.Sub(b.at)) / float64(f.Every)
	}
	b.tokens = min(b.tokens, float64(f.Burst))
	b.at = now
}

// Blocked tells whether key has used up its failures; it has no side effects.
func (f *Failures) Blocked(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[key]
	if !ok {
		return false
	}
	f.refill(b, f.now())
	return b.tokens < 1
}

// Fail records a failed attempt for key.
func (f *Failures) Fail(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if f.buckets == nil {
		f.buckets = make(map[string]*bucket)
	}
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= maxKeys {
			f.prune(now)
		}
		b = &bucket{tokens: float64(f.Burst), at: now}
		f.buckets[key] = b
	}
	f.refill(b, now)
	b.tokens = max(b.tokens-1, 0)
}

// Take reserves a failure for key before an attempt is judged, and
// reports false (taking nothing) when key has used up its failures. A
// check with Blocked followed by Fail after a slow attempt lets any number
// of concurrent attempts pass the check before the first one fails; Take
// does not, so concurrency cannot raise the number of guesses past Burst.
// Give the token back with Refund when the attempt succeeds or fails for
// a reason that is not a wrong guess.
func (f *Failures) Take(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if f.buckets == nil {
		f.buckets = make(map[string]*bucket)
	}
	b, ok := f.buckets[key]
	if !ok {
		if len(f.buckets) >= maxKeys {
			f.prune(now)
		}
		b = &bucket{tokens: float64(f.Burst), at: now}
		f.buckets[key] = b
	}
	f.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Refund returns a token taken with Take.
func (f *Failures) Refund(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.buckets[key]; ok {
		f.refill(b, f.now())
		b.tokens = min(b.tokens+1, float64(f.Burst))
	}
}

func (f *Failures) prune(now time.Time) {
	for k, b := range f.buckets {
		f.refill(b, now)
		if b.tokens >= float64(f.Burst) {
			delete(f.buckets, k)
		}
	}
	if len(f.buckets) >= maxKeys {
		f.buckets = make(map[string]*bucket)
	}
}
