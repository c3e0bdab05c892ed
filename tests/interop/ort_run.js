#!/usr/bin/env node
/*
 * ort_run.js — runs an ONNX model with onnxruntime (CPU, through the
 * onnxruntime-node package) on inputs from files and writes its outputs to
 * files: the reference that onnxfold's executor and optimizer are checked
 * against.
 *
 *   node tests/interop/ort_run.js MODEL --input-dir DIR --output-dir DIR
 *        [--threads N] [--opt disabled|basic|extended|all]
 *        [--save-optimized PATH] [--repeat N] [--time] [--pb]
 *
 * MODEL may be gzip-compressed (the committed tests/models/*.onnx.gz); a plain
 * file is loaded by path, so external data beside it is found.
 *
 * Inputs: DIR/input_K.npy (or, when there is no .npy, DIR/input_K.pb, an ONNX
 * TensorProto) for K = 0.. in graph-input order, counting only the inputs
 * onnxruntime asks for (session.inputNames: initializers that are also listed
 * as graph inputs are left out and keep their stored value). A missing file, an
 * input_K file beyond the last input, or a dtype other than the model's is an
 * error.
 *
 * Outputs: DIR/output_K.npy (output_K.pb with --pb) in session.outputNames
 * order. Stale output_<digits>.npy/.pb files in the output folder are removed
 * first, so a folder never mixes two runs.
 *
 * .npy: format versions 1.0, 2.0 and 3.0 are read; 1.0 is written with the same
 * header bytes as numpy.save. Little-endian, C order. dtypes: float32, float64,
 * float16 (raw uint16 payload), int8/16/32/64, uint8/16/32/64, bool.
 * .pb: a hand-written decoder for the TensorProto fields dims, data_type,
 * name (pbRead returns it: ort_load_all.js feeds by name), raw_data and the
 * typed fields (float_data, int32_data, int64_data, double_data,
 * uint64_data; packed or not); segments and external data are refused. Written .pb files hold dims, data_type, name and raw_data.
 *
 * Defaults: --threads 1 (intra-op; inter-op is 1 and execution sequential, so
 * times are single-thread figures; 0 lets onnxruntime choose), --opt disabled
 * (the reference should not depend on onnxruntime's own rewrites), --repeat 1.
 * Outputs are written from the last run.
 * --save-optimized PATH sets sessionOptions.optimizedModelFilePath: onnxruntime
 * writes the graph it optimized at the --opt level to PATH.
 * --time prints one JSON object on stdout: session creation time and the
 * median (and every) run time, in milliseconds of wall time.
 *
 * Exit status: 0 on success, 2 with one line "ort_run: ..." on stderr for bad
 * arguments, unreadable files or a failed session creation or run.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');

class UsageError extends Error {}

const USAGE =
  'usage: node ort_run.js MODEL --input-dir DIR --output-dir DIR [--threads N] ' +
  '[--opt disabled|basic|extended|all] [--save-optimized PATH] [--repeat N] [--time] [--pb]';

/* ------------------------------------------------------------------ dtypes */

/*
 * One table for every dtype the harness handles: ONNX TensorProto data_type,
 * onnxruntime tensor type, numpy descr, the typed array holding the payload,
 * and the TensorProto typed field (and its wire encoding) that may carry it.
 */
const DTYPES = [
  { onnx: 1, ort: 'float32', descr: '<f4', array: Float32Array, field: 4, enc: 'f32' },
  { onnx: 2, ort: 'uint8', descr: '|u1', array: Uint8Array, field: 5, enc: 'varint' },
  { onnx: 3, ort: 'int8', descr: '|i1', array: Int8Array, field: 5, enc: 'varint' },
  { onnx: 4, ort: 'uint16', descr: '<u2', array: Uint16Array, field: 5, enc: 'varint' },
  { onnx: 5, ort: 'int16', descr: '<i2', array: Int16Array, field: 5, enc: 'varint' },
  { onnx: 6, ort: 'int32', descr: '<i4', array: Int32Array, field: 5, enc: 'varint' },
  { onnx: 7, ort: 'int64', descr: '<i8', array: BigInt64Array, field: 7, enc: 'varint' },
  { onnx: 9, ort: 'bool', descr: '|b1', array: Uint8Array, field: 5, enc: 'varint' },
  { onnx: 10, ort: 'float16', descr: '<f2', array: Uint16Array, field: 5, enc: 'varint' },
  { onnx: 11, ort: 'float64', descr: '<f8', array: Float64Array, field: 10, enc: 'f64' },
  { onnx: 12, ort: 'uint32', descr: '<u4', array: Uint32Array, field: 11, enc: 'varint' },
  { onnx: 13, ort: 'uint64', descr: '<u8', array: BigUint64Array, field: 11, enc: 'varint' },
];

