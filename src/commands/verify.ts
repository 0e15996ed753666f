import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { formatBytes, formatCount } from '../core/summary.js';
import { verifyArchive } from '../io/archive-verify.js';
import { EXIT } from '../cli/exit-codes.js';
import { Logger } from '../cli/logger.js';
import { startAgainForMalloc } from '../cli/start-again.js';

export default defineCommand({
  meta: { name: 'verify', description: 'Read every entry of a backup archive and check its CRC (exit 0: good, 1: damaged)' },
  args: {
    archive: { type: 'positional', description: 'The backup-….zip to check', valueHint: 'archive.zip', required: true },
    verbose: { type: 'boolean', description: 'Show more detail', default: false },
  },
  async run({ args }) {
    const log = await Logger.create(args.verbose);
    const file = path.resolve(String(args.archive));
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      log.error(`No archive at ${file}: give the path of a backup-….zip file`);
      return EXIT.partial;
    }
    // Reading a whole archive is long: worth the steady heap.
    startAgainForMalloc();
    const started = Date.now();
    const result = await verifyArchive(file, { fullRead: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const figures = `${formatCount(result.entries)} entries, ${formatBytes(result.bytes)} (${formatCount(result.bytes)} bytes) in ${formatBytes(result.archiveBytes)}`;
    if (result.problems.length === 0) {
      log.success(`${file}: OK, ${figures}, every CRC matches (${seconds} s)`);
      return EXIT.ok;
    }
    for (const p of result.problems) log.error(p);
    log.error(`${file}: DAMAGED (${figures} read): restore from another archive`);
    return EXIT.partial;
  },
});
