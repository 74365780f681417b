#!/usr/bin/env bash
# Installs the JavaScript packages the Go tests run under Node (graphql-js,
# Apollo Client, graphql-ws; pinned in e2e/node/package-lock.json) and prints
# their folder on stdout, so CI can do:
#   export SWITCHBOARD_NODE_TOOLS="$(scripts/install-node-tools.sh)"
# Installs Debian's nodejs and npm first when node is missing (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/e2e/node"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [[ "$(id -u)" -ne 0 ]]; then
		echo "install-node-tools: node or npm is missing and installing them needs root" >&2
		exit 1
	fi
	echo "install-node-tools: installing Debian packages nodejs and npm" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends nodejs npm >&2
fi

# npm ci installs exactly the lock file, and its output goes to stderr so
# stdout carries only the folder. No package runs install scripts.
npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund >&2
echo "install-node-tools: node $(node --version)" >&2
echo "$dir"
