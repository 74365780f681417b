#!/usr/bin/env bash
# Runs govulncheck on the module against a vulnerability database built
# offline from the golang.org/x/vulndb module (its OSV files, indexed by its
# own indexdb command), so the check needs only the Go module proxy.
# Exit status 3 means a vulnerability is reachable from our code.
set -euo pipefail
cd "$(dirname "$0")/.."

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

cache="${SWITCHBOARD_VULNDB_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/vulndb-$VULNDB_VERSION}"
if [ ! -s "$cache/index/db.json" ]; then
	src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
	rm -rf "$cache.tmp"
	# indexdb runs outside this module, with vulndb's own dependencies.
	(cd "$(mktemp -d)" && go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$cache.tmp")
	rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
echo "govulncheck $GOVULNCHECK_VERSION, database golang.org/x/vulndb@$VULNDB_VERSION, $(go env GOVERSION)"
go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$cache" ./...
