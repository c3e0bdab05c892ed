// ort_compare.js -- runs a model with onnxruntime-node on the inputs that
// bench_run_model saved (--save DIR), times it the same way, and compares
// onnxruntime's outputs with onnxfold's (DIR/output_K.npy).
//
// usage: node bench/ort_compare.js MODEL.onnx DIR [--threads N] [--runs R]
//             [--ort PATH_TO_onnxruntime-node]
//
// Session options: intraOpNumThreads N (default 1), interOpNumThreads 1,
// graphOptimizationLevel 'disabled' (the graph as written, like onnxfold).
// Prints session creation time, first run, median and min of R runs (default
// 5), CPU time per run, then per output: max |onnxfold - ort|, max |ort| and
// whether the difference is within 1e-4 * max |ort|. Exit status 1 when an
// output differs by more.
'use strict';
const fs = require('fs');
const path = require('path');
const {performance} = require('perf_hooks');

function parseArgs(argv) {
  const a = {threads: 1, runs: 5, ort: '/work/ort/node_modules/onnxruntime-node', pos: []};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--threads') a.threads = +argv[++i];
    else if (argv[i] === '--runs') a.runs = +argv[++i];
    else if (argv[i] === '--ort') a.ort = argv[++i];
    else a.pos.push(argv[i]);
  }
  return a;
}

// Minimal .npy reader (little-endian float32/float64/int64/int32, C order).
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim())
      .filter(s => s.length).map(Number);
  const off = hstart + hlen;
  const bytes = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length);
  const types = {'<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
                 '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array]};
  if (!types[descr]) throw new Error(`${file}: unsupported dtype ${descr}`);
  const [name, Ctor] = types[descr];
  return {type: name, dims: shape, data: new Ctor(bytes)};
}

(async () => {
  const a = parseArgs(process.argv.slice(2));
  if (a.pos.length !== 2) {
    console.error('usage: node ort_compare.js MODEL DIR [--threads N] [--runs R] [--ort PATH]');
    process.exit(2);
  }
  const [model, dir] = a.pos;
  const ort = require(a.ort);
  let t = performance.now();
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: a.threads, interOpNumThreads: 1, graphOptimizationLevel: 'disabled'});
  const tCreate = performance.now() - t;
  const feeds = {};
  s.inputNames.forEach((name, i) => {
    const f = path.join(dir, `input_${i}.npy`);
    if (!fs.existsSync(f)) return;
    const v = readNpy(f);
    feeds[name] = new ort.Tensor(v.type, v.data, v.dims);
  });
  t = performance.now();
  let res = await s.run(feeds);
  const first = performance.now() - t;
  const times = [];
  const c0 = process.cpuUsage();
  for (let r = 0; r < a.runs; r++) {
    t = performance.now();
    res = await s.run(feeds);
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(c0);
  times.sort((x, y) => x - y);
  const med = times.length ? times[Math.floor(times.length / 2)] : 0;
  console.log(`ort: create ${tCreate.toFixed(1)} ms, first run ${first.toFixed(1)} ms, runs ` +
              `${a.runs}: median ${med.toFixed(1)} ms, min ${(times[0] || 0).toFixed(1)} ms, ` +
              `cpu/run ${((cpu.user + cpu.system) / 1000 / Math.max(a.runs, 1)).toFixed(1)} ms, ` +
              `peak RSS ${Math.round(process.resourceUsage().maxRSS)} KiB`);
  let bad = 0;
  s.outputNames.forEach((name, i) => {
    const f = path.join(dir, `output_${i}.npy`);
    if (!fs.existsSync(f)) return;
    const mine = readNpy(f).data, ref = res[name].data;
    let maxDiff = 0, maxRef = 0;
    for (let k = 0; k < ref.length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(Number(mine[k]) - Number(ref[k])));
      maxRef = Math.max(maxRef, Math.abs(Number(ref[k])));
    }
    const ok = mine.length === ref.length && maxDiff <= 1e-4 * maxRef;
    if (!ok) bad++;
    console.log(`output ${name}: max|diff| ${maxDiff.toExponential(3)}, max|ort| ` +
                `${maxRef.toExponential(3)} -> ${ok ? 'OK' : 'DIFFERENT'}`);
  });
  process.exit(bad ? 1 : 0);
})();
