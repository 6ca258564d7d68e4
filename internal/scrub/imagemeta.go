package scrub

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// ---- JPEG ----

type jpegSegment struct {
	marker byte
	off    int64 // offset of the payload (after the length field)
	n      int64 // payload length
}

// jpegSegments lists the marker segments of a JPEG. With full set it also
// skips the entropy-coded data and returns the offset just after EOI, so
// that trailing data can be measured; otherwise it stops at the first SOS.
func jpegSegments(r io.ReaderAt, size int64, full bool) (segs []jpegSegment, end int64, err error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 32<<10)
	pos := int64(0)
	next := func() (byte, error) {
		b, err := br.ReadByte()
		if err == nil {
			pos++
		}
		return b, err
	}
	if a, _ := next(); a != 0xFF {
		return nil, 0, fmt.Errorf("%w: not a JPEG", ErrMalformed)
	}
	if b, _ := next(); b != 0xD8 {
		return nil, 0, fmt.Errorf("%w: not a JPEG", ErrMalformed)
	}
	haveFF := false // the entropy scan already consumed a marker's 0xFF
	for len(segs) < 4096 {
		if !haveFF {
			b, err := next()
			if err != nil {
				return segs, pos, nil // truncated: what we have
			}
			if b != 0xFF {
				continue // garbage between segments; tolerate
			}
		}
		haveFF = false
		m, err := next()
		for err == nil && m == 0xFF {
			m, err = next()
		}
		if err != nil {
			return segs, pos, nil
		}
		switch {
		case m == 0xD9: // EOI
			return segs, pos, nil
		case m == 0x01 || m >= 0xD0 && m <= 0xD7 || m == 0x00:
			continue
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return segs, pos, nil
		}
		pos += 2
		n := int64(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return segs, pos, fmt.Errorf("%w: bad JPEG segment length", ErrMalformed)
		}
		segs = append(segs, jpegSegment{marker: m, off: pos, n: n})
		d, err := br.Discard(int(n))
		pos += int64(d)
		if err != nil {
			return segs, pos, nil
		}
		if m != 0xDA {
			continue
		}
		if !full {
			return segs, pos, nil
		}
		// Entropy-coded data: find the next marker that is not a stuffed
		// zero, a restart marker or fill.
		for {
			c, err := next()
			if err != nil {
				return segs, pos, nil
			}
			if c != 0xFF {
				continue
			}
			d, err := br.Peek(1)
			if err != nil {
				return segs, pos, nil
			}
			if d[0] == 0x00 || d[0] >= 0xD0 && d[0] <= 0xD7 || d[0] == 0xFF {
				if d[0] != 0xFF {
					next()
				}
				continue
			}
			haveFF = true
			break
		}
	}
	return segs, pos, fmt.Errorf("%w: too many JPEG segments", ErrMalformed)
}

func readSeg(r io.ReaderAt, s jpegSegment) []byte {
	b := make([]byte, s.n)
	n, _ := r.ReadAt(b, s.off)
	return b[:n]
}

// jpegOrientation reads the orientation from the first APP1 Exif segment.
func jpegOrientation(r io.ReaderAt, size int64) int {
	segs, _, _ := jpegSegments(r, size, false)
	for _, s := range segs {
		if s.marker == 0xE1 {
			b := readSeg(r, s)
			if bytes.HasPrefix(b, []byte("Exif\x00")) {
				return exifOrientation(b)
			}
		}
	}
	return 0
}

