package redact

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/detect"
)

// nameTokens splits a name into normalised, spelling-folded words:
// "Nordmann, K." → ["nordmann", "k"], "Søren-Aabye" → ["soren", "abye"].
func nameTokens(s string) []string {
	norm, _, _ := detect.Normalize(s)
	return strings.FieldsFunc(detect.FoldName(norm), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// fullTokens counts the tokens of more than one character.
func fullTokens(toks []string) int {
	n := 0
	for _, t := range toks {
		if utf8.RuneCountInString(t) > 1 {
			n++
		}
	}
	return n
}

// tokenMatches reports whether the finding token t stands for the name
// token n: equal up to a genitive -s on either, or an initial of n.
func tokenMatches(t, n string) bool {
	if utf8.RuneCountInString(t) == 1 {
		return strings.HasPrefix(n, t)
	}
	return t == n || t == n+"s" || n == t+"s"
}

// matchesName reports whether every token of a finding stands for a token
// of name, or the finding is the name written together as in an e-mail
// address ("karinordmann", "knordmann"). At least one token must be more
// than an initial.
func matchesName(toks, name []string) bool {
	if len(name) == 0 || fullTokens(toks) == 0 {
		return false
	}
	if len(toks) == 1 && len(name) > 1 {
		first, last := name[0], name[len(name)-1]
		ini, _ := utf8.DecodeRuneInString(first)
		if toks[0] == first+last || toks[0] == string(ini)+last {
			return true
		}
	}
	used := make([]bool, len(name))
	for _, t := range toks {
		found := false
		for j, n := range name {
			if !used[j] && tokenMatches(t, n) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// personKeys returns a pseudonym key for each person finding in texts so
// that the same person gets the same key:
//
//  1. a finding that matches the name or an alias of exactly one of the
//     case's persons is that person;
//  2. otherwise findings with two or more full words that match each other
//     in both directions ("Kari Nordmann", "Nordmann, Kari", "Kari
//     Nordmanns") form one person;
//  3. a shorter finding ("Nordmann", "K. Nordmann", "Kari") joins the one
//     person of steps 1 and 2 that it matches; when it matches none or
//     several it is a person of its own, keyed by its words.
func personKeys(texts []string, people []detect.Person) []string {
	type known struct{ names [][]string }
	listed := make([]known, len(people))
	for i, p := range people {
		for _, n := range append([]string{p.Name}, p.Aliases...) {
			if t := nameTokens(n); len(t) > 0 {
				listed[i].names = append(listed[i].names, t)
			}
		}
	}
	// clusters are the persons of steps 1 and 2.
	type cluster struct {
		key   string
		names [][]string
	}
	var clusters []cluster
	clusterOf := map[string]int{} // listed-person key → cluster index
	keys := make([]string, len(texts))
	toks := make([][]string, len(texts))
	for i, s := range texts {
		toks[i] = nameTokens(s)
		match := -1
		for j, p := range listed {
			if slices.ContainsFunc(p.names, func(n []string) bool { return matchesName(toks[i], n) }) {
				if match >= 0 {
					match = -2 // ambiguous
					break
				}
				match = j
			}
		}
		if match >= 0 {
			keys[i] = "listed:" + strconv.Itoa(match)
			if _, ok := clusterOf[keys[i]]; !ok {
				clusterOf[keys[i]] = len(clusters)
				clusters = append(clusters, cluster{key: keys[i], names: listed[match].names})
			}
		}
	}
	for i := range texts {
		if keys[i] != "" || fullTokens(toks[i]) < 2 {
			continue
		}
		match := -1
		for c, cl := range clusters {
			if strings.HasPrefix(cl.key, "listed:") {
				continue
			}
			n := cl.names[0]
			if matchesName(toks[i], n) && matchesName(n, toks[i]) {
				match = c
				break
			}
		}
		if match < 0 {
			match = len(clusters)
			clusters = append(clusters, cluster{key: "doc:" + strconv.Itoa(match), names: [][]string{toks[i]}})
		}
		keys[i] = clusters[match].key
	}
	for i := range texts {
		if keys[i] != "" {
			continue
		}
		match := -1
		for c, cl := range clusters {
			if slices.ContainsFunc(cl.names, func(n []string) bool { return matchesName(toks[i], n) }) {
				if match >= 0 {
					match = -2
					break
				}
				match = c
			}
		}
		if match >= 0 {
			keys[i] = clusters[match].key
			continue
		}
		t := slices.Clone(toks[i])
		slices.Sort(t)
		keys[i] = "words:" + strings.Join(t, " ")
	}
	return keys
}

// ReadPersons reads the case's persons, one a line: the name, then any
// aliases, separated by semicolons ("Kari Nordmann; Kari N.; Kari Hansen").
// Empty lines and lines starting with '#' are skipped. Errors name the line
// number only.
func ReadPersons(r io.Reader) ([]detect.Person, error) {
	var out []detect.Person
	err := readLines(r, func(no int, line string) error {
		parts := strings.Split(line, ";")
		p := detect.Person{Name: strings.TrimSpace(parts[0])}
		for _, a := range parts[1:] {
			if a = strings.TrimSpace(a); a != "" {
				p.Aliases = append(p.Aliases, a)
			}
		}
		if p.Name == "" {
			return fmt.Errorf("line %d: the name before the first ';' is empty", no)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// readLines calls fn for every non-empty, non-comment line of r, trimmed.
func readLines(r io.Reader, fn func(no int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	no := 0
	for sc.Scan() {
		no++
		line := sc.Text()
		if no == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if !utf8.ValidString(line) {
			return fmt.Errorf("line %d: not UTF-8", no)
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(no, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", no+1, err)
	}
	return nil
}