/* numpy also spells one-byte and native-order types with '|' or '=' ('<' here). */
function dtypeByDescr(descr) {
  const d = descr.replace(/^[=|]/, '<').replace(/^<([biu]1)$/, '|$1');
  return DTYPES.find((t) => t.descr === d);
}
const dtypeByOnnx = (code) => DTYPES.find((t) => t.onnx === code);
const dtypeByOrt = (name) => DTYPES.find((t) => t.ort === name);

function elementCount(dims) {
  return dims.reduce((n, d) => n * d, 1);
}

/*
 * A tensor read from or written to a file: dtype entry, dims (numbers) and
 * the payload as little-endian bytes (a Buffer).
 */
function typedFromBytes(dtype, bytes) {
  /* Copy into a fresh, aligned buffer: file buffers may sit at any offset. */
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new dtype.array(copy.buffer, 0, bytes.length / dtype.array.BYTES_PER_ELEMENT);
}

function bytesFromTyped(data) {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/* -------------------------------------------------------------------- .npy */

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); /* \x93NUMPY */

function npyRead(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  let headerLen;
  let start;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${file}: truncated .npy header`);
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (start + headerLen > buf.length) throw new Error(`${file}: truncated .npy header`);
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shape) throw new Error(`${file}: cannot parse .npy header ${JSON.stringify(header)}`);
  const dtype = dtypeByDescr(descr[1]);
  if (!dtype) throw new Error(`${file}: unsupported dtype '${descr[1]}' (little-endian numeric or bool only)`);
  if (order[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported (save in C order)`);
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw new Error(`${file}: bad shape in .npy header`);
      return Number.parseInt(s, 10);
    });
  const nbytes = elementCount(dims) * dtype.array.BYTES_PER_ELEMENT;
  const dataStart = start + headerLen;
  if (buf.length - dataStart !== nbytes) {
    throw new Error(`${file}: payload is ${buf.length - dataStart} bytes, shape (${dims}) of ${descr[1]} needs ${nbytes}`);
  }
  return { dtype, dims, bytes: buf.subarray(dataStart) };
}

