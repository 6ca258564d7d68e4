package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

const fuzzBoundary = "varselFuzzBoundary"

func fuzzBody(parts ...string) []byte {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + fuzzBoundary + "\r\n" + p + "\r\n")
	}
	b.WriteString("--" + fuzzBoundary + "--\r\n")
	return []byte(b.String())
}

// FuzzStreamMultipart feeds arbitrary bytes to streamMultipart as a
// multipart body. It must never panic, and whatever it accepts must obey
// the text limits: valid UTF-8, each field at most maxTextPart bytes, all
// together at most maxTextTotal, at most maxFiles files.
func FuzzStreamMultipart(f *testing.F) {
	valid := fuzzBody(
		"Content-Disposition: form-data; name=\"report\"\r\n\r\n{\"what\":\"kickbacks\"}",
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile body",
	)
	f.Add(valid)
	f.Add([]byte{})
	f.Add(valid[:len(valid)/2])
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"x\"\r\nX-Huge: " + strings.Repeat("h", 64<<10) + "\r\n\r\nv"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"file\"\r\nContent-Type: ;;;\r\n\r\nbody without filename"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"t\"\r\n\r\n\xff\xfe"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"t\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=FF=E2=82"))
	f.Add(fuzzBody("Content-Disposition: form-data; name*=utf-8''%FF%FE\r\n\r\nv"))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nno closing boundary"))

	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		files := 0
		fields, err := streamMultipart(req, map[string]bool{"file": true}, func(field, name, ctype string, r io.Reader) error {
			files++
			if field != "file" {
				t.Errorf("sink called for field %q", field)
			}
			if name == "" {
				t.Error("sink called with an empty file name")
			}
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil {
			var p *problem
			if !errors.As(err, &p) {
				t.Fatalf("error is not a problem answer: %T %v", err, err)
			}
			if p.status < 400 || p.status > 499 {
				t.Fatalf("client input gave status %d: %v", p.status, err)
			}
			return
		}
		if files > maxFiles {
			t.Errorf("%d files accepted, limit %d", files, maxFiles)
		}
		total := 0
		for name, vals := range fields {
			for _, v := range vals {
				total += len(v)
				if !utf8.ValidString(v) {
					t.Errorf("field %q value is not valid UTF-8", name)
				}
				if len(v) > maxTextPart {
					t.Errorf("field %q is %d bytes, limit %d", name, len(v), maxTextPart)
				}
			}
		}
		if total > maxTextTotal {
			t.Errorf("text fields total %d bytes, limit %d", total, maxTextTotal)
		}
		for name := range fields {
			if !utf8.ValidString(name) {
				t.Errorf("field name %q is not valid UTF-8", name)
			}
		}
	})
}
