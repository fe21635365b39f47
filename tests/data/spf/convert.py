#!/usr/bin/python3
"""Converts the openspf.org SPF test suites (YAML) into JSON for tst_spf.cpp.

    /usr/bin/python3 tests/data/spf/convert.py [SOURCE_DIR]

SOURCE_DIR defaults to ../shared/testdata/spf relative to the repository root
(see PROVENANCE.md). Needs python3-yaml. The conversion is faithful: nothing is
added, dropped or re-interpreted. The driver rules (SPF-type records copied to
TXT when a name has no TXT record, the TXT "NONE" marker, TIMEOUT entries) are
applied by the test's DNS double, not here.

Output per file (rfc7208-tests.json, rfc4408-tests.json):
  [{"description": ..., "zonedata": {name: [record, ...]},
    "tests": [{"name", "spec", "helo", "host", "mailfrom", "result": [..],
               "explanation" (only when given)}]}]
A record is {"type": "TXT"|"SPF"|"A"|"AAAA"|"MX"|"PTR"|"CNAME"|"TIMEOUT",
"value": ...}: TXT/SPF value is a list of strings (one record's strings), MX
is [preference, exchange], TIMEOUT has no value.
"""
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FILES = ["rfc7208-tests.yml", "rfc4408-tests.yml"]


def record(entry):
    if entry == "TIMEOUT":
        return {"type": "TIMEOUT"}
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ValueError("unexpected zone entry %r" % (entry,))
    (rtype, value), = entry.items()
    if rtype in ("TXT", "SPF"):
        value = [value] if isinstance(value, str) else list(value)
    elif rtype == "MX":
        value = [int(value[0]), str(value[1])]
    elif value == "TIMEOUT":
        return {"type": rtype, "value": "TIMEOUT"}
    else:
        value = str(value)
    return {"type": rtype, "value": value}


def convert(path):
    out = []
    with open(path, "rb") as f:
        for doc in yaml.safe_load_all(f):
            if not doc:
                continue
            zones = {name: [record(e) for e in (entries or [])]
                     for name, entries in (doc.get("zonedata") or {}).items()}
            tests = []
            for name, t in doc["tests"].items():
                result = t["result"]
                case = {"name": name, "spec": str(t.get("spec", "")),
                        "helo": str(t["helo"]), "host": str(t["host"]),
                        "mailfrom": str(t.get("mailfrom", "")),
                        "result": result if isinstance(result, list) else [result]}
                if "explanation" in t:
                    case["explanation"] = str(t["explanation"])
                tests.append(case)
            out.append({"description": doc.get("description", ""), "zonedata": zones,
                        "tests": tests})
    return out


def main(argv):
    src = argv[1] if len(argv) > 1 else os.path.join(ROOT, "..", "shared", "testdata", "spf")
    for name in FILES:
        data = convert(os.path.join(src, name))
        dest = os.path.join(HERE, name.replace(".yml", ".json"))
        with open(dest, "w", encoding="ascii") as f:
            json.dump(data, f, indent=1, ensure_ascii=True, sort_keys=False)
            f.write("\n")
        print("%s: %d scenarios, %d tests" % (dest, len(data), sum(len(s["tests"]) for s in data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