/* The header numpy.save writes (format 1.0, padded with spaces to 64 bytes). */
function npyHeader(dtype, dims) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let dict = `{'descr': '${dtype.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  NPY_MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

function npyWrite(file, t) {
  fs.writeFileSync(file, Buffer.concat([npyHeader(t.dtype, t.dims), t.bytes]));
}

/* --------------------------------------------------------- .pb TensorProto */

/* Reads protobuf wire format; varints come back as BigInt (int64 exact). */
class PbReader {
  constructor(buf, what) {
    this.buf = buf;
    this.pos = 0;
    this.what = what;
  }
  fail(msg) {
    throw new Error(`${this.what}: bad TensorProto: ${msg} at byte ${this.pos}`);
  }
  varint() {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, v);
    }
    return this.fail('varint longer than 10 bytes');
  }
  bytes(n) {
    if (n > this.buf.length - this.pos) this.fail('field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  done() {
    return this.pos >= this.buf.length;
  }
}

/*
 * Appends the values of one repeated numeric field to list, whether it came
 * packed (wire type 2) or one value per key. enc: 'varint', 'f32' or 'f64'.
 */
function pbRepeated(r, wire, enc, list) {
  const one = (rr) => {
    if (enc === 'varint') return rr.varint();
    const b = rr.bytes(enc === 'f32' ? 4 : 8);
    return enc === 'f32' ? b.readFloatLE(0) : b.readDoubleLE(0);
  };
  const want = enc === 'varint' ? 0 : enc === 'f32' ? 5 : 1;
  if (wire === 2) {
    const sub = new PbReader(r.bytes(Number(r.varint())), r.what);
    while (!sub.done()) list.push(one(sub));
  } else if (wire === want) {
    list.push(one(r));
  } else {
    r.fail(`wire type ${wire} for a repeated ${enc} field`);
  }
}

function pbSkip(r, wire) {
  if (wire === 0) r.varint();
  else if (wire === 1) r.bytes(8);
  else if (wire === 2) r.bytes(Number(r.varint()));
  else if (wire === 5) r.bytes(4);
  else r.fail(`unsupported wire type ${wire}`);
}

function pbRead(file) {
  const r = new PbReader(fs.readFileSync(file), file);
  const dims = [];
  let dataType = 0;
  let raw = null;
  let name = '';
  const typed = { 4: [], 5: [], 7: [], 10: [], 11: [] };
  const encOf = { 4: 'f32', 5: 'varint', 7: 'varint', 10: 'f64', 11: 'varint' };
  while (!r.done()) {
    const key = r.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 1) {
      const ds = [];
      pbRepeated(r, wire, 'varint', ds);
      for (const d of ds) {
        if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${file}: negative or huge dim ${BigInt.asIntN(64, d)}`);
        dims.push(Number(d));
      }
    } else if (field === 2 && wire === 0) {
      dataType = Number(r.varint());
    } else if (field === 3) {
      throw new Error(`${file}: TensorProto segments are not supported`);
    } else if (field in typed) {
      pbRepeated(r, wire, encOf[field], typed[field]);
    } else if (field === 8 && wire === 2) {
      name = r.bytes(Number(r.varint())).toString('utf8');
    } else if (field === 9 && wire === 2) {
      raw = r.bytes(Number(r.varint()));
    } else if (field === 13 || field === 14) {
      throw new Error(`${file}: TensorProto external data is not supported`);
    } else {
      pbSkip(r, wire); /* name, doc_string, string_data, unknown fields */
    }
  }
  const dtype = dtypeByOnnx(dataType);
  if (!dtype) throw new Error(`${file}: unsupported TensorProto data_type ${dataType}`);
  const n = elementCount(dims);
  const size = dtype.array.BYTES_PER_ELEMENT;
  if (raw !== null) {
    if (raw.length !== n * size) throw new Error(`${file}: raw_data is ${raw.length} bytes, dims [${dims}] need ${n * size}`);
    return { dtype, dims, bytes: raw, name };
  }
  const values = typed[dtype.field];
  if (values.length !== n) throw new Error(`${file}: ${values.length} values for dims [${dims}] (${n} elements)`);
  const out = new dtype.array(n);
  const big = dtype.array === BigInt64Array || dtype.array === BigUint64Array;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (big) out[i] = v; /* typed-array store wraps to 64 bits */
    else if (typeof v === 'bigint') out[i] = Number(BigInt.asIntN(64, v)); /* int32_data: sign-extended varint */
    else out[i] = v;
  }
  return { dtype, dims, bytes: bytesFromTyped(out), name };
}

function pbVarint(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return Buffer.from(out);
}

function pbLenField(field, payload) {
  return Buffer.concat([pbVarint((field << 3) | 2), pbVarint(payload.length), payload]);
}

function pbWrite(file, t, name) {
  const parts = [];
  for (const d of t.dims) parts.push(pbVarint(1 << 3), pbVarint(d));
  parts.push(pbVarint(2 << 3), pbVarint(t.dtype.onnx));
  parts.push(pbLenField(8, Buffer.from(name, 'utf8')));
  parts.push(pbLenField(9, t.bytes));
  fs.writeFileSync(file, Buffer.concat(parts));
}

/* --------------------------------------------------------------- arguments */

function parseArgs(argv) {
  const a = { threads: 1, opt: 'disabled', repeat: 1, time: false, pb: false, saveOptimized: null };
  const positional = [];
  const intArg = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${name} needs an integer >= ${min}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    switch (arg) {
      case '--input-dir': a.inputDir = val(); break;
      case '--output-dir': a.outputDir = val(); break;
      case '--threads': a.threads = intArg(arg, val(), 0); break;
      case '--repeat': a.repeat = intArg(arg, val(), 1); break;
      case '--opt':
        a.opt = val();
        if (!['disabled', 'basic', 'extended', 'all'].includes(a.opt)) throw new UsageError(`--opt ${a.opt}: use disabled, basic, extended or all`);
        break;
      case '--save-optimized': a.saveOptimized = val(); break;
      case '--time': a.time = true; break;
      case '--pb': a.pb = true; break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? `one MODEL expected, got ${positional.length}` : 'MODEL missing');
  [a.model] = positional;
  if (!a.inputDir) throw new UsageError('--input-dir missing');
  if (!a.outputDir) throw new UsageError('--output-dir missing');
  return a;
}

