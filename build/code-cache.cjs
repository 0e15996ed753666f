'use strict';
// `node build/code-cache.cjs dist/main.cjs`: writes the V8 code cache of the bundle for the Node
// that runs this (dist/main.<bundle id>.<version>-<platform>-<arch>.cache), compiled exactly as
// build/launcher.cjs compiles it, or V8 would refuse it there.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { bundleId } = require('./bundle-id.cjs');

const file = path.resolve(process.argv[2]);
const bytes = fs.readFileSync(file);
const source = bytes.toString('utf8');
const main = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], {
  filename: file,
  produceCachedData: true,
});
if (!main.cachedDataProduced || !main.cachedData) throw new Error(`${file}: V8 made no code cache`);
fs.writeFileSync(path.join(path.dirname(file), `main.${bundleId(bytes)}.${process.version}-${process.platform}-${process.arch}.cache`), main.cachedData);
