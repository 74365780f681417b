#!/usr/bin/env bash
# Installs or verifies the GraphiQL playground's offline assets.
#
#   scripts/playground-assets.sh           npm ci from the lockfile, copy the
#                                          files into web/playground/dist/,
#                                          then verify them
#   scripts/playground-assets.sh --verify  only verify dist/ (no network, no
#                                          npm; what CI runs)
#
# web/playground/SHA256SUMS is the single list of files: each line names
# dist/<package>@<version>/<path in the package> and its SHA-256, the same
# digest as the SRI hash gqlgen's built-in GraphiQL page uses for that file
# (web/playground_test.go checks that against the gqlgen in go.mod). npm ci
# checks every tarball against package-lock.json's sha512 integrity first.
# The files are committed and embedded by `go build`, so running the server
# needs neither npm nor the network.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/web/playground"
sums="$dir/SHA256SUMS"

die() {
	echo "playground-assets: $*" >&2
	exit 1
}

# listed prints the dist/ paths named in SHA256SUMS, one a line.
listed() {
	awk 'NF { sub(/^\*/, "", $2); print $2 }' "$sums"
}

# parse_path sets pkg, version and file from dist/<pkg>@<version>/<file>, where
# <pkg> may be @scope/name.
parse_path() {
	if [[ ! "${1#dist/}" =~ ^((@[^/@]+/)?[^/@]+)@([^/]+)/(.+)$ ]]; then
		die "SHA256SUMS: cannot parse $1"
	fi
	pkg="${BASH_REMATCH[1]}" version="${BASH_REMATCH[3]}" file="${BASH_REMATCH[4]}"
}

# pinned checks that package-lock.json installs the version SHA256SUMS names.
pinned() {
	grep -A1 -F "\"node_modules/$pkg\": {" package-lock.json |
		grep -qF "\"version\": \"$version\"" ||
		die "package-lock.json does not pin $pkg $version, which SHA256SUMS names"
}

verify() {
	cd "$dir"
	[[ -f "$sums" ]] || die "missing $sums"
	local path pkg version file
	while read -r path; do
		parse_path "$path"
		pinned
	done < <(listed)
	# Every listed file present with the pinned digest...
	sha256sum --check --strict --quiet "$sums" ||
		die "dist/ does not match SHA256SUMS; run scripts/playground-assets.sh"
	# ...and nothing else served from dist/ besides its README.
	local extra
	extra="$(comm -13 <(listed | LC_ALL=C sort) \
		<(find dist -type f ! -name README.md | LC_ALL=C sort))"
	[[ -z "$extra" ]] || die "files in dist/ not listed in SHA256SUMS: $extra"
	echo "playground-assets: $(listed | wc -l) files in web/playground/dist match SHA256SUMS"
}

install() {
	cd "$dir"
	command -v npm >/dev/null || die "npm is needed to install the assets"
	# --omit=peer skips graphql, which the UMD build bundles already.
	npm ci --ignore-scripts --omit=peer --no-audit --no-fund --loglevel=error

	local path pkg version file have
	while read -r path; do
		parse_path "$path"
		have="$(node -p "require('./node_modules/$pkg/package.json').version")"
		[[ "$have" == "$version" ]] ||
			die "package-lock.json installs $pkg $have but SHA256SUMS wants $version"
		mkdir -p "$(dirname "$path")"
		cp "node_modules/$pkg/$file" "$path"
	done < <(listed)
	# Only the copies are needed; a rerun installs from npm's cache.
	rm -rf node_modules
	verify
}

case "${1:-}" in
--verify) verify ;;
"")
	# Start from an empty dist/ so files of older versions do not linger.
	find "$dir/dist" -mindepth 1 ! -name README.md -delete 2>/dev/null || true
	install
	;;
*) die "usage: $0 [--verify]" ;;
esac
