package eval

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/varsel/varsel/internal/detect"
)

// Counts holds the outcome for one entity type.
type Counts struct{ TP, FP, FN, Exact int }

// Precision, Recall and F2 (recall weighted twice as much as precision).
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }
func (c Counts) Recall() float64    { return ratio(c.TP, c.TP+c.FN) }
func (c Counts) F2() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 5 * p * r / (4*p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Result is a scored run.
type Result struct {
	PerType map[string]*Counts
	Bytes   int
	Elapsed time.Duration
	Docs    int
}

// EngineFor returns the engine used for a document: the default detectors
// plus the case's own persons.
func EngineFor(base *detect.Engine, d Doc) *detect.Engine {
	return base.With(detect.NewPersons(d.Persons))
}

// Score runs the engine over docs. A prediction is a true positive when it
// overlaps a gold span of the same type (each gold span counts once); Exact
// counts true positives whose span equals the gold span.
func Score(base *detect.Engine, docs []Doc) Result {
	res := Result{PerType: map[string]*Counts{}, Docs: len(docs)}
	get := func(t string) *Counts {
		if res.PerType[t] == nil {
			res.PerType[t] = &Counts{}
		}
		return res.PerType[t]
	}
	start := time.Now()
	preds := make([][]detect.Finding, len(docs))
	for i, d := range docs {
		preds[i] = EngineFor(base, d).Scan(d.Text)
		res.Bytes += len(d.Text)
	}
	res.Elapsed = time.Since(start)
	for i, d := range docs {
		used := make([]bool, len(d.Gold))
		for _, p := range preds[i] {
			hit := false
			for j, g := range d.Gold {
				if g.Type == p.Type && p.Start < g.End && g.Start < p.End {
					if !used[j] {
						used[j] = true
						get(g.Type).TP++
						if p.Start == g.Start && p.End == g.End {
							get(g.Type).Exact++
						}
					}
					hit = true
					break
				}
			}
			if !hit {
				get(p.Type).FP++
			}
		}
		for j, g := range d.Gold {
			if !used[j] {
				get(g.Type).FN++
			}
		}
	}
	return res
}

// Print writes the per-type table and totals.
func (r Result) Print(w io.Writer) {
	var types []string
	for t := range r.PerType {
		types = append(types, t)
	}
	sort.Strings(types)
	fmt.Fprintf(w, "%-15s %6s %5s %5s %9s %7s %7s %7s\n", "type", "TP", "FP", "FN", "exact", "prec", "recall", "F2")
	var tot Counts
	for _, t := range types {
		c := r.PerType[t]
		tot.TP += c.TP
		tot.FP += c.FP
		tot.FN += c.FN
		tot.Exact += c.Exact
		fmt.Fprintf(w, "%-15s %6d %5d %5d %8.1f%% %7.3f %7.3f %7.3f\n", t, c.TP, c.FP, c.FN, 100*ratio(c.Exact, c.TP), c.Precision(), c.Recall(), c.F2())
	}
	fmt.Fprintf(w, "%-15s %6d %5d %5d %8.1f%% %7.3f %7.3f %7.3f\n", "ALL (micro)", tot.TP, tot.FP, tot.FN, 100*ratio(tot.Exact, tot.TP), tot.Precision(), tot.Recall(), tot.F2())
}
