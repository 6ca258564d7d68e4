package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func TestLeaseRaceHasExactlyOneWinner(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for round := range 5 {
			job := fmt.Sprintf("race-%d", round)
			const n = 8
			var wg sync.WaitGroup
			won := make([]bool, n)
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					won[i], errs[i] = db.AcquireLease(ctx, "default", job, fmt.Sprintf("node-%d", i), now, time.Minute)
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("holder %d: %v", i, errs[i])
				}
				if won[i] {
					winners++
				}
			}
			if winners != 1 {
				t.Fatalf("round %d: %d winners, want exactly 1", round, winners)
			}
		}
	})
}

func TestLeaseExpiryRenewalAndRelease(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		acquire := func(holder string, at time.Time, want bool) {
			t.Helper()
			ok, err := db.AcquireLease(ctx, "default", "reminders", holder, at, 5*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if ok != want {
				t.Fatalf("%s at %v: acquired=%v, want %v", holder, at.Format(time.TimeOnly), ok, want)
			}
		}
		acquire("a", now, true)
		acquire("b", now.Add(time.Minute), false)
		acquire("a", now.Add(4*time.Minute), true) // renewal: now valid until +9m
		acquire("b", now.Add(6*time.Minute), false)
		acquire("b", now.Add(9*time.Minute), true) // expired: taken over
		acquire("a", now.Add(10*time.Minute), false)

		// Another tenant's or job's lease is independent.
		if ok, err := db.AcquireLease(ctx, "other", "reminders", "a", now.Add(10*time.Minute), time.Minute); err != nil || !ok {
			t.Fatalf("other tenant: %v %v", ok, err)
		}
		if ok, err := db.AcquireLease(ctx, "default", "sweep", "a", now.Add(10*time.Minute), time.Minute); err != nil || !ok {
			t.Fatalf("other job: %v %v", ok, err)
		}

		// Releasing someone else's lease does nothing; one's own frees it.
		if err := db.ReleaseLease(ctx, "default", "reminders", "a"); err != nil {
			t.Fatal(err)
		}
		acquire("a", now.Add(11*time.Minute), false)
		if err := db.ReleaseLease(ctx, "default", "reminders", "b"); err != nil {
			t.Fatal(err)
		}
		acquire("a", now.Add(11*time.Minute), true)

		if _, err := db.AcquireLease(ctx, "default", "x", "", now, time.Minute); err == nil {
			t.Fatal("empty holder accepted")
		}
	})
}
