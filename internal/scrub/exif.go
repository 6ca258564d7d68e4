package scrub

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small, bounded parser for TIFF-structured data: the payload of a JPEG
// APP1 "Exif" segment, a PNG eXIf chunk, a WebP EXIF chunk, or a TIFF file.
// Every offset is checked; the number of IFDs, entries and bytes read is
// capped, so hostile input costs little.

const (
	maxIFDs       = 16
	maxIFDEntries = 1024
	maxTagBytes   = 64 << 10
)

type tiffReader struct {
	r     io.ReaderAt
	size  int64
	order binary.ByteOrder
}

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	raw      [4]byte // the value or the offset
}

var typeSize = [...]int{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4}

func newTIFFReader(r io.ReaderAt, size int64) (*tiffReader, uint32, error) {
	var h [8]byte
	if size < 8 {
		return nil, 0, fmt.Errorf("%w: short TIFF header", ErrMalformed)
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	t := &tiffReader{r: r, size: size}
	switch string(h[:2]) {
	case "II":
		t.order = binary.LittleEndian
	case "MM":
		t.order = binary.BigEndian
	default:
		return nil, 0, fmt.Errorf("%w: bad TIFF byte order", ErrMalformed)
	}
	if t.order.Uint16(h[2:]) != 42 {
		return nil, 0, fmt.Errorf("%w: bad TIFF magic", ErrMalformed)
	}
	return t, t.order.Uint32(h[4:]), nil
}

// readIFD returns the entries of the IFD at off and the offset of the next.
func (t *tiffReader) readIFD(off uint32) ([]ifdEntry, uint32, error) {
	if int64(off)+2 > t.size || off < 8 {
		return nil, 0, fmt.Errorf("%w: IFD offset out of range", ErrMalformed)
	}
	var nb [2]byte
	if _, err := t.r.ReadAt(nb[:], int64(off)); err != nil {
		return nil, 0, err
	}
	n := int(t.order.Uint16(nb[:]))
	if n > maxIFDEntries {
		return nil, 0, fmt.Errorf("%w: too many IFD entries", ErrMalformed)
	}
	need := int64(n)*12 + 4
	if int64(off)+2+need > t.size {
		need = int64(n) * 12 // the next-IFD pointer is often missing
		if int64(off)+2+need > t.size {
			return nil, 0, fmt.Errorf("%w: IFD truncated", ErrMalformed)
		}
	}
	buf := make([]byte, need)
	if _, err := t.r.ReadAt(buf, int64(off)+2); err != nil && err != io.EOF {
		return nil, 0, err
	}
	es := make([]ifdEntry, n)
	for i := range es {
		b := buf[i*12:]
		es[i].tag = t.order.Uint16(b)
		es[i].typ = t.order.Uint16(b[2:])
		es[i].count = t.order.Uint32(b[4:])
		copy(es[i].raw[:], b[8:12])
	}
	var next uint32
	if len(buf) >= n*12+4 {
		next = t.order.Uint32(buf[n*12:])
	}
	return es, next, nil
}

// value returns the bytes of an entry's value, at most maxTagBytes.
func (t *tiffReader) value(e ifdEntry) ([]byte, bool) {
	if int(e.typ) >= len(typeSize) || typeSize[e.typ] == 0 {
		return nil, false
	}
	n := uint64(typeSize[e.typ]) * uint64(e.count)
	if n > maxTagBytes {
		return nil, false
	}
	if n <= 4 {
		return e.raw[:n], true
	}
	off := int64(t.order.Uint32(e.raw[:]))
	if off+int64(n) > t.size {
		return nil, false
	}
	b := make([]byte, n)
	if _, err := t.r.ReadAt(b, off); err != nil && err != io.EOF {
		return nil, false
	}
	return b, true
}

func (t *tiffReader) uint(e ifdEntry) (uint32, bool) {
	if e.count < 1 {
		return 0, false
	}
	switch e.typ {
	case 3, 8: // SHORT, SSHORT
		return uint32(t.order.Uint16(e.raw[:])), true
	case 4, 9, 13: // LONG, SLONG, IFD
		return t.order.Uint32(e.raw[:]), true
	case 1, 7:
		return uint32(e.raw[0]), true
	}
	return 0, false
}

func (t *tiffReader) str(e ifdEntry) string {
	b, ok := t.value(e)
	if !ok {
		return ""
	}
	return cleanString(b)
}

func (t *tiffReader) rationals(e ifdEntry) []float64 {
	if e.typ != 5 && e.typ != 10 {
		return nil
	}
	b, ok := t.value(e)
	if !ok {
		return nil
	}
	var out []float64
	for i := 0; i+8 <= len(b); i += 8 {
		num, den := t.order.Uint32(b[i:]), t.order.Uint32(b[i+4:])
		if den == 0 {
			out = append(out, math.NaN())
			continue
		}
		if e.typ == 10 {
			out = append(out, float64(int32(num))/float64(int32(den)))
		} else {
			out = append(out, float64(num)/float64(den))
		}
	}
	return out
}

// cleanString makes a display string of a metadata value: NULs trimmed,
// invalid UTF-8 replaced, control characters dropped.
func cleanString(b []byte) string {
	b = bytes.TrimRight(b, "\x00 ")
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			r = '�'
		}
		if r >= 0x20 && r != 0x7F || r == '\t' {
			sb.WriteRune(r)
		} else if r == '\n' || r == '\r' {
			sb.WriteByte(' ')
		}
		b = b[n:]
	}
	return strings.TrimSpace(sb.String())
}

