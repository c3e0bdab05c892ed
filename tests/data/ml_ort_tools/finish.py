import json, os, glob, numpy as np, onnx
from onnx import numpy_helper as nh
import sys
root = sys.argv[1] if len(sys.argv) > 1 else '/tmp/ml_ort'
for d in sorted(glob.glob(root + '/test_*')):
    if not os.path.exists(d + '/ort.json'):
        continue
    outs = json.load(open(d + '/ort.json'))
    meta = json.load(open(d + '/meta.json'))
    for i, o in enumerate(outs):
        dt = {'float32': np.float32, 'float64': np.float64, 'int64': np.int64, 'int32': np.int32, 'string': object}[o['type']]
        a = np.array([np.nan if v is None else v for v in o['data']], dtype=dt).reshape(o['dims'])
        t = nh.from_array(a, meta['outputs'][i])
        open(f'{d}/test_data_set_0/output_{i}.pb', 'wb').write(t.SerializeToString())