func inspectJPEG(rep *Report, r io.ReaderAt, size int64) error {
	segs, end, err := jpegSegments(r, size, true)
	if err != nil && len(segs) == 0 {
		return err
	}
	for _, s := range segs {
		switch {
		case s.marker == 0xE1:
			b := readSeg(r, s)
			switch {
			case bytes.HasPrefix(b, []byte("Exif\x00")) && len(b) > 6:
				parseEXIF(bytes.NewReader(b[6:]), int64(len(b)-6), rep, false)
			case bytes.HasPrefix(b, []byte("http://ns.adobe.com/xap/1.0/")),
				bytes.HasPrefix(b, []byte("http://ns.adobe.com/xmp/extension/")):
				rep.add(FieldXMP, "present")
				inspectXMP(rep, b)
			}
		case s.marker == 0xED:
			b := readSeg(r, s)
			if bytes.HasPrefix(b, []byte("Photoshop 3.0")) {
				rep.add(FieldIPTC, "present")
				inspectIPTC(rep, b)
			}
		case s.marker == 0xE2:
			b := readSeg(r, s)
			switch {
			case bytes.HasPrefix(b, []byte("ICC_PROFILE\x00")):
				rep.add(FieldICC, "present")
			case bytes.HasPrefix(b, []byte("MPF\x00")):
				rep.add(FieldEmbedded, "additional images (MPF)")
			}
		case s.marker == 0xE0:
			b := readSeg(r, s)
			if bytes.HasPrefix(b, []byte("JFXX\x00")) || bytes.HasPrefix(b, []byte("JFIF\x00")) && len(b) >= 14 && b[12] != 0 && b[13] != 0 {
				rep.add(FieldThumbnail, "JFIF thumbnail image")
			}
		case s.marker == 0xFE:
			addNonEmpty(rep, FieldComment, cleanString(readSeg(r, s)))
		case s.marker >= 0xE3 && s.marker <= 0xEF:
			b := readSeg(r, s)
			if i := bytes.IndexByte(b, 0); i > 0 && i < 32 {
				rep.add(FieldEmbedded, fmt.Sprintf("APP%d segment %q", s.marker-0xE0, cleanString(b[:i])))
			}
		}
	}
	if end > 0 && end < size {
		rep.add(FieldTrailingData, fmt.Sprintf("%d bytes after the image", size-end))
	}
	return nil
}

// inspectIPTC reads IIM records from a Photoshop APP13 block.
func inspectIPTC(rep *Report, b []byte) {
	for i := 0; i+5 <= len(b); i++ {
		if b[i] != 0x1C || b[i+1] != 2 {
			continue
		}
		ds := b[i+2]
		n := int(binary.BigEndian.Uint16(b[i+3:]))
		if n&0x8000 != 0 || i+5+n > len(b) {
			continue
		}
		v := cleanString(b[i+5 : i+5+n])
		switch ds {
		case 80, 122:
			addNonEmpty(rep, FieldAuthor, v)
		case 116:
			addNonEmpty(rep, FieldAuthor, "© "+v)
		case 120:
			addNonEmpty(rep, FieldDescription, v)
		case 25:
			addNonEmpty(rep, FieldKeywords, v)
		case 55:
			addNonEmpty(rep, FieldCreated, v)
		case 90, 92, 95, 101:
			if v != "" {
				rep.add(FieldGPS, "place: "+v)
			}
		}
		i += 4 + n
	}
}

// ---- PNG ----

type pngChunk struct {
	typ string
	off int64 // data offset
	n   int64
}

func pngChunks(r io.ReaderAt, size int64) ([]pngChunk, int64, error) {
	var sig [8]byte
	if _, err := r.ReadAt(sig[:], 0); err != nil || string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return nil, 0, fmt.Errorf("%w: not a PNG", ErrMalformed)
	}
	var cs []pngChunk
	pos := int64(8)
	for len(cs) < 1<<16 {
		var h [8]byte
		if _, err := r.ReadAt(h[:], pos); err != nil {
			return cs, pos, nil
		}
		n := int64(binary.BigEndian.Uint32(h[:4]))
		c := pngChunk{typ: string(h[4:8]), off: pos + 8, n: n}
		if c.off+n > size {
			return cs, size, nil
		}
		cs = append(cs, c)
		pos = c.off + n + 4
		if c.typ == "IEND" {
			return cs, pos, nil
		}
	}
	return cs, pos, fmt.Errorf("%w: too many PNG chunks", ErrMalformed)
}

func readAt(r io.ReaderAt, off, n, limit int64) []byte {
	b := make([]byte, min(n, limit))
	k, _ := r.ReadAt(b, off)
	return b[:k]
}

func inflateLimited(b []byte, limit int64) []byte {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, limit))
	return out
}

// pngOrientation reads the orientation from an eXIf chunk.
func pngOrientation(r io.ReaderAt, size int64) int {
	cs, _, _ := pngChunks(r, size)
	for _, c := range cs {
		if c.typ == "eXIf" {
			info, err := parseEXIF(io.NewSectionReader(r, c.off, c.n), c.n, nil, false)
			if err == nil {
				return info.orientation
			}
		}
	}
	return 0
}

