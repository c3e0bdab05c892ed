#!/usr/bin/python3
"""Count a model's nodes, initializers and BatchNormalization nodes.

Usage:
    /usr/bin/python3 bench/graph_stats.py [--ops] MODEL [MODEL ...]

Prints one line per MODEL: "nodes initializers bn bn_fusable conv bytes
MODEL", where nodes and initializers are those of the main graph, bn and conv
count BatchNormalization and Conv nodes in every graph (If/Loop/Scan bodies
and model-local functions included), bn_fusable counts the main graph's
BatchNormalization nodes whose input X is the only use of a Conv,
ConvTranspose or Gemm output (one that no graph output exposes: the case
BN fusion handles -- a BN after a Concat, as in densenet's pre-activation
blocks, has nothing to fold into) and bytes is the initializers' payload size
(external data counted by its declared length). With --ops, a second line
per MODEL lists "ops OP=COUNT ..." for the main graph. Read with the onnx package,
independently of onnxfold, and without loading external data. A gzipped
MODEL is decompressed in memory. Exit status 0, 1 if a file cannot be read
(its line then reads "n/a n/a n/a n/a n/a n/a MODEL").
"""

import gzip
import sys

import onnx


def subgraphs(graph):
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield attr.g
            elif attr.type == onnx.AttributeProto.GRAPHS:
                yield from attr.graphs


def count_ops(graph, op):
    n = sum(1 for node in graph.node if node.op_type == op and node.domain in ("", "ai.onnx"))
    return n + sum(count_ops(g, op) for g in subgraphs(graph))


def payload(t):
    if t.data_location == onnx.TensorProto.EXTERNAL:
        for e in t.external_data:
            if e.key == "length":
                return int(e.value)
        return 0
    if t.raw_data:
        return len(t.raw_data)
    n = 1
    for d in t.dims:
        n *= d
    size = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2}
    return n * size.get(t.data_type, 0)


def stats(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    m = onnx.ModelProto()
    m.ParseFromString(data)
    g = m.graph
    bn = count_ops(g, "BatchNormalization") + sum(
        sum(1 for n in fn.node if n.op_type == "BatchNormalization") for fn in m.functions)
    conv = count_ops(g, "Conv")
    producer, uses = {}, {}
    for node in g.node:
        for o in node.output:
            producer[o] = node
        for i in node.input:
            uses[i] = uses.get(i, 0) + 1
    outputs = {o.name for o in g.output}
    fusable = 0
    for node in g.node:
        if node.op_type != "BatchNormalization" or node.domain not in ("", "ai.onnx"):
            continue
        x = node.input[0]
        p = producer.get(x)
        if (p is not None and p.op_type in ("Conv", "ConvTranspose", "Gemm")
                and p.domain in ("", "ai.onnx") and uses.get(x) == 1 and x not in outputs):
            fusable += 1
    ops = {}
    for node in g.node:
        key = node.op_type if node.domain in ("", "ai.onnx") else node.domain + "." + node.op_type
        ops[key] = ops.get(key, 0) + 1
    return (len(g.node), len(g.initializer), bn, fusable, conv,
            sum(payload(t) for t in g.initializer)), ops


def main():
    args = sys.argv[1:]
    want_ops = bool(args) and args[0] == "--ops"
    if want_ops:
        args = args[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    rc = 0
    for path in args:
        try:
            counts, ops = stats(path)
            print("%d %d %d %d %d %d %s" % (*counts, path))
            if want_ops:
                print("ops " + " ".join("%s=%d" % kv for kv in sorted(ops.items())))
        except Exception as e:  # noqa: BLE001 -- report and go on
            print("graph_stats: %s: %s" % (path, e), file=sys.stderr)
            print("n/a n/a n/a n/a n/a n/a %s" % path)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
