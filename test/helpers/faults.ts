import fs from 'node:fs';
import path from 'node:path';
import yauzl from 'yauzl';

/** mulberry32: a small seeded PRNG, so a failing random case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every entry of a ZIP file: name → bytes. */
export function zipEntries(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const out = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** Every file and folder below `root` (relative paths, folders with a trailing '/'), for before/after comparisons. */
export function snapshot(root: string): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = path.relative(root, path.join(dir, e.name));
      if (e.isDirectory()) {
        out.add(`${rel}/`);
        walk(path.join(dir, e.name));
      } else out.add(rel);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}

/** Sets keys of configuration.yml that writeWorkspace already wrote (a second copy would be a duplicate key). */
export function setKeys(configPath: string, values: Record<string, string>): void {
  let text = fs.readFileSync(configPath, 'utf8');
  for (const [key, value] of Object.entries(values)) {
    const re = new RegExp(`^(\\s*)${key}:.*$`, 'm');
    if (!re.test(text)) throw new Error(`${key} is not in ${configPath}`);
    text = text.replace(re, `$1${key}: ${value}`);
  }
  fs.writeFileSync(configPath, text);
}
