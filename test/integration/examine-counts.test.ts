import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { syncMailbox } from '../../src/engine/mailbox-sync.js';
import { sessionAnswer, startScriptedImap } from '../helpers/scripted-imap.js';
import type { Listening } from '../helpers/tcp-proxy.js';

/**
 * A server whose EXAMINE leaves out EXISTS or UIDNEXT (both required by RFC 3501 and 9051): the
 * counts only spare a SEARCH, so one left out must not read as "nothing new". Found in review:
 * the folder was skipped as empty, the run OK, and the mark moved past the unsaved messages.
 */
const DATE = '"01-Feb-2024 10:00:00 +0000"';
const msg = (n: number) => `Subject: m${n}\r\nMessage-ID: <m${n}@x>\r\n\r\nbody ${n}\r\n`;
let mode = 'compliant';
function answer(tag: string, command: string): string {
  const cmd = command.toUpperCase();
  const common = sessionAnswer(tag, command);
  if (common !== undefined) return common;
  if (cmd.startsWith('EXAMINE')) return `${mode === 'no EXISTS' || mode === 'neither' ? '' : '* 2 EXISTS\r\n'}* OK [UIDVALIDITY 7] ok\r\n${mode === 'no UIDNEXT' || mode === 'neither' ? '' : '* OK [UIDNEXT 3] ok\r\n'}* FLAGS (\\Seen)\r\n${tag} OK [READ-ONLY] done\r\n`;
  if (cmd.startsWith('UID SEARCH')) return `* SEARCH 1 2\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('UID FETCH')) return [1, 2].map((u) => `* ${u} FETCH (UID ${u} RFC822.SIZE ${msg(u).length} INTERNALDATE ${DATE} BODY[] {${msg(u).length}}\r\n${msg(u)})`).join('\r\n') + `\r\n${tag} OK done\r\n`;
  return `${tag} NO not here\r\n`;
}

let server: Listening;
let mb: MailboxConfig;
beforeAll(async () => {
  ({ server, mb } = await startScriptedImap((tag, command, socket) => void socket.write(answer(tag, command))));
});
afterAll(async () => server?.close());

it.each(['no UIDNEXT', 'no EXISTS', 'neither'])('EXAMINE with %s: the folder is backed up whole, and the next run finds nothing missing', async (m) => {
  mode = m;
  const processFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-examine-'));
  const job = () => ({ mailbox: mb, processFolder, retries: 0, retryDelayMs: 10, timeoutMs: 5000, connections: 1, dryRun: false, signal: new AbortController().signal, onEvent: () => undefined });
  const report = await syncMailbox(job());
  const dir = path.join(processFolder, mb.address, 'INBOX');
  expect(report.ok).toBe(true);
  expect(report.folders.map((f) => [f.error, f.newCount])).toEqual([[undefined, 2]]);
  expect(fs.readdirSync(dir)).toHaveLength(2);
  const state = JSON.parse(fs.readFileSync(path.join(processFolder, '.imap-backup-tool', 'state', `${mb.address}.json`), 'utf8')) as { folders: Record<string, { lastUid: number }> };
  expect(Object.values(state.folders).map((f) => f.lastUid)).toEqual([2]);
  mode = 'compliant';
  const again = await syncMailbox(job());
  expect(again.folders.map((f) => [f.error, f.newCount, f.present])).toEqual([[undefined, 0, 2]]);
  expect(fs.readdirSync(dir)).toHaveLength(2);
});
