// Command varsel-eval scores internal/detect on a labelled synthetic corpus
// of Nordic case texts (internal/detect/eval) and prints precision, recall
// and F2 per entity type, and detection throughput in MB/s.
//
//	go run ./cmd/varsel-eval -docs 2000 -seed 1
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/detect/eval"
)

func main() {
	docs := flag.Int("docs", 2000, "number of synthetic documents")
	seed := flag.Uint64("seed", 1, "corpus seed")
	lists := flag.String("lists", "", "directory of organisation lists (places.txt, institutions.txt, names.txt)")
	rounds := flag.Int("rounds", 5, "throughput rounds over the corpus")
	flag.Parse()

	base := detect.Default()
	if *lists != "" {
		l, err := detect.LoadLists(*lists)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		base = base.With(l)
	}
	corpus := eval.Generate(*seed, *docs)
	res := eval.Score(base, corpus)
	fmt.Printf("corpus: %d documents, %d bytes, seed %d; match: same type and overlapping span\n\n", res.Docs, res.Bytes, *seed)
	res.Print(os.Stdout)

	// Throughput: the whole engine (default detectors plus the case's
	// persons) over the corpus, best of rounds.
	best := time.Duration(1<<63 - 1)
	total := 0
	for range *rounds {
		total = 0
		start := time.Now()
		for _, d := range corpus {
			eval.EngineFor(base, d).Scan(d.Text)
			total += len(d.Text)
		}
		best = min(best, time.Since(start))
	}
	fmt.Printf("\nthroughput: %.2f MB/s (%d bytes in %v, best of %d rounds, 1 goroutine)\n", float64(total)/1e6/best.Seconds(), total, best.Round(time.Millisecond), *rounds)
}
