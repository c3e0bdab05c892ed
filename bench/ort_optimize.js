#!/usr/bin/env node
/*
 * ort_optimize.js — onnxruntime's load + optimize + save of a model, for
 * bench/optimize.sh: the counterpart of `onnxfold optimize IN OUT`.
 *
 *   node bench/ort_optimize.js MODEL OUT [--opt basic|extended|all|disabled]
 *                              [--threads N]
 *
 * Creates one onnxruntime session (CPU, through the repository's
 * onnxruntime-node, as tests/interop/ort_run.js does) with
 * sessionOptions.optimizedModelFilePath = OUT at the --opt level (default
 * basic), then releases it without running anything: session creation loads
 * MODEL, applies the graph optimizations of that level and writes the
 * optimized graph to OUT (with its initializers inline). It also prepares the
 * kernels for running, which onnxfold optimize does not do -- a cost that
 * cannot be switched off from onnxruntime-node, so onnxruntime's figure is
 * slightly pessimistic. MODEL is loaded by path (external data beside it is
 * found); a gzipped MODEL is decompressed in memory first.
 *
 * Prints one JSON line: {"model", "opt", "create_ms", "release_ms"} (wall
 * time in ms of session creation -- load, optimize, save -- and of its
 * release). Exit status 0, 2 with one line "ort_optimize: ..." on stderr.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const USAGE = 'usage: node bench/ort_optimize.js MODEL OUT [--opt basic|extended|all|disabled] [--threads N]';

async function main(argv) {
  const pos = [];
  let opt = 'basic';
  let threads = 1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--opt' && i + 1 < argv.length) opt = argv[++i];
    else if (argv[i] === '--threads' && i + 1 < argv.length) threads = Number.parseInt(argv[++i], 10);
    else if (argv[i].startsWith('-')) throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    else pos.push(argv[i]);
  }
  if (pos.length !== 2 || !['disabled', 'basic', 'extended', 'all'].includes(opt) || !(threads >= 0)) {
    throw new Error(USAGE);
  }
  const [model, out] = pos;
  let ort;
  try {
    ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    throw new Error(`cannot load onnxruntime-node (${e.message.split('\n')[0]}); run scripts/deps.sh test`);
  }
  ort.env.logLevel = 'error';
  const head = Buffer.alloc(2);
  const fd = fs.openSync(model, 'r');
  fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  const bytes = head[0] === 0x1f && head[1] === 0x8b ? zlib.gunzipSync(fs.readFileSync(model)) : null;
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opt,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    optimizedModelFilePath: path.resolve(out),
  };
  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = bytes ? await ort.InferenceSession.create(bytes, options) : await ort.InferenceSession.create(model, options);
  } catch (e) {
    throw new Error(`${model}: onnxruntime cannot load it: ${e.message}`);
  }
  const t1 = process.hrtime.bigint();
  await session.release();
  const t2 = process.hrtime.bigint();
  const ms = (a, b) => Math.round(Number(b - a) / 1e3) / 1e3;
  process.stdout.write(JSON.stringify({ model, opt, create_ms: ms(t0, t1), release_ms: ms(t1, t2) }) + '\n');
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`ort_optimize: ${e.message.replace(/\s*\n\s*/g, '; ')}\n`);
    process.exit(2);
  },
);
