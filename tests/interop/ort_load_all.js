#!/usr/bin/env node
/*
 * ort_load_all.js — creates an onnxruntime session (CPU) for every slice of a
 * slice folder (`onnxfold slice`, docs/slicing.md), in one node process: does
 * onnxruntime accept each slice as a model?
 *
 *   node tests/interop/ort_load_all.js DIR [--opt disabled|basic|extended|all]
 *        [--run RUNDIR --output-dir OUT]
 *
 * Every DIR/slice_*.onnx is loaded by path (so slice_K.onnx.data beside it is
 * found), in name order, and its session released (nothing runs). Every
 * slice is tried, whatever failed before. Prints one line per failure,
 * "ort_load_all: DIR/slice_K.onnx: <onnxruntime's message>", then one summary
 * line "ort_load_all: DIR: N slices, M loaded". --opt defaults to disabled
 * (the graph as written is what is checked; basic also runs onnxruntime's
 * rewrites on it).
 *
 * --run RUNDIR (the --output-dir of `onnxfold run-slices DIR --per-slice`)
 * also runs each slice standalone, as a prover would take it: fed from
 * RUNDIR/slice_K/input_J.npy or .pb, J the slice's J-th input in DIR's
 * metadata.json (an initializer listed as an input has no file and keeps its
 * value), its outputs written to OUT/slice_K/output_J.npy in the slice's
 * output order, for comparing with RUNDIR/slice_K/output_J (compare_slices.py).
 * A slice that fails to run counts as not loaded.
 *
 * Exit status: 0 when every slice loads (and runs) and there is at least
 * one, 1 when some slice does not (or there are none), 2 on bad arguments or
 * a missing onnxruntime-node.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const { npyRead, pbRead, npyWrite, dtypeByOrt, typedFromBytes, bytesFromTyped } = require('./ort_run.js');

const USAGE = 'usage: node ort_load_all.js DIR [--opt disabled|basic|extended|all] [--run RUNDIR --output-dir OUT]';

function usage(msg) {
  process.stderr.write(`ort_load_all: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

/* Runs one slice (record: its entry in metadata.json's slices) on the tensors
 * in IN (input_J.npy or .pb: the slice's J-th recorded input) and writes its
 * outputs to OUT/output_J.npy. */
async function runOne(ort, session, record, inDir, outDir) {
  const byName = {};
  record.inputs.forEach((v, j) => {
    const npy = path.join(inDir, `input_${j}.npy`);
    const pb = path.join(inDir, `input_${j}.pb`);
    if (fs.existsSync(npy)) byName[v.name] = npyRead(npy);
    else if (fs.existsSync(pb)) byName[v.name] = pbRead(pb);
  });
  const feeds = {};
  for (const name of session.inputNames) {
    const t = byName[name];
    if (!t) throw new Error(`${inDir}: no input_J.pb holds '${name}'`);
    feeds[name] = new ort.Tensor(t.dtype.ort, typedFromBytes(t.dtype, t.bytes), t.dims);
  }
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  session.outputNames.forEach((name, k) => {
    const v = results[name];
    const dtype = v && dtypeByOrt(v.type);
    if (!dtype) throw new Error(`output '${name}': type ${v ? v.type : 'none'} cannot be written`);
    npyWrite(path.join(outDir, `output_${k}.npy`), { dtype, dims: v.dims.map(Number), bytes: bytesFromTyped(v.data) });
  });
}

async function main(argv) {
  let dir = null;
  let opt = 'disabled';
  let runDir = null;
  let outDir = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--opt') {
      opt = val();
      if (!['disabled', 'basic', 'extended', 'all'].includes(opt)) usage(`--opt ${opt}: use disabled, basic, extended or all`);
    } else if (arg === '--run') {
      runDir = val();
    } else if (arg === '--output-dir') {
      outDir = val();
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else if (arg.startsWith('-')) {
      usage(`unknown option ${arg}`);
    } else if (dir === null) {
      dir = arg;
    } else {
      usage('one DIR expected');
    }
  }
  if (dir === null) usage('DIR missing');
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) usage(`${dir}: no such folder`);
  if ((runDir === null) !== (outDir === null)) usage('--run and --output-dir go together');
  if (runDir !== null && !fs.statSync(runDir, { throwIfNoEntry: false })?.isDirectory()) usage(`${runDir}: no such folder`);

  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    process.stderr.write(`ort_load_all: cannot load onnxruntime-node (${e.message.split('\n')[0]}); run scripts/deps.sh test\n`);
    return 2;
  }
  ort.env.logLevel = 'error';
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opt,
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  };

  const meta = runDir === null ? null : JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
  const files = fs.readdirSync(dir).filter((f) => /^slice_\d+\.onnx$/.test(f)).sort();
  let loaded = 0;
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const session = await ort.InferenceSession.create(file, options);
      try {
        if (runDir !== null) {
          const record = meta.slices.find((r) => r.file === f);
          if (!record) throw new Error(`not in ${path.join(dir, 'metadata.json')}`);
          await runOne(ort, session, record, path.join(runDir, f.slice(0, -5)), path.join(outDir, f.slice(0, -5)));
        }
      } finally {
        await session.release();
      }
      loaded++;
    } catch (e) {
      process.stdout.write(`ort_load_all: ${file}: ${e.message.replace(/\s*\n\s*/g, '; ')}\n`);
    }
  }
  process.stdout.write(`ort_load_all: ${dir}: ${files.length} slices, ${loaded} loaded\n`);
  return files.length > 0 && loaded === files.length ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e) => {
    process.stderr.write(`ort_load_all: ${e.message}\n`);
    process.exit(2);
  },
);
