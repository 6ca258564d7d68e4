package scrub

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"testing"
)

// tiffBuilder writes a little-endian TIFF structure (the EXIF payload).
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // value bytes; inline when <= 4
	sub      []tiffEntry
}

func ascii(tag uint16, s string) tiffEntry {
	return tiffEntry{tag: tag, typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func short(tag uint16, v uint16) tiffEntry {
	return tiffEntry{tag: tag, typ: 3, count: 1, data: binary.LittleEndian.AppendUint16(nil, v)}
}

func long(tag uint16, v uint32) tiffEntry {
	return tiffEntry{tag: tag, typ: 4, count: 1, data: binary.LittleEndian.AppendUint32(nil, v)}
}

func rationals(tag uint16, vs ...[2]uint32) tiffEntry {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, v[0])
		b = binary.LittleEndian.AppendUint32(b, v[1])
	}
	return tiffEntry{tag: tag, typ: 5, count: uint32(len(vs)), data: b}
}

func subIFD(tag uint16, es ...tiffEntry) tiffEntry {
	return tiffEntry{tag: tag, typ: 4, count: 1, sub: es}
}

// buildTIFF lays out IFD0 (and IFD1 if given) with their sub-IFDs.
func buildTIFF(ifd0, ifd1 []tiffEntry) []byte {
	buf := []byte("II*\x00\x08\x00\x00\x00")
	var writeIFD func(es []tiffEntry, nextFixup bool) (nextPos int)
	writeIFD = func(es []tiffEntry, nextFixup bool) int {
		start := len(buf)
		buf = binary.LittleEndian.AppendUint16(buf, uint16(len(es)))
		entryPos := make([]int, len(es))
		for i, e := range es {
			entryPos[i] = len(buf)
			buf = binary.LittleEndian.AppendUint16(buf, e.tag)
			buf = binary.LittleEndian.AppendUint16(buf, e.typ)
			buf = binary.LittleEndian.AppendUint32(buf, e.count)
			var v [4]byte
			if e.sub == nil && len(e.data) <= 4 {
				copy(v[:], e.data)
			}
			buf = append(buf, v[:]...)
		}
		nextPos := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		for i, e := range es {
			switch {
			case e.sub != nil:
				binary.LittleEndian.PutUint32(buf[entryPos[i]+8:], uint32(len(buf)))
				writeIFD(e.sub, false)
			case len(e.data) > 4:
				binary.LittleEndian.PutUint32(buf[entryPos[i]+8:], uint32(len(buf)))
				buf = append(buf, e.data...)
				if len(buf)%2 == 1 {
					buf = append(buf, 0)
				}
			}
		}
		_ = start
		return nextPos
	}
	next := writeIFD(ifd0, true)
	if ifd1 != nil {
		binary.LittleEndian.PutUint32(buf[next:], uint32(len(buf)))
		writeIFD(ifd1, false)
	}
	return buf
}

// exifFixture is an EXIF payload with device, GPS (59°54'50.04"N
// 10°45'7.92"E), orientation 6 and an IFD1 thumbnail.
func exifFixture(orientation uint16) []byte {
	return buildTIFF([]tiffEntry{
		ascii(tagMake, "AcmeCam"),
		ascii(tagModel, "Snapper 3000"),
		short(tagOrientation, orientation),
		ascii(tagSoftware, "SnapOS 1.2"),
		ascii(tagArtist, "Ola Nordmann"),
		subIFD(tagExifIFD,
			ascii(tagDateTimeOriginal, "2024:05:17 12:34:56"),
			ascii(tagBodySerial, "SN-998877"),
		),
		subIFD(tagGPSIFD,
			ascii(1, "N"),
			rationals(2, [2]uint32{59, 1}, [2]uint32{54, 1}, [2]uint32{5004, 100}),
			ascii(3, "E"),
			rationals(4, [2]uint32{10, 1}, [2]uint32{45, 1}, [2]uint32{792, 100}),
		),
	}, []tiffEntry{long(tagJPEGIF, 0), long(0x0202, 0)})
}

// testImage is w×h blue with a red top-left 8×8 block.
func testImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Bounds(), &image.Uniform{color.RGBA{0, 0, 255, 255}}, image.Point{}, draw.Src)
	draw.Draw(m, image.Rect(0, 0, 8, 8), &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
	return m
}

func segment(marker byte, payload []byte) []byte {
	b := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(payload)+2))
	return append(b, payload...)
}

