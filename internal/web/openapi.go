package web

import (
	"embed"
	"net/http"
)

// The OpenAPI documents are written by hand and kept in step with the
// route tables by TestOpenAPIDocumentsMatchRoutes.
//
//go:embed openapi/*.json
var openapiFS embed.FS

func (s *Server) openAPI(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := openapiFS.ReadFile("openapi/" + name)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(b)
	}
}