// EXIF tags of interest.
const (
	tagImageDescription = 0x010E
	tagMake             = 0x010F
	tagModel            = 0x0110
	tagOrientation      = 0x0112
	tagSoftware         = 0x0131
	tagDateTime         = 0x0132
	tagArtist           = 0x013B
	tagHostComputer     = 0x013C
	tagXMP              = 0x02BC
	tagCopyright        = 0x8298
	tagIPTC             = 0x83BB
	tagExifIFD          = 0x8769
	tagICC              = 0x8773
	tagGPSIFD           = 0x8825
	tagDateTimeOriginal = 0x9003
	tagDateTimeDigit    = 0x9004
	tagMakerNote        = 0x927C
	tagUserComment      = 0x9286
	tagXPTitle          = 0x9C9B
	tagXPComment        = 0x9C9C
	tagXPAuthor         = 0x9C9D
	tagXPKeywords       = 0x9C9E
	tagXPSubject        = 0x9C9F
	tagImageUniqueID    = 0xA420
	tagOwnerName        = 0xA430
	tagBodySerial       = 0xA431
	tagLensMake         = 0xA433
	tagLensModel        = 0xA434
	tagLensSerial       = 0xA435
	tagDNGSerial        = 0xC62F
	tagJPEGIF           = 0x0201
	tagSubIFDs          = 0x014A
)

// exifInfo is what parseEXIF found.
type exifInfo struct {
	orientation int // 0 when absent or invalid
	ifds        int // IFDs in the main chain (IFD1 and later: thumbnail or pages)
	thumbnail   bool
}

// parseEXIF walks a TIFF structure. With rep nil only the orientation is
// looked for (cheap: IFD0 only).
func parseEXIF(r io.ReaderAt, size int64, rep *Report, tiffFile bool) (exifInfo, error) {
	var info exifInfo
	t, first, err := newTIFFReader(r, size)
	if err != nil {
		return info, err
	}
	seen := map[uint32]bool{}
	off := first
	for off != 0 && info.ifds < maxIFDs && !seen[off] {
		seen[off] = true
		es, next, err := t.readIFD(off)
		if err != nil {
			if info.ifds == 0 {
				return info, err
			}
			break
		}
		info.ifds++
		if info.ifds == 1 {
			for _, e := range es {
				if e.tag == tagOrientation {
					if v, ok := t.uint(e); ok && v >= 1 && v <= 8 {
						info.orientation = int(v)
					}
				}
			}
			if rep == nil {
				return info, nil
			}
			t.reportIFD(es, rep, seen, 0)
		} else {
			for _, e := range es {
				if e.tag == tagJPEGIF {
					info.thumbnail = true
				}
			}
			if rep != nil {
				if tiffFile {
					rep.add(FieldEmbedded, "additional image (page or thumbnail)")
				}
				t.reportIFD(es, rep, seen, 0)
			}
		}
		off = next
	}
	if rep != nil && info.thumbnail {
		rep.add(FieldThumbnail, "EXIF thumbnail image")
	}
	return info, nil
}

