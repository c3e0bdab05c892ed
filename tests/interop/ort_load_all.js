#!/usr/bin/env node
/*
 * ort_load_all.js — creates an onnxruntime session (CPU) for every slice of a
 * slice folder (`onnxfold slice`, docs/slicing.md), in one node process: does
 * onnxruntime accept each slice as a model?
 *
 *   node tests/interop/ort_load_all.js DIR [--opt disabled|basic|extended|all]
 *
 * Every DIR/slice_*.onnx is loaded by path (so slice_K.onnx.data beside it is
 * found), in name order; the session is released at once (nothing runs). Every
 * slice is tried, whatever failed before. Prints one line per failure,
 * "ort_load_all: DIR/slice_K.onnx: <onnxruntime's message>", then one summary
 * line "ort_load_all: DIR: N slices, M loaded". --opt defaults to disabled
 * (the graph as written is what is checked; basic also runs onnxruntime's
 * rewrites on it).
 *
 * Exit status: 0 when every slice loads (and there is at least one), 1 when
 * some slice does not (or there are none), 2 on bad arguments or a missing
 * onnxruntime-node.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = 'usage: node ort_load_all.js DIR [--opt disabled|basic|extended|all]';

function usage(msg) {
  process.stderr.write(`ort_load_all: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv) {
  let dir = null;
  let opt = 'disabled';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--opt') {
      if (i + 1 >= argv.length) usage('--opt needs a value');
      opt = argv[++i];
      if (!['disabled', 'basic', 'extended', 'all'].includes(opt)) usage(`--opt ${opt}: use disabled, basic, extended or all`);
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

  const files = fs.readdirSync(dir).filter((f) => /^slice_\d+\.onnx$/.test(f)).sort();
  let loaded = 0;
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const session = await ort.InferenceSession.create(file, options);
      await session.release();
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
