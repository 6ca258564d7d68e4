package scrub

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// inspectOffice lists what an OOXML or ODF package reveals.
func (c Config) inspectOffice(rep *Report, r io.ReaderAt, size int64, kind Kind, depth int) error {
	o, err := c.openOffice(r, size, kind)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(o.byName))
	for n := range o.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var comments, changes int
	commentAuthors, changeAuthors := map[string]bool{}, map[string]bool{}
	images := 0
	for _, n := range names {
		f := o.byName[n]
		ln := strings.ToLower(n)
		switch {
		case strings.HasPrefix(ln, "docprops/thumbnail") || strings.HasPrefix(n, "Thumbnails/"):
			rep.add(FieldThumbnail, n)
		case strings.Contains(ln, "/printersettings/"):
			rep.add(FieldPrinter, n)
		case strings.HasPrefix(n, "customXml/") && strings.HasSuffix(n, ".xml") && !strings.Contains(n, "/_rels/"):
			rep.add(FieldCustomXML, "present")
		case n == "word/people.xml" || strings.HasPrefix(n, "xl/persons/") || n == "ppt/commentAuthors.xml" || n == "ppt/authors.xml":
			o.scan(f, func(s xml.StartElement) {
				for _, k := range []string{"author", "name", "displayName"} {
					if v := attr(s.Attr, k); v != "" && (s.Name.Local == "person" || s.Name.Local == "cmAuthor" || s.Name.Local == "author") {
						rep.add(FieldPeople, v)
						break
					}
				}
			}, nil)
		case strings.HasPrefix(n, "docMetadata/"):
			rep.add(FieldSensitivity, "present")
		case strings.HasPrefix(n, "xl/revisions/") || n == "VersionList.xml" || strings.HasPrefix(n, "Versions/"):
			rep.add(FieldRevisions, n)
		case n == "docProps/core.xml":
			o.scanText(f, func(local, text string) {
				switch local {
				case "creator":
					addNonEmpty(rep, FieldAuthor, text)
				case "lastModifiedBy":
					addNonEmpty(rep, FieldLastModifiedBy, text)
				case "created":
					addNonEmpty(rep, FieldCreated, text)
				case "modified":
					addNonEmpty(rep, FieldModified, text)
				case "lastPrinted":
					addNonEmpty(rep, FieldPrinted, text)
				case "revision":
					addNonEmpty(rep, FieldRevision, text)
				case "title":
					addNonEmpty(rep, FieldTitle, text)
				case "description", "subject":
					addNonEmpty(rep, FieldDescription, text)
				case "keywords", "category":
					addNonEmpty(rep, FieldKeywords, text)
				}
			})
		case n == "docProps/app.xml":
			var app, ver string
			o.scanText(f, func(local, text string) {
				switch local {
				case "Application":
					app = text
				case "AppVersion":
					ver = text
				case "Company":
					addNonEmpty(rep, FieldCompany, text)
				case "Manager":
					addNonEmpty(rep, FieldManager, text)
				case "Template":
					addNonEmpty(rep, FieldTemplate, text)
				case "TotalTime":
					if text != "0" {
						addNonEmpty(rep, FieldEditingTime, text+" minutes")
					}
				}
			})
			addNonEmpty(rep, FieldSoftware, strings.TrimSpace(app+" "+ver))
		case n == "docProps/custom.xml":
			count := 0
			o.scan(f, func(s xml.StartElement) {
				if s.Name.Local == "property" {
					count++
					if count <= 5 {
						rep.add(FieldCustomProps, attr(s.Attr, "name"))
					}
				}
			}, nil)
		case kind.IsODF() && path.Base(n) == "meta.xml":
			o.scanText(f, func(local, text string) {
				switch local {
				case "initial-creator":
					addNonEmpty(rep, FieldAuthor, text)
				case "creator":
					addNonEmpty(rep, FieldLastModifiedBy, text)
				case "creation-date":
					addNonEmpty(rep, FieldCreated, text)
				case "date":
					addNonEmpty(rep, FieldModified, text)
				case "generator":
					addNonEmpty(rep, FieldSoftware, text)
				case "editing-cycles":
					addNonEmpty(rep, FieldRevision, text)
				case "editing-duration":
					addNonEmpty(rep, FieldEditingTime, text)
				case "printed-by":
					addNonEmpty(rep, FieldPrinted, "by "+text)
				case "print-date":
					addNonEmpty(rep, FieldPrinted, text)
				case "user-defined":
					addNonEmpty(rep, FieldCustomProps, text)
				case "title":
					addNonEmpty(rep, FieldTitle, text)
				case "description", "subject":
					addNonEmpty(rep, FieldDescription, text)
				case "keyword":
					addNonEmpty(rep, FieldKeywords, text)
				}
			})
			o.scan(f, func(s xml.StartElement) {
				if s.Name.Local == "template" {
					addNonEmpty(rep, FieldTemplate, attr(s.Attr, "href"))
				}
			}, nil)
		case kind.IsODF() && (path.Base(n) == "content.xml" || path.Base(n) == "styles.xml"):
			inAnn, inChange := 0, 0
			o.scan(f, func(s xml.StartElement) {
				switch {
				case s.Name.Local == "annotation" && (s.Name.Space == nsOffice || s.Name.Space == nsOOo):
					comments++
					inAnn++
				case s.Name.Local == "changed-region":
					changes++
					inChange++
				case s.Name.Local == "creator" && (inAnn > 0 || inChange > 0):
				}
			}, func(e xml.EndElement, text string) {
				switch {
				case e.Name.Local == "annotation":
					inAnn = max(0, inAnn-1)
				case e.Name.Local == "changed-region":
					inChange = max(0, inChange-1)
				case e.Name.Local == "creator" && inAnn > 0:
					commentAuthors[text] = true
				case e.Name.Local == "creator" && inChange > 0:
					changeAuthors[text] = true
				}
			})
		case kind.IsODF() && n == "settings.xml":
			var item string
			o.scan(f, func(s xml.StartElement) {
				if s.Name.Local == "config-item" {
					item = attr(s.Attr, "name")
				}
			}, func(e xml.EndElement, text string) {
				if e.Name.Local == "config-item" && item == "PrinterName" {
					addNonEmpty(rep, FieldPrinter, text)
				}
				item = ""
			})
		case kind.IsOOXML() && (ooxmlDrop.MatchString(n) && strings.Contains(ln, "comment")):
			o.scan(f, func(s xml.StartElement) {
				switch s.Name.Local {
				case "comment", "cm", "threadedComment":
					comments++
					if a := attr(s.Attr, "author"); a != "" {
						commentAuthors[a] = true
					}
				}
			}, func(e xml.EndElement, text string) {
				if e.Name.Local == "author" { // xlsx <authors><author>
					commentAuthors[text] = true
				}
			})
		case kind.IsOOXML() && strings.HasPrefix(n, "word/") && strings.HasSuffix(n, ".xml") && !strings.Contains(n, "/_rels/"):
			o.scan(f, func(s xml.StartElement) {
				if !isW(s.Name.Space) {
					return
				}
				switch s.Name.Local {
				case "ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange":
					changes++
					if a := attr(s.Attr, "author"); a != "" {
						changeAuthors[a] = true
					}
				case "attachedTemplate":
					rep.add(FieldTemplate, "attached template reference")
				}
			}, nil)
		case kind.IsOOXML() && n == "xl/workbook.xml":
			o.scan(f, func(s xml.StartElement) {
				switch s.Name.Local {
				case "absPath":
					addNonEmpty(rep, "Folder path", attr(s.Attr, "url"))
				case "fileSharing":
					addNonEmpty(rep, FieldAuthor, attr(s.Attr, "userName"))
				}
			}, nil)
		case !isXMLName(n) && images < 50 && f.UncompressedSize64 < uint64(c.MaxXMLPart):
			b, err := o.read(f, c.MaxXMLPart)
			if err != nil {
				continue
			}
			k := Sniff(b)
			switch {
			case k.IsImage():
				images++
				sub, err := c.Inspect(bytes.NewReader(b), int64(len(b)), k)
				if err == nil {
					for _, fl := range sub.Fields {
						if fl.Name != FieldICC && fl.Name != FieldOrientation {
							rep.add(fl.Name, fl.Value+" (in "+n+")")
						}
					}
				}
			case (k == KindDOCX || k == KindXLSX || k == KindPPTX || k == KindODT || k == KindODS || k == KindODP || bytes.HasPrefix(b, []byte("PK\x03\x04"))) && depth < 2:
				ik := Detect(bytes.NewReader(b), int64(len(b)))
				if ik.IsOOXML() || ik.IsODF() {
					var sub Report
					if c.inspectOffice(&sub, bytes.NewReader(b), int64(len(b)), ik, depth+1) == nil {
						for _, fl := range sub.Fields {
							rep.add(fl.Name, fl.Value+" (in "+n+")")
						}
					}
				}
				rep.add(FieldEmbedded, n)
			case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0}) || k == KindPDF:
				rep.add(FieldEmbedded, n)
			}
		}
	}
	if comments > 0 {
		rep.add(FieldComments, fmt.Sprintf("%d%s", comments, byList(commentAuthors)))
	}
	if changes > 0 {
		rep.add(FieldTrackedChanges, fmt.Sprintf("%d%s", changes, byList(changeAuthors)))
	}
	return nil
}

