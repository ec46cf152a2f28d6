#!/bin/sh
# `cmake --install` gives a tree that works anywhere without the source:
# installed to a prefix, then moved elsewhere, the binary still finds its
# rules beside itself (--version names them) and finds on the bundled
# samples exactly the sessions and verdicts on record (golden samples list).
#
# usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/first" >/dev/null
mv "$tmp/first" "$tmp/moved"
p=$tmp/moved
for f in bin/mitmwatch bin/mwgen share/man/man1/mitmwatch.1 share/man/man1/mwgen.1 \
         share/mitmwatch/rules/VERSION share/doc/mitmwatch/README.md \
         share/doc/mitmwatch/usage.md share/mitmwatch/samples/gen-kz2019.pcap; do
    [ -f "$p/$f" ] || fail "not installed: $f"
done
ls "$p"/share/mitmwatch/rules/rogue-roots/*.pem >/dev/null 2>&1 || fail "no rogue roots installed"

ver=$("$p/bin/mitmwatch" --version)
echo "$ver"
echo "$ver" | grep -q "^mitmwatch [0-9]" || fail "--version: no mitmwatch version"
echo "$ver" | grep -q "^nDPI " || fail "--version: no nDPI version"
echo "$ver" | grep -q "^OpenSSL " || fail "--version: no OpenSSL version"
echo "$ver" | grep -q "^libpcap version " || fail "--version: no libpcap version"
date=$(head -n 1 "$src/rules/VERSION")
echo "$ver" | grep -qxF "rules $date ($p/share/mitmwatch/rules)" ||
    fail "--version: rules not read from the moved install tree"

# The installed binary judges the samples as the build does.
python3 "$src/tests/e2e/test_golden.py" "$p/bin/mitmwatch" \
    "$src/tests/data/golden/samples.tsv" -- "$p/share/mitmwatch/samples"

man -l "$p/share/man/man1/mwgen.1" >/dev/null 2>&1 || fail "mwgen.1 does not format"
echo "install: ok"
