#!/usr/bin/python3
"""Tensors to cut a model at, for `onnxfold slice --at T1,T2,...`.

Usage:
    /usr/bin/python3 tests/interop/cut_tensors.py MODEL [--parts N]

MODEL is the (optimized) model the slicer cuts: its main graph's nodes in
order. For each cut k = 1..N-1 (N defaults to 3), looks near node k*n/N for
the place where the fewest values cross from the nodes before to the nodes
after (values read later, by a node or from inside a subgraph, or that are
graph outputs): ideally one tensor, a clean separation as between two residual
blocks. Prints the tensors, comma-separated, each the first output of the
last node before its cut that is read after it. The cuts are strictly
increasing. Exit status 0, or 1 when the model has too few nodes.
"""

import argparse
import sys

import onnx


def reads(node):
    """Names a node reads, also from inside its subgraphs (outer-scope values)."""
    out = [i for i in node.input if i]
    for a in node.attribute:
        gs = list(a.graphs) + ([a.g] if a.HasField("g") else [])
        for g in gs:
            for n in g.node:
                out.extend(reads(n))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--parts", type=int, default=3)
    args = ap.parse_args()
    g = onnx.load(args.model, load_external_data=False).graph
    nodes = list(g.node)
    n = len(nodes)
    if n < args.parts:
        print("cut_tensors: %d nodes, cannot make %d parts" % (n, args.parts), file=sys.stderr)
        return 1
    last_read = {}  # value -> index of the last node reading it
    for k, node in enumerate(nodes):
        for name in reads(node):
            last_read[name] = k
    for o in g.output:
        last_read[o.name] = n
    made = {}
    crossing = []  # crossing[k]: values made by nodes <= k read after k
    live = set()
    for k, node in enumerate(nodes):
        for o in node.output:
            if o:
                made[o] = k
                live.add(o)
        live = {v for v in live if last_read.get(v, -1) > k}
        crossing.append(set(live))
    cuts = []
    prev = -1
    window = max(1, n // (2 * args.parts))
    for part in range(1, args.parts):
        centre = part * n // args.parts
        best = None
        for k in range(max(prev + 1, centre - window), min(n - 1, centre + window + 1)):
            # node k must compute a value read after it (else --at has nothing to name)
            outs = [o for o in nodes[k].output if o and last_read.get(o, -1) > k]
            if not outs:
                continue
            key = (len(crossing[k]), abs(k - centre))
            if best is None or key < best[0]:
                best = (key, k, outs[0])
        if best is None:
            print("cut_tensors: no cut near node %d" % centre, file=sys.stderr)
            return 1
        prev = best[1]
        cuts.append(best[2])
        print("cut_tensors: after node %d of %d (%s): %d value(s) cross" % (
            best[1], n, nodes[best[1]].op_type, best[0][0]), file=sys.stderr)
    print(",".join(cuts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