/* --------------------------------------------------------------------- run */

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw new Error(`cannot load onnxruntime-node (${e.message.split('\n')[0]}); run scripts/deps.sh test or ` +
      'ONNXRUNTIME_NODE_INSTALL=skip npm ci in the repository');
  }
}

function readInputs(dir, names) {
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir}: no such folder`);
  const inputs = names.map((name, k) => {
    const npy = path.join(dir, `input_${k}.npy`);
    const pb = path.join(dir, `input_${k}.pb`);
    if (fs.existsSync(npy)) return npyRead(npy);
    if (fs.existsSync(pb)) return pbRead(pb);
    throw new Error(`${npy}: missing (the model's input ${k} is '${name}')`);
  });
  for (const f of fs.readdirSync(dir)) {
    const m = /^input_(\d+)\.(npy|pb)$/.exec(f);
    if (m && Number(m[1]) >= names.length) {
      throw new Error(`${path.join(dir, f)}: the model has only ${names.length} input(s) (initializers excluded)`);
    }
  }
  return inputs;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const round3 = (x) => Math.round(x * 1000) / 1000;

async function main(argv) {
  const a = parseArgs(argv);
  if (os.endianness() !== 'LE') throw new Error('big-endian hosts are not supported');
  const ort = loadOrt();
  ort.env.logLevel = 'error';

  let modelBytes = null;
  let head;
  try {
    const fd = fs.openSync(a.model, 'r');
    head = Buffer.alloc(2);
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
  } catch (e) {
    throw new Error(`${a.model}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) modelBytes = zlib.gunzipSync(fs.readFileSync(a.model));

  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: a.opt,
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };
  if (a.saveOptimized) options.optimizedModelFilePath = path.resolve(a.saveOptimized);

  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = modelBytes ? await ort.InferenceSession.create(modelBytes, options) : await ort.InferenceSession.create(a.model, options);
  } catch (e) {
    throw new Error(`${a.model}: onnxruntime cannot load it: ${e.message}`);
  }
  const createMs = msSince(t0);

  const names = session.inputNames;
  const inputs = readInputs(a.inputDir, names);
  const feeds = {};
  names.forEach((name, k) => {
    const t = inputs[k];
    const meta = session.inputMetadata ? session.inputMetadata[k] : null;
    if (meta && meta.isTensor && meta.type !== t.dtype.ort) {
      throw new Error(`input ${k} '${name}': the model wants ${meta.type}, the file holds ${t.dtype.ort}`);
    }
    feeds[name] = new ort.Tensor(t.dtype.ort, typedFromBytes(t.dtype, t.bytes), t.dims);
  });

  const runsMs = [];
  let results;
  for (let i = 0; i < a.repeat; i++) {
    const t1 = process.hrtime.bigint();
    try {
      results = await session.run(feeds);
    } catch (e) {
      throw new Error(`${a.model}: run failed: ${e.message}`);
    }
    runsMs.push(msSince(t1));
  }

  fs.mkdirSync(a.outputDir, { recursive: true });
  for (const f of fs.readdirSync(a.outputDir)) {
    if (/^output_\d+\.(npy|pb)$/.test(f)) fs.unlinkSync(path.join(a.outputDir, f));
  }
  session.outputNames.forEach((name, k) => {
    const v = results[name];
    const dtype = v && dtypeByOrt(v.type);
    if (!dtype) throw new Error(`output ${k} '${name}': type ${v ? v.type : 'none'} cannot be written`);
    const t = { dtype, dims: v.dims.map(Number), bytes: bytesFromTyped(v.data) };
    if (a.pb) pbWrite(path.join(a.outputDir, `output_${k}.pb`), t, name);
    else npyWrite(path.join(a.outputDir, `output_${k}.npy`), t);
  });
  await session.release();

  if (a.time) {
    const report = {
      model: a.model,
      opt: a.opt,
      threads: a.threads,
      repeat: a.repeat,
      create_ms: round3(createMs),
      run_ms: round3(median(runsMs)),
      runs_ms: runsMs.map(round3),
    };
    process.stdout.write(JSON.stringify(report) + '\n');
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      const msg = e instanceof UsageError ? `${e.message}\n${USAGE}` : e.message;
      process.stderr.write(`ort_run: ${msg.replace(/\s*\n\s*/g, '; ')}\n`);
      process.exit(2);
    },
  );
}

module.exports = { npyRead, npyWrite, pbRead, pbWrite, DTYPES, dtypeByOrt, typedFromBytes, bytesFromTyped };
