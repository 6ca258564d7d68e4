// Package scrub inspects and strips the metadata of files a whistleblower
// uploads: who wrote them, with which device and software, where and when,
// comments, tracked changes and thumbnails.
//
// Inspect lists what a file reveals, for display before the file is stored.
// Strip writes a cleaned copy:
//
//   - Images are decoded and re-encoded after the EXIF orientation has been
//     applied to the pixels. Nothing but pixels survives: EXIF, XMP, IPTC,
//     ICC profiles (the output is assumed sRGB; a wide-gamut photo may look
//     slightly duller), thumbnails, comments and trailing data are dropped.
//     JPEG stays JPEG (quality 92), PNG stays PNG, GIF stays GIF (all frames),
//     WebP and TIFF become PNG (Result.Kind tells the output kind).
//   - OOXML (docx, xlsx, pptx) and ODF (odt, ods, odp) are rewritten entry by
//     entry: document properties emptied, comments, people, custom
//     properties, custom XML, thumbnails and printer settings dropped along
//     with every reference to them, tracked changes accepted, revision
//     session ids removed, embedded images re-encoded, zip timestamps fixed.
//   - PDF and everything else: ErrUnsupported. Inspect still lists what a
//     PDF reveals (document information, XMP, attachments, comments, form
//     fields, JavaScript, earlier revisions), compressed object streams
//     included; PDFs are cleaned by rebuilding them from pictures of their
//     pages (internal/docredact, used at intake by internal/intake).
//
// Memory is bounded: images are refused above Config.MaxPixels before they
// are decoded, zip entries are streamed except XML parts that are rewritten
// (each at most Config.MaxXMLPart), and archives are refused when their
// entries or uncompressed size exceed the limits.
package scrub

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Kind is a file type recognised by its content.
type Kind string

// The kinds Sniff recognises.
const (
	KindOther Kind = "other"
	KindJPEG  Kind = "jpeg"
	KindPNG   Kind = "png"
	KindGIF   Kind = "gif"
	KindWebP  Kind = "webp"
	KindTIFF  Kind = "tiff"
	KindPDF   Kind = "pdf"
	KindDOCX  Kind = "docx"
	KindXLSX  Kind = "xlsx"
	KindPPTX  Kind = "pptx"
	KindODT   Kind = "odt"
	KindODS   Kind = "ods"
	KindODP   Kind = "odp"
)

// IsImage reports whether k is a raster image kind that Strip re-encodes.
func (k Kind) IsImage() bool {
	switch k {
	case KindJPEG, KindPNG, KindGIF, KindWebP, KindTIFF:
		return true
	}
	return false
}

// IsOOXML reports whether k is an Office Open XML package.
func (k Kind) IsOOXML() bool { return k == KindDOCX || k == KindXLSX || k == KindPPTX }

// IsODF reports whether k is an OpenDocument package.
func (k Kind) IsODF() bool { return k == KindODT || k == KindODS || k == KindODP }

// Strippable reports whether Strip supports k.
func (k Kind) Strippable() bool { return k.IsImage() || k.IsOOXML() || k.IsODF() }

// MIME returns the media type of k ("application/octet-stream" for other).
func (k Kind) MIME() string {
	switch k {
	case KindJPEG:
		return "image/jpeg"
	case KindPNG:
		return "image/png"
	case KindGIF:
		return "image/gif"
	case KindWebP:
		return "image/webp"
	case KindTIFF:
		return "image/tiff"
	case KindPDF:
		return "application/pdf"
	case KindDOCX:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case KindXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case KindPPTX:
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	case KindODT:
		return "application/vnd.oasis.opendocument.text"
	case KindODS:
		return "application/vnd.oasis.opendocument.spreadsheet"
	case KindODP:
		return "application/vnd.oasis.opendocument.presentation"
	}
	return "application/octet-stream"
}

// Ext returns the usual file name extension of k, with the dot ("" for other).
func (k Kind) Ext() string {
	switch k {
	case KindOther, "":
		return ""
	case KindJPEG:
		return ".jpg"
	case KindTIFF:
		return ".tif"
	}
	return "." + string(k)
}

// SniffLen is how many leading bytes Sniff wants to tell the office kinds
// apart reliably; images and PDF need only 16.
const SniffLen = 64 << 10

var odfMimes = map[string]Kind{
	"application/vnd.oasis.opendocument.text":         KindODT,
	"application/vnd.oasis.opendocument.spreadsheet":  KindODS,
	"application/vnd.oasis.opendocument.presentation": KindODP,
}

// Sniff tells the kind of a file from its first bytes (give it SniffLen of
// them where possible), never from its name. A zip whose first entries do not
// show which office format it is comes back as KindOther; Detect reads the
// central directory in that case.
func Sniff(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return KindGIF
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return KindWebP
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return KindTIFF
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return KindPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return sniffZipHead(head)
	}
	// PDF allows up to 1024 bytes of junk before the header.
	if i := bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-")); i >= 0 {
		return KindPDF
	}
	return KindOther
}

