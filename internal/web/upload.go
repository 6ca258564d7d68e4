package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"unicode/utf8"
)

// Limits on the non-file parts of a multipart body. Files have their own
// limit (the configured maximum file size) enforced while they stream.
const (
	maxTextPart  = 256 << 10 // one form field or the report JSON
	maxTextTotal = 1 << 20
	maxFiles     = 50
	maxParts     = 500
)

var errNotMultipart = &problem{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
	msg: "expected multipart/form-data"}

// fileSink receives one uploaded file as a stream.
type fileSink func(field, name, contentType string, body io.Reader) error

// streamMultipart reads a multipart body part by part. Text parts are
// collected (bounded); file parts go to sink as they arrive and are never
// buffered whole or written to disk in clear, unlike
// http.Request.ParseMultipartForm, which spools large files to temporary
// files. fileFields names the parts that carry files.
func streamMultipart(r *http.Request, fileFields map[string]bool, sink fileSink) (map[string][]string, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errNotMultipart
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string][]string{}
	var textTotal int64
	files, parts := 0, 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, nil
		}
		if err != nil {
			return nil, malformed(err)
		}
		parts++
		if parts > maxParts {
			return nil, badRequest("malformed_multipart", "too many parts")
		}
		name := part.FormName()
		if !utf8.ValidString(name) {
			return nil, badRequest("invalid_utf8", "form field names must be UTF-8")
		}
		if fileFields[name] {
			filename := part.FileName()
			// A file input left empty still sends a part with no name and no body.
			if filename == "" {
				if n, _ := io.Copy(io.Discard, io.LimitReader(part, 1)); n == 0 {
					continue
				}
				filename = "file"
			}
			files++
			if files > maxFiles {
				return nil, badRequest("too_many_files", fmt.Sprintf("at most %d files per request", maxFiles))
			}
			ctype := part.Header.Get("Content-Type")
			if _, _, err := mime.ParseMediaType(ctype); err != nil {
				ctype = "application/octet-stream"
			}
			if err := sink(name, filename, ctype, clientReader{part}); err != nil {
				return nil, err
			}
			continue
		}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(part, maxTextPart+1))
		if err != nil {
			return nil, malformed(err)
		}
		textTotal += n
		if n > maxTextPart || textTotal > maxTextTotal {
			return nil, &problem{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "a form field is too large"}
		}
		if !utf8.Valid(buf.Bytes()) {
			return nil, badRequest("invalid_utf8", "form fields must be UTF-8")
		}
		fields[name] = append(fields[name], buf.String())
	}
}

func malformed(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("malformed_multipart", "the multipart body could not be read")
}

// clientReader marks errors that come from reading the request body, so a
// broken or aborted upload is reported as the client's fault (4xx), not
// as a server error.
type clientReader struct{ r io.Reader }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = malformed(err)
	}
	return n, err
}
