const ort = require('onnxruntime-node');
const fs = require('fs');
const root = process.argv[2]; // the folder gen.py wrote
(async () => {
  for (const t of fs.readdirSync(root)) {
    const d = root + '/' + t;
    const meta = JSON.parse(fs.readFileSync(d + '/meta.json'));
    try {
      const s = await ort.InferenceSession.create(d + '/model.onnx', {intraOpNumThreads: 1, graphOptimizationLevel: 'disabled'});
      const feeds = {};
      for (const [nm, dt, shape, data] of meta.inputs) {
        const map = {float32: ['float32', Float32Array], float64: ['float64', Float64Array], int64: ['int64', BigInt64Array], int32: ['int32', Int32Array], object: ['string', Array]};
        const [tt, C] = map[dt];
        const dd = data.map(v => v === 'NaN' ? NaN : v); const arr = tt === 'string' ? data : tt === 'int64' ? BigInt64Array.from(data.map(BigInt)) : C.from(dd);
        feeds[nm] = new ort.Tensor(tt, arr, shape);
      }
      const r = await s.run(feeds);
      const out = meta.outputs.map(o => ({type: r[o].type, dims: r[o].dims, data: Array.from(r[o].data, v => typeof v === 'bigint' ? Number(v) : v)}));
      fs.writeFileSync(d + '/ort.json', JSON.stringify(out));
    } catch (e) { fs.writeFileSync(d + '/ort.err', String(e)); }
  }
})();
