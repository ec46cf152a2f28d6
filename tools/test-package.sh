#!/bin/sh
# The Debian package, built and tried as a user would (issue 16): build it
# with dpkg-buildpackage from a copy of this tree, check it with lintian,
# install it on this machine, run the installed mitmwatch on the installed
# samples and compare the sessions and verdicts with the list on record,
# then remove and purge it. Needs root for the install part (CI runs as
# root); without root, or when a mitmwatch package is already installed
# (never replaced by a test), only the build and lintian run.
#
# usage: tools/test-package.sh
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
shared=$(cd ../shared 2>/dev/null && pwd || true)
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fail() { echo "test-package: FAIL: $*"; exit 1; }

# A clean copy: the tracked and new files, no build directories. ../shared
# beside it, as beside a checkout, for the unit tests dh_auto_test runs.
mkdir "$tmp/mitmwatch"
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$tmp/mitmwatch"
[ -n "$shared" ] && ln -s "$shared" "$tmp/shared"
echo "==> dpkg-buildpackage"
(cd "$tmp/mitmwatch" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
    { tail -n 40 "$tmp/build.log"; fail "dpkg-buildpackage"; }
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
deb=$tmp/mitmwatch_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || fail "no $deb"
echo "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

echo "==> lintian"
# Tags that remain are explained in docs/packaging.md; anything else fails.
lintian --fail-on error,warning --suppress-tags-from-file debian/lintian-allowed "$deb" ||
    fail "lintian"

echo "==> contents"
dpkg-deb -c "$deb" >"$tmp/contents"
for f in ./usr/bin/mitmwatch ./usr/bin/mwgen ./usr/share/man/man1/mitmwatch.1.gz \
         ./usr/share/man/man1/mwgen.1.gz ./usr/share/mitmwatch/rules/VERSION \
         ./usr/share/doc/mitmwatch/copyright ./usr/share/mitmwatch/samples/gen-kz2019.pcap \
         ./lib/systemd/system/mitmwatch@.service ./etc/mitmwatch/mitmwatch.conf \
         ./etc/logrotate.d/mitmwatch ./usr/share/doc/mitmwatch/examples/mitmwatch.conf.example; do
    grep -q " $f\$" "$tmp/contents" || fail "not in the package: $f"
done

if [ "$(id -u)" -ne 0 ]; then
    echo "test-package: not root: install, run and removal not tried"
    exit 0
fi
if dpkg-query -W -f '${Status}' mitmwatch 2>/dev/null | grep -q installed; then
    echo "test-package: a mitmwatch package is installed here: left alone, install not tried"
    [ "${CI:-}" = true ] && fail "CI machine has mitmwatch installed already"
    exit 0
fi

echo "==> install"
apt-get install -y -q "$deb" >"$tmp/install.log" 2>&1 ||
    { tail -n 20 "$tmp/install.log"; fail "apt-get install"; }
ver=$(/usr/bin/mitmwatch --version)
echo "$ver"
echo "$ver" | grep -qxF "rules $(head -n 1 rules/VERSION) (/usr/share/mitmwatch/rules)" ||
    fail "installed binary does not read /usr/share/mitmwatch/rules"
getent passwd mitmwatch >/dev/null || fail "no mitmwatch system user"
grep -qx 'ExecStart=/usr/bin/mitmwatch --config /etc/mitmwatch/mitmwatch.conf -Z mitmwatch -i %I -o /var/log/mitmwatch/%I.json' \
    /lib/systemd/system/mitmwatch@.service || fail "the unit does not run /usr/bin/mitmwatch with /etc/mitmwatch"
dpkg-query -W -f '${Conffiles}' mitmwatch | grep -q /etc/mitmwatch/mitmwatch.conf ||
    fail "/etc/mitmwatch/mitmwatch.conf is not a conffile"
/usr/bin/mitmwatch --config /etc/mitmwatch/mitmwatch.conf -q samples/443-curl.pcap ||
    fail "the installed configuration is refused"
man -w mitmwatch >/dev/null && man -w mwgen >/dev/null || fail "man pages not found"
python3 tests/e2e/test_golden.py /usr/bin/mitmwatch tests/data/golden/samples.tsv \
    -- /usr/share/mitmwatch/samples || fail "installed mitmwatch on the samples"

echo "==> remove, purge"
dpkg -r mitmwatch >/dev/null || fail "dpkg -r"
[ ! -e /usr/bin/mitmwatch ] || fail "binary left after removal"
dpkg -P mitmwatch >/dev/null || fail "dpkg -P"
! getent passwd mitmwatch >/dev/null || fail "system user left after purge"
echo "test-package: ok"
