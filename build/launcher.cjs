#!/usr/bin/env node
'use strict';
// `node dist/cli.cjs`: runs the bundle (main.cjs) with the V8 code cache the build made for this
// Node version, platform and CPU (build/code-cache.cjs), if there is one. Compiling the 1.5 MB
// bundle is ~20 ms of every start; with the cache ~2 ms (README "Performance"). The cache is made
// at build time and shipped beside the bundle, read here and never written: whoever could change
// it could change main.cjs. V8 refuses a cache of another version, other flags or another length
// of source (cachedDataRejected), and the bundle is then compiled as usual; of the same length, it
// takes it, so the cache's name carries the bundle's id (build/bundle-id.cjs), written below by
// the build. An edit of main.cjs in place needs its caches deleted. The executables carry their
// own code cache (build/sea.mjs) and do not use this file.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire } = require('node:module');

const BUNDLE = 'unbuilt';
const file = path.join(__dirname, 'main.cjs');
const source = fs.readFileSync(file, 'utf8');
let cachedData;
try {
  cachedData = fs.readFileSync(path.join(__dirname, `main.${BUNDLE}.${process.version}-${process.platform}-${process.arch}.cache`));
} catch {
  // None for this Node: compiled as usual.
}
const main = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], {
  filename: file,
  ...(cachedData ? { cachedData } : {}),
});
const module_ = { exports: {}, filename: file, id: '.', loaded: false };
main.call(module_.exports, module_.exports, createRequire(file), module_, file, __dirname);
