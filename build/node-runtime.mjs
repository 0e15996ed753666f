// Fetches the pinned official Node binaries from the npm registry. `npm install` refuses packages
// for another os/cpu, so each package is `npm pack`ed (npm checks the registry's integrity, and it
// uses its own cache) and its one binary extracted; both the tarball and the binary are then checked
// against build/node-binaries.json, so a changed package can never slip into a release.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const PINS = JSON.parse(fs.readFileSync(new URL('./node-binaries.json', import.meta.url), 'utf8'));

export async function fileHash(file, algorithm) {
  const hash = createHash(algorithm);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  return hash;
}

const sha256 = async (file) => (await fileHash(file, 'sha256')).digest('hex');
const integrity = async (file) => `sha512-${(await fileHash(file, 'sha512')).digest('base64')}`;

/** Path of the verified Node binary for a target, downloading it into cacheDir when needed. */
export async function nodeBinary(target, cacheDir) {
  const pin = PINS.targets[target];
  if (!pin) throw new Error(`unknown target ${target}; known: ${Object.keys(PINS.targets).join(', ')}`);
  const version = PINS.version;
  const dir = path.join(cacheDir, `${pin.package}-${version}`);
  const bin = path.join(dir, path.basename(pin.binary));
  if (fs.existsSync(bin) && (await sha256(bin)) === pin.sha256) return bin;

  fs.mkdirSync(cacheDir, { recursive: true });
  const tgz = path.join(cacheDir, `${pin.package}-${version}.tgz`);
  if (!fs.existsSync(tgz) || (await integrity(tgz)) !== pin.integrity) {
    console.log(`Downloading ${pin.package}@${version} from the npm registry ...`);
    execFileSync('npm', ['pack', `${pin.package}@${version}`, '--pack-destination', cacheDir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const got = await integrity(tgz);
    if (got !== pin.integrity) throw new Error(`${tgz}: integrity ${got} is not the pinned ${pin.integrity}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', tmp, pin.binary], { stdio: 'inherit' });
  const got = await sha256(path.join(tmp, pin.binary));
  if (got !== pin.sha256) throw new Error(`${pin.package}@${version} ${pin.binary}: sha256 ${got} is not the pinned ${pin.sha256}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.renameSync(path.join(tmp, pin.binary), bin);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.chmodSync(bin, 0o755);
  return bin;
}

export { sha256 };
