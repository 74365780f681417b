#!/usr/bin/env bash
# Runs the README's first 100 lines as a new user would, on a copy of the
# repository with no database: the first ```sh block starts the server (in
# the background here, as in a terminal of its own), every later ```sh block
# in those lines runs verbatim with bash -e, and their output must show the
# worked example succeeded. Needs port 8080 on 127.0.0.1 free, as the README
# does. Bounded: the server gets 5 minutes to build and start.
set -euo pipefail
cd "$(dirname "$0")/.."

if curl -s -o /dev/null --max-time 2 http://127.0.0.1:8080/; then
	echo "readme-first-run: something already listens on 127.0.0.1:8080, which the README uses" >&2
	exit 1
fi

work=$(mktemp -d)
server=""
cleanup() {
	if [[ -n "$server" ]]; then
		kill -TERM -- "-$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# A fresh copy: the files git knows, nothing built, no switchboard.db.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work"
rm -f "$work"/switchboard.db*

# The ```sh blocks of the first 100 lines, one file each.
head -n 100 README.md | awk -v dir="$work/.blocks" '
	BEGIN { system("mkdir -p " dir) }
	/^```sh$/ { n++; inside = 1; next }
	/^```/ { inside = 0; next }
	inside { print > (dir "/" n ".sh") }
'
blocks=("$work"/.blocks/*.sh)
if (( ${#blocks[@]} < 2 )); then
	echo "readme-first-run: the README's first 100 lines need a run block and an example block" >&2
	exit 1
fi

echo "== README block 1 (the server, in the background):"
cat "${blocks[0]}"
(cd "$work" && exec setsid bash -e "${blocks[0]}") >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 300); do
	if grep -q "switchboard is serving" "$work/server.log"; then break; fi
	if ! kill -0 "$server" 2>/dev/null; then
		cat "$work/server.log" >&2
		echo "readme-first-run: the server exited" >&2
		exit 1
	fi
	sleep 1
done
grep -q "switchboard is serving" "$work/server.log" || { cat "$work/server.log" >&2; echo "readme-first-run: no server after 5 minutes" >&2; exit 1; }

out="$work/example.out"
for b in "${blocks[@]:1}"; do
	echo "== README block $(basename "$b" .sh):"
	cat "$b"
	(cd "$work" && bash -e "$b") | tee -a "$out"
	echo
done

fail=0
check() {
	if ! grep -q -- "$1" "$out"; then
		echo "readme-first-run: the example's output lacks $1" >&2
		fail=1
	fi
}
check '"createQueue":{"queue":{"id":"'
check '"agents":{"totalCount":1,'
if grep -q '"errors"' "$out"; then
	echo "readme-first-run: the example's output has errors" >&2
	fail=1
fi
if grep -q "level=ERROR" "$work/server.log"; then
	cat "$work/server.log" >&2
	echo "readme-first-run: the server logged errors" >&2
	fail=1
fi
if (( fail )); then
	cat "$work/server.log" >&2
	exit 1
fi
echo "readme-first-run: the README's first 100 lines work as written"
