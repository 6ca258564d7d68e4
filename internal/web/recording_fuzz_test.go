package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzRecordingParts feeds arbitrary multipart bodies to the reader of
// the case page's recording form. It must never panic; it hands at most
// maxFiles files to the store, each with a name and a parseable content
// type; and whatever it refuses is a client error (4xx), never a 5xx.
func FuzzRecordingParts(f *testing.F) {
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"lang\"\r\n\r\nda",
		"Content-Disposition: form-data; name=\"file\"; filename=\"call.ogg\"\r\nContent-Type: audio/ogg\r\n\r\nOggS"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"file\"\r\n\r\nbody without a file name"))
	f.Add(fuzzBody("Content-Disposition: form-data; name=\"file\"; filename=\"a.ogg\"\r\nContent-Type: ;;;\r\n\r\nx"))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.ogg\"\r\n\r\nno closing boundary"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/cases/x/recording", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+fuzzBoundary)
		mr, err := req.MultipartReader()
		if err != nil {
			t.Fatal(err)
		}
		files := 0
		_, err = recordingParts(req, mr, "en", func(_ context.Context, name, ctype string, r io.Reader) error {
			files++
			if name == "" || ctype == "" {
				t.Errorf("file %q with content type %q", name, ctype)
			}
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if files > maxFiles {
			t.Fatalf("%d files stored, at most %d allowed", files, maxFiles)
		}
		if err != nil {
			if p := classify(err); p.status < 400 || p.status >= 500 {
				t.Fatalf("error %v classified as %d", err, p.status)
			}
		}
	})
}