func inspectPNG(rep *Report, r io.ReaderAt, size int64) error {
	cs, end, err := pngChunks(r, size)
	if err != nil {
		return err
	}
	for _, c := range cs {
		switch c.typ {
		case "eXIf":
			rep.add("EXIF", "present")
			parseEXIF(io.NewSectionReader(r, c.off, c.n), c.n, rep, false)
		case "tIME":
			if b := readAt(r, c.off, c.n, 7); len(b) == 7 {
				rep.add(FieldModified, fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d",
					binary.BigEndian.Uint16(b), b[2], b[3], b[4], b[5], b[6]))
			}
		case "iCCP":
			rep.add(FieldICC, "present")
		case "tEXt", "zTXt", "iTXt":
			b := readAt(r, c.off, c.n, 1<<20)
			key, val, ok := bytes.Cut(b, []byte{0})
			if !ok {
				continue
			}
			var text []byte
			switch c.typ {
			case "tEXt":
				text = val
			case "zTXt":
				if len(val) > 1 {
					text = inflateLimited(val[1:], 64<<10)
				}
			case "iTXt":
				// compression flag, method, language\0, translated keyword\0, text
				if len(val) >= 2 {
					flag := val[0]
					rest := val[2:]
					if _, rest2, ok := bytes.Cut(rest, []byte{0}); ok {
						if _, txt, ok := bytes.Cut(rest2, []byte{0}); ok {
							if flag == 1 {
								text = inflateLimited(txt, 64<<10)
							} else {
								text = txt
							}
						}
					}
				}
			}
			k := cleanString(key)
			switch {
			case k == "XML:com.adobe.xmp":
				rep.add(FieldXMP, "present")
				inspectXMP(rep, text)
			case strings.HasPrefix(k, "Raw profile type exif") || strings.HasPrefix(k, "Raw profile type APP1"):
				rep.add("EXIF", "present (text chunk)")
			case strings.HasPrefix(k, "Raw profile type iptc"):
				rep.add(FieldIPTC, "present")
			case k == "Author":
				addNonEmpty(rep, FieldAuthor, cleanString(text))
			case k == "Software":
				addNonEmpty(rep, FieldSoftware, cleanString(text))
			case k == "Comment":
				addNonEmpty(rep, FieldComment, cleanString(text))
			case k == "Creation Time", strings.HasPrefix(k, "date:"):
				addNonEmpty(rep, FieldCreated, cleanString(text))
			default:
				rep.add(FieldTextChunk, k+": "+cleanString(text))
			}
		}
	}
	if end < size {
		rep.add(FieldTrailingData, fmt.Sprintf("%d bytes after the image", size-end))
	}
	return nil
}

// ---- GIF ----

func inspectGIF(rep *Report, r io.ReaderAt, size int64) error {
	_, err := walkGIF(rep, r, size)
	return err
}

// walkGIF walks the blocks of a GIF, reporting metadata to rep (if not nil)
// and adding up the pixels of all frames.
func walkGIF(rep *Report, r io.ReaderAt, size int64) (framePixels int64, err error) {
	if rep == nil {
		rep = &Report{}
	}
	br := bufio.NewReader(io.NewSectionReader(r, 0, size))
	var pos int64
	read := func(n int) ([]byte, error) {
		b := make([]byte, n)
		k, err := io.ReadFull(br, b)
		pos += int64(k)
		return b, err
	}
	h, err := read(13)
	if err != nil || !bytes.HasPrefix(h, []byte("GIF")) {
		return 0, fmt.Errorf("%w: not a GIF", ErrMalformed)
	}
	if h[10]&0x80 != 0 {
		if _, err := read(3 << (h[10]&7 + 1)); err != nil {
			return framePixels, nil
		}
	}
	// subBlocks reads data sub-blocks, keeping at most keep bytes.
	subBlocks := func(keep int) ([]byte, error) {
		var out []byte
		for {
			n, err := br.ReadByte()
			if err != nil {
				return out, err
			}
			pos++
			if n == 0 {
				return out, nil
			}
			b, err := read(int(n))
			if err != nil {
				return out, err
			}
			if len(out) < keep {
				out = append(out, b...)
			}
		}
	}
	for i := 0; i < 1<<20; i++ {
		t, err := br.ReadByte()
		if err != nil {
			return framePixels, nil
		}
		pos++
		switch t {
		case 0x3B:
			if pos < size {
				rep.add(FieldTrailingData, fmt.Sprintf("%d bytes after the image", size-pos))
			}
			return framePixels, nil
		case 0x21:
			label, err := br.ReadByte()
			if err != nil {
				return framePixels, nil
			}
			pos++
			switch label {
			case 0xFE:
				b, err := subBlocks(4096)
				addNonEmpty(rep, FieldComment, cleanString(b))
				if err != nil {
					return framePixels, nil
				}
			case 0xFF:
				b, err := subBlocks(1 << 20)
				switch {
				case bytes.HasPrefix(b, []byte("XMP DataXMP")):
					rep.add(FieldXMP, "present")
					inspectXMP(rep, b)
				case bytes.HasPrefix(b, []byte("ICCRGBG1012")):
					rep.add(FieldICC, "present")
				case bytes.HasPrefix(b, []byte("NETSCAPE2.0")), bytes.HasPrefix(b, []byte("ANIMEXTS1.0")):
				case len(b) >= 11:
					rep.add(FieldEmbedded, fmt.Sprintf("application extension %q", cleanString(b[:11])))
				}
				if err != nil {
					return framePixels, nil
				}
			default:
				if _, err := subBlocks(0); err != nil {
					return framePixels, nil
				}
			}
		case 0x2C:
			d, err := read(9)
			if err != nil {
				return framePixels, nil
			}
			framePixels += int64(binary.LittleEndian.Uint16(d[4:])) * int64(binary.LittleEndian.Uint16(d[6:]))
			if d[8]&0x80 != 0 {
				if _, err := read(3 << (d[8]&7 + 1)); err != nil {
					return framePixels, nil
				}
			}
			if _, err := read(1); err != nil {
				return framePixels, nil
			}
			if _, err := subBlocks(0); err != nil {
				return framePixels, nil
			}
		default:
			return framePixels, nil // damaged; the decoder will say more
		}
	}
	return framePixels, nil
}