// sniffZipHead walks the local file headers found in head.
func sniffZipHead(head []byte) Kind {
	var names []string
	p := 0
	for len(names) < 64 && p+30 <= len(head) && string(head[p:p+4]) == "PK\x03\x04" {
		le := func(o int) int { return int(head[p+o]) | int(head[p+o+1])<<8 }
		flags := le(6)
		method := le(8)
		csize := le(18) | le(20)<<16
		nlen, xlen := le(26), le(28)
		if p+30+nlen > len(head) {
			break
		}
		name := string(head[p+30 : p+30+nlen])
		names = append(names, name)
		data := p + 30 + nlen + xlen
		if len(names) == 1 && name == "mimetype" && method == 0 && data <= len(head) {
			// The size may be in a data descriptor: match by prefix.
			for m, k := range odfMimes {
				if bytes.HasPrefix(head[data:], []byte(m)) && (len(head) == data+len(m) || !isMimeChar(head[data+len(m)])) {
					return k
				}
			}
		}
		if flags&8 != 0 || csize == 0xFFFFFFFF {
			break // sizes follow the data: cannot skip it
		}
		p = data + csize
	}
	if k := officeKindFromNames(names); k != KindOther {
		return k
	}
	// Fall back to names seen anywhere in the head (data descriptors).
	var found []string
	for _, n := range []string{"word/", "xl/", "ppt/", "[Content_Types].xml"} {
		if bytes.Contains(head, []byte("PK\x03\x04")) && bytes.Contains(head, []byte(n)) {
			found = append(found, n+"x")
		}
	}
	return officeKindFromNames(found)
}

func isMimeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+'
}

func officeKindFromNames(names []string) Kind {
	for _, n := range names {
		switch {
		case len(n) > 5 && n[:5] == "word/":
			return KindDOCX
		case len(n) > 3 && n[:3] == "xl/":
			return KindXLSX
		case len(n) > 4 && n[:4] == "ppt/":
			return KindPPTX
		}
	}
	return KindOther
}

// Detect is Sniff with a second look: for a zip whose head is not
// conclusive it reads the central directory.
func Detect(r io.ReaderAt, size int64) Kind {
	head := make([]byte, min(size, SniffLen))
	n, _ := r.ReadAt(head, 0)
	k := Sniff(head[:n])
	if k != KindOther || !bytes.HasPrefix(head[:n], []byte("PK\x03\x04")) {
		return k
	}
	zr, err := zip.NewReader(r, size)
	if err != nil || len(zr.File) > DefaultConfig.MaxEntries {
		return KindOther
	}
	var names []string
	for _, f := range zr.File {
		if f.Name == "mimetype" {
			if rc, err := f.Open(); err == nil {
				b, _ := io.ReadAll(io.LimitReader(rc, 128))
				rc.Close()
				if k, ok := odfMimes[string(bytes.TrimSpace(b))]; ok {
					return k
				}
			}
		}
		names = append(names, f.Name)
	}
	return officeKindFromNames(names)
}

// Field is one thing a file reveals, for display to the whistleblower.
// Name is one of the Field* constants (stable, so that the web layer can
// translate it); Value is what the file says, shortened for display.
type Field struct {
	Name  string
	Value string
}

// Field names used in Reports.
const (
	FieldAuthor          = "Author"
	FieldLastModifiedBy  = "Last modified by"
	FieldCompany         = "Company"
	FieldManager         = "Manager"
	FieldSoftware        = "Software"
	FieldTemplate        = "Template"
	FieldMake            = "Device make"
	FieldModel           = "Device model"
	FieldSerial          = "Device serial number"
	FieldOwner           = "Device owner"
	FieldLens            = "Lens"
	FieldGPS             = "GPS position"
	FieldGPSAltitude     = "GPS altitude"
	FieldGPSTime         = "GPS time"
	FieldCreated         = "Created"
	FieldModified        = "Modified"
	FieldTaken           = "Taken"
	FieldPrinted         = "Last printed"
	FieldEditingTime     = "Editing time"
	FieldRevision        = "Revision"
	FieldTitle           = "Title"
	FieldDescription     = "Description"
	FieldKeywords        = "Keywords"
	FieldComment         = "Comment"
	FieldComments        = "Comments"
	FieldTrackedChanges  = "Tracked changes"
	FieldThumbnail       = "Thumbnail"
	FieldXMP             = "XMP metadata"
	FieldIPTC            = "IPTC metadata"
	FieldICC             = "ICC colour profile"
	FieldMakerNote       = "Maker notes"
	FieldCustomProps     = "Custom properties"
	FieldPeople          = "People list"
	FieldPrinter         = "Printer settings"
	FieldCustomXML       = "Custom XML"
	FieldUniqueID        = "Unique id"
	FieldTrailingData    = "Trailing data"
	FieldEmbedded        = "Embedded file"
	FieldRevisions       = "Earlier revisions"
	FieldEncrypted       = "Encrypted"
	FieldOrientation     = "Orientation"
	FieldTextChunk       = "Text chunk"
	FieldSensitivity     = "Sensitivity label"
	FieldRevisionHistory = "Revision log"
)

