#!/usr/bin/python3
"""Self-test for onnx_compare.py: proves the comparator can fail.

Takes a few models, applies single mutations, and asserts that
onnx_compare reports a difference for each mutation (and equality for
unmodified copies and for changes that must NOT count, e.g. reordering
unknown fields).  Exercises both the in-process API and the CLI (single and
--batch mode, exit codes 0/1/2).

Run: /usr/bin/python3 tests/scripts/onnx_compare_selftest.py
Prints `N passed, N failed`; exits non-zero on any failure.
"""

import copy
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import onnx  # noqa: E402
from onnx import helper  # noqa: E402

import onnx_compare  # noqa: E402

NODE_TESTS = os.environ.get("ONNX_NODE_TESTS") or os.path.join(
    os.environ.get("SHARED") or os.path.join(REPO, "..", "shared"),
    "onnx-node-tests", "v1.22.0")
CONV = os.path.join(NODE_TESTS, "test_conv_with_strides_padding", "model.onnx")
IF = os.path.join(NODE_TESTS, "test_if", "model.onnx")
LOOP = os.path.join(NODE_TESTS, "test_loop11", "model.onnx")
SCAN = os.path.join(NODE_TESTS, "test_scan9_sum", "model.onnx")
TINY = os.path.join(REPO, "examples", "tiny_cnn.onnx")

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def load(path):
    m = onnx.ModelProto()
    with open(path, "rb") as f:
        m.ParseFromString(f.read())
    return m


def cmp(a, b):
    """Compare two in-memory models exactly like the CLI does (through
    serialization, so unknown fields etc. survive)."""
    ba, bb = a.SerializeToString(), b.SerializeToString()
    pa, pb = onnx.ModelProto(), onnx.ModelProto()
    pa.ParseFromString(ba)
    pb.ParseFromString(bb)
    c = onnx_compare.Comparator(max_diffs=5)
    eq = c.compare_models(pa, pb, ba, bb)
    return eq, c.diffs


def expect_diff(name, a, b, must_contain=None):
    eq, diffs = cmp(a, b)
    ok = not eq and bool(diffs)
    if ok and must_contain is not None:
        ok = any(must_contain in d for d in diffs)
    check(name, ok, "eq=%s diffs=%s" % (eq, diffs))
    if ok:
        print("       -> %s" % diffs[0])
    # also in the other direction
    eq2, diffs2 = cmp(b, a)
    check(name + " (reversed)", not eq2 and bool(diffs2),
          "eq=%s diffs=%s" % (eq2, diffs2))


def expect_equal(name, a, b):
    eq, diffs = cmp(a, b)
    check(name, eq and not diffs, "diffs=%s" % diffs)


def with_unknown_field(msg, tail):
    """Return a copy of msg with raw wire bytes `tail` appended (fields the
    schema does not know end up in msg.UnknownFields())."""
    c = type(msg)()
    c.ParseFromString(msg.SerializeToString() + tail)
    return c


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(field, wire):
    return varint((field << 3) | wire)


def first_attr_with(m, kind):
    for ni, n in enumerate(m.graph.node):
        for ai, a in enumerate(n.attribute):
            if a.type == kind:
                return ni, ai
    raise LookupError("no attribute of type %d" % kind)


def subgraph_nodes(m):
    """Yield (node, attr) pairs for graph attributes (depth 1)."""
    for n in m.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield n, a.g
            elif a.type == onnx.AttributeProto.GRAPHS:
                for g in a.graphs:
                    yield n, g


