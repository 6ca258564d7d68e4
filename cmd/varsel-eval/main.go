// Command varsel-eval scores internal/detect on a labelled corpus of Nordic
// case texts (internal/detect/eval) and prints precision, recall and F2 per
// entity type, and detection throughput in MB/s.
//
//	go run ./cmd/varsel-eval -docs 2000 -seed 1     # synthetic corpus
//	go run ./cmd/varsel-eval -corpus heldout        # hand-written held-out set
//	go run ./cmd/varsel-eval -corpus FILE.jsonl     # any corpus in that format
//
// The synthetic corpus is written from the detectors' own cue words and
// formats, so it is a regression check; the held-out set was written
// without them and is the fairer figure (see docs/benchmarks.md).
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
	corpusName := flag.String("corpus", "synthetic", `"synthetic", "heldout", or the path of a JSONL corpus`)
	docs := flag.Int("docs", 2000, "number of synthetic documents")
	seed := flag.Uint64("seed", 1, "corpus seed (synthetic)")
	lists := flag.String("lists", "", "directory of organisation lists (places.txt, institutions.txt, names.txt)")
	rounds := flag.Int("rounds", 5, "throughput rounds over the corpus")
	details := flag.Bool("details", true, "with a labelled corpus: print recall per tag, misses and false positives")
	flag.Parse()

	if err := run(*corpusName, *docs, *seed, *lists, *rounds, *details); err != nil {
		fmt.Fprintln(os.Stderr, "varsel-eval:", err)
		os.Exit(1)
	}
}

func run(corpusName string, docs int, seed uint64, lists string, rounds int, details bool) error {
	base := detect.Default()
	if lists != "" {
		l, err := detect.LoadLists(lists)
		if err != nil {
			return err
		}
		base = base.With(l)
	}
	var corpus []eval.Doc
	var err error
	switch corpusName {
	case "synthetic":
		corpus = eval.Generate(seed, docs)
	case "heldout":
		corpus, err = eval.Heldout()
	default:
		corpus, err = eval.LoadJSONL(corpusName)
	}
	if err != nil {
		return err
	}
	if len(corpus) == 0 {
		return fmt.Errorf("corpus %s has no documents", corpusName)
	}
	res := eval.Score(base, corpus)
	desc := fmt.Sprintf("seed %d", seed)
	if corpusName != "synthetic" {
		desc = corpusName
	}
	fmt.Printf("corpus: %d documents, %d bytes, %s; match: same type and overlapping span\n\n", res.Docs, res.Bytes, desc)
	res.Print(os.Stdout)
	if details && corpusName != "synthetic" {
		res.PrintDetails(os.Stdout)
	}

	// Throughput: the whole engine (default detectors plus the case's
	// persons) over the corpus, best of rounds.
	best := time.Duration(1<<63 - 1)
	total := 0
	for range max(rounds, 1) {
		total = 0
		start := time.Now()
		for _, d := range corpus {
			eval.EngineFor(base, d).Scan(d.Text)
			total += len(d.Text)
		}
		best = min(best, time.Since(start))
	}
	fmt.Printf("\nthroughput: %.2f MB/s (%d bytes in %v, best of %d rounds, 1 goroutine)\n", float64(total)/1e6/best.Seconds(), total, best.Round(time.Millisecond), max(rounds, 1))
	return nil
}
