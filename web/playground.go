// Package web serves what browsers load from the server itself, such as the
// GraphiQL playground, whose assets are embedded so it works offline.
package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql/playground"
)

// Where the playground is mounted; the handler sees full request paths.
const (
	playgroundPath = "/playground"
	assetsPath     = playgroundPath + "/assets/"
)

// Playground returns the handler of gqlgen's GraphiQL page and of its assets,
// to be mounted at /playground and /playground/. The page sends queries to
// endpoint (a path such as "/graphql" or an absolute http(s) URL) and
// subscriptions to subscriptionEndpoint: empty or equal to a relative
// endpoint means the same path over ws:// or wss://; otherwise it must be an
// absolute ws:// or wss:// URL. The assets are embedded in the binary and
// checked against web/playground/SHA256SUMS; the error says how to install
// them when they are absent.
func Playground(endpoint, subscriptionEndpoint string) (http.Handler, error) {
	dir, err := fs.Sub(playgroundFiles, "playground")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return newPlayground(dir, endpoint, subscriptionEndpoint)
}

// playgroundHandler serves the page and the assets it references.
type playgroundHandler struct {
	page   http.Handler
	assets assetSet
}

// newPlayground is Playground reading the assets from fsys.
func newPlayground(fsys fs.FS, endpoint, subscriptionEndpoint string) (*playgroundHandler, error) {
	assets, err := loadAssets(fsys)
	if err != nil {
		return nil, err
	}
	opts := []playground.GraphiqlConfigOption{
		playground.WithGraphiqlVersion(
			assetsPath+graphiqlJS, assetsPath+graphiqlCSS,
			assets[graphiqlJS].sri, assets[graphiqlCSS].sri),
		playground.WithGraphiqlReactVersion(
			assetsPath+reactJS, assetsPath+reactDOMJS,
			assets[reactJS].sri, assets[reactDOMJS].sri),
	}
	subscriptionOpt, connect, err := endpoints(endpoint, subscriptionEndpoint)
	if err != nil {
		return nil, err
	}
	if subscriptionOpt != nil {
		opts = append(opts, subscriptionOpt)
	}
	page := playground.Handler("Switchboard GraphiQL", endpoint, opts...)
	return &playgroundHandler{page: secured(page, connect), assets: assets}, nil
}

// endpoints validates the two endpoints. It returns the option that points
// gqlgen's page at an explicit subscription URL, if one is needed, and the
// origins besides the page's own that the page must be allowed to reach.
func endpoints(endpoint, subscription string) (playground.GraphiqlConfigOption, []string, error) {
	u, err := url.Parse(endpoint)
	var connect []string
	switch {
	case err != nil || endpoint == "":
		return nil, nil, fmt.Errorf("web: playground endpoint %q is not a URL", endpoint)
	case u.Scheme == "http" || u.Scheme == "https":
		connect = append(connect, u.Scheme+"://"+u.Host)
		if subscription == "" || subscription == endpoint {
			// gqlgen's page uses the endpoint with scheme ws or wss.
			ws := map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
			return nil, append(connect, ws+"://"+u.Host), nil
		}
	case u.Scheme != "" || !strings.HasPrefix(u.Path, "/"):
		return nil, nil, fmt.Errorf("web: playground endpoint %q must be an absolute path or an http(s) URL", endpoint)
	case subscription == "" || subscription == endpoint:
		// gqlgen's page builds ws(s)://<page host><endpoint> in the browser.
		return nil, nil, nil
	}
	s, err := url.Parse(subscription)
	if err != nil || (s.Scheme != "ws" && s.Scheme != "wss") || s.Host == "" {
		return nil, nil, fmt.Errorf("web: playground subscription endpoint %q must be empty, "+
			"equal the endpoint, or be an absolute ws:// or wss:// URL", subscription)
	}
	// gqlgen's page reads SubscriptionEndpoint only in its absolute mode,
	// where a relative query endpoint still works: fetch resolves it.
	opt := func(c *playground.GraphiqlConfig) {
		c.EndpointIsAbsolute = true
		c.SubscriptionEndpoint = subscription
	}
	return opt, append(connect, s.Scheme+"://"+s.Host), nil
}

// secured adds headers that keep the page from loading anything but its own
// assets, from talking to anything but the API, and from being framed.
// gqlgen's page starts GraphiQL from an inline script, hence 'unsafe-inline'.
func secured(page http.Handler, connect []string) http.Handler {
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'self' 'unsafe-inline'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		strings.Join(append([]string{"connect-src 'self'"}, connect...), " "),
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		page.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the page at /playground and /playground/, the assets
// under /playground/assets/, and 404 for anything else.
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
		p.page.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}
