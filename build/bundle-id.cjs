'use strict';
// A bundle's code caches are named by its contents (build/code-cache.cjs), and dist/cli.cjs looks
// for its own bundle's (build/bundle.mjs writes the id into it): V8 checks a cache against the
// source's length only, not its text, and runs what the cache holds, so a cache left by another
// bundle of the same length would run that bundle's code beside this one's.
const { createHash } = require('node:crypto');

/** @param {Buffer} bundle */
exports.bundleId = (bundle) => createHash('sha256').update(bundle).digest('hex').slice(0, 16);
