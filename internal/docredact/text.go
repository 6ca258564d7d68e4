package docredact

import (
	"fmt"

	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/redact"
)

func analyseText(text string, opt Options) *Analysis {
	a := &Analysis{MediaType: "text/plain; charset=utf-8", Pages: 1}
	for _, f := range opt.engine().Scan(text) {
		a.Findings = append(a.Findings, Finding{Finding: f, Page: 1, Source: "text"})
	}
	return a
}

// redactText removes the reviewed findings (or, without a review, every
// finding at MinScore or above) with internal/redact.
func redactText(text string, opt Options) (*Result, error) {
	ro := redact.Options{Mode: redact.Remove, MinScore: opt.MinScore, Lang: opt.Lang, Persons: opt.Persons}
	if opt.Categories {
		ro = redact.DefaultOptions()
		ro.MinScore, ro.Persons = opt.MinScore, opt.Persons
		if opt.Lang != "" {
			ro.Lang = opt.Lang
		}
	}
	var fs []detect.Finding
	if opt.Reviewed != nil {
		ro.MinScore = 0 // the handler decided
		for i, f := range opt.Reviewed {
			if f.Start < 0 || f.End > len(text) || f.Start > f.End {
				return nil, fmt.Errorf("%w: reviewed finding %d is outside the text", ErrBadArea, i)
			}
			fs = append(fs, f.Finding)
		}
	} else {
		fs = opt.engine().Scan(text)
	}
	res, err := redact.Text(text, fs, ro)
	if err != nil {
		return nil, fmt.Errorf("docredact: text: %w", err)
	}
	return &Result{Data: []byte(res.Text), MediaType: "text/plain; charset=utf-8", Pages: 1}, nil
}