def mutations():
    conv = load(CONV)
    tiny = load(TINY)
    subs = {p: load(p) for p in (IF, LOOP, SCAN) if os.path.exists(p)}

    # --- equality for unmodified copies ---------------------------------
    for label, m in [("conv", conv), ("tiny", tiny)] + [
            (os.path.basename(os.path.dirname(p)), m) for p, m in subs.items()]:
        expect_equal("unmodified copy equal: %s" % label, m, copy.deepcopy(m))

    # 1. drop a node attribute
    b = copy.deepcopy(conv)
    del b.graph.node[0].attribute[0]
    expect_diff("drop node attribute", conv, b, "graph.node[0].attribute")

    # 2. change one int in an attribute's ints
    ni, ai = first_attr_with(conv, onnx.AttributeProto.INTS)
    b = copy.deepcopy(conv)
    b.graph.node[ni].attribute[ai].ints[-1] += 1
    expect_diff("change one int in attribute ints", conv, b,
                "graph.node[%d].attribute[%d].ints[" % (ni, ai))

    # 2b. change a scalar int attribute (tiny: Conv group / Flatten axis)
    ni, ai = first_attr_with(tiny, onnx.AttributeProto.INT)
    b = copy.deepcopy(tiny)
    b.graph.node[ni].attribute[ai].i += 1
    expect_diff("change scalar int attribute", tiny, b,
                "graph.node[%d].attribute[%d].i" % (ni, ai))

    # 2c. float attribute: bitwise (0.0 vs -0.0, NaN equal to itself)
    ni, ai = first_attr_with(tiny, onnx.AttributeProto.FLOAT)
    b = copy.deepcopy(tiny)
    b.graph.node[ni].attribute[ai].f = 0.0
    c = copy.deepcopy(tiny)
    c.graph.node[ni].attribute[ai].f = -0.0
    expect_diff("float attribute 0.0 vs -0.0", b, c, ".f")
    b.graph.node[ni].attribute[ai].f = float("nan")
    c.graph.node[ni].attribute[ai].f = float("nan")
    expect_equal("float attribute NaN == same NaN", b, c)

    # 3. doc_string presence: set empty where absent / clear where set
    for label, m in [("conv", conv), ("tiny", tiny)]:
        if m.graph.HasField("doc_string"):
            b = copy.deepcopy(m)
            b.graph.ClearField("doc_string")
        else:
            b = copy.deepcopy(m)
            b.graph.doc_string = ""
        expect_diff("graph.doc_string presence (%s)" % label, m, b,
                    "graph.doc_string")
    b = copy.deepcopy(tiny)
    assert not b.graph.node[0].HasField("doc_string")
    b.graph.node[0].doc_string = ""
    expect_diff("node doc_string set to '' where absent", tiny, b,
                "graph.node[0].doc_string: <absent> != ''")
    # presence of a default-valued scalar too (proto2)
    b = copy.deepcopy(tiny)
    assert not b.HasField("model_version")
    b.model_version = 0
    expect_diff("model_version=0 where absent", tiny, b, "model_version")

    # 4. drop a value_info (tiny has none after export: infer shapes first)
    base = onnx.shape_inference.infer_shapes(tiny)
    assert len(base.graph.value_info) > 0
    b = copy.deepcopy(base)
    del b.graph.value_info[len(b.graph.value_info) // 2]
    expect_diff("drop a value_info", base, b, "graph.value_info")

    # 5. change a dim_value
    b = copy.deepcopy(tiny)
    d = b.graph.input[0].type.tensor_type.shape.dim[2]
    assert d.HasField("dim_value")
    d.dim_value += 1
    expect_diff("change dim_value", tiny, b,
                "graph.input[0].type.tensor_type.shape.dim[2].dim_value")

    # 5b. dim_value -> dim_param (oneof switch)
    b = copy.deepcopy(tiny)
    b.graph.input[0].type.tensor_type.shape.dim[3].dim_param = "W"
    expect_diff("dim_value -> dim_param", tiny, b, "shape.dim[3]")

    # 6. change dim_param
    b = copy.deepcopy(tiny)
    d = b.graph.input[0].type.tensor_type.shape.dim[0]
    assert d.dim_param == "batch"
    d.dim_param = "N"
    expect_diff("change dim_param", tiny, b, "dim[0].dim_param")

    # 7. flip one byte of an initializer's raw_data
    b = copy.deepcopy(tiny)
    t = b.graph.initializer[0]
    assert t.raw_data
    rd = bytearray(t.raw_data)
    rd[len(rd) // 2] ^= 0x01
    t.raw_data = bytes(rd)
    expect_diff("flip one raw_data byte", tiny, b, "graph.initializer[0].raw_data")

    # 7b. float_data element bitwise (NaN == NaN, 0.0 != -0.0)
    b = copy.deepcopy(conv)
    b.graph.initializer.add().CopyFrom(
        helper.make_tensor("fd", onnx.TensorProto.FLOAT, [3],
                           [1.0, float("nan"), 0.0]))
    c = copy.deepcopy(b)
    expect_equal("float_data with NaN equal to itself", b, c)
    c.graph.initializer[-1].float_data[2] = -0.0
    expect_diff("float_data 0.0 vs -0.0", b, c, "float_data[2]")

    # 7c. float_data NaN payloads, incl. signalling vs quiet NaN (bits that
    # a float32->double conversion may not preserve)
    def nan_tensor(bits_list):
        import struct
        payload = b"".join(struct.pack("<I", x) for x in bits_list)
        t = onnx.TensorProto()
        t.ParseFromString(tag(2, 0) + varint(1) + tag(4, 2)
                          + varint(len(payload)) + payload)
        return t
    for label, x, y in [("quiet NaN payloads", 0x7fc00001, 0x7fc00002),
                        ("sNaN vs qNaN", 0x7f800001, 0x7fc00001),
                        ("NaN sign", 0x7fc00000, 0xffc00000)]:
        b = copy.deepcopy(conv)
        b.graph.initializer.add().CopyFrom(nan_tensor([0x3f800000, x]))
        c = copy.deepcopy(conv)
        c.graph.initializer.add().CopyFrom(nan_tensor([0x3f800000, y]))
        expect_diff("float_data %s" % label, b, c, "float")
        c = copy.deepcopy(conv)
        c.graph.initializer.add().CopyFrom(nan_tensor([0x3f800000, x]))
        expect_equal("float_data %s: same bits equal" % label, b, c)

    # 8. change an opset version
    b = copy.deepcopy(tiny)
    b.opset_import[0].version += 1
    expect_diff("change opset version", tiny, b, "opset_import[0].version")

    # 8b. ir_version
    b = copy.deepcopy(conv)
    b.ir_version -= 1
    expect_diff("change ir_version", conv, b, "ir_version")

    # 9. drop a metadata_props entry (add two first, drop one)
    a = copy.deepcopy(tiny)
    helper.set_model_props(a, {"author": "selftest", "k": "v"})
    b = copy.deepcopy(a)
    del b.metadata_props[1]
    expect_diff("drop metadata_props entry", a, b, "metadata_props")
    b = copy.deepcopy(a)
    b.metadata_props[0].value = "other"
    expect_diff("change metadata_props value", a, b, "metadata_props[0].value")

    # 10. unknown field on a node (tag 999 varint), original vs removed
    a = copy.deepcopy(conv)
    a.graph.node[0].CopyFrom(with_unknown_field(a.graph.node[0],
                                                tag(999, 0) + varint(5)))
    assert len(a.graph.node[0].UnknownFields()) == 1
    b = copy.deepcopy(conv)
    expect_diff("unknown field 999 on node vs removed", a, b,
                "graph.node[0].<unknown field 999 varint>")
    # different unknown value
    c = copy.deepcopy(conv)
    c.graph.node[0].CopyFrom(with_unknown_field(c.graph.node[0],
                                                tag(999, 0) + varint(6)))
    expect_diff("unknown field 999 value 5 vs 6", a, c, "5 != 6")
    # different unknown wire type / length-delimited data
    d = copy.deepcopy(conv)
    d.graph.node[0].CopyFrom(with_unknown_field(
        d.graph.node[0], tag(999, 2) + varint(3) + b"abc"))
    e = copy.deepcopy(conv)
    e.graph.node[0].CopyFrom(with_unknown_field(
        e.graph.node[0], tag(999, 2) + varint(3) + b"abd"))
    expect_diff("unknown length-delimited field data", d, e, "unknown field 999")
    # unknown field at model level (e.g. a future ModelProto field)
    f = with_unknown_field(conv, tag(30, 0) + varint(1))
    expect_diff("unknown field at model level", conv, f, "<unknown field 30")
    # unknown fields in different order -> equal (multiset semantics)
    g1 = copy.deepcopy(conv)
    g1.graph.node[0].CopyFrom(with_unknown_field(
        g1.graph.node[0], tag(999, 0) + varint(5) + tag(998, 0) + varint(7)))
    g2 = copy.deepcopy(conv)
    g2.graph.node[0].CopyFrom(with_unknown_field(
        g2.graph.node[0], tag(998, 0) + varint(7) + tag(999, 0) + varint(5)))
    assert g1.SerializeToString() != g2.SerializeToString()
    expect_equal("unknown fields reordered are equal", g1, g2)
    # ...but multiplicity counts
    g3 = copy.deepcopy(conv)
    g3.graph.node[0].CopyFrom(with_unknown_field(
        g3.graph.node[0], tag(998, 0) + varint(7) + tag(999, 0) + varint(5)
        + tag(999, 0) + varint(5)))
    expect_diff("unknown field multiplicity", g1, g3, "<absent> != 5")

    # 11. change an attribute inside a subgraph
    nsub = 0
    for path, m in subs.items():
        label = os.path.basename(os.path.dirname(path))
        for node, g in subgraph_nodes(m):
            pass
        b = copy.deepcopy(m)
        done = False
        for node, g in subgraph_nodes(b):
            for sn in g.node:
                for sa in sn.attribute:
                    if sa.type == onnx.AttributeProto.TENSOR:
                        t = sa.t
                        if t.raw_data:
                            rd = bytearray(t.raw_data)
                            rd[0] ^= 0x80
                            t.raw_data = bytes(rd)
                        elif t.float_data:
                            t.float_data[0] += 1.0
                        elif t.int64_data:
                            t.int64_data[0] += 1
                        elif t.int32_data:
                            t.int32_data[0] += 1
                        else:
                            continue
                    elif sa.type == onnx.AttributeProto.INT:
                        sa.i += 1
                    elif sa.type == onnx.AttributeProto.INTS and sa.ints:
                        sa.ints[0] += 1
                    else:
                        continue
                    done = True
                    break
                if done:
                    break
            if not done:
                # no attribute in the body: add one (still a single change)
                sn = g.node[0]
                sn.attribute.add().CopyFrom(helper.make_attribute("x", 1))
                done = True
            break
        if done:
            nsub += 1
            expect_diff("attribute inside subgraph (%s)" % label, m, b,
                        ".attribute[")
        # also: node renamed inside a subgraph body
        b = copy.deepcopy(m)
        for node, g in subgraph_nodes(b):
            g.node[-1].name = g.node[-1].name + "_x"
            break
        expect_diff("node name inside subgraph (%s)" % label, m, b, ".name")
    check("at least one subgraph model found", nsub > 0, "nsub=%d" % nsub)

    # 12. reorder two initializers
    b = copy.deepcopy(tiny)
    i0 = copy.deepcopy(b.graph.initializer[0])
    i1 = copy.deepcopy(b.graph.initializer[1])
    b.graph.initializer[0].CopyFrom(i1)
    b.graph.initializer[1].CopyFrom(i0)
    expect_diff("reorder two initializers", tiny, b, "graph.initializer[0]")

    # 13. reorder two nodes' inputs / drop an output / op_type change
    b = copy.deepcopy(tiny)
    del b.graph.output[0]
    expect_diff("drop graph output", tiny, b, "graph.output")
    b = copy.deepcopy(tiny)
    b.graph.node[2].op_type = "LeakyRelu"
    expect_diff("change op_type", tiny, b, "graph.node[2].op_type")
    b = copy.deepcopy(tiny)
    b.graph.node[0].domain = ""
    expect_diff("node domain '' where absent", tiny, b, "graph.node[0].domain")

    # 14. initializer data_type change / dims change
    b = copy.deepcopy(tiny)
    b.graph.initializer[2].dims.append(1)
    expect_diff("initializer dims appended", tiny, b, "graph.initializer[2].dims")


def cli_tests():
    script = os.path.join(HERE, "onnx_compare.py")
    py = sys.executable
    tiny = load(TINY)
    with tempfile.TemporaryDirectory() as td:
        same = os.path.join(td, "same.onnx")
        diff = os.path.join(td, "diff.onnx")
        junk = os.path.join(td, "junk.onnx")
        gz = os.path.join(td, "tiny.onnx.gz")
        with open(same, "wb") as f:
            f.write(tiny.SerializeToString())
        b = copy.deepcopy(tiny)
        b.graph.node[0].attribute[1].i = 7  # Conv group
        with open(diff, "wb") as f:
            f.write(b.SerializeToString())
        with open(junk, "wb") as f:
            f.write(b"\xff\xff\xff\xff not a protobuf")
        import gzip
        with open(TINY, "rb") as f, gzip.open(gz, "wb") as g:
            g.write(f.read())

        def run(*args):
            r = subprocess.run([py, script] + list(args), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True)
            return r.returncode, r.stdout, r.stderr

        rc, out, _ = run(TINY, same)
        check("cli: equal -> exit 0", rc == 0 and out == "", "rc=%d out=%r" % (rc, out))
        rc, out, _ = run(TINY, gz)
        check("cli: gzip input equal -> exit 0", rc == 0, "rc=%d" % rc)
        rc, out, _ = run(TINY, diff)
        check("cli: differ -> exit 1 with path",
              rc == 1 and "graph.node[0].attribute[1].i: 1 != 7" in out,
              "rc=%d out=%r" % (rc, out))
        rc, _, err = run(TINY, junk)
        check("cli: unparsable -> exit 2", rc == 2, "rc=%d err=%r" % (rc, err))
        rc, _, err = run(TINY, os.path.join(td, "missing.onnx"))
        check("cli: missing file -> exit 2", rc == 2, "rc=%d" % rc)

        lst = os.path.join(td, "list.txt")
        with open(lst, "w") as f:
            f.write("# comment\n%s\t%s\n%s\t%s\n\n" % (TINY, same, TINY, gz))
        rc, out, _ = run("--batch", lst)
        check("cli: batch all equal -> exit 0",
              rc == 0 and out.strip().endswith("2 passed, 0 failed"),
              "rc=%d out=%r" % (rc, out))
        with open(lst, "a") as f:
            f.write("%s\t%s\n%s\t%s\n" % (TINY, diff, TINY, junk))
        rc, out, _ = run("--batch", lst)
        check("cli: batch with failures -> exit 1",
              rc == 1 and out.strip().endswith("2 passed, 2 failed")
              and "FAIL %s %s" % (TINY, diff) in out,
              "rc=%d out=%r" % (rc, out))
        rc, _, _ = run("--batch", os.path.join(td, "nolist.txt"))
        check("cli: batch missing list -> exit 2", rc == 2, "rc=%d" % rc)


def main():
    for p in (CONV, TINY):
        if not os.path.exists(p):
            print("missing input model %s" % p)
            return 2
    if not any(os.path.exists(p) for p in (IF, LOOP, SCAN)):
        print("missing subgraph models under %s" % NODE_TESTS)
        return 2
    try:
        mutations()
        cli_tests()
    except Exception:
        import traceback
        traceback.print_exc()
        global failed
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
