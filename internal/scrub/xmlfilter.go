package scrub

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// A streaming XML rewriter that keeps the document byte-for-byte close to
// the original (prefixes, attribute order, whitespace) while dropping
// elements, unwrapping others and removing attributes. It works on raw
// tokens, resolving namespaces itself, so that prefixes are written back
// exactly as they were.

type xmlAction int

const (
	xmlKeep   xmlAction = iota
	xmlDrop             // the element and everything in it
	xmlUnwrap           // the tags only; the content stays
)

type xname struct{ space, local string }

type xmlRules struct {
	// element decides what happens to an element; attrs are resolved.
	element func(n xname, attrs []xml.Attr) xmlAction
	// dropAttr removes one attribute of a kept element.
	dropAttr func(elem, attr xname, value string) bool
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

type xmlFrame struct {
	raw    string
	ns     map[string]string
	action xmlAction
}

// filterXML copies r to w through rules and counts, per local name, the
// elements dropped or unwrapped and the attributes removed.
func filterXML(w io.Writer, r io.Reader, rules xmlRules, counts map[string]int) error {
	d := newDecoder(r)
	bw := bufio.NewWriterSize(w, 32<<10)
	var stack []xmlFrame
	drop := 0 // depth inside a dropped element
	lookup := func(prefix string) string {
		if prefix == "xml" {
			return nsXML
		}
		for i := len(stack) - 1; i >= 0; i-- {
			if u, ok := stack[i].ns[prefix]; ok {
				return u
			}
		}
		return prefix
	}
	rawName := func(n xml.Name) string {
		if n.Space == "" {
			return n.Local
		}
		return n.Space + ":" + n.Local
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: xml: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 256 {
				return fmt.Errorf("%w: xml nested too deeply", ErrMalformed)
			}
			f := xmlFrame{raw: rawName(t.Name)}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					if f.ns == nil {
						f.ns = map[string]string{}
					}
					f.ns[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					if f.ns == nil {
						f.ns = map[string]string{}
					}
					f.ns[""] = a.Value
				}
			}
			stack = append(stack, f)
			top := &stack[len(stack)-1]
			if drop > 0 {
				drop++
				top.action = xmlDrop
				continue
			}
			n := xname{lookup(t.Name.Space), t.Name.Local}
			resolved := make([]xml.Attr, 0, len(t.Attr))
			for _, a := range t.Attr {
				sp := ""
				if a.Name.Space != "" && a.Name.Space != "xmlns" {
					sp = lookup(a.Name.Space)
				}
				resolved = append(resolved, xml.Attr{Name: xml.Name{Space: sp, Local: a.Name.Local}, Value: a.Value})
			}
			act := xmlKeep
			if rules.element != nil {
				act = rules.element(n, resolved)
			}
			top.action = act
			if act != xmlKeep && counts != nil {
				counts[n.local]++
			}
			if act == xmlDrop {
				drop = 1
				continue
			}
			if act == xmlUnwrap {
				continue
			}
			bw.WriteByte('<')
			bw.WriteString(top.raw)
			for i, a := range t.Attr {
				ra := resolved[i]
				if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") &&
					rules.dropAttr != nil && rules.dropAttr(n, xname{ra.Name.Space, ra.Name.Local}, a.Value) {
					if counts != nil {
						counts["@"+a.Name.Local]++
					}
					continue
				}
				bw.WriteByte(' ')
				bw.WriteString(rawName(a.Name))
				bw.WriteString(`="`)
				escapeXML(bw, a.Value, true)
				bw.WriteByte('"')
			}
			bw.WriteByte('>')
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].raw != rawName(t.Name) {
				return fmt.Errorf("%w: xml: unexpected end element %s", ErrMalformed, rawName(t.Name))
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if drop > 0 {
				drop--
				continue
			}
			if f.action == xmlKeep {
				bw.WriteString("</")
				bw.WriteString(f.raw)
				bw.WriteByte('>')
			}
		case xml.CharData:
			if drop == 0 {
				escapeXML(bw, string(t), false)
			}
		case xml.ProcInst:
			if drop == 0 && len(stack) == 0 || drop == 0 && t.Target != "xml" {
				bw.WriteString("<?")
				bw.WriteString(t.Target)
				if t.Target == "xml" { // the output is always UTF-8
					t.Inst = encodingDecl.ReplaceAll(t.Inst, []byte(`encoding="UTF-8"`))
				}
				if len(t.Inst) > 0 {
					bw.WriteByte(' ')
					bw.Write(t.Inst)
				}
				bw.WriteString("?>")
			}
		case xml.Comment:
			if counts != nil {
				counts["<!-- -->"]++
			}
		case xml.Directive:
			return fmt.Errorf("%w: xml: DTDs are not allowed in office documents", ErrMalformed)
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("%w: xml: unclosed element %s", ErrMalformed, stack[len(stack)-1].raw)
	}
	return bw.Flush()
}

var encodingDecl = regexp.MustCompile(`encoding\s*=\s*("[^"]*"|'[^']*')`)

// newDecoder accepts UTF-8 and the single-byte encodings office producers
// have been seen to declare; the output is written as UTF-8.
func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "us-ascii", "ascii", "utf8":
			return in, nil
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		case "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q", label)
	}
	return d
}

func escapeXML(w *bufio.Writer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if attr {
				esc = "&quot;"
			}
		case '\n':
			if attr {
				esc = "&#xA;"
			}
		case '\t':
			if attr {
				esc = "&#x9;"
			}
		}
		if esc != "" {
			w.WriteString(s[last:i])
			w.WriteString(esc)
			last = i + 1
		}
	}
	w.WriteString(s[last:])
}

// walkXML calls fn for each namespace-resolved token.
func walkXML(r io.Reader, fn func(tok xml.Token, d *xml.Decoder)) error {
	d := newDecoder(r)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: xml: %v", ErrMalformed, err)
		}
		if _, ok := tok.(xml.Directive); ok {
			return fmt.Errorf("%w: xml: DTDs are not allowed in office documents", ErrMalformed)
		}
		fn(tok, d)
	}
}

func attr(attrs []xml.Attr, local string) string {
	for _, a := range attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }
