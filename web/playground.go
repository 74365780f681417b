// Package web serves what browsers load from the server itself, such as the
// GraphiQL playground, whose assets are embedded so it works offline.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Where the playground is mounted; the handler sees full request paths.
const (
	playgroundPath = "/playground"
	assetsPath     = playgroundPath + "/assets/"
	pageJSPath     = playgroundPath + "/playground.js"
	pageCSSPath    = playgroundPath + "/playground.css"
)

// The page's own files, written for Switchboard (not library copies).
//
//go:embed page/playground.html page/playground.js page/playground.css
var pageFiles embed.FS

// pageTemplate is the playground page: a sign-in form and GraphiQL, started
// by playground.js; no inline script.
var pageTemplate = template.Must(template.ParseFS(pageFiles, "page/playground.html"))

// Playground returns the handler of the GraphiQL page, its script and
// stylesheet, and the library assets, to be mounted at /playground and
// /playground/. The page signs in through the login mutation and sends the
// token with every request. It sends queries to endpoint (a path such as
// "/graphql" or an absolute http(s) URL) and subscriptions to
// subscriptionEndpoint: empty or equal to endpoint means the same URL over
// ws:// or wss://; otherwise it must be an absolute ws:// or wss:// URL.
// With adminsOnly the page refuses (and revokes) the sign-in of anyone but
// an admin; the API enforces the roles either way. The library assets are
// embedded in the binary and checked against web/playground/SHA256SUMS; the
// error says how to install them when they are absent.
func Playground(endpoint, subscriptionEndpoint string, adminsOnly bool) (http.Handler, error) {
	dir, err := fs.Sub(playgroundFiles, "playground")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return newPlayground(dir, endpoint, subscriptionEndpoint, adminsOnly)
}

// playgroundHandler serves the page and the files it references.
type playgroundHandler struct {
	page   []byte
	csp    string
	js     *asset
	css    *asset
	assets assetSet
}

// link is a file the page loads, with its Subresource Integrity value.
type link struct{ URL, SRI string }

// newPlayground is Playground reading the library assets from fsys.
func newPlayground(fsys fs.FS, endpoint, subscriptionEndpoint string, adminsOnly bool) (*playgroundHandler, error) {
	assets, err := loadAssets(fsys)
	if err != nil {
		return nil, err
	}
	subscription, connect, err := endpoints(endpoint, subscriptionEndpoint)
	if err != nil {
		return nil, err
	}
	js, err := pageAsset("page/playground.js")
	if err != nil {
		return nil, err
	}
	css, err := pageAsset("page/playground.css")
	if err != nil {
		return nil, err
	}
	lib := func(name string) link { return link{assetsPath + name, assets[name].sri} }
	var page bytes.Buffer
	err = pageTemplate.Execute(&page, map[string]any{
		"Endpoint":             endpoint,
		"SubscriptionEndpoint": subscription,
		"AdminsOnly":           adminsOnly,
		"GraphiQLJS":           lib(graphiqlJS),
		"GraphiQLCSS":          lib(graphiqlCSS),
		"React":                lib(reactJS),
		"ReactDOM":             lib(reactDOMJS),
		"PageJS":               link{pageJSPath, js.sri},
		"PageCSS":              link{pageCSSPath, css.sri},
	})
	if err != nil {
		return nil, fmt.Errorf("web: playground page: %w", err)
	}
	return &playgroundHandler{page: page.Bytes(), csp: policy(connect), js: js, css: css, assets: assets}, nil
}

// pageAsset reads one of the page's own files.
func pageAsset(name string) (*asset, error) {
	body, err := pageFiles.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	sum := sha256.Sum256(body)
	return &asset{name: name, body: body, sri: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// endpoints validates the two endpoints. It returns the subscription URL
// the page is to use, empty when the page derives it from endpoint (the
// same URL over ws:// or wss://), and the origins besides the page's own
// that the page must be allowed to reach.
func endpoints(endpoint, subscription string) (string, []string, error) {
	u, err := url.Parse(endpoint)
	var connect []string
	switch {
	case err != nil || endpoint == "":
		return "", nil, fmt.Errorf("web: playground endpoint %q is not a URL", endpoint)
	case u.Scheme == "http" || u.Scheme == "https":
		connect = append(connect, u.Scheme+"://"+u.Host)
		if subscription == "" || subscription == endpoint {
			ws := map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
			return "", append(connect, ws+"://"+u.Host), nil
		}
	case u.Scheme != "" || !strings.HasPrefix(u.Path, "/"):
		return "", nil, fmt.Errorf("web: playground endpoint %q must be an absolute path or an http(s) URL", endpoint)
	case subscription == "" || subscription == endpoint:
		// The page builds ws(s)://<page host><endpoint>, covered by 'self'.
		return "", nil, nil
	}
	s, err := url.Parse(subscription)
	if err != nil || (s.Scheme != "ws" && s.Scheme != "wss") || s.Host == "" {
		return "", nil, fmt.Errorf("web: playground subscription endpoint %q must be empty, "+
			"equal the endpoint, or be an absolute ws:// or wss:// URL", subscription)
	}
	return subscription, append(connect, s.Scheme+"://"+s.Host), nil
}

// policy is the Content-Security-Policy that keeps the page from loading
// anything but its own files, from talking to anything but the API, and
// from being framed. Scripts come only from files; GraphiQL sets inline
// styles, hence 'unsafe-inline' for styles alone.
func policy(connect []string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		strings.Join(append([]string{"connect-src 'self'"}, connect...), " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// ServeHTTP serves the page at /playground and /playground/, its script
// and stylesheet, the assets under /playground/assets/, and 404 for
// anything else.
func (p *playgroundHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	switch name, isAsset := strings.CutPrefix(r.URL.Path, assetsPath); {
	case isAsset:
		p.assets.serveAsset(w, r, name)
	case r.URL.Path == playgroundPath || r.URL.Path == playgroundPath+"/":
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", p.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		http.ServeContent(w, r, "playground.html", time.Time{}, bytes.NewReader(p.page))
	case r.URL.Path == pageJSPath:
		p.js.servePage(w, r)
	case r.URL.Path == pageCSSPath:
		p.css.servePage(w, r)
	default:
		http.NotFound(w, r)
	}
}

// servePage writes one of the page's own files. Their paths carry no
// version, so the browser revalidates them (by ETag) on every load.
func (a *asset) servePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", contentType(a.name))
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+a.sri+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}
