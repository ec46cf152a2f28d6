#!/usr/bin/env python3
"""Every record mitmwatch writes matches its JSON Schema (docs/schema/).

usage: test_schema.py MITMWATCH SCHEMA_DIR SAMPLES_DIR CORPUS_DIR

Runs mitmwatch as the other end-to-end tests do, over the bundled samples
and the whole corpus (events, --flows, the stats record, --state twice so
the baseline's reasons appear, --report and merge), and validates each
JSON Lines record against the schema of its "event" and each summary.json
against summary.schema.json. Also checks the schemas reject a record with
an unknown field or a wrong type, so the test can fail.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

BIN, SCHEMAS, SAMPLES, CORPUS = (os.path.abspath(a) for a in sys.argv[1:5])
VANTAGES = ["--vantage-net", "kz-almaty=10.20.0.0/16",
            "--vantage-net", "kz-astana-v6=2001:db8:4b5a::/48",
            "--vantage-net", "corporate-lan=192.168.50.0/24"]


def load_schemas():
    schemas = {}
    for name in os.listdir(SCHEMAS):
        if name.endswith(".schema.json"):
            with open(os.path.join(SCHEMAS, name)) as f:
                s = json.load(f)
            jsonschema.Draft202012Validator.check_schema(s)
            schemas[s["$id"]] = s
    try:  # jsonschema >= 4.18: the referencing library
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            (k, Resource.from_contents(v)) for k, v in schemas.items())
        make = lambda s: jsonschema.Draft202012Validator(s, registry=reg)
    except ImportError:  # Debian 12's 4.10
        make = lambda s: jsonschema.Draft202012Validator(
            s, resolver=jsonschema.RefResolver("", s, store=schemas))
    return {k: make(v) for k, v in schemas.items()}


V = load_schemas()
BY_EVENT = {"tls": "session.schema.json", "dtls": "session.schema.json",
            "quic": "session.schema.json", "flow": "flow.schema.json",
            "stats": "stats.schema.json"}
seen = {}
failures = 0


def check(schema, rec, where):
    global failures
    errs = list(V[schema].iter_errors(rec))
    for e in errs[:3]:
        print("FAIL %s: %s at %s" % (where, e.message[:300], list(e.absolute_path)))
    failures += bool(errs)


def run(*args):
    p = subprocess.run([BIN, *args], capture_output=True, timeout=900)
    if p.returncode not in (0, 1):
        print("FAIL mitmwatch %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                  p.stderr.decode()[-500:]))
        global failures
        failures += 1
    return p.stdout.decode()


def check_events(out, where):
    for n, line in enumerate(out.splitlines(), 1):
        rec = json.loads(line)
        ev = rec.get("event")
        if ev not in BY_EVENT:
            print("FAIL %s:%d: unknown event %r" % (where, n, ev))
            global failures
            failures += 1
            continue
        seen[ev] = seen.get(ev, 0) + 1
        check(BY_EVENT[ev], rec, "%s:%d" % (where, n))


def check_summary(path):
    with open(path) as f:
        check("summary.schema.json", json.load(f), path)
    seen["summary"] = seen.get("summary", 0) + 1


with tempfile.TemporaryDirectory() as tmp:
    state = os.path.join(tmp, "state.db")
    for i in range(2):  # the second run sees the first's baseline
        rep = os.path.join(tmp, "samples%d" % i)
        out = run("--json", "--flows", "--trust-extra", os.path.join(SAMPLES, "trust-store.pem"),
                  "--state", state, "--vantage", "lab", *VANTAGES, "--report", rep, SAMPLES)
        check_events(out, "samples run %d" % i)
        check_summary(os.path.join(rep, "summary.json"))
    rep = os.path.join(tmp, "corpus")
    check_events(run("--json", "--flows", "--report", rep, CORPUS), "corpus")
    check_summary(os.path.join(rep, "summary.json"))
    merged = os.path.join(tmp, "merged")
    run("merge", "-q", "--report", merged, os.path.join(tmp, "samples1", "summary.json"),
        os.path.join(rep, "summary.json"))
    check_summary(os.path.join(merged, "summary.json"))

    # The schemas can fail: an unknown field, a wrong type, a bad enum.
    with open(os.path.join(rep, "summary.json")) as f:
        summary = json.load(f)
    sample = json.loads(run("--json", os.path.join(SAMPLES, "gen-kz2019.pcap")).splitlines()[0])
    for schema, rec, mutate in (
            ("session.schema.json", sample, lambda r: r.update(extra=1)),
            ("session.schema.json", sample, lambda r: r.update(src_port="443")),
            ("session.schema.json", sample, lambda r: r.update(verdict="bad")),
            ("session.schema.json", sample, lambda r: r["chain"][0].update(sha256="xyz")),
            ("summary.schema.json", summary, lambda r: r["counters"]["capture"].pop("packets")),
            ("summary.schema.json", summary, lambda r: r.update(sessions={}))):
        bad = copy.deepcopy(rec)
        mutate(bad)
        if V[schema].is_valid(bad):
            print("FAIL %s accepts a broken record" % schema)
            failures += 1

for kind in ("tls", "dtls", "quic", "flow", "stats", "summary"):
    if not seen.get(kind):
        print("FAIL no %s record was produced to check" % kind)
        failures += 1
print("records checked: %s" % ", ".join("%s %d" % kv for kv in sorted(seen.items())))
print("%d passed, %d failed" % (int(failures == 0), int(failures > 0)))
sys.exit(1 if failures else 0)
