package web

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/99designs/gqlgen/graphql/playground"
)

// cdnAsset matches a script or stylesheet of gqlgen's default page.
var cdnAsset = regexp.MustCompile(`(?:src|href)="https://cdn\.jsdelivr\.net/npm/([^"]+)"\s+integrity="([^"]+)"`)

// scriptTag and eventHandler find what 'unsafe-inline' would be needed for.
var (
	scriptTag    = regexp.MustCompile(`<script\b[^>]*>`)
	eventHandler = regexp.MustCompile(`\son[a-z]+=`)
)

func get(t *testing.T, h http.Handler, method, target string, header http.Header) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newTestPlayground(t *testing.T) http.Handler {
	t.Helper()
	h, err := Playground("/query", "", true)
	if err != nil {
		t.Fatalf("Playground: %v", err)
	}
	return h
}

// The embedded files must be the ones gqlgen's own page loads from the CDN,
// byte for byte, so upgrading gqlgen's GraphiQL shows up here.
func TestAssetsAreGqlgensDefaults(t *testing.T) {
	res := get(t, playground.Handler("t", "/query"), http.MethodGet, "/", nil)
	defaults := cdnAsset.FindAllStringSubmatch(body(t, res), -1)
	if len(defaults) != 4 {
		t.Fatalf("gqlgen's page loads %d CDN files, want 4 (GraphiQL js and css, React, ReactDOM): %q", len(defaults), defaults)
	}
	page := body(t, get(t, newTestPlayground(t), http.MethodGet, "/playground", nil))
	for _, m := range defaults {
		name, sri := m[1], m[2]
		want := `="` + assetsPath + name + `" integrity="` + sri + `"`
		if !strings.Contains(page, want) {
			t.Errorf("gqlgen loads %s with integrity %s; the playground page does not serve that file "+
				"(update web/playground/package.json, SHA256SUMS and the names in assets.go, then run scripts/playground-assets.sh)",
				name, sri)
		}
	}
}

func TestPlaygroundPage(t *testing.T) {
	h := newTestPlayground(t)
	for _, path := range []string{"/playground", "/playground/"} {
		t.Run(path, func(t *testing.T) {
			res := get(t, h, http.MethodGet, path, nil)
			page := body(t, res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
			csp := res.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "connect-src 'self';") || !strings.Contains(csp, "script-src 'self';") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			for _, tag := range scriptTag.FindAllString(page, -1) {
				if !strings.Contains(tag, ` src="`) {
					t.Errorf("page has an inline script: %s", tag)
				}
			}
			if m := eventHandler.FindString(page); m != "" {
				t.Errorf("page has an inline event handler: %s", m)
			}
			if strings.Contains(page, "https://") || strings.Contains(page, "http://") {
				t.Errorf("page refers to a remote URL:\n%s", page)
			}
			for _, want := range []string{`id="signin"`, `data-endpoint="/query"`, `data-admins-only="true"`,
				`src="/playground/playground.js" integrity="sha256-`, `href="/playground/playground.css" integrity="sha256-`} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q", want)
				}
			}
		})
	}
}

func TestPlaygroundAssets(t *testing.T) {
	h := newTestPlayground(t)
	files, err := fs.Sub(playgroundFiles, "playground/dist")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, contentType string
	}{
		{graphiqlJS, "text/javascript; charset=utf-8"},
		{graphiqlCSS, "text/css; charset=utf-8"},
		{reactJS, "text/javascript; charset=utf-8"},
		{reactDOMJS, "text/javascript; charset=utf-8"},
		{"react@18.2.0/LICENSE", "text/plain; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := fs.ReadFile(files, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			res := get(t, h, http.MethodGet, assetsPath+tc.name, nil)
			if got := body(t, res); res.StatusCode != http.StatusOK || !bytes.Equal([]byte(got), want) {
				t.Fatalf("status %d, %d bytes; want 200, %d bytes", res.StatusCode, len(got), len(want))
			}
			if ct := res.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
				t.Errorf("Cache-Control %q", cc)
			}
			etag := res.Header.Get("ETag")
			res = get(t, h, http.MethodGet, assetsPath+tc.name, http.Header{"If-None-Match": {etag}})
			if res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %s: status %d, want 304", etag, res.StatusCode)
			}
		})
	}
}

func TestPlaygroundRejects(t *testing.T) {
	h := newTestPlayground(t)
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"post page", http.MethodPost, "/playground", http.StatusMethodNotAllowed},
		{"unknown asset", http.MethodGet, assetsPath + "graphiql@4.1.2/graphiql.js", http.StatusNotFound},
		{"readme is not an asset", http.MethodGet, assetsPath + "README.md", http.StatusNotFound},
		{"checksums are not an asset", http.MethodGet, assetsPath + "../SHA256SUMS", http.StatusNotFound},
		{"other path", http.MethodGet, "/playground/query", http.StatusNotFound},
		{"head asset", http.MethodHead, assetsPath + reactJS, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res := get(t, h, tc.method, tc.path, nil); res.StatusCode != tc.status {
				t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
			}
		})
	}
}

func TestPlaygroundEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name, endpoint, subscription string
		wantErr                      string
		wantCSP, wantPage            string
	}{
		{name: "same path", endpoint: "/query", subscription: "/query",
			wantCSP: "connect-src 'self';", wantPage: `data-endpoint="/query" data-subscription-endpoint=""`},
		{name: "absolute subscription", endpoint: "/query", subscription: "wss://api.example.com/ws",
			wantCSP: "connect-src 'self' wss://api.example.com;", wantPage: `data-subscription-endpoint="wss://api.example.com/ws"`},
		{name: "absolute endpoint", endpoint: "https://api.example.com/query",
			wantCSP: "connect-src 'self' https://api.example.com wss://api.example.com;", wantPage: `data-endpoint="https://api.example.com/query" data-subscription-endpoint=""`},
		{name: "relative subscription path", endpoint: "/query", subscription: "/ws", wantErr: "ws:// or wss://"},
		{name: "relative endpoint", endpoint: "query", wantErr: "absolute path"},
		{name: "empty endpoint", endpoint: "", wantErr: "not a URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Playground(tc.endpoint, tc.subscription, false)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := get(t, h, http.MethodGet, "/playground", nil)
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tc.wantCSP) {
				t.Errorf("Content-Security-Policy %q lacks %q", csp, tc.wantCSP)
			}
			if page := body(t, res); !strings.Contains(page, tc.wantPage) {
				t.Errorf("page lacks %q:\n%s", tc.wantPage, page)
			}
		})
	}
}

func TestPlaygroundWithoutAssets(t *testing.T) {
	sums, err := fs.ReadFile(playgroundFiles, "playground/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	full := fstest.MapFS{"SHA256SUMS": {Data: sums}}
	if err := fs.WalkDir(playgroundFiles, "playground/dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(playgroundFiles, p)
		full[strings.TrimPrefix(p, "playground/")] = &fstest.MapFile{Data: data}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	without := func(name string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range full {
			if k != name {
				m[k] = v
			}
		}
		return m
	}
	changed := without("dist/" + reactJS)
	changed["dist/"+reactJS] = &fstest.MapFile{Data: []byte("alert(1)")}

	for _, tc := range []struct {
		name    string
		fsys    fs.FS
		wantErr []string
	}{
		{"complete", full, nil},
		{"no dist", fstest.MapFS{"SHA256SUMS": {Data: sums}},
			[]string{"missing", graphiqlJS, reactDOMJS, "scripts/playground-assets.sh"}},
		{"one missing", without("dist/" + graphiqlCSS),
			[]string{"missing", graphiqlCSS, "scripts/playground-assets.sh"}},
		{"changed", changed, []string{"do not match", reactJS, "scripts/playground-assets.sh"}},
		{"no checksums", without("SHA256SUMS"), []string{"SHA256SUMS", "scripts/playground-assets.sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newPlayground(tc.fsys, "/query", "", true)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}

// The page's own script and stylesheet are served with the digest the
// page's integrity attributes name, and revalidated rather than cached.
func TestPlaygroundOwnFiles(t *testing.T) {
	h := newTestPlayground(t)
	page := body(t, get(t, h, http.MethodGet, "/playground", nil))
	for _, tc := range []struct{ path, file, contentType string }{
		{pageJSPath, "page/playground.js", "text/javascript; charset=utf-8"},
		{pageCSSPath, "page/playground.css", "text/css; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want, err := pageFiles.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			res := get(t, h, http.MethodGet, tc.path, nil)
			if got := body(t, res); res.StatusCode != http.StatusOK || got != string(want) {
				t.Fatalf("status %d, %d bytes; want 200, %d bytes", res.StatusCode, len(got), len(want))
			}
			if ct := res.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", cc)
			}
			etag := res.Header.Get("ETag")
			sri := strings.Trim(etag, `"`)
			if !strings.Contains(page, `="`+tc.path+`" integrity="`+sri+`"`) {
				t.Errorf("the page does not load %s with integrity %s", tc.path, sri)
			}
			if res := get(t, h, http.MethodGet, tc.path, http.Header{"If-None-Match": {etag}}); res.StatusCode != http.StatusNotModified {
				t.Errorf("If-None-Match %s: status %d, want 304", etag, res.StatusCode)
			}
		})
	}
}
