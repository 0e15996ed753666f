// The downloadable files beside the executables: one .zip per target (the binary and the commented
// sample configuration, in a folder of the binary's name) and SHA256SUMS over everything in dist/bin.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { PINS, sha256 } from './node-runtime.mjs';

const SAMPLES = ['configuration.yml', 'mailboxes_to_backup.yml'];

export async function zipTarget(binaryPath, sampleDir) {
  const name = path.basename(binaryPath).replace(/\.exe$/, '');
  const zipPath = path.join(path.dirname(binaryPath), `${name}.zip`);
  // SOURCE_DATE_EPOCH makes the archive reproducible when a release process sets it.
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  const mtime = Number.isFinite(epoch) && epoch > 0 ? new Date(epoch * 1000) : new Date();
  const zip = new yazl.ZipFile();
  zip.addFile(binaryPath, `${name}/${path.basename(binaryPath)}`, { mode: 0o100755, mtime, compressionLevel: 6 });
  for (const sample of SAMPLES) zip.addFile(path.join(sampleDir, sample), `${name}/${sample}`, { mode: 0o100644, mtime });
  zip.end();
  const tmp = `${zipPath}.tmp`;
  await pipeline(zip.outputStream, fs.createWriteStream(tmp));
  fs.renameSync(tmp, zipPath);
  return zipPath;
}

/** SHA256SUMS in the format `sha256sum -c` and PowerShell users can both read. */
export async function writeChecksums(outDir) {
  const known = Object.values(PINS.targets).flatMap((t) => [t.output, `${t.output.replace(/\.exe$/, '')}.zip`]);
  const present = known.filter((f) => fs.existsSync(path.join(outDir, f))).sort();
  const lines = [];
  for (const f of present) lines.push(`${await sha256(path.join(outDir, f))}  ${f}`);
  fs.writeFileSync(path.join(outDir, 'SHA256SUMS'), `${lines.join('\n')}\n`);
  return present;
}
