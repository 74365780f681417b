package web

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// playgroundFiles holds the pinned checksums and the assets they describe.
// dist/ always contains its README, so the build does not fail when the
// assets are missing; Playground reports that instead.
//
//go:embed playground/SHA256SUMS playground/dist
var playgroundFiles embed.FS

// The files gqlgen's GraphiQL page loads, as paths under dist/. They mirror
// the npm package paths and the jsDelivr URLs gqlgen uses by default.
const (
	graphiqlJS  = "graphiql@4.1.2/graphiql.min.js"
	graphiqlCSS = "graphiql@4.1.2/graphiql.min.css"
	reactJS     = "react@18.2.0/umd/react.production.min.js"
	reactDOMJS  = "react-dom@18.2.0/umd/react-dom.production.min.js"
)

// installHint tells an operator how to restore the assets.
const installHint = "run scripts/playground-assets.sh and rebuild"

// asset is one verified file served under the assets path.
type asset struct {
	name string // path under dist/
	body []byte
	sri  string // Subresource Integrity value, "sha256-<base64>"
}

// assetSet is the verified content of dist/, keyed by path under dist/.
type assetSet map[string]*asset

// loadAssets reads SHA256SUMS and every file it lists from fsys (laid out as
// web/playground/), and fails unless each one is present with its pinned
// digest and the files the page needs are among them.
func loadAssets(fsys fs.FS) (assetSet, error) {
	sums, err := fs.ReadFile(fsys, "SHA256SUMS")
	if err != nil {
		return nil, fmt.Errorf("web: playground checksums: %w; %s", err, installHint)
	}
	set := assetSet{}
	var missing, mismatched []string
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		want, file, err := parseChecksumLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("web: SHA256SUMS line %d: %w", line, err)
		}
		body, err := fs.ReadFile(fsys, file)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, file)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("web: playground asset: %w", err)
		}
		got := sha256.Sum256(body)
		if !bytes.Equal(got[:], want) {
			mismatched = append(mismatched, file)
			continue
		}
		name := strings.TrimPrefix(file, "dist/")
		set[name] = &asset{
			name: name,
			body: body,
			sri:  "sha256-" + base64.StdEncoding.EncodeToString(got[:]),
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("web: SHA256SUMS: %w", err)
	}
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("web: playground assets are missing from web/playground/%s: %s",
			strings.Join(missing, ", "), installHint)
	case len(mismatched) > 0:
		return nil, fmt.Errorf("web: playground assets do not match web/playground/SHA256SUMS (%s): %s",
			strings.Join(mismatched, ", "), installHint)
	}
	for _, name := range []string{graphiqlJS, graphiqlCSS, reactJS, reactDOMJS} {
		if set[name] == nil {
			return nil, fmt.Errorf("web: web/playground/SHA256SUMS does not list dist/%s", name)
		}
	}
	return set, nil
}

// parseChecksumLine splits a sha256sum line, "<hex>  dist/<path>" (a '*'
// instead of the second space marks binary mode), and rejects paths outside
// dist/.
func parseChecksumLine(line string) (digest []byte, file string, err error) {
	sum, file, ok := strings.Cut(line, " ")
	file = strings.TrimLeft(file, " *")
	if !ok || len(sum) != 2*sha256.Size {
		return nil, "", fmt.Errorf("not a sha256sum line: %q", line)
	}
	digest, err = hex.DecodeString(sum)
	if err != nil {
		return nil, "", fmt.Errorf("bad digest: %w", err)
	}
	if !strings.HasPrefix(file, "dist/") || !fs.ValidPath(file) {
		return nil, "", fmt.Errorf("path %q is not under dist/", file)
	}
	return digest, file, nil
}

// serveAsset writes the asset named name. Asset paths carry the package
// version, so a response never goes stale and may be cached for good.
func (s assetSet) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a := s[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(a.name))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+a.sri+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

// contentType picks the media type from the extension; extensionless files
// (the licenses) are plain text.
func contentType(name string) string {
	switch ext := path.Ext(name); ext {
	case ".js":
		return "text/javascript; charset=utf-8"
	case "":
		return "text/plain; charset=utf-8"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}