// Report is what Inspect found.
type Report struct {
	Kind   Kind
	Fields []Field
}

// Has reports whether the report lists a field called name.
func (r Report) Has(name string) bool {
	for _, f := range r.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (r *Report) add(name, value string) {
	value = shorten(value, 200)
	for _, f := range r.Fields {
		if f.Name == name && f.Value == value {
			return
		}
	}
	if len(r.Fields) < 500 {
		r.Fields = append(r.Fields, Field{Name: name, Value: value})
	}
}

// Result says what Strip did.
type Result struct {
	// Kind of the output, which differs from the input for WebP and TIFF
	// (both become PNG).
	Kind Kind
	// Removed lists what was taken out, in words for a log or a display.
	Removed []string
	// Warnings lists what could not be cleaned and was kept as it was
	// (an embedded object in a format Strip does not know, say).
	Warnings []string
}

func (r *Result) removed(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	for _, x := range r.Removed {
		if x == s {
			return
		}
	}
	r.Removed = append(r.Removed, s)
}

func (r *Result) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Errors. Strip and Inspect wrap them, so test with errors.Is.
var (
	// ErrUnsupported: Strip does not handle this kind (PDF, other).
	ErrUnsupported = errors.New("scrub: file type not supported for stripping")
	// ErrTooLarge: the image has too many pixels, the archive too many
	// entries or too much uncompressed data (a decompression bomb, perhaps).
	ErrTooLarge = errors.New("scrub: file too large to process safely")
	// ErrEncrypted: the archive or document is encrypted.
	ErrEncrypted = errors.New("scrub: file is encrypted")
	// ErrMalformed: the file is not what its kind says, or is damaged.
	ErrMalformed = errors.New("scrub: malformed file")
)

// Config holds the limits. The zero value is not useful: start from
// DefaultConfig.
type Config struct {
	// MaxPixels refuses images (all frames of a GIF together) with more
	// pixels. Decoding needs about 4-8 bytes a pixel, twice when rotating.
	MaxPixels int64
	// MaxEntries refuses archives with more entries.
	MaxEntries int
	// MaxRatio and MaxUncompressed bound the total uncompressed size of an
	// archive: at most MaxRatio times the input and at most MaxUncompressed.
	MaxRatio        int64
	MaxUncompressed int64
	// MaxXMLPart bounds one XML part that is rewritten in memory.
	MaxXMLPart int64
	// JPEGQuality for re-encoded JPEGs.
	JPEGQuality int
}

// DefaultConfig is used by the package-level functions.
var DefaultConfig = Config{
	MaxPixels:       100_000_000,
	MaxEntries:      10_000,
	MaxRatio:        20,
	MaxUncompressed: 1 << 30,
	MaxXMLPart:      64 << 20,
	JPEGQuality:     92,
}

// Inspect lists what the file reveals, using DefaultConfig.
func Inspect(r io.ReaderAt, size int64, kind Kind) (Report, error) {
	return DefaultConfig.Inspect(r, size, kind)
}

// Strip writes a cleaned copy of src to dst, using DefaultConfig. On error,
// dst may hold a partial file that must be discarded.
func Strip(dst io.Writer, src io.ReaderAt, size int64, kind Kind) (Result, error) {
	return DefaultConfig.Strip(dst, src, size, kind)
}

// Inspect lists what the file reveals.
func (c Config) Inspect(r io.ReaderAt, size int64, kind Kind) (rep Report, err error) {
	rep.Kind = kind
	defer func() {
		if p := recover(); p != nil { // belt and braces: a parser bug must not take intake down
			err = fmt.Errorf("%w: %v", ErrMalformed, p)
		}
	}()
	switch {
	case kind == KindJPEG:
		err = inspectJPEG(&rep, r, size)
	case kind == KindPNG:
		err = inspectPNG(&rep, r, size)
	case kind == KindGIF:
		err = inspectGIF(&rep, r, size)
	case kind == KindWebP:
		err = inspectWebP(&rep, r, size)
	case kind == KindTIFF:
		err = inspectTIFF(&rep, r, size)
	case kind == KindPDF:
		err = inspectPDF(&rep, r, size)
	case kind.IsOOXML() || kind.IsODF():
		err = c.inspectOffice(&rep, r, size, kind, 0)
	default:
		return rep, nil
	}
	return rep, err
}

// Strip writes a cleaned copy of src to dst.
func (c Config) Strip(dst io.Writer, src io.ReaderAt, size int64, kind Kind) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrMalformed, p)
		}
	}()
	switch {
	case kind.IsImage():
		return c.stripImage(dst, src, size, kind)
	case kind.IsOOXML() || kind.IsODF():
		return c.stripOffice(dst, src, size, kind, 0)
	}
	return Result{Kind: kind}, fmt.Errorf("%w: %s", ErrUnsupported, kind)
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
