package eval

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/varsel/varsel/internal/detect"
)

// Counts holds the outcome for one entity type (or difficulty tag).
// Covered counts gold spans overlapped by a finding of any type: they
// would be removed by a redaction even where the type is wrong.
type Counts struct{ TP, FP, FN, Exact, Covered int }

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

	// PerTag counts TP, FN and Covered of the gold spans carrying each
	// difficulty tag (held-out corpus).
	PerTag map[string]*Counts
	// Misses and FalsePositives list the errors, in document order.
	Misses         []Miss
	FalsePositives []FalsePositive
	// Negatives is the number of labelled negatives, NegativesHit those a
	// finding overlapped.
	Negatives, NegativesHit int
}

// Miss is a gold span no finding of its type overlapped.
type Miss struct {
	Doc  string
	Span Span
	// Found is the type of a finding of another type over it, if any.
	Found string
}

// FalsePositive is a finding that overlaps no gold span of its type.
type FalsePositive struct {
	Doc     string
	Finding detect.Finding
	// Over says what it lies on: "negative:KIND" for a labelled
	// negative, "gold:TYPE" for an entity of another type, or "".
	Over string
}

// EngineFor returns the engine used for a document: the default detectors
// plus the case's own persons.
func EngineFor(base *detect.Engine, d Doc) *detect.Engine {
	return base.With(detect.NewPersons(d.Persons))
}

// Score runs the engine over docs. A prediction is a true positive when it
// overlaps a gold span of the same type (each gold span counts once; a
// second prediction on an already matched span is neither TP nor FP);
// Exact counts true positives whose span equals the gold span.
func Score(base *detect.Engine, docs []Doc) Result {
	res := Result{PerType: map[string]*Counts{}, PerTag: map[string]*Counts{}, Docs: len(docs)}
	get := func(m map[string]*Counts, t string) *Counts {
		if m[t] == nil {
			m[t] = &Counts{}
		}
		return m[t]
	}
	start := time.Now()
	preds := make([][]detect.Finding, len(docs))
	for i, d := range docs {
		preds[i] = EngineFor(base, d).Scan(d.Text)
		res.Bytes += len(d.Text)
	}
	res.Elapsed = time.Since(start)
	overlaps := func(p detect.Finding, g Span) bool { return p.Start < g.End && g.Start < p.End }
	for i, d := range docs {
		used := make([]bool, len(d.Gold))
		for _, p := range preds[i] {
			match, dup := -1, false
			for j, g := range d.Gold {
				if g.Type == p.Type && overlaps(p, g) {
					if !used[j] {
						match = j
						break
					}
					dup = true
				}
			}
			switch {
			case match >= 0:
				g := d.Gold[match]
				used[match] = true
				get(res.PerType, g.Type).TP++
				if p.Start == g.Start && p.End == g.End {
					get(res.PerType, g.Type).Exact++
				}
			case dup:
			default:
				get(res.PerType, p.Type).FP++
				fp := FalsePositive{Doc: d.ID, Finding: p}
				for _, n := range d.Negatives {
					if overlaps(p, n) {
						fp.Over = "negative:" + n.Type
						break
					}
				}
				if fp.Over == "" {
					for _, g := range d.Gold {
						if overlaps(p, g) {
							fp.Over = "gold:" + g.Type
							break
						}
					}
				}
				res.FalsePositives = append(res.FalsePositives, fp)
			}
		}
		for j, g := range d.Gold {
			covered, other := false, ""
			for _, p := range preds[i] {
				if overlaps(p, g) {
					covered = true
					if p.Type != g.Type && other == "" {
						other = p.Type
					}
				}
			}
			if covered {
				get(res.PerType, g.Type).Covered++
			}
			for _, tag := range g.Tags {
				c := get(res.PerTag, tag)
				if used[j] {
					c.TP++
				} else {
					c.FN++
				}
				if covered {
					c.Covered++
				}
			}
			if !used[j] {
				get(res.PerType, g.Type).FN++
				res.Misses = append(res.Misses, Miss{Doc: d.ID, Span: g, Found: other})
			}
		}
		res.Negatives += len(d.Negatives)
		for _, n := range d.Negatives {
			for _, p := range preds[i] {
				if overlaps(p, n) {
					res.NegativesHit++
					break
				}
			}
		}
	}
	return res
}

// Print writes the per-type table and totals. "any" is the share of gold
// spans overlapped by a finding of any type, i.e. removed by a redaction.
func (r Result) Print(w io.Writer) {
	var types []string
	for t := range r.PerType {
		types = append(types, t)
	}
	sort.Strings(types)
	fmt.Fprintf(w, "%-15s %6s %5s %5s %9s %7s %7s %7s %7s\n", "type", "TP", "FP", "FN", "exact", "prec", "recall", "F2", "any")
	var tot Counts
	for _, t := range types {
		c := r.PerType[t]
		tot.TP += c.TP
		tot.FP += c.FP
		tot.FN += c.FN
		tot.Exact += c.Exact
		tot.Covered += c.Covered
		fmt.Fprintf(w, "%-15s %6d %5d %5d %8.1f%% %7.3f %7.3f %7.3f %7.3f\n", t, c.TP, c.FP, c.FN, 100*ratio(c.Exact, c.TP), c.Precision(), c.Recall(), c.F2(), ratio(c.Covered, c.TP+c.FN))
	}
	fmt.Fprintf(w, "%-15s %6d %5d %5d %8.1f%% %7.3f %7.3f %7.3f %7.3f\n", "ALL (micro)", tot.TP, tot.FP, tot.FN, 100*ratio(tot.Exact, tot.TP), tot.Precision(), tot.Recall(), tot.F2(), ratio(tot.Covered, tot.TP+tot.FN))
}

// PrintDetails writes recall per difficulty tag, the labelled negatives
// that were hit, and every miss and false positive with its text and rule
// (the held-out data is fictitious, so the text may be shown).
func (r Result) PrintDetails(w io.Writer) {
	var tags []string
	for t := range r.PerTag {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	if len(tags) > 0 {
		fmt.Fprintf(w, "\n%-15s %6s %7s %7s\n", "tag", "gold", "recall", "any")
		for _, t := range tags {
			c := r.PerTag[t]
			fmt.Fprintf(w, "%-15s %6d %7.3f %7.3f\n", t, c.TP+c.FN, c.Recall(), ratio(c.Covered, c.TP+c.FN))
		}
	}
	if r.Negatives > 0 {
		fmt.Fprintf(w, "\nlabelled negatives: %d, hit by a finding: %d\n", r.Negatives, r.NegativesHit)
	}
	fmt.Fprintf(w, "\nmisses (%d):\n", len(r.Misses))
	for _, m := range r.Misses {
		extra := ""
		if m.Found != "" {
			extra = " (found as " + m.Found + ")"
		}
		fmt.Fprintf(w, "  %-22s %-13s %q %v%s\n", m.Doc, m.Span.Type, m.Span.Text, m.Span.Tags, extra)
	}
	fmt.Fprintf(w, "\nfalse positives (%d):\n", len(r.FalsePositives))
	for _, f := range r.FalsePositives {
		over := ""
		if f.Over != "" {
			over = " on " + f.Over
		}
		fmt.Fprintf(w, "  %-22s %-13s %q rule %s%s\n", f.Doc, f.Finding.Type, f.Finding.Text, f.Finding.Rule, over)
	}
}
