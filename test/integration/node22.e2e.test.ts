import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../build/node-runtime.mjs';
import { formatBytes } from '../../src/core/summary.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { readTree, writeWorkspace, type Workspace } from '../helpers/setup.js';

// The executables run Node 22, where a message's Buffer is freed the moment its file is written
// (releaseBuffer in src/io/memory.ts). The other tests run the CLI on the Node that runs vitest,
// which may not have ArrayBuffer transfer and then frees nothing. Here the CLI runs on the pinned
// Node 22: every file must still be the server's bytes, and the bytes reported the bytes written.
const USER = 'n22@example.org';
const PASS = 'n22-pw';
const REALMAIL = path.resolve(__dirname, '../../../shared/testdata/realmail/msgs');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// 30-90 KB: each comes in several socket reads, so into a Buffer of its own, the kind that is freed.
const filler = (i: number) => makeMessage({ subject: `filler ${i}`, body: `${i} `.repeat(10_000 + (i % 7) * 4_000) });

let server: DovecotServer;
let ws: Workspace;
let node: string;

beforeAll(async () => {
  node = await nodeBinary('linux-x64', path.resolve(__dirname, '../../.cache/node-bin'));
  server = await startDovecot();
  await server.addUser(USER, PASS);
  await server.seed(USER, 'INBOX', [
    ...fs.readdirSync(REALMAIL).sort().map((f) => ({ raw: fs.readFileSync(path.join(REALMAIL, f)) })),
    ...Array.from({ length: 300 }, (_, i) => ({ raw: filler(i) })),
    // Below the 2 MB streaming size: fetched whole, then freed.
    { raw: makeMessage({ subject: 'one and a half MB', body: 'y'.repeat(1_500_000) }) },
    // Above it: streamed in 1 MB pieces, each freed once written; every piece's bytes differ, so
    // a piece freed or reused too soon shows in the file's hash.
    { raw: makeMessage({ subject: 'five MB streamed', body: Array.from({ length: 60_000 }, (_, i) => `line ${i} of the streamed body\r\n`).join('').slice(0, 5_000_000) }) },
  ]);
  ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: 'INBOX' }]);
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

async function expectMirror(): Promise<Map<string, Buffer>> {
  const onServer = await server.fetchRaw(USER, PASS, 'INBOX');
  const files = readTree(path.join(ws.processFolder, USER, 'INBOX'));
  expect(new Set([...files.values()].map(sha))).toEqual(new Set([...onServer.values()].map(sha)));
  for (const [name, bytes] of files) expect(bytes.length, name).toBeGreaterThan(0);
  return files;
}

describe('the CLI on Node 22, which frees each message Buffer once written', () => {
  it('backs up every message byte for byte, first run and a later one', async () => {
    expect((await runCli(['--version'], { command: [node, CLI] })).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const first = await runCli(['--config', ws.configPath], { command: [node, CLI] });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const files = await expectMirror();
    const bytes = [...files.values()].reduce((n, b) => n + b.length, 0);
    expect(first.stdout).toContain(`INBOX: ${files.size} new, 0 present, ${formatBytes(bytes)} in`);

    // New mail in an occupied folder goes the header FETCH way, then the body FETCH.
    await server.seed(USER, 'INBOX', Array.from({ length: 40 }, (_, i) => ({ raw: filler(1000 + i) })));
    const second = await runCli(['--config', ws.configPath], { command: [node, CLI] });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain(`INBOX: 40 new, ${files.size} present`);
    expect((await expectMirror()).size).toBe(files.size + 40);
  }, 180_000);
});
