#!/usr/bin/env python3
"""report.html in headless Chromium: the page loads without console errors
or network requests, has its sections, and every number it shows matches
summary.json (the data attributes of docs/report.md).

    test_report_html.py --summary summary.json --html report.html [--screenshot PNG]
    test_report_html.py --summary summary.json --render-with test_report_html [--screenshot PNG]

--render-with renders the page first with `test_report_html --render` (the
unit test binary), into a fresh temporary directory.

Needs Debian's chromium, chromium-driver and python3-selenium
(tools/install-deps.sh); fails, never skips, when they are missing.
"""
import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SYSTEM_PYTHON = "/usr/bin/python3"
VKEYS = ["intercepted", "suspicious", "clean", "opaque", "incomplete"]
SECTIONS = ["headline", "timeline", "targets", "matrix", "vantages", "forged", "coverage", "counters"]
DASH = "\u2014"
UNLABELLED = "(unlabelled)"

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    # Debian's python3-selenium lives in the system interpreter; a pyenv or
    # virtualenv python3 first on PATH does not see it.
    if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and \
            os.path.exists(SYSTEM_PYTHON) and not os.environ.get("MW_REEXEC"):
        os.environ["MW_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    sys.exit("FAIL: python3-selenium is not installed: run tools/install-deps.sh")


class Failures:
    def __init__(self):
        self.msgs = []

    def check(self, cond, msg):
        if not cond:
            self.msgs.append(msg)

    def eq(self, got, want, what):
        self.check(got == want, f"{what}: page has {got!r}, summary.json {want!r}")


def set_text(items):
    """How the page writes a set: ", "-joined, null as (unlabelled), empty as a dash."""
    if not items:
        return DASH
    return ", ".join(UNLABELLED if x is None else str(x) for x in items)


def num(obj, key):
    v = obj.get(key, 0) if isinstance(obj, dict) else 0
    return v if isinstance(v, int) and v >= 0 else 0


# Everything the checks need, read from the DOM in one script: hidden
# elements (collapsed <details>) included, which .text would not give.
EXTRACT = r"""
const cells = tr => {
  const o = {};
  tr.querySelectorAll('[data-k]').forEach(td => {
    o[td.dataset.k] = {v: td.dataset.v === undefined ? null : td.dataset.v,
                       text: td.textContent};
  });
  return o;
};
const rows = sel => Array.from(document.querySelectorAll(sel));
return {
  sections: rows('main > section, main > header').map(s => s.id),
  targets: rows('#targets-table tr[data-target], #targets-unseen-table tr[data-target]').map(tr => ({
    target: tr.dataset.target, cells: cells(tr)})),
  matrix: rows('#matrix-table tbody tr[data-target]').map(tr => ({
    target: tr.dataset.target,
    cells: Array.from(tr.querySelectorAll('td.mx[data-sessions]')).map(td => ({
      vantage: td.dataset.null ? null : td.dataset.vantage,
      sessions: td.dataset.sessions, intercepted: td.dataset.intercepted,
      text: td.textContent}))})),
  matrix_cols: rows('#matrix-table thead th[data-vantage]').map(th =>
    th.dataset.null ? null : th.dataset.vantage),
  vantages: rows('#vantages-table tr[data-vantage]').map(tr => ({
    vantage: tr.dataset.null ? null : tr.dataset.vantage, cells: cells(tr)})),
  vtimeline: rows('#vantages-time-data tr[data-vantage]').map(tr => ({
    vantage: tr.dataset.null ? null : tr.dataset.vantage, t: tr.dataset.t, cells: cells(tr)})),
  timeline: rows('#timeline-data tr[data-t]').map(tr => ({t: tr.dataset.t, cells: cells(tr)})),
  transitions: rows('#transitions tbody tr').map(tr => cells(tr)),
  bars: rows('#timeline-chart g.bucket').length,
  figs: Object.fromEntries(rows('[data-fig]').map(d => [d.dataset.fig,
                                                        d.querySelector('b').textContent])),
  forged: rows('details.forged').map(d => ({
    sha256: d.dataset.sha256,
    sessions: d.querySelector('summary [data-k=sessions]').textContent,
    chain: Array.from(d.querySelectorAll('table.chain tbody tr')).map(tr => tr.dataset.sha256),
    clone: !!d.querySelector('table.clone')})),
  coverage: cells(document.querySelector('#coverage-table') || document.createElement('x')),
  counters: rows('#counters-table tr[data-group]').map(tr => [
    tr.dataset.group, tr.dataset.counter, tr.querySelector('[data-k=value]').textContent]),
  resources: performance.getEntriesByType('resource').map(e => e.name),
};
"""


def check_numbers(f, dom, s):
    f.eq(dom["sections"], SECTIONS, "sections")

    # Targets seen come first, in entry order, then those never seen
    # (folded away), in entry order.
    targets = s.get("targets") or []
    seen = [sum(num(t.get("sessions") or {}, k) for k in VKEYS) > 0 for t in targets]
    targets = [t for t, x in zip(targets, seen) if x] + [t for t, x in zip(targets, seen) if not x]
    f.eq([r["target"] for r in dom["targets"]], [t.get("target") for t in targets], "targets")
    for row, t in zip(dom["targets"], targets):
        c, name = row["cells"], t.get("target")
        sess = t.get("sessions") or {}
        want = {k: num(sess, k) for k in VKEYS}
        want["seen"] = sum(want.values())
        want["servers"] = len(t.get("servers") or [])
        want["servers_intercepted"] = len(t.get("servers_intercepted") or [])
        for k, v in want.items():
            f.eq(c.get(k, {}).get("v"), str(v), f"targets[{name}].{k} (data-v)")
            f.eq(c.get(k, {}).get("text"), str(v), f"targets[{name}].{k} (text)")
        for k in ("first_intercepted", "last_intercepted"):
            f.eq(c.get(k, {}).get("v"), t.get(k) or "", f"targets[{name}].{k}")
        f.eq(c.get("vantages", {}).get("text"), set_text(t.get("vantages")),
             f"targets[{name}].vantages")
        f.eq(c.get("rogue_issuers", {}).get("text"), set_text(t.get("rogue_issuers")),
             f"targets[{name}].rogue_issuers")

    # The matrix: a row per target with a by_vantage cell, a column per
    # vantage (summary order) that has a cell in some row.
    labels = [v.get("vantage") for v in s.get("vantages") or []]
    rows = [t for t in s.get("targets") or [] if t.get("by_vantage")]
    used = {c.get("vantage") for t in rows for c in t["by_vantage"]}
    f.eq(dom["matrix_cols"], [x for x in labels if x in used], "matrix columns")
    f.eq([r["target"] for r in dom["matrix"]], [t.get("target") for t in rows], "matrix rows")
    for row, t in zip(dom["matrix"], rows):
        want = sorted(t["by_vantage"], key=lambda c: labels.index(c.get("vantage")))
        f.eq([c["vantage"] for c in row["cells"]], [c.get("vantage") for c in want],
             f"matrix[{t.get('target')}] cells")
        for got, c in zip(row["cells"], want):
            n = sum(num(c.get("sessions") or {}, k) for k in VKEYS)
            i = num(c.get("sessions") or {}, "intercepted")
            where = f"matrix[{t.get('target')}][{c.get('vantage')}]"
            f.eq((got["sessions"], got["intercepted"]), (str(n), str(i)), where)
            first, last = (c.get("first_seen") or "")[:10], (c.get("last_seen") or "")[:10]
            days = first if first == last else f"{first} \u2013 {last}"
            f.eq(got["text"], f"{i} / {n}{days}", where + " text")

    vants = s.get("vantages") or []
    f.eq([r["vantage"] for r in dom["vantages"]], [v.get("vantage") for v in vants], "vantages")
    for row, v in zip(dom["vantages"], vants):
        c, name = row["cells"], v.get("vantage")
        sess = v.get("sessions") or {}
        want = {k: num(sess, k) for k in VKEYS}
        want["seen"] = sum(want.values())
        n, k = len(v.get("servers") or []), len(v.get("servers_intercepted") or [])
        want["servers"], want["servers_intercepted"] = n, k
        for key, val in want.items():
            f.eq(c.get(key, {}).get("text"), str(val), f"vantages[{name}].{key}")
        rate = 100.0 * k / n if n else 0.0
        got = float(c.get("rate", {}).get("v") or "nan")
        f.check(abs(got - rate) < 1e-4, f"vantages[{name}].rate: page {got}, summary {rate}")
    want_vt = [(v.get("vantage"), b.get("t"), len(b.get("servers") or []),
                len(b.get("servers_intercepted") or []))
               for v in vants for b in (v.get("timeline") or [])]
    got_vt = [(r["vantage"], r["t"], int(r["cells"]["servers"]["text"]),
               int(r["cells"]["servers_intercepted"]["text"])) for r in dom["vtimeline"]]
    f.eq(got_vt, want_vt, "vantages[].timeline")

    tl = s.get("timeline") or []
    f.eq([r["t"] for r in dom["timeline"]], [b.get("t") for b in tl], "timeline buckets")
    state = ""
    for row, b in zip(dom["timeline"], tl):
        for k in VKEYS:
            f.eq(row["cells"].get(k, {}).get("text"), str(num(b, k)), f"timeline[{b.get('t')}].{k}")
        if num(b, "intercepted"):
            state = "on"
        elif num(b, "suspicious") or num(b, "clean"):
            state = "off"
        f.eq(row["cells"].get("state", {}).get("text"), state, f"timeline[{b.get('t')}].state")
    f.eq(dom["bars"], len(tl), "timeline chart bars")
    f.eq([(r["t"]["v"], r["state"]["text"]) for r in dom["transitions"]],
         [(x.get("t"), x.get("state")) for x in s.get("transitions") or []], "transitions")

    sess = s.get("sessions") or {}
    cov = s.get("coverage") or {}
    f.eq(dom["figs"].get("sessions"), str(num(sess, "total")), "headline sessions")
    f.eq(dom["figs"].get("intercepted"), str(num(sess, "intercepted")), "headline intercepted")
    f.eq(dom["figs"].get("suspicious"), str(num(sess, "suspicious")), "headline suspicious")
    f.eq(dom["figs"].get("untrusted"), str(num(sess, "untrusted")), "headline untrusted")
    f.eq(dom["figs"].get("target_sessions"), str(num(cov, "target_sessions")),
         "headline target sessions")
    f.eq(dom["figs"].get("forged"), str(len(s.get("forged_certificates") or [])),
         "headline forged certificates")
    f.eq(dom["figs"].get("vantages"), str(len(s.get("vantages") or [])), "headline vantages")
    for k in ("sessions", "judged", "opaque", "incomplete", "target_sessions", "target_opaque",
              "target_incomplete", "quic", "dtls"):
        f.eq(dom["coverage"].get(k, {}).get("text"), str(num(cov, k)), f"coverage.{k}")

    forged = s.get("forged_certificates") or []
    f.eq(len(dom["forged"]), len(forged), "forged certificate <details>")
    for d, fc in zip(dom["forged"], forged):
        f.eq(d["sha256"], fc.get("sha256"), "forged sha256")
        f.eq(d["sessions"], str(num(fc, "sessions")), f"forged[{fc.get('sha256')}].sessions")
        f.eq(d["chain"], [c.get("sha256") for c in fc.get("chain") or []],
             f"forged[{fc.get('sha256')}].chain")
        f.eq(d["clone"], isinstance(fc.get("clones"), dict), f"forged[{fc.get('sha256')}].clones")

    want_c = [(g, k, str(v)) for g, grp in (s.get("counters") or {}).items()
              if isinstance(grp, dict) for k, v in grp.items()
              if isinstance(v, int) and v > 0]
    f.eq([tuple(x) for x in dom["counters"]], want_c, "counters (non-zero)")


# The page at a window width: the document is no wider than the viewport
# (only .scroll boxes may scroll sideways), and no text of a wrapping cell
# or heading spills out of its box.
FIT = r"""
const out = [];
const de = document.documentElement;
if (de.scrollWidth > window.innerWidth + 1)
  out.push('page ' + de.scrollWidth + 'px wide in a ' + window.innerWidth + 'px window');
document.querySelectorAll('.wrap, h1, h2, .cap, .lead').forEach(e => {
  if (e.scrollWidth > e.clientWidth + 1)
    out.push(e.tagName.toLowerCase() + '.' + e.className + ' "' +
             e.textContent.slice(0, 40) + '" overflows: ' + e.scrollWidth + ' > ' + e.clientWidth);
});
return out;
"""


def check_fit(f, driver, width):
    driver.set_window_size(width, 900)
    for msg in driver.execute_script(FIT):
        f.check(False, f"at {width}px: {msg}")


def check_expand(f, driver):
    details = driver.find_elements(By.CSS_SELECTOR, "details.forged")
    if not details:
        return
    d = details[0]
    chain = d.find_element(By.CSS_SELECTOR, "table.chain")
    # Selenium's is_displayed() treats the content of a closed <details> as
    # shown (Chromium hides it with content-visibility, keeping its boxes);
    # checkVisibility() knows.
    shown = "return arguments[0].checkVisibility()"
    f.check(not driver.execute_script(shown, chain),
            "a forged chain is shown before its <details> is opened")
    d.find_element(By.TAG_NAME, "summary").click()
    f.check(d.get_attribute("open") is not None, "clicking the summary did not open <details>")
    f.check(driver.execute_script(shown, chain) and chain.is_displayed(),
            "the chain table is not shown once <details> is open")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--summary")
    ap.add_argument("--html")
    ap.add_argument("--render-with", metavar="TEST_REPORT_HTML")
    ap.add_argument("--screenshot", metavar="PNG")
    ap.add_argument("--screenshot-narrow", metavar="PNG",
                    help="a screenshot at 390 pixels wide (a phone)")
    ap.add_argument("--run", nargs=argparse.REMAINDER, metavar="MITMWATCH ARGS",
                    help="run MITMWATCH ARGS --report DIR and check DIR's report")
    args = ap.parse_args()
    if args.run:
        # A real run's report: what users open, from the real pipeline.
        out = tempfile.mkdtemp(prefix="mw-run-")
        atexit.register(shutil.rmtree, out, True)
        subprocess.run([*args.run, "-q", "--report", out], check=True,
                       stdout=subprocess.DEVNULL)
        args.summary = os.path.join(out, "summary.json")
        args.html = os.path.join(out, "report.html")
    if not args.summary or bool(args.html) == bool(args.render_with):
        ap.error("give --summary and one of --html and --render-with, or --run")
    for path, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            sys.exit(f"FAIL: {path} missing ({pkg}): run tools/install-deps.sh")

    with open(args.summary, encoding="utf-8") as fh:
        summary = json.load(fh)
    tmp = tempfile.mkdtemp(prefix="mw-report-")
    try:
        html = args.html
        if args.render_with:
            html = os.path.join(tmp, "report.html")
            subprocess.run([args.render_with, "--render", args.summary, html], check=True)
        with open(html, encoding="utf-8") as fh:
            text = fh.read()
        f = Failures()
        for bad in ("http://", "https://", "<script"):
            f.check(bad not in text.lower(), f"the page contains {bad!r}")

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--window-size=1280,900",
                  "--user-data-dir=" + os.path.join(tmp, "profile")):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        try:
            driver.set_page_load_timeout(60)
            driver.get("file://" + os.path.abspath(html))
            dom = driver.execute_script(EXTRACT)
            log = driver.get_log("browser")
            for e in log:
                msg = e.get("message", "")
                f.check(e.get("level") not in ("SEVERE", "ERROR") and
                        "Content Security Policy" not in msg, f"console: {e.get('level')}: {msg}")
            f.eq(dom["resources"], [], "resources the page fetched")
            check_numbers(f, dom, summary)
            check_fit(f, driver, 1280)
            check_expand(f, driver)
            if args.screenshot:
                # Opened details stay open in the picture: close it again.
                driver.execute_script("document.querySelectorAll('details').forEach("
                                      "d => d.open = false); window.scrollTo(0, 0);")
                h = driver.execute_script("return document.documentElement.scrollHeight")
                driver.set_window_size(1280, max(900, int(h) + 140))
                f.check(driver.save_screenshot(args.screenshot), "screenshot not written")
            # A phone's width: nothing wider than the window but the tables,
            # which scroll in their own box.
            driver.set_window_size(390, 844)
            check_fit(f, driver, 390)
            if args.screenshot_narrow:
                driver.execute_script("window.scrollTo(0, 0);")
                f.check(driver.save_screenshot(args.screenshot_narrow),
                        "narrow screenshot not written")
            log = driver.get_log("browser")
            for e in log:
                f.check(e.get("level") != "SEVERE", f"console: {e.get('level')}: {e.get('message')}")
        finally:
            driver.quit()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for m in f.msgs:
        print("FAIL:", m)
    n_checked = (len(dom["targets"]), len(dom["vantages"]), len(dom["timeline"]), len(dom["forged"]))
    if f.msgs:
        print(f"{len(f.msgs)} mismatches")
        return 1
    print("ok: report.html matches summary.json "
          "(%d targets, %d vantages, %d buckets, %d forged certificates)" % n_checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
