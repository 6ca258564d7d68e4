package throttle

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// However many attempts arrive at once, no more than Burst get a token:
// the reservation happens before the slow attempt, not after it.
func TestTakeBoundsConcurrentAttemptsToTheBurst(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &Failures{Burst: 10, Every: time.Hour, Now: func() time.Time { return now }}
	var granted atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if f.Take("k") {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if got := granted.Load(); got != 10 {
		t.Fatalf("%d of 200 concurrent attempts got a token, want the burst of 10", got)
	}
	if !f.Blocked("k") {
		t.Fatal("not blocked with every token taken")
	}
}

// A refunded token (a right guess, or an attempt that failed for another
// reason) costs nothing, and refunds never raise the bucket past Burst.
func TestRefundReturnsATakenToken(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &Failures{Burst: 2, Every: time.Hour, Now: func() time.Time { return now }}
	for range 50 {
		if !f.Take("k") {
			t.Fatal("a refunded attempt was charged")
		}
		f.Refund("k")
	}
	f.Refund("k")
	f.Refund("never-taken")
	f.Take("k")
	f.Take("k")
	if f.Take("k") {
		t.Fatal("refunds raised the bucket past the burst")
	}
}
