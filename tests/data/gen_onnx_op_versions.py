#!/usr/bin/python3
"""Writes onnx_op_versions.txt: every (domain, operator, since-version) that
ONNX's docs/Changelog.md lists, up to a maximum opset per domain.

Usage: gen_onnx_op_versions.py Changelog.md Changelog-ml.md > onnx_op_versions.txt
(docs/Changelog.md and docs/Changelog-ml.md of the onnx/onnx repository). The unit test
of the operator table (tests/unit/test_ops_table.c) checks the table against
the result: every entry's since-versions exist, no since-version of an
implemented operator is left uncovered, and it lists the operators without
an entry.
"""
import re
import sys

# Newest opset per domain the table is checked against (ONNX 1.22's).
MAX = {"": 27, "ai.onnx.ml": 5, "ai.onnx.preview.training": 1, "ai.onnx.preview": 1}

section = re.compile(r"^## Version (\d+) of (?:the default ONNX operator set|the '([^']+)' operator set)")
entry = re.compile(r'^### <a name="([^"]+)-(\d+)"></a>')
rows = set()
domain = ""
lines = [line for path in sys.argv[1:] for line in open(path, encoding="utf-8")]
for line in lines:
    m = section.match(line)
    if m:
        domain = m.group(2) or ""
        continue
    m = entry.match(line)
    if not m:
        continue
    name, version = m.group(1), int(m.group(2))
    dom = domain
    if dom and name.startswith(dom + "."):
        name = name[len(dom) + 1:]
    elif not dom:
        for d in ("ai.onnx.preview.training", "ai.onnx.preview", "ai.onnx.ml"):
            if name.startswith(d + "."):
                dom, name = d, name[len(d) + 1:]
                break
    if dom in MAX and version <= MAX[dom]:
        rows.add((dom, name, version))
print("# domain operator since_version  (from ONNX docs/Changelog.md; '-' is the default domain)")
for dom, name, version in sorted(rows):
    print(dom or "-", name, version)
