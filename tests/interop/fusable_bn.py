#!/usr/bin/python3
"""fusable_bn.py MODEL: prints how many BatchNormalization nodes of MODEL's
main graph follow a Conv, ConvTranspose or Gemm whose output they alone read
(not a graph output) — the ones a Conv+BN fusion removes. A BN elsewhere
(before a Conv, after a Relu) has nothing to fuse into and is not counted."""
import sys

import onnx

g = onnx.load(sys.argv[1]).graph
prod = {o: n for n in g.node for o in n.output}
readers = {}
for n in g.node:
    for i in n.input:
        readers[i] = readers.get(i, 0) + 1
outs = {o.name for o in g.output}
left = 0
for n in g.node:
    if n.op_type != 'BatchNormalization':
        continue
    p = prod.get(n.input[0])
    if p is not None and p.op_type in ('Conv', 'ConvTranspose', 'Gemm') and \
            readers[n.input[0]] == 1 and n.input[0] not in outs:
        left += 1
print(left)
