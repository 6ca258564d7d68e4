package throttle

import (
	"testing"
	"time"
)

func TestFailuresBlockAfterBurstAndRecoverOverTime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &Failures{Burst: 3, Every: 10 * time.Second, Now: func() time.Time { return now }}
	for i := range 3 {
		if f.Blocked("k") {
			t.Fatalf("blocked after %d failures", i)
		}
		f.Fail("k")
	}
	if !f.Blocked("k") {
		t.Fatal("not blocked after the burst")
	}
	if f.Blocked("other") {
		t.Fatal("one key's failures must not block another")
	}
	now = now.Add(10 * time.Second)
	if f.Blocked("k") {
		t.Fatal("still blocked after a token came back")
	}
}

func TestFailuresTableStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &Failures{Burst: 1, Every: time.Hour, Now: func() time.Time { return now }}
	for i := range maxKeys + 10 {
		f.Fail(string(rune(i)))
	}
	if len(f.buckets) > maxKeys {
		t.Fatalf("%d buckets kept, limit %d", len(f.buckets), maxKeys)
	}
}
