package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// A burst of concurrent wrong receipts gets no more guesses evaluated than
// the throttle's burst of 100: the rest are refused at once with 429
// instead of waiting for an Argon2 slot, which also bounds the memory a
// flood of logins holds (issue 6, "many concurrent receipt logins").
func TestHostileConcurrentReceiptGuessesAreCappedAtTheBurst(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	receipt := e.submitOK(minimalAnswers("target"))
	tr := &http.Transport{MaxIdleConnsPerHost: 300}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	const n = 300
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			resp, err := client.Post(e.public.URL+"/api/v1/wb/session", "application/json",
				strings.NewReader(fmt.Sprintf(`{"receipt":"%04d %04d ZZZZ %04d"}`, i, i*7%10000, i*13%10000)))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	t.Logf("answers: %v", counts)
	if counts[http.StatusUnauthorized] > 100 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n {
		t.Fatalf("answers %v: want at most 100 guesses judged (401) and the rest refused (429)", counts)
	}
	// A right receipt is throttled with everyone else during the flood;
	// once tokens come back, it logs in and is not charged for it.
	e.clock.Advance(20e9)
	e.wbLogin(receipt)
}
