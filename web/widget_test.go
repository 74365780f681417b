package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

// widgetGzipBudget is the most /widget.js may weigh gzip-compressed (12 KB).
const widgetGzipBudget = 12 * 1024

// TestWidgetSize measures the widget with compress/gzip at the default
// level, as a server or CDN would compress it, and at the best.
func TestWidgetSize(t *testing.T) {
	for _, level := range []int{gzip.DefaultCompression, gzip.BestCompression} {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, level)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zw.Write(widgetJS); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("widget.js: %d bytes, %d gzipped (level %d); budget %d", len(widgetJS), buf.Len(), level, widgetGzipBudget)
		if buf.Len() > widgetGzipBudget {
			t.Errorf("widget.js is %d bytes gzipped (level %d), over the budget of %d", buf.Len(), level, widgetGzipBudget)
		}
	}
}

// TestWidgetSource refuses what would break the widget under a strict
// Content-Security-Policy with Trusted Types: evaluating strings, parsing
// HTML, and inline styles or handlers. (The browser test runs it under such
// a policy; this names the line.)
func TestWidgetSource(t *testing.T) {
	forbidden := map[string]*regexp.Regexp{
		"eval":                   regexp.MustCompile(`\beval\s*\(`),
		"new Function":           regexp.MustCompile(`\bnew\s+Function\b|\bFunction\s*\(`),
		"string timers":          regexp.MustCompile(`set(Timeout|Interval)\s*\(\s*['"\x60]`),
		"innerHTML":              regexp.MustCompile(`\b(inner|outer)HTML\b`),
		"insertAdjacentHTML":     regexp.MustCompile(`insertAdjacentHTML`),
		"document.write":         regexp.MustCompile(`document\.write`),
		"DOMParser":              regexp.MustCompile(`DOMParser|createContextualFragment|parseHTMLUnsafe|setHTML`),
		"inline style":           regexp.MustCompile(`\.style\b|['"]style['"]\s*[:,]`),
		"inline event handler":   regexp.MustCompile(`setAttribute\(\s*['"]on`),
		"script elements":        regexp.MustCompile(`createElement\(\s*['"]script`),
		"a trusted types policy": regexp.MustCompile(`trustedTypes`),
	}
	for line, text := range bytes.Split(widgetJS, []byte("\n")) {
		for what, re := range forbidden {
			if re.Match(text) {
				t.Errorf("widget.js:%d uses %s: %s", line+1, what, text)
			}
		}
	}
}

// TestWidgetHandler checks GET /widget.js: the script as JavaScript, gzip
// when accepted (and the same bytes once decompressed), cacheable, usable
// from any site, and 304 for a copy the client holds.
func TestWidgetHandler(t *testing.T) {
	srv := httptest.NewServer(Widget())
	defer srv.Close()
	get := func(enc, etag string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/widget.js", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", enc) // set, so the transport does not decompress
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	read := func(r io.Reader) []byte {
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	plain := get("identity", "")
	if body := read(plain.Body); plain.StatusCode != http.StatusOK || !bytes.Equal(body, widgetJS) {
		t.Fatalf("GET without gzip: status %d, %d bytes; want 200 and the script", plain.StatusCode, len(body))
	}
	for header, want := range map[string]string{
		"Content-Type":                 "text/javascript; charset=utf-8",
		"Cache-Control":                "public, max-age=300",
		"X-Content-Type-Options":       "nosniff",
		"Access-Control-Allow-Origin":  "*",
		"Cross-Origin-Resource-Policy": "cross-origin",
		"Vary":                         "Accept-Encoding",
		"Content-Encoding":             "",
	} {
		if got := plain.Header.Get(header); got != want {
			t.Errorf("%s: %q, want %q", header, got, want)
		}
	}

	zipped := get("br, gzip;q=0.8", "")
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", zipped.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	if body := read(zr); !bytes.Equal(body, widgetJS) {
		t.Errorf("the gzipped body does not decompress to the script")
	}
	if get("gzip;q=0", "").Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 refuses gzip, but got it")
	}

	for enc, res := range map[string]*http.Response{"identity": plain, "gzip": zipped} {
		etag := res.Header.Get("ETag")
		if again := get(enc, etag); again.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match %s (%s): status %d, want 304", etag, enc, again.StatusCode)
		}
	}
	if plain.Header.Get("ETag") == zipped.Header.Get("ETag") {
		t.Errorf("both encodings have ETag %s", plain.Header.Get("ETag"))
	}
}
