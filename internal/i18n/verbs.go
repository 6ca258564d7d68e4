package i18n

import (
	"errors"
	"fmt"
	"slices"
)

// verb is one formatting directive: the argument it consumes and its verb.
type verb struct {
	arg  int
	char rune
}

// verbs extracts the fmt directives of s. Explicit argument indexes
// ("%[2]s") are honoured because a translation may need to reorder
// arguments, which is legitimate as long as each argument keeps its verb.
func verbs(s string) ([]verb, error) {
	var out []verb
	arg := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i >= len(s) {
			return nil, errors.New("dangling % at end of text")
		}
		if s[i] == '%' {
			continue
		}
		for i < len(s) && isFlagOrWidth(s[i]) {
			i++
		}
		if i < len(s) && s[i] == '[' {
			j := i + 1
			n := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				n = n*10 + int(s[j]-'0')
				j++
			}
			if j >= len(s) || s[j] != ']' || n < 1 {
				return nil, errors.New("malformed argument index")
			}
			arg = n - 1
			i = j + 1
			for i < len(s) && isFlagOrWidth(s[i]) {
				i++
			}
		}
		if i >= len(s) {
			return nil, errors.New("verb missing after %")
		}
		c := rune(s[i])
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return nil, fmt.Errorf("invalid verb %q", c)
		}
		out = append(out, verb{arg: arg, char: c})
		arg++
	}
	return out, nil
}

func isFlagOrWidth(c byte) bool {
	switch c {
	case '+', '-', '#', ' ', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.':
		return true
	}
	return false
}

// sameVerbs reports an error unless translation consumes the same arguments
// with the same verbs as the English text, in any order.
func sameVerbs(english, translation string) error {
	want, err := verbs(english)
	if err != nil {
		return fmt.Errorf("english text: %w", err)
	}
	got, err := verbs(translation)
	if err != nil {
		return err
	}
	sortVerbs := func(v []verb) []verb {
		v = slices.Clone(v)
		slices.SortFunc(v, func(a, b verb) int {
			if a.arg != b.arg {
				return a.arg - b.arg
			}
			return int(a.char - b.char)
		})
		return slices.Compact(v)
	}
	if !slices.Equal(sortVerbs(want), sortVerbs(got)) {
		return fmt.Errorf("format verbs %s differ from English %s", describe(got), describe(want))
	}
	return nil
}

func describe(v []verb) string {
	s := "["
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%%%c", x.arg+1, x.char)
	}
	return s + "]"
}
