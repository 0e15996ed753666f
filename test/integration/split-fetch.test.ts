import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { ImapSource } from '../../src/io/imap-source.js';
import { sessionAnswer, startScriptedImap } from '../helpers/scripted-imap.js';
import type { Listening } from '../helpers/tcp-proxy.js';

// Dovecot sends each message's FETCH items in one response. RFC 9051 (7.5.2) lets a server split
// them, send flag changes of its own, and expunge during a UID FETCH, which shifts sequence
// numbers. A scripted server does all of that here: each message must still get its own bytes,
// size and date, and imapflow must still work on the connection after.
const DATE = '"01-Feb-2024 10:00:00 +0000"';
const one = 'Subject: one\r\nMessage-ID: <one@x>\r\n\r\nfirst\r\n';
const two = 'Subject: two\r\nMessage-ID: <two@x>\r\n\r\nsecond, longer\r\n';
const hdr = (b: string) => b.slice(0, b.indexOf('\r\n\r\n') + 4);

function answer(tag: string, command: string): string {
  const cmd = command.toUpperCase();
  const common = sessionAnswer(tag, command);
  if (common !== undefined) return common;
  if (cmd.startsWith('EXAMINE')) return `* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 14] ok\r\n* FLAGS (\\Seen)\r\n${tag} OK [READ-ONLY] done\r\n`;
  if (cmd.startsWith('UID SEARCH')) return `* SEARCH 11 12\r\n${tag} OK done\r\n`;
  // Bodies that turn out to be another message's, or nobody's: UID 99 after it, or no UID at all.
  if (cmd.startsWith('UID FETCH 13 ')) return `* 1 FETCH (BODY[] {${one.length}}\r\n${one} UID 99)\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('UID FETCH 14 ')) return `* 1 FETCH (BODY[] {${one.length}}\r\n${one})\r\n${tag} OK done\r\n`;
  if (cmd.startsWith('UID FETCH') && cmd.includes('BODY.PEEK[]')) {
    return [
      `* 2 FETCH (UID 12 RFC822.SIZE ${two.length} INTERNALDATE ${DATE})`,
      '* 3 FETCH (FLAGS (\\Seen))',
      `* 1 FETCH (BODY[] {${one.length}}\r\n${one} UID 11 RFC822.SIZE ${one.length} INTERNALDATE ${DATE})`,
      // UID 10, once sequence 1, is gone: UID 12 is now sequence 1.
      '* 1 EXPUNGE',
      `* 1 FETCH (UID 12 BODY[] {${two.length}}\r\n${two})`,
      `${tag} OK done`, '',
    ].join('\r\n');
  }
  if (cmd.startsWith('UID FETCH')) {
    return [
      `* 1 FETCH (UID 11 BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)] {${hdr(one).length}}\r\n${hdr(one)})`,
      `* 1 FETCH (UID 11 RFC822.SIZE ${one.length})`,
      `* 2 FETCH (UID 12 RFC822.SIZE ${two.length} INTERNALDATE ${DATE})`,
      `* 2 FETCH (UID 12 BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)] {${hdr(two).length}}\r\n${hdr(two)})`,
      // A flag change of the server's own, naming a UID already complete: not a second message.
      '* 2 FETCH (UID 12 FLAGS (\\Seen))',
      `${tag} OK done`, '',
    ].join('\r\n');
  }
  return `${tag} NO not here\r\n`;
}

let server: Listening;
let mb: MailboxConfig;

beforeAll(async () => {
  ({ server, mb } = await startScriptedImap((tag, command, socket) => {
    if (!command.toUpperCase().startsWith('UID FETCH 15 ')) return void socket.write(answer(tag, command));
    // Another message's body (its UID after it), then the one asked for, whole; and while the first
    // one's writer is being failed, a third body, another's again, begins.
    socket.write(`* 1 FETCH (BODY[] {${one.length}}\r\n${one} UID 99)\r\n* 2 FETCH (UID 15 BODY[] {${two.length}}\r\n${two})\r\n`);
    setTimeout(() => socket.write(`* 3 FETCH (BODY[] {${one.length}}\r\n${one} UID 98)\r\n${tag} OK done\r\n`), 30);
  }));
});

afterAll(async () => {
  await server?.close();
});

describe('a server that splits FETCH responses and expunges during them', () => {
  it('gives each message its own bytes, size and date', async () => {
    const source = await ImapSource.connect(mb);
    try {
      await source.open('INBOX');
      const got = [];
      for await (const b of source.bodies([11, 12], true)) got.push({ uid: b.uid, text: b.source.toString(), size: b.size, date: b.internalDate.toISOString() });
      expect(got).toEqual([
        { uid: 11, text: one, size: one.length, date: '2024-02-01T10:00:00.000Z' },
        { uid: 12, text: two, size: two.length, date: '2024-02-01T10:00:00.000Z' },
      ]);
      // imapflow has the connection back.
      expect(await source.uidsAbove(0)).toEqual([11, 12]);
    } finally {
      await source.close();
    }
  });

  it('gives each message its header fields, size and date when they come apart, each once', async () => {
    const source = await ImapSource.connect(mb);
    try {
      await source.open('INBOX');
      const got = [];
      for await (const m of source.headers([11, 12], true)) got.push({ uid: m.uid, subject: m.subject, size: m.size, date: m.internalDate.getTime() });
      // UID 11's date never comes: it is given at the end, with the fallback date, as imapflow gave it.
      expect(got).toEqual([
        { uid: 12, subject: 'two', size: two.length, date: Date.parse('2024-02-01T10:00:00Z') },
        { uid: 11, subject: 'one', size: one.length, date: 0 },
      ]);
    } finally {
      await source.close();
    }
  });

  it('streams the body asked for, whether the server names its UID before the body or after it', async () => {
    const source = await ImapSource.connect(mb);
    try {
      await source.open('INBOX');
      // A body streams in pieces as it arrives (one read whole first comes in one chunk).
      const text = async (uid: number) => source.streamBody(uid, async (s) => {
        let out = '';
        for await (const c of s) out += (c as Buffer).toString('latin1');
        return { out, whole: s.readableObjectMode };
      });
      // The answer holds both messages: each call takes its own. 11's UID comes after its body,
      // which streams on trust and is confirmed; for 12 that first body turns out to be another's
      // and is dropped, and the next one, whose UID comes first, is taken.
      expect(await text(11)).toEqual({ out: one, whole: false });
      expect((await text(12))?.out).toBe(two);
      // A third body beginning while the first one's writer is failed does not push the second aside.
      expect((await source.streamBody(15, async (s) => {
        let out = '';
        try {
          for await (const c of s) out += (c as Buffer).toString('latin1');
        } catch (err) {
          // As a file writer does, a failed one takes a moment to clean up (its temp file).
          await new Promise((r) => setTimeout(r, 60));
          throw err;
        }
        return out;
      }))).toBe(two);
      expect(await source.uidsAbove(0)).toEqual([11, 12]);
    } finally {
      await source.close();
    }
  });

  it('a body that turns out to be another message\'s, or nobody\'s, fails its consumer (its file never completes) and counts as not sent', async () => {
    const source = await ImapSource.connect(mb);
    try {
      await source.open('INBOX');
      for (const [uid, reason] of [[13, /another message \(UID 99\) when asked for UID 13/], [14, /another message \(UID not given\) when asked for UID 14/]] as const) {
        let consumerSaw: unknown;
        let ended = false;
        // Not sent, as when a message is deleted meanwhile: the caller then asks whether the server still lists it.
        await expect(source.streamBody(uid, async (s) => {
          try {
            for await (const _ of s) void _;
            ended = true;
          } catch (err) {
            consumerSaw = err;
            throw err;
          }
        })).resolves.toBeUndefined();
        expect(ended).toBe(false);
        expect(String(consumerSaw)).toMatch(reason);
      }
      // A writer that failed of itself (a full disk) on such a body: its error is what the call gives.
      await expect(source.streamBody(13, async (s) => {
        for await (const _ of s) throw Object.assign(new Error('no space left on the disk'), { code: 'ENOSPC' });
      })).rejects.toMatchObject({ code: 'ENOSPC' });
      // The connection stayed in step.
      expect(await source.uidsAbove(0)).toEqual([11, 12]);
    } finally {
      await source.close();
    }
  });
});
