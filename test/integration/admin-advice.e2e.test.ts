import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { writeWorkspace } from '../helpers/setup.js';

let server: DovecotServer;
beforeAll(async () => {
  server = await startDovecot();
  await server.addUser('tls@example.org', 'tls-pw-1');
}, 60_000);
afterAll(async () => server?.stop());

// Before: OpenSSL's own words (`ssl3_get_record:wrong version number`) and no advice.
it('tls: implicit against the plain IMAP port says what to set', async () => {
  const ws = writeWorkspace(server, [{ address: 'tls@example.org', password: 'tls-pw-1', port: server.imapPort }]);
  const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(`imapPort: ${server.imapPort}`, `imapPort: ${server.imapPort}\n    tls: implicit`));
  const r = await runCli(['check', '--config', ws.configPath]);
  expect(r.code).not.toBe(0);
  expect(r.stdout + r.stderr).toContain(`127.0.0.1:${server.imapPort} does not speak TLS from the start: set imapPort to its TLS port (993), or keep this port with tls: starttls for tls@example.org`);
  expect(r.stdout + r.stderr).not.toContain('ssl3_get_record');
});

// Before (found in review): `imapFolders` and `rolingMethod` were ignored without a word.
it('a misspelled setting is named once, with the key meant, in the run and in check', async () => {
  const ws = writeWorkspace(server, [{ address: 'tls@example.org', password: 'tls-pw-1' }]);
  const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace('imapFolder:', 'imapFolders:'));
  fs.writeFileSync(ws.configPath, fs.readFileSync(ws.configPath, 'utf8').replace('rollingMethod:', 'rolingMethod:'));
  const run = await runCli(['--config', ws.configPath, '--dry-run']);
  const out = run.stdout + run.stderr;
  expect(run.code).toBe(0);
  expect(out.split('tls@example.org.imapFolders is not a setting of the tool, so it is ignored: did you mean imapFolder?')).toHaveLength(2);
  expect(out).toContain('configuration.yml: storage.rolingMethod is not a setting of the tool, so it is ignored: did you mean rollingMethod?');
  const check = await runCli(['check', '--config', ws.configPath]);
  expect(check.stdout + check.stderr).toContain('did you mean imapFolder?');
});