func (t *tiffReader) reportIFD(es []ifdEntry, rep *Report, seen map[uint32]bool, depth int) {
	if depth > 3 {
		return
	}
	for _, e := range es {
		switch e.tag {
		case tagMake:
			addNonEmpty(rep, FieldMake, t.str(e))
		case tagModel:
			addNonEmpty(rep, FieldModel, t.str(e))
		case tagSoftware, tagHostComputer:
			addNonEmpty(rep, FieldSoftware, t.str(e))
		case tagDateTime:
			addNonEmpty(rep, FieldModified, t.str(e))
		case tagDateTimeOriginal, tagDateTimeDigit:
			addNonEmpty(rep, FieldTaken, t.str(e))
		case tagArtist, tagXPAuthor:
			addNonEmpty(rep, FieldAuthor, t.exifText(e))
		case tagCopyright:
			addNonEmpty(rep, FieldAuthor, "© "+t.str(e))
		case tagImageDescription, tagXPTitle, tagXPSubject:
			addNonEmpty(rep, FieldDescription, t.exifText(e))
		case tagXPKeywords:
			addNonEmpty(rep, FieldKeywords, t.exifText(e))
		case tagUserComment, tagXPComment:
			addNonEmpty(rep, FieldComment, t.exifText(e))
		case tagOwnerName:
			addNonEmpty(rep, FieldOwner, t.str(e))
		case tagBodySerial, tagDNGSerial:
			addNonEmpty(rep, FieldSerial, t.str(e))
		case tagLensSerial:
			addNonEmpty(rep, FieldSerial, "lens "+t.str(e))
		case tagLensMake, tagLensModel:
			addNonEmpty(rep, FieldLens, t.str(e))
		case tagImageUniqueID:
			addNonEmpty(rep, FieldUniqueID, t.str(e))
		case tagMakerNote:
			rep.add(FieldMakerNote, fmt.Sprintf("%d bytes (may hold a serial number)", e.count))
		case tagXMP:
			rep.add(FieldXMP, "present")
			if b, ok := t.value(e); ok {
				inspectXMP(rep, b)
			}
		case tagIPTC:
			rep.add(FieldIPTC, "present")
		case tagICC:
			rep.add(FieldICC, "present")
		case tagOrientation:
			if v, ok := t.uint(e); ok && v > 1 && v <= 8 {
				rep.add(FieldOrientation, fmt.Sprint(v))
			}
		case tagExifIFD, tagGPSIFD:
			off, ok := t.uint(e)
			if !ok || seen[off] || len(seen) > maxIFDs {
				continue
			}
			seen[off] = true
			sub, _, err := t.readIFD(off)
			if err != nil {
				continue
			}
			if e.tag == tagGPSIFD {
				t.reportGPS(sub, rep)
			} else {
				t.reportIFD(sub, rep, seen, depth+1)
			}
		}
	}
}

func addNonEmpty(rep *Report, name, v string) {
	v = strings.TrimSpace(v)
	if v != "" && v != "©" && v != "lens" {
		rep.add(name, v)
	}
}

// exifText decodes ASCII, the XP* UTF-16LE tags and UserComment's 8-byte
// character code prefix.
func (t *tiffReader) exifText(e ifdEntry) string {
	b, ok := t.value(e)
	if !ok {
		return ""
	}
	switch {
	case e.tag >= tagXPTitle && e.tag <= tagXPSubject:
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, binary.LittleEndian.Uint16(b[i:]))
		}
		return cleanString([]byte(string(utf16.Decode(u))))
	case e.tag == tagUserComment && len(b) >= 8:
		code, body := string(b[:8]), b[8:]
		if strings.HasPrefix(code, "UNICODE") {
			u := make([]uint16, 0, len(body)/2)
			for i := 0; i+1 < len(body); i += 2 {
				u = append(u, t.order.Uint16(body[i:]))
			}
			return cleanString([]byte(string(utf16.Decode(u))))
		}
		return cleanString(body)
	}
	return cleanString(b)
}

