package scrub

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Namespaces.
const (
	nsW       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsR       = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	nsRStrict = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	nsRels    = "http://schemas.openxmlformats.org/package/2006/relationships"
	nsXLAbs   = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac"
	nsOffice  = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText    = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsTable   = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsConfig  = "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
	nsOOo     = "http://openoffice.org/2009/office"
	nsMani    = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
)

// OOXML parts dropped by name.
var ooxmlDrop = regexp.MustCompile(`(?i)^(` +
	`docProps/custom\.xml|docProps/thumbnail\.[a-z]+|docProps/[^/]*thumbnail[^/]*|` +
	`customXml/.*|\[trash\]/.*|docMetadata/.*|` +
	`(word|xl|ppt)/printerSettings/.*|` +
	`(word|xl|ppt)/people\.xml|xl/persons/.*|ppt/commentAuthors\.xml|ppt/authors\.xml|` +
	`word/comments[a-z]*[0-9]*\.xml|xl/comments[0-9]*\.xml|xl/threadedComments/.*|ppt/comments/.*|` +
	`xl/revisions/.*|xl/usernames\.xml|` +
	`(word|xl|ppt)/_rels/(comments[a-z]*[0-9]*|people)\.xml\.rels` +
	`)$`)

// Relationship types whose targets are dropped (matched on the last path
// segment of the type URI, so transitional, strict and Microsoft variants
// all match).
var ooxmlDropRelTypes = map[string]bool{
	"comments": true, "commentsExtended": true, "commentsIds": true, "commentsExtensible": true,
	"people": true, "person": true, "threadedComment": true, "commentAuthors": true, "authors": true,
	"custom-properties": true, "customXml": true, "thumbnail": true, "printerSettings": true,
	"attachedTemplate": true, "revisionHeaders": true, "usernames": true, "classificationlabels": true,
	"sensitivityLabels": true,
}

var odfDrop = regexp.MustCompile(`^(Thumbnails/.*|VersionList\.xml|Versions/.*)$`)

var epoch = struct{ date, time uint16 }{date: 1<<5 | 1, time: 0} // 1980-01-01 00:00

// officeLimits computes the uncompressed-size budget of an archive.
func (c Config) budget(size int64) int64 {
	b := size * c.MaxRatio
	if b < 1<<20 {
		b = 1 << 20 // tiny documents legitimately inflate a lot
	}
	return min(b, c.MaxUncompressed)
}

type officeZip struct {
	c       Config
	zr      *zip.Reader
	kind    Kind
	byName  map[string]*zip.File
	budget  int64
	used    int64
	dropped map[string]bool
}

func (c Config) openOffice(r io.ReaderAt, size int64, kind Kind) (*officeZip, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(zr.File) > c.MaxEntries {
		return nil, fmt.Errorf("%w: archive has %d entries, the limit is %d", ErrTooLarge, len(zr.File), c.MaxEntries)
	}
	o := &officeZip{c: c, zr: zr, kind: kind, byName: map[string]*zip.File{}, budget: c.budget(size), dropped: map[string]bool{}}
	var declared uint64
	for _, f := range zr.File {
		if f.Flags&1 != 0 {
			return nil, fmt.Errorf("%w: encrypted zip entry %q", ErrEncrypted, f.Name)
		}
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("%w: zip entry %q uses compression method %d", ErrMalformed, f.Name, f.Method)
		}
		n := f.Name
		if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, "\\") || !utf8.ValidString(n) ||
			path.Clean(n) != strings.TrimSuffix(n, "/") && !strings.HasSuffix(n, "/") || strings.HasPrefix(path.Clean(n), "..") {
			return nil, fmt.Errorf("%w: zip entry name %q", ErrMalformed, n)
		}
		if _, dup := o.byName[n]; dup {
			return nil, fmt.Errorf("%w: duplicate zip entry %q", ErrMalformed, n)
		}
		o.byName[n] = f
		declared += f.UncompressedSize64
		if declared > uint64(o.budget) {
			return nil, fmt.Errorf("%w: archive expands to more than %d bytes", ErrTooLarge, o.budget)
		}
	}
	return o, nil
}