func byList(m map[string]bool) string {
	var ns []string
	for k := range m {
		if k = strings.TrimSpace(k); k != "" {
			ns = append(ns, k)
		}
	}
	if len(ns) == 0 {
		return ""
	}
	sort.Strings(ns)
	if len(ns) > 5 {
		ns = append(ns[:5], "…")
	}
	return " (by " + strings.Join(ns, ", ") + ")"
}

// scan walks one XML entry; end receives each end element with the text
// directly inside it.
func (o *officeZip) scan(f *zip.File, start func(xml.StartElement), end func(xml.EndElement, string)) {
	b, err := o.read(f, o.c.MaxXMLPart)
	if err != nil {
		return
	}
	var text strings.Builder
	walkXML(bytes.NewReader(b), func(tok xml.Token, _ *xml.Decoder) {
		switch t := tok.(type) {
		case xml.StartElement:
			text.Reset()
			if start != nil {
				start(t)
			}
		case xml.CharData:
			if text.Len() < 4096 {
				text.Write(t)
			}
		case xml.EndElement:
			if end != nil {
				end(t, strings.TrimSpace(text.String()))
			}
			text.Reset()
		}
	})
}

// scanText calls fn with the local name and text of each leaf element.
func (o *officeZip) scanText(f *zip.File, fn func(local, text string)) {
	o.scan(f, nil, func(e xml.EndElement, text string) {
		if text != "" {
			fn(e.Name.Local, cleanString([]byte(text)))
		}
	})
}
