import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { EXIT } from '../cli/exit-codes.js';
import { binaryDir } from '../cli/context.js';
import { SAMPLES } from '../cli/samples.js';

export default defineCommand({
  meta: { name: 'init', description: 'Write commented sample configuration files beside the executable (never overwrites)' },
  args: {
    dir: { type: 'string', description: 'Folder to write them into (default: beside the executable, else the working directory)', valueHint: 'folder' },
  },
  run({ args }) {
    const dir = path.resolve(args.dir ?? binaryDir() ?? process.cwd());
    const targets = SAMPLES.map(([name, text]) => ({ file: path.join(dir, name), text }));
    // All or nothing: half a fresh sample next to an edited configuration would only confuse.
    const existing = targets.filter((t) => fs.existsSync(t.file)).map((t) => t.file);
    if (existing.length > 0) return refuse(existing);
    fs.mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const t of targets) {
      // Notepad and its kin expect CRLF on Windows; the YAML reader takes either.
      const text = process.platform === 'win32' ? t.text.replace(/\r?\n/g, '\r\n') : t.text;
      try {
        // 'wx' fails instead of overwriting a file that appeared since the check above.
        fs.writeFileSync(t.file, text, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return refuse([t.file], written);
        throw err;
      }
      written.push(t.file);
    }
    const exe = binaryDir() ? path.basename(process.execPath) : 'imap-backup-tool';
    process.stdout.write([
      ...written.map((f) => `Wrote ${f}`),
      '',
      'Next:',
      `  1. Edit both files: folders, mailboxes, passwords (mode 600: they hold secrets), the notification.`,
      `  2. ${exe} check${args.dir ? ` --config ${quote(targets[0]?.file ?? '')}` : ''}     logs in to every mailbox and lists its folders`,
      `  3. ${exe} schedule${args.dir ? ` --config ${quote(targets[0]?.file ?? '')}` : ''}  prints the command that runs it every day`,
      '',
    ].join('\n'));
    return EXIT.ok;
  },
});

function refuse(existing: string[], written: string[] = []): number {
  process.stderr.write([
    ...existing.map((f) => `${f} already exists.`),
    ...written.map((f) => `(${f} was written.)`),
    `init never overwrites a configuration: ${written.length > 0 ? 'nothing else was' : 'nothing was'} written. Edit the existing`,
    'files, move them away first, or pass --dir <another folder>.',
    '',
  ].join('\n'));
  return EXIT.config;
}

const quote = (p: string) => (/\s/.test(p) ? `"${p}"` : p);