func (t *tiffReader) reportGPS(es []ifdEntry, rep *Report) {
	var latRef, lonRef string
	var lat, lon, alt []float64
	var altRef uint32
	var date string
	var ts []float64
	for _, e := range es {
		switch e.tag {
		case 1:
			latRef = t.str(e)
		case 2:
			lat = t.rationals(e)
		case 3:
			lonRef = t.str(e)
		case 4:
			lon = t.rationals(e)
		case 5:
			altRef, _ = t.uint(e)
		case 6:
			alt = t.rationals(e)
		case 7:
			ts = t.rationals(e)
		case 0x1D:
			date = t.str(e)
		}
	}
	if len(es) > 0 && (lat != nil || lon != nil) {
		la, lo := dms(lat), dms(lon)
		if strings.EqualFold(latRef, "S") {
			la = -la
		}
		if strings.EqualFold(lonRef, "W") {
			lo = -lo
		}
		rep.add(FieldGPS, fmt.Sprintf("%.6f, %.6f", la, lo))
	} else if len(es) > 0 {
		rep.add(FieldGPS, "GPS block present")
	}
	if len(alt) == 1 && !math.IsNaN(alt[0]) {
		a := alt[0]
		if altRef == 1 {
			a = -a
		}
		rep.add(FieldGPSAltitude, fmt.Sprintf("%.1f m", a))
	}
	if date != "" || len(ts) == 3 {
		s := date
		if len(ts) == 3 {
			s = strings.TrimSpace(fmt.Sprintf("%s %02.0f:%02.0f:%02.0f UTC", date, ts[0], ts[1], ts[2]))
		}
		rep.add(FieldGPSTime, s)
	}
}

func dms(v []float64) float64 {
	var d float64
	for i, div := range []float64{1, 60, 3600} {
		if i < len(v) && !math.IsNaN(v[i]) && !math.IsInf(v[i], 0) {
			d += v[i] / div
		}
	}
	return d
}

// exifOrientation returns the orientation (1-8) stored in the payload of a
// JPEG APP1 segment ("Exif\x00\x00" followed by a TIFF structure), or 0.
func exifOrientation(app1 []byte) int {
	if !bytes.HasPrefix(app1, []byte("Exif\x00")) || len(app1) < 6 {
		return 0
	}
	tiff := app1[6:]
	info, err := parseEXIF(bytes.NewReader(tiff), int64(len(tiff)), nil, false)
	if err != nil {
		return 0
	}
	return info.orientation
}

// inspectXMP pulls a few telling values out of an XMP packet without a full
// RDF parser: it looks for the usual element and attribute spellings.
func inspectXMP(rep *Report, b []byte) {
	if len(b) > 1<<20 {
		b = b[:1<<20]
	}
	s := string(b)
	for _, p := range []struct{ key, field string }{
		{"dc:creator", FieldAuthor},
		{"xmp:CreatorTool", FieldSoftware},
		{"pdf:Producer", FieldSoftware},
		{"photoshop:AuthorsPosition", FieldAuthor},
		{"exif:GPSLatitude", FieldGPS},
		{"exif:GPSLongitude", FieldGPS},
		{"aux:SerialNumber", FieldSerial},
		{"exifEX:BodySerialNumber", FieldSerial},
		{"tiff:Make", FieldMake},
		{"tiff:Model", FieldModel},
		{"xmp:CreateDate", FieldCreated},
		{"xmp:ModifyDate", FieldModified},
		{"xmpMM:History", FieldRevisionHistory},
		{"xmpMM:DocumentID", FieldUniqueID},
		{"xmp:Thumbnails", FieldThumbnail},
	} {
		if v, ok := xmpValue(s, p.key); ok {
			if v == "" {
				v = "present (XMP)"
			}
			rep.add(p.field, v)
		}
	}
}

// xmpValue finds key="value" or <key>value</key> (markup stripped).
func xmpValue(s, key string) (string, bool) {
	if i := strings.Index(s, key+"=\""); i >= 0 {
		rest := s[i+len(key)+2:]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return cleanString([]byte(rest[:j])), true
		}
	}
	if i := strings.Index(s, "<"+key+">"); i >= 0 {
		rest := s[i+len(key)+2:]
		j := strings.Index(rest, "</"+key+">")
		if j < 0 {
			j = min(len(rest), 400)
		}
		return stripTags(rest[:j]), true
	}
	if strings.Contains(s, "<"+key) {
		return "", true
	}
	return "", false
}

func stripTags(s string) string {
	var sb strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			sb.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			sb.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(cleanString([]byte(sb.String()))), " ")
}
