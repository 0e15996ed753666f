// A real backup end to end on a throwaway local Dovecot seeded with the real-world sample mail.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDovecot } from './dovecot.js';
import { makeMessage } from './messages.js';
import { allFiles } from './setup.js';

const root = path.resolve('demo');
const realmail = path.resolve('../shared/testdata/realmail/msgs');
const user = 'demo@example.org';
const password = 'demo-password';

fs.rmSync(root, { recursive: true, force: true });
fs.mkdirSync(root, { recursive: true });
const server = await startDovecot();
try {
  await server.addUser(user, password);
  const samples = fs.existsSync(realmail) ? fs.readdirSync(realmail).sort().map((f) => ({ raw: fs.readFileSync(path.join(realmail, f)) })) : [];
  const generated = Array.from({ length: 50 }, (_, i) => ({ raw: makeMessage({ subject: `Demo message ${i + 1}` }) }));
  await server.seed(user, 'INBOX', [...samples, ...generated]);
  await server.seed(user, 'Sent Items', [{ raw: makeMessage({ subject: 'Re: Quarterly report' }) }]);
  await server.seed(user, 'Archive/2023', [{ raw: makeMessage({ subject: 'Old news' }) }]);
  await server.seed(user, 'Grüße', [{ raw: makeMessage({ subject: '=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=' }) }]);
  fs.writeFileSync(path.join(root, 'dovecot-ca.pem'), server.certPem);
  const sample = fs.readFileSync('dist-config/configuration.yml', 'utf8')
    .replace(/'c:\\mailbox_backup([^']*)'/g, (_m, rest: string) => `'backup${rest.replace(/\\/g, '/')}'`)
    .replace('send_notification: True', 'send_notification: False');
  fs.writeFileSync(path.join(root, 'configuration.yml'), sample);
  fs.writeFileSync(path.join(root, 'mailboxes_to_backup.yml'), [
    `${user}:`, '    UserFullEmail: true', `    password: '${password}'`, `    imapHost: '${server.host}'`,
    `    imapPort: ${server.imapsPort}`, '    tls: implicit', "    tlsCaFile: 'dovecot-ca.pem'", "    imapFolder: 'INBOX, SENT, Archive/2023, Grüße'", '',
  ].join('\n'));
  const cli = (label: string) => {
    console.log(`\n=== ${label}: imap-backup-tool --config demo/configuration.yml ===\n`);
    const started = Date.now();
    const r = spawnSync(process.execPath, ['dist/cli.cjs', '--config', path.join(root, 'configuration.yml')], { stdio: 'inherit' });
    console.log(`\n(exit code ${r.status}, ${((Date.now() - started) / 1000).toFixed(2)} s)`);
    return r.status;
  };
  const first = cli('First run: downloads everything');
  const second = cli('Second run: only what is new (nothing)');
  const files = allFiles(path.join(root, 'backup'));
  const emls = files.filter((f) => f.endsWith('.eml'));
  console.log(`\nThe backup is in ${path.join(root, 'backup')}:`);
  for (const dir of [...new Set(emls.map((f) => path.dirname(f)))]) console.log(`  ${dir}/  ${emls.filter((f) => path.dirname(f) === dir).length} .eml files`);
  for (const f of files.filter((f) => !f.endsWith('.eml') && !f.includes('.imap-backup-tool'))) console.log(`  ${f}`);
  console.log(`\nFor example:\n  ${emls.slice(0, 3).join('\n  ')}`);
  process.exitCode = first === 0 && second === 0 ? 0 : 1;
} finally {
  await server.stop();
}
