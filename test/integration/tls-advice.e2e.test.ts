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
