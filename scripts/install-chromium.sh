#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (e2e/playground_test.go)
# unless it is already there, and prints its path on stdout, so CI can do:
#   export CHROMIUM="$(scripts/install-chromium.sh)"
# Needs root (or sudo) and access to the Debian package mirrors.
set -euo pipefail

chromium=/usr/bin/chromium

if [[ ! -x "$chromium" ]]; then
	if [[ "$(id -u)" -ne 0 ]]; then
		echo "install-chromium: $chromium is missing and installing it needs root" >&2
		exit 1
	fi
	echo "install-chromium: installing Debian package chromium" >&2
	export DEBIAN_FRONTEND=noninteractive
	# apt's progress goes to stderr so stdout carries only the path.
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends chromium >&2
fi

"$chromium" --version >&2
echo "$chromium"