// read decompresses one entry, charging it to the budget.
func (o *officeZip) read(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
	}
	defer rc.Close()
	left := min(limit, o.budget-o.used)
	b, err := io.ReadAll(io.LimitReader(rc, left+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
	}
	if int64(len(b)) > left {
		return nil, fmt.Errorf("%w: %s expands beyond the limit", ErrTooLarge, f.Name)
	}
	o.used += int64(len(b))
	return b, nil
}

// relsSource returns the part a .rels file describes ("" for the package).
func relsSource(relsPath string) (string, bool) {
	dir, file := path.Split(relsPath)
	if !strings.HasSuffix(file, ".rels") || path.Base(strings.TrimSuffix(dir, "/")) != "_rels" {
		return "", false
	}
	parent := path.Dir(strings.TrimSuffix(dir, "/"))
	src := strings.TrimSuffix(file, ".rels")
	if parent == "." {
		return src, true
	}
	return parent + "/" + src, true
}

func resolveTarget(source, target string) string {
	if u, err := url.PathUnescape(target); err == nil {
		target = u
	}
	if i := strings.IndexAny(target, "#?"); i >= 0 {
		target = target[:i]
	}
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	return strings.TrimPrefix(path.Clean(path.Join(path.Dir(source), target)), "/")
}

func relTypeName(t string) string { return t[strings.LastIndex(t, "/")+1:] }

