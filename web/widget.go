package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// widgetJS is the chat widget a company's site loads with the snippet
// (README, "Web chat widget").
//
//go:embed widget.js
var widgetJS []byte

// widgetCacheSeconds is how long browsers may use a copy of /widget.js
// without asking again; the URL never changes, so an upgrade reaches
// visitors within this time.
const widgetCacheSeconds = 300

// Widget returns the handler of GET /widget.js: the script, gzip-compressed
// for clients that accept it, cacheable, with an ETag per encoding, and
// loadable from any site (it holds nothing secret: the entry point's token
// is in the snippet).
func Widget() http.Handler {
	gz := Gzip(widgetJS)
	etag := func(b []byte) string {
		sum := sha256.Sum256(b)
		return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	}
	plainTag, gzTag := etag(widgetJS), etag(gz)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(widgetCacheSeconds))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Vary", "Accept-Encoding")
		body, tag := widgetJS, plainTag
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, tag = gz, gzTag
			h.Set("Content-Encoding", "gzip")
		}
		h.Set("ETag", tag)
		http.ServeContent(w, r, "widget.js", time.Time{}, bytes.NewReader(body))
	})
}

// WidgetScript returns the widget's source, for tests and measurements.
func WidgetScript() []byte { return bytes.Clone(widgetJS) }

// Gzip compresses b with compress/gzip at its best compression.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(b)                                       // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
