import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeLargeMessage, makeMessage } from '../helpers/messages.js';
import { startProxy } from '../helpers/tcp-proxy.js';
import { allFiles, readTree, writeWorkspace } from '../helpers/setup.js';

const USER = 'r@example.org';
const PASS = 'pw-Resilience-42';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
let server: DovecotServer;
const many = Array.from({ length: 400 }, (_, i) => makeMessage({ messageId: `<m${i}@example.org>`, subject: `message ${i}`, body: `${'x'.repeat(8000)}\r\n${i}\r\n` }));

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', many.map((raw) => ({ raw })));
});

afterAll(async () => {
  await server?.stop();
});

const inboxOf = (processFolder: string) => readTree(path.join(processFolder, USER, 'INBOX'));

describe('faults during a run', () => {
  it('a connection cut mid-FETCH is reconnected and the folder resumes', async () => {
    // Several connections share the work, so the first three are cut, each after 600 kB.
    const proxy = await startProxy(server.imapsPort, { dropAfterBytes: 600_000, faultyConnections: 3 });
    const ws = writeWorkspace(server, [{ address: USER, password: PASS, port: proxy.port, extra: ['tls: implicit'] }], { common: ['retryDelaySeconds: 0'] });
    const r = await runCli(['--config', ws.configPath]);
    await proxy.close();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reconnecting in 0\.0 s \(try 2\)/);
    expect(proxy.connections).toBeGreaterThanOrEqual(4);
    expect(inboxOf(ws.processFolder).size).toBe(400);
    expect(allFiles(ws.processFolder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a connection cut in a later run (its folders read from disk ahead) resumes from what is on disk, saving no message twice', async () => {
    const user = 'later@example.org';
    await server.addUser(user, PASS);
    const mail = (i: number) => makeMessage({ messageId: `<later${i}@example.org>`, subject: `later ${i}`, body: `${'y'.repeat(8000)}\r\n${i}\r\n` });
    await server.seed(user, 'INBOX', Array.from({ length: 50 }, (_, i) => ({ raw: mail(i) })));
    const clean = await startProxy(server.imapsPort, { faultyConnections: 0 });
    const ws = writeWorkspace(server, [{ address: user, password: PASS, port: clean.port, extra: ['tls: implicit'] }], { common: ['retryDelaySeconds: 0'] });
    expect((await runCli(['--config', ws.configPath])).code).toBe(0);
    await clean.close();
    await server.seed(user, 'INBOX', Array.from({ length: 350 }, (_, i) => ({ raw: mail(50 + i) })));
    // The first connections are cut after 600 kB, inside the body FETCH of the new messages.
    const proxy = await startProxy(server.imapsPort, { dropAfterBytes: 600_000, faultyConnections: 3 });
    const list = path.join(ws.dir, 'mailboxes_to_backup.yml');
    fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(`imapPort: ${clean.port}`, `imapPort: ${proxy.port}`));
    const r = await runCli(['--config', ws.configPath]);
    await proxy.close();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reconnecting in 0\.0 s \(try 2\)/);
    const files = [...readTree(path.join(ws.processFolder, user, 'INBOX')).keys()];
    expect(files.filter((f) => /__\d+\.eml$/.test(f))).toEqual([]);
    expect(files).toHaveLength(400);
  });

  it('a connection cut inside a large message being streamed to its file leaves no file of it; the retry saves it whole', async () => {
    const user = 'large@example.org';
    await server.addUser(user, PASS);
    const large = [3, 4, 2.5, 3.5].map((mb, i) => makeLargeMessage(mb * 1024 * 1024, `<large${i}@example.org>`));
    await server.seed(user, 'INBOX', large.map((raw) => ({ raw })));
    // Each of the first two connections is cut 2.5 MB in: inside the first large body it streams.
    const proxy = await startProxy(server.imapsPort, { dropAfterBytes: 2_500_000, faultyConnections: 2 });
    const ws = writeWorkspace(server, [{ address: user, password: PASS, port: proxy.port, extra: ['tls: implicit'] }], { common: ['retryDelaySeconds: 0'] });
    const r = await runCli(['--config', ws.configPath]);
    await proxy.close();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/reconnecting in 0\.0 s \(try 2\)/);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const files = readTree(path.join(ws.processFolder, user, 'INBOX'));
    expect([...files.values()].map(sha).sort()).toEqual(large.map(sha).sort());
    expect(allFiles(ws.processFolder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a server that stops answering is given up after the timeout and retried', async () => {
    const proxy = await startProxy(server.imapsPort, { stallAfterBytes: 200_000, faultyConnections: 3 });
    const ws = writeWorkspace(server, [{ address: USER, password: PASS, port: proxy.port, extra: ['tls: implicit'] }], { common: ['retryDelaySeconds: 0', 'timeoutSeconds: 2'] });
    const r = await runCli(['--config', ws.configPath]);
    await proxy.close();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('reconnecting');
    expect(inboxOf(ws.processFolder).size).toBe(400);
  });

  it('a server that stays down fails its mailbox after the retries, with the reason', async () => {
    const proxy = await startProxy(server.imapsPort, { refuseAll: true });
    const ws = writeWorkspace(server, [{ address: USER, password: PASS, port: proxy.port, extra: ['tls: implicit'] }], { common: ['retries: 2', 'retryDelaySeconds: 0'] });
    const r = await runCli(['--config', ws.configPath]);
    await proxy.close();
    expect(r.code).toBe(1);
    expect(proxy.connections).toBe(3);
    expect(r.stderr).toContain(`${USER}: FAILED`);
  });

  it('Ctrl+C finishes the message in flight, saves state, exits 130; the next run completes without duplicates', async () => {
    const ws = writeWorkspace(server, [{ address: USER, password: PASS }]);
    const child = spawn(process.execPath, [CLI, '--config', ws.configPath, '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    // Interrupted once 20 messages are on disk, under their names or still in their temp files: a
    // message counts as saved only once its batch is flushed (group commit), which in a folder this
    // small can come after the last one arrived.
    const inbox = path.join(ws.processFolder, USER, 'INBOX');
    const onDisk = () => (fs.existsSync(inbox) ? fs.readdirSync(inbox).length : 0);
    // Read, so a full pipe never holds the child up.
    child.stdout.resume();
    child.stderr.resume();
    const interrupted = new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (onDisk() >= 20 && !child.killed) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 1);
      child.on('close', (code) => {
        clearInterval(poll);
        resolve(code);
      });
    });
    expect(await interrupted).toBe(130);
    const partial = inboxOf(ws.processFolder).size;
    expect(partial).toBeGreaterThanOrEqual(20);
    expect(partial).toBeLessThan(400);
    expect(allFiles(ws.processFolder).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const files = inboxOf(ws.processFolder);
    expect(files.size).toBe(400);
    expect(r.stdout).toContain(`${400 - partial} new`);
  });

  it('a second run while one holds the lock exits 3 and says who holds it; a stale lock is taken over', async () => {
    const ws = writeWorkspace(server, [{ address: USER, password: PASS }]);
    const lockFile = path.join(ws.processFolder, '.imap-backup-tool', 'lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, JSON.stringify({ host: os.hostname(), pid: process.pid, since: new Date().toISOString() }));
    const held = await runCli(['--config', ws.configPath]);
    expect(held.code).toBe(3);
    expect(held.stderr).toContain(`pid ${process.pid}`);
    expect(inboxOf(ws.processFolder).size).toBe(0);
    fs.writeFileSync(lockFile, JSON.stringify({ host: os.hostname(), pid: 2 ** 22 + 17, since: new Date().toISOString() }));
    const stale = await runCli(['--config', ws.configPath]);
    expect(stale.code, stale.stderr).toBe(0);
    expect(stale.stderr).toContain('took over a stale lock');
    expect(fs.existsSync(lockFile)).toBe(false);
  });
});

describe('upgrading from the original tool', () => {
  it("recognises the original's file names, without repeating its Message-ID collisions", async () => {
    const user = 'legacy@example.org';
    await server.addUser(user, PASS);
    const original = makeMessage({ messageId: '<abc123@example.org>', subject: 'kept from the old tool' });
    const collider = makeMessage({ messageId: '<abc123@other.org>', subject: 'same fragment, other message' });
    await server.seed(user, 'INBOX', [{ raw: original }, { raw: collider }]);
    const ws = writeWorkspace(server, [{ address: user, password: PASS }]);
    const inbox = path.join(ws.processFolder, user, 'INBOX');
    fs.mkdirSync(inbox, { recursive: true });
    // The original hashed the part before '@' minus its first character ('<'): "abc123".
    const legacyName = `${md5('abc123')}__kept from the old t__28-Mar-2022-183517.eml`;
    fs.writeFileSync(path.join(inbox, legacyName), original);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    const names = fs.readdirSync(inbox).sort();
    expect(names).toHaveLength(2);
    expect(names).toContain(legacyName);
    expect(names.some((n) => n.startsWith(md5('<abc123@other.org>')))).toBe(true);
  });

  it('of two messages sharing a Message-ID, only the one the original kept counts as saved', async () => {
    const user = 'legacy2@example.org';
    await server.addUser(user, PASS);
    // The original kept one file per Message-ID; here the second message's, which comes later.
    const first = makeMessage({ messageId: '<twice@example.org>', subject: 'draft', body: 'short\r\n' });
    const second = makeMessage({ messageId: '<twice@example.org>', subject: 'draft', body: 'the final, longer text\r\n' });
    await server.seed(user, 'INBOX', [{ raw: first }, { raw: second }]);
    const ws = writeWorkspace(server, [{ address: user, password: PASS }]);
    const inbox = path.join(ws.processFolder, user, 'INBOX');
    fs.mkdirSync(inbox, { recursive: true });
    const legacyName = `${md5('twice')}__draft__28-Mar-2022-183517.eml`;
    fs.writeFileSync(path.join(inbox, legacyName), second);
    const r = await runCli(['--config', ws.configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 new');
    const files = fs.readdirSync(inbox).map((n) => fs.readFileSync(path.join(inbox, n)));
    expect(files).toHaveLength(2);
    expect(files.some((b) => b.equals(first))).toBe(true);
    expect(files.some((b) => b.equals(second))).toBe(true);
  });
});