// jpegFixture is a 32×16 JPEG with EXIF (orientation 6, GPS), XMP, a
// comment and trailing data.
func jpegFixture(t testing.TB) []byte {
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, testImage(32, 16), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	body := enc.Bytes()[2:] // after SOI
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8})
	b.Write(segment(0xE1, append([]byte("Exif\x00\x00"), exifFixture(6)...)))
	b.Write(segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description xmp:CreatorTool=\"PhotoEdit 9\"><dc:creator><rdf:Seq><rdf:li>Kari Nordmann</rdf:li></rdf:Seq></dc:creator></rdf:Description></x:xmpmeta>")))
	b.Write(segment(0xED, append([]byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x10"), 0x1C, 2, 80, 0, 11, 'I', 'P', 'T', 'C', ' ', 'A', 'u', 't', 'h', 'o', 'r')))
	b.Write(segment(0xFE, []byte("secret comment")))
	b.Write(body)
	b.WriteString("TRAILING-SECRET")
	return b.Bytes()
}

func mkChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngFixture is a 32×16 PNG with tEXt, zTXt, iTXt (XMP), eXIf
// (orientation 6) and tIME chunks.
func pngFixture(t testing.TB) []byte {
	var enc bytes.Buffer
	if err := png.Encode(&enc, testImage(32, 16)); err != nil {
		t.Fatal(err)
	}
	src := enc.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("compressed secret"))
	zw.Close()
	var b bytes.Buffer
	b.Write(src[:ihdrEnd])
	b.Write(mkChunk("tEXt", []byte("Author\x00Ola Nordmann")))
	b.Write(mkChunk("tEXt", []byte("Software\x00Paint 7")))
	b.Write(mkChunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...)))
	b.Write(mkChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta><rdf:Description tiff:Make=\"AcmeCam\"/></x:xmpmeta>")))
	b.Write(mkChunk("eXIf", exifFixture(6)))
	b.Write(mkChunk("tIME", []byte{0x07, 0xE8, 5, 17, 12, 34, 56}))
	b.Write(src[ihdrEnd:])
	return b.Bytes()
}

type zipEntry struct{ name, body string }

func buildZip(t testing.TB, entries []zipEntry, storeFirst bool) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if storeFirst && i == 0 {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const wNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

func docxFixture(t testing.TB) []byte {
	return buildZip(t, []zipEntry{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/word/people.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Ola Nordmann</dc:creator><cp:lastModifiedBy>Kari Nordmann</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2024-05-17T10:00:00Z</dcterms:created></cp:coreProperties>`},
		{"docProps/app.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Office Word</Application><Company>Acme Fisk AS</Company><Manager>Per Sjef</Manager><Template>Normal.dotm</Template></Properties>`},
		{"docProps/custom.xml", `<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="EmployeeID"><vt:lpwstr xmlns:vt="v">4711</vt:lpwstr></property></Properties>`},
		{"docProps/thumbnail.jpeg", string(jpegFixture(t))},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + wNS + `><w:body><w:p w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3"><w:r w:rsidRPr="00FF0000"><w:t xml:space="preserve">Kept text. </w:t></w:r><w:ins w:id="1" w:author="Ola Nordmann" w:date="2024-05-17T10:00:00Z"><w:r><w:t>Inserted text.</w:t></w:r></w:ins><w:del w:id="2" w:author="Ola Nordmann" w:date="2024-05-17T10:00:00Z"><w:r><w:delText>Deleted secret.</w:delText></w:r></w:del><w:commentRangeStart w:id="0"/><w:r><w:t>Commented &amp; &lt;escaped&gt;</w:t></w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r></w:p><w:sectPr w:rsidR="00A1B2C3"/></w:body></w:document>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments" Target="comments.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2011/relationships/people" Target="people.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>`},
		{"word/comments.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:comments ` + wNS + `><w:comment w:id="0" w:author="Ola Nordmann" w:date="2024-05-17T10:00:00Z"><w:p><w:r><w:t>Secret remark</w:t></w:r></w:p></w:comment></w:comments>`},
		{"word/people.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w15:person w15:author="Ola Nordmann"/></w15:people>`},
		{"word/media/image1.jpeg", string(jpegFixture(t))},
	}, false)
}

func odtFixture(t testing.TB) []byte {
	const ns = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:officeooo="http://openoffice.org/2009/office"`
	return buildZip(t, []zipEntry{
		{"mimetype", "application/vnd.oasis.opendocument.text"},
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/></manifest:manifest>`},
		{"meta.xml", `<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta ` + ns + ` office:version="1.3"><office:meta><meta:initial-creator>Ola Nordmann</meta:initial-creator><dc:creator>Kari Nordmann</dc:creator><meta:generator>LibreOffice/7.4</meta:generator><meta:printed-by>Per</meta:printed-by></office:meta></office:document-meta>`},
		{"content.xml", `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content ` + ns + `><office:body><office:text><text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><office:change-info><dc:creator>Ola Nordmann</dc:creator><dc:date>2024-05-17T10:00:00</dc:date></office:change-info><text:p>Deleted secret.</text:p></text:deletion></text:changed-region></text:tracked-changes><text:p officeooo:rsid="0012ab">Kept text.<text:change text:change-id="ct1"/><office:annotation><dc:creator>Ola Nordmann</dc:creator><text:p>Secret remark</text:p></office:annotation></text:p></office:text></office:body></office:document-content>`},
		{"Thumbnails/thumbnail.png", string(pngFixture(t))},
	}, true)
}
