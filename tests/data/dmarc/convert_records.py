#!/usr/bin/python3
"""Converts ../shared/testdata/dmarc/records.yml into records.json (same content, JSON).

Run once from the repository root when records.yml changes:
    /usr/bin/python3 tests/data/dmarc/convert_records.py
Needs python3-yaml. The JSON is committed so the Qt test needs no YAML reader.
"""
import json
import os
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
default_src = os.path.normpath(os.path.join(here, "..", "..", "..", "..", "shared", "testdata", "dmarc", "records.yml"))
src = sys.argv[1] if len(sys.argv) > 1 else default_src
with open(src, encoding="utf-8") as f:
    data = yaml.safe_load(f)
if not data.get("cases") or not data.get("alignment"):
    sys.exit("records.yml: expected 'cases' and 'alignment' lists")
# YAML gives fo: "0" as a string already; keep every value as written.
with open(os.path.join(here, "records.json"), "w", encoding="utf-8") as f:
    json.dump(data, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"records.json: {len(data['cases'])} record cases, {len(data['alignment'])} alignment cases")