// planOOXML decides which parts go: by name, then by relationship type.
// It returns the removed relationship ids per source part.
func (o *officeZip) planOOXML() (map[string]map[string]bool, error) {
	for n := range o.byName {
		if ooxmlDrop.MatchString(n) {
			o.dropped[n] = true
		}
	}
	type rel struct{ id, typ, target, mode string }
	rels := map[string][]rel{}
	for n, f := range o.byName {
		src, ok := relsSource(n)
		if !ok || o.dropped[n] {
			continue
		}
		b, err := o.read(f, o.c.MaxXMLPart)
		if err != nil {
			return nil, err
		}
		err = walkXML(bytes.NewReader(b), func(tok xml.Token, _ *xml.Decoder) {
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "Relationship" {
				rels[src] = append(rels[src], rel{attr(s.Attr, "Id"), attr(s.Attr, "Type"), attr(s.Attr, "Target"), attr(s.Attr, "TargetMode")})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for src, rs := range rels {
		for _, r := range rs {
			if ooxmlDropRelTypes[relTypeName(r.typ)] && r.mode != "External" {
				o.dropped[resolveTarget(src, r.target)] = true
			}
		}
	}
	// A dropped part's own relationships go with it.
	for n := range o.byName {
		if src, ok := relsSource(n); ok && o.dropped[src] {
			o.dropped[n] = true
		}
	}
	removed := map[string]map[string]bool{}
	for src, rs := range rels {
		for _, r := range rs {
			gone := ooxmlDropRelTypes[relTypeName(r.typ)]
			if r.mode != "External" && o.dropped[resolveTarget(src, r.target)] {
				gone = true
			}
			if gone {
				if removed[src] == nil {
					removed[src] = map[string]bool{}
				}
				removed[src][r.id] = true
			}
		}
	}
	return removed, nil
}

func isW(space string) bool { return space == nsW || space == nsWStrict }
func isR(space string) bool { return space == nsR || space == nsRStrict }

var wDropElements = map[string]bool{
	"del": true, "moveFrom": true, "rPrChange": true, "pPrChange": true, "sectPrChange": true,
	"tblPrChange": true, "tblPrExChange": true, "trPrChange": true, "tcPrChange": true,
	"tblGridChange": true, "numberingChange": true, "cellDel": true, "cellIns": true, "cellMerge": true,
	"commentRangeStart": true, "commentRangeEnd": true, "commentReference": true,
	"moveFromRangeStart": true, "moveFromRangeEnd": true, "moveToRangeStart": true, "moveToRangeEnd": true,
	"customXmlInsRangeStart": true, "customXmlInsRangeEnd": true, "customXmlDelRangeStart": true,
	"customXmlDelRangeEnd": true, "customXmlMoveFromRangeStart": true, "customXmlMoveFromRangeEnd": true,
	"customXmlMoveToRangeStart": true, "customXmlMoveToRangeEnd": true,
	"nsid": true, "attachedTemplate": true, "rsids": true,
}

// ooxmlRules accepts tracked changes (as mat2 does), drops comment anchors,
// revision session ids and references to removed relationships.
func ooxmlRules(removedIDs map[string]bool) xmlRules {
	return xmlRules{
		element: func(n xname, _ []xml.Attr) xmlAction {
			switch {
			case isW(n.space) && (n.local == "ins" || n.local == "moveTo"):
				return xmlUnwrap
			case isW(n.space) && (wDropElements[n.local] || strings.HasPrefix(n.local, "rsid")):
				return xmlDrop
			case n.space == nsXLAbs && n.local == "absPath":
				return xmlDrop // the author's folder, user name included
			}
			return xmlKeep
		},
		dropAttr: func(elem, a xname, v string) bool {
			switch {
			case isW(a.space) && strings.HasPrefix(a.local, "rsid"):
				return true
			case isR(a.space) && removedIDs[v]:
				return true
			case elem.local == "fileSharing" && a.local == "userName":
				return true
			}
			return false
		},
	}
}

var odfRules = xmlRules{
	element: func(n xname, attrs []xml.Attr) xmlAction {
		switch {
		case n.space == nsOffice && (n.local == "annotation" || n.local == "annotation-end"):
			return xmlDrop
		case n.space == nsOOo && n.local == "annotation":
			return xmlDrop
		case n.space == nsText && (n.local == "tracked-changes" || n.local == "change" || n.local == "change-start" || n.local == "change-end"):
			return xmlDrop
		case n.space == nsTable && n.local == "tracked-changes":
			return xmlDrop
		case n.space == nsConfig && n.local == "config-item":
			switch attr(attrs, "name") {
			case "PrinterName", "PrinterSetup":
				return xmlDrop
			}
		}
		return xmlKeep
	},
	dropAttr: func(_, a xname, _ string) bool {
		return a.space == nsOOo && (a.local == "rsid" || a.local == "paragraph-rsid")
	},
}

const (
	minimalCore = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"></cp:coreProperties>`
	minimalApp = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"></Properties>`
	minimalMeta = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="%s"><office:meta></office:meta></office:document-meta>`
)

func isXMLName(n string) bool {
	l := strings.ToLower(n)
	return strings.HasSuffix(l, ".xml") || strings.HasSuffix(l, ".rels") || strings.HasSuffix(l, ".rdf")
}

func (c Config) stripOffice(dst io.Writer, src io.ReaderAt, size int64, kind Kind, depth int) (Result, error) {
	res := Result{Kind: kind}
	o, err := c.openOffice(src, size, kind)
	if err != nil {
		return res, err
	}
	if rep, err := c.Inspect(src, size, kind); err == nil {
		for _, f := range rep.Fields {
			res.removed("%s: %s", f.Name, f.Value)
		}
	}
	var removedIDs map[string]map[string]bool
	odfVersion := "1.2"
	if kind.IsOOXML() {
		if removedIDs, err = o.planOOXML(); err != nil {
			return res, err
		}
	} else {
		for n := range o.byName {
			if odfDrop.MatchString(n) {
				o.dropped[n] = true
			}
		}
		if f := o.byName["META-INF/manifest.xml"]; f != nil {
			b, err := o.read(f, c.MaxXMLPart)
			if err != nil {
				return res, err
			}
			if bytes.Contains(b, []byte("encryption-data")) {
				return res, fmt.Errorf("%w: the document is password-protected", ErrEncrypted)
			}
			walkXML(bytes.NewReader(b), func(tok xml.Token, _ *xml.Decoder) {
				if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "manifest" {
					if v := attr(s.Attr, "version"); v == "1.0" || v == "1.1" || v == "1.2" || v == "1.3" || v == "1.4" {
						odfVersion = v
					}
				}
			})
		}
	}
	counts := map[string]int{}
	zw := zip.NewWriter(dst)
	files := append([]*zip.File(nil), o.zr.File...)
	if kind.IsODF() { // mimetype must come first
		sort.SliceStable(files, func(i, j int) bool { return files[i].Name == "mimetype" && files[j].Name != "mimetype" })
	}
	var dropped []string
	for _, f := range files {
		n := f.Name
		if o.dropped[n] {
			dropped = append(dropped, n)
			continue
		}
		if strings.HasSuffix(n, "/") { // directory entries carry nothing
			continue
		}
		var out []byte
		switch {
		case n == "docProps/core.xml":
			out = []byte(minimalCore)
		case n == "docProps/app.xml":
			out = []byte(minimalApp)
		case kind.IsODF() && path.Base(n) == "meta.xml":
			out = fmt.Appendf(nil, minimalMeta, odfVersion)
		case kind.IsOOXML() && n == "[Content_Types].xml":
			out, err = o.rewrite(f, xmlRules{element: func(e xname, attrs []xml.Attr) xmlAction {
				if e.local == "Override" && o.dropped[strings.TrimPrefix(attr(attrs, "PartName"), "/")] {
					return xmlDrop
				}
				return xmlKeep
			}}, counts)
		case kind.IsOOXML() && strings.HasSuffix(n, ".rels"):
			srcPart, _ := relsSource(n)
			ids := removedIDs[srcPart]
			out, err = o.rewrite(f, xmlRules{element: func(e xname, attrs []xml.Attr) xmlAction {
				if e.space == nsRels && e.local == "Relationship" && ids[attr(attrs, "Id")] {
					return xmlDrop
				}
				return xmlKeep
			}}, counts)
		case kind.IsOOXML() && isXMLName(n):
			out, err = o.rewrite(f, ooxmlRules(removedIDs[n]), counts)
		case kind.IsODF() && n == "META-INF/manifest.xml":
			out, err = o.rewrite(f, xmlRules{element: func(e xname, attrs []xml.Attr) xmlAction {
				if e.space == nsMani && e.local == "file-entry" && o.dropped[attr(attrs, "full-path")] {
					return xmlDrop
				}
				return xmlKeep
			}}, counts)
		case kind.IsODF() && isXMLName(n):
			out, err = o.rewrite(f, odfRules, counts)
		default:
			out, err = o.embedded(f, &res, depth)
		}
		if err != nil {
			return res, err
		}
		if err := o.write(zw, f, out); err != nil {
			return res, err
		}
	}
	for _, n := range dropped {
		res.removed("Part %s", n)
	}
	names := map[string]string{
		"del": "Tracked deletions (accepted)", "ins": "Tracked insertions (accepted)",
		"moveFrom": "Tracked moves (accepted)", "moveTo": "Tracked moves (accepted)",
		"@rsidR": "Revision session ids", "@rsidRPr": "Revision session ids", "@rsidRDefault": "Revision session ids", "@rsidP": "Revision session ids",
		"rsids": "Revision session ids", "nsid": "List ids (nsid)",
		"commentReference": "Comment anchors", "commentRangeStart": "Comment anchors",
		"annotation": "Comments", "tracked-changes": "Tracked changes (accepted)",
		"change-start": "Tracked changes (accepted)", "change": "Tracked changes (accepted)",
		"config-item": "Printer settings", "rPrChange": "Tracked formatting changes (accepted)",
		"pPrChange": "Tracked formatting changes (accepted)", "attachedTemplate": "Template reference",
		"absPath": "Folder path", "Relationship": "References to removed parts", "Override": "Content types of removed parts",
		"file-entry": "Manifest entries of removed parts", "<!-- -->": "XML comments", "@paragraph-rsid": "Revision session ids", "@rsid": "Revision session ids",
		"@userName": "Shared workbook user name",
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if label, ok := names[k]; ok {
			res.removed("%s", label)
		} else {
			res.removed("Markup %s", strings.TrimPrefix(k, "@"))
		}
	}
	return res, zw.Close()
}

func (o *officeZip) rewrite(f *zip.File, rules xmlRules, counts map[string]int) ([]byte, error) {
	b, err := o.read(f, o.c.MaxXMLPart)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := filterXML(&buf, bytes.NewReader(b), rules, counts); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// embedded cleans a non-XML entry: images are re-encoded in their own
// format, nested office documents are stripped (one level), anything else
// is copied as it is (nil means: copy raw) with a warning when it is an
// embedded object that may carry metadata of its own.
func (o *officeZip) embedded(f *zip.File, res *Result, depth int) ([]byte, error) {
	if f.UncompressedSize64 < 12 || f.UncompressedSize64 > uint64(o.c.MaxXMLPart) {
		return nil, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(rc, head)
	rc.Close()
	k := Sniff(head[:n])
	switch {
	case k.IsImage():
		b, err := o.read(f, o.c.MaxXMLPart)
		if err != nil {
			return nil, err
		}
		out, err := o.c.reencodeSameFormat(b, k)
		if err != nil {
			res.warn("embedded image %s kept as it was: %v", f.Name, err)
			return nil, nil
		}
		res.removed("Metadata of embedded image %s", f.Name)
		return out, nil
	case bytes.HasPrefix(head[:n], []byte("PK\x03\x04")):
		b, err := o.read(f, o.c.MaxXMLPart)
		if err != nil {
			return nil, err
		}
		ik := Detect(bytes.NewReader(b), int64(len(b)))
		if (ik.IsOOXML() || ik.IsODF()) && depth < 2 {
			var buf bytes.Buffer
			sub := o.c
			sub.MaxUncompressed = max(0, o.budget-o.used)
			r, err := sub.stripOffice(&buf, bytes.NewReader(b), int64(len(b)), ik, depth+1)
			if err != nil {
				res.warn("embedded document %s kept as it was: %v", f.Name, err)
				return nil, nil
			}
			o.used += int64(buf.Len())
			res.removed("Metadata of embedded document %s", f.Name)
			res.Warnings = append(res.Warnings, r.Warnings...)
			return buf.Bytes(), nil
		}
		res.warn("embedded archive %s kept as it was", f.Name)
	case bytes.HasPrefix(head[:n], []byte{0xD0, 0xCF, 0x11, 0xE0}):
		res.warn("embedded OLE object %s kept as it was (it may carry its own author and dates)", f.Name)
	case k == KindPDF:
		res.warn("embedded PDF %s kept as it was", f.Name)
	}
	return nil, nil
}

// write adds one entry with a fixed timestamp and no extra fields. out nil
// means copy the original compressed bytes.
func (o *officeZip) write(zw *zip.Writer, f *zip.File, out []byte) error {
	h := &zip.FileHeader{Name: f.Name, Method: f.Method, ModifiedDate: epoch.date, ModifiedTime: epoch.time}
	if !isASCII(f.Name) {
		h.Flags |= 0x800
	}
	if out == nil {
		// Decompress once to check the size and the checksum: a damaged
		// entry must not be passed on as it is.
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
		}
		left := o.budget - o.used
		n, err := io.Copy(io.Discard, io.LimitReader(rc, left+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
		}
		if n > left || uint64(n) != f.UncompressedSize64 {
			return fmt.Errorf("%w: %s expands beyond the limit or its declared size", ErrTooLarge, f.Name)
		}
		o.used += n
		raw, err := f.OpenRaw()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrMalformed, f.Name, err)
		}
		h.CRC32, h.CompressedSize64, h.UncompressedSize64 = f.CRC32, f.CompressedSize64, f.UncompressedSize64
		w, err := zw.CreateRaw(h)
		if err != nil {
			return err
		}
		_, err = io.Copy(w, raw)
		return err
	}
	if h.Method == zip.Store {
		h.CRC32 = crc32.ChecksumIEEE(out)
		h.CompressedSize64, h.UncompressedSize64 = uint64(len(out)), uint64(len(out))
		w, err := zw.CreateRaw(h)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
