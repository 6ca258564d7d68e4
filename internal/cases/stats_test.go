package cases_test

import (
	"encoding/json"
	"testing"

	"github.com/varsel/varsel/internal/cases"
)

func TestCountSuppressesSmallValues(t *testing.T) {
	b, err := json.Marshal([]cases.Count{0, 1, 4, 5, 120})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []any{float64(0), "<5", "<5", float64(5), float64(120)}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %s", b)
		}
	}
}

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := cases.Percentile(v, 50); got != 5.5 {
		t.Errorf("median %v", got)
	}
	if got := cases.Percentile(v, 90); got != 9.1 {
		t.Errorf("p90 %v", got)
	}
	if got := cases.Percentile([]float64{2, 7, 9}, 50); got != 7 {
		t.Errorf("odd median %v", got)
	}
}