// ---- WebP ----

type riffChunk struct {
	fourcc string
	off, n int64
}

func webpChunks(r io.ReaderAt, size int64) ([]riffChunk, int64, error) {
	var h [12]byte
	if _, err := r.ReadAt(h[:], 0); err != nil || string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return nil, 0, fmt.Errorf("%w: not a WebP", ErrMalformed)
	}
	end := min(int64(binary.LittleEndian.Uint32(h[4:]))+8, size)
	var cs []riffChunk
	pos := int64(12)
	for pos+8 <= end && len(cs) < 1<<16 {
		var ch [8]byte
		if _, err := r.ReadAt(ch[:], pos); err != nil {
			break
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		cs = append(cs, riffChunk{fourcc: string(ch[:4]), off: pos + 8, n: min(n, end-pos-8)})
		pos += 8 + n + n&1
	}
	return cs, end, nil
}

func webpOrientation(r io.ReaderAt, size int64) int {
	cs, _, _ := webpChunks(r, size)
	for _, c := range cs {
		if c.fourcc == "EXIF" {
			off, n := c.off, c.n
			if b := readAt(r, off, n, 6); bytes.HasPrefix(b, []byte("Exif\x00\x00")) {
				off, n = off+6, n-6
			}
			if info, err := parseEXIF(io.NewSectionReader(r, off, n), n, nil, false); err == nil {
				return info.orientation
			}
		}
	}
	return 0
}

func inspectWebP(rep *Report, r io.ReaderAt, size int64) error {
	cs, end, err := webpChunks(r, size)
	if err != nil {
		return err
	}
	for _, c := range cs {
		switch c.fourcc {
		case "EXIF":
			rep.add("EXIF", "present")
			off, n := c.off, c.n
			if b := readAt(r, off, n, 6); bytes.HasPrefix(b, []byte("Exif\x00\x00")) {
				off, n = off+6, n-6
			}
			parseEXIF(io.NewSectionReader(r, off, n), n, rep, false)
		case "XMP ":
			rep.add(FieldXMP, "present")
			inspectXMP(rep, readAt(r, c.off, c.n, 1<<20))
		case "ICCP":
			rep.add(FieldICC, "present")
		}
	}
	if end < size {
		rep.add(FieldTrailingData, fmt.Sprintf("%d bytes after the image", size-end))
	}
	return nil
}

// ---- TIFF ----

func inspectTIFF(rep *Report, r io.ReaderAt, size int64) error {
	_, err := parseEXIF(r, size, rep, true)
	return err
}

func tiffOrientation(r io.ReaderAt, size int64) int {
	info, err := parseEXIF(r, size, nil, true)
	if err != nil {
		return 0
	}
	return info.orientation
}
