import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxConfig } from '../../src/core/config-types.js';
import { streamToFileAtomic } from '../../src/io/atomic.js';
import { ImapSource } from '../../src/io/imap-source.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeMessage } from '../helpers/messages.js';
import { startScriptedImap } from '../helpers/scripted-imap.js';
import { startProxy, type Listening, type ProxyFaults } from '../helpers/tcp-proxy.js';

// Large messages are streamed to their files by one raw FETCH each (src/io/body-stream.ts): the
// body goes to the consumer (the file writer) while it arrives. Checked against Dovecot, plain and
// with COMPRESS=DEFLATE: whole bodies in 1 MB pieces, a failing or slow consumer, a deleted
// message, and a connection cut or silent inside a body, which must never end a file as if whole.
const USER = 'stream@example.org';
const PASS = 'stream-pw';
// Random, so that the faults' byte counts fall inside the body on a compressed connection too.
const big = makeMessage({ subject: 'big', body: crypto.randomBytes(2_400_000).toString('base64').replace(/.{76}/g, '$&\r\n') });
const small = makeMessage({ subject: 'small', body: 'hello' });

async function collect(stream: Readable, pieces: Buffer[] = []): Promise<Buffer> {
  for await (const c of stream) pieces.push(Buffer.from(c as Buffer));
  return Buffer.concat(pieces);
}

describe.each([
  ['a plain connection', false],
  ['a COMPRESS=DEFLATE connection', true],
])('large bodies streamed over %s', (_, compress) => {
  let server: DovecotServer;
  let mb: MailboxConfig;
  let bigUid: number;
  let smallUid: number;

  beforeAll(async () => {
    server = await startDovecot({ compress });
    await server.addUser(USER, PASS);
    await server.seed(USER, 'INBOX', [{ raw: small }, { raw: big }]);
    mb = {
      address: USER, login: USER, password: PASS, host: server.host, port: server.imapsPort, tls: 'implicit', allowInsecure: false,
      tlsOptions: { rejectUnauthorized: true, ca: server.certPem }, folders: { kind: 'all' }, excludeFolders: [],
    };
    [smallUid, bigUid] = (await withSource((s) => s.uidsAbove(0))) as [number, number];
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function withSource<T>(fn: (s: ImapSource) => Promise<T>, opts: { port?: number; socketTimeoutMs?: number } = {}): Promise<T> {
    const source = await ImapSource.connect({ ...mb, port: opts.port ?? mb.port }, { socketTimeoutMs: opts.socketTimeoutMs });
    try {
      await source.open('INBOX');
      return await fn(source);
    } finally {
      await source.close();
    }
  }

  it('gives the body byte for byte in pieces of at most 1 MB; a deleted message gives undefined', async () => {
    await withSource(async (source) => {
      const pieces: Buffer[] = [];
      expect((await source.streamBody(bigUid, (s) => collect(s, pieces)))?.equals(big)).toBe(true);
      expect(pieces.length).toBeGreaterThanOrEqual(3);
      for (const p of pieces) expect(p.length).toBeLessThanOrEqual(1024 * 1024);
      expect(await source.streamBody(bigUid + 100, (s) => collect(s))).toBeUndefined();
      expect(await source.uidsIn([smallUid, bigUid])).toEqual([smallUid, bigUid]);
      expect(source.usable).toBe(true);
    });
  }, 60_000);

  it('a consumer that fails (a full disk) fails the call with its error; the connection stays usable', async () => {
    await withSource(async (source) => {
      const fail = async (s: Readable) => {
        for await (const _ of s) throw new Error('no space left on device');
        return 0;
      };
      await expect(source.streamBody(bigUid, fail)).rejects.toThrow(/no space left/);
      expect(source.usable).toBe(true);
      // Failing while the socket is held for it (the disk lagged first): the socket is let go.
      const lateFail = async (s: Readable) => {
        for await (const _ of s) {
          await new Promise((r) => setTimeout(r, 500));
          throw new Error('no space left on device, later');
        }
        return 0;
      };
      await expect(source.streamBody(bigUid, lateFail)).rejects.toThrow(/later/);
      expect(source.usable).toBe(true);
      // The rest of the body was read past: the next command's answer is its own.
      expect((await source.streamBody(smallUid, (s) => collect(s)))?.equals(small)).toBe(true);
      expect((await source.streamBody(bigUid, (s) => collect(s)))?.equals(big)).toBe(true);
    });
  }, 60_000);

  it('holds the socket for a slow consumer, past the socket timeout, and loses nothing', async () => {
    await withSource(async (source) => {
      const client = (source as unknown as { client: { socket: Readable; _inflate?: Readable } }).client;
      const from = client._inflate ?? client.socket;
      let pauses = 0;
      const pause = from.pause.bind(from);
      from.pause = () => (pauses++, pause());
      const slow = async (s: Readable) => {
        const pieces: Buffer[] = [];
        for await (const c of s) {
          pieces.push(Buffer.from(c as Buffer));
          if (pieces.length === 1) await new Promise((r) => setTimeout(r, 1_000));
        }
        return Buffer.concat(pieces);
      };
      expect((await source.streamBody(bigUid, slow))?.equals(big)).toBe(true);
      expect(pauses).toBeGreaterThan(0);
      expect(source.usable).toBe(true);
    }, { socketTimeoutMs: 300 });
  }, 60_000);

  it.each<[string, ProxyFaults]>([
    ['is cut', { dropAfterBytes: 1_500_000 }],
    ['goes silent', { stallAfterBytes: 1_500_000 }],
  ])('when the connection %s inside a body, the consumer sees an error, never a short body', async (_, faults) => {
    const proxy = await startProxy(server.imapsPort, faults);
    try {
      let seen: unknown;
      let bytes = 0;
      const consume = async (s: Readable) => {
        try {
          for await (const c of s) bytes += (c as Buffer).length;
        } catch (err) {
          seen = err;
          throw err;
        }
        return bytes;
      };
      await withSource(async (source) => {
        await expect(source.streamBody(bigUid, consume)).rejects.toThrow(/connection|timeout/i);
        expect(source.usable).toBe(false);
      }, { port: proxy.port, socketTimeoutMs: 1_000 });
      expect(seen).toBeInstanceOf(Error);
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(big.length);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

// A scripted server that sends what follows a body (its closing paren and the tagged reply) only a
// while after the body's last byte, as a busy server or a slow network can: a reader that held the
// socket for a lagging disk must still read the reply. Bodies of whole MiBs end on a piece's edge.
describe('a reply that comes after the body, apart', () => {
  const MIB = 1024 * 1024;
  const bodyOf = (bytes: number) => Buffer.alloc(bytes, 'a');
  let server: Listening;
  let tail = 'OK done';
  /** The UID after the body, as a server may put it. */
  let uidAfter = false;
  /**
   * Bodies that prove another message's only once their UID comes, 0.7 s after them: one alone, or
   * one followed, 0.3 s later, by the one asked for (its UID after it too).
   */
  let wrong: 'no' | 'alone' | 'then right' = 'no';
  let mb: MailboxConfig;

  beforeAll(async () => {
    ({ server, mb } = await startScriptedImap((tag, command, socket) => {
      const cmd = command.toUpperCase();
      if (cmd.startsWith('UID FETCH')) {
        // The UID asked for is the body's size in MiB, plus 1000 bytes when odd.
        const uid = Number(cmd.split(' ')[2]);
        const body = bodyOf(Math.floor(uid / 2) * MIB + (uid % 2) * 1000);
        if (wrong !== 'no') {
          const other = Buffer.alloc(3 * MIB, 'z');
          socket.write(`* 1 FETCH (BODY[] {${other.length}}\r\n`);
          socket.write(other);
          setTimeout(() => {
            socket.write(' UID 99)\r\n');
            if (wrong === 'alone') return void socket.write(`${tag} ${tail}\r\n`);
            setTimeout(() => {
              socket.write(`* 2 FETCH (BODY[] {${body.length}}\r\n`);
              socket.write(body);
              setTimeout(() => socket.write(` UID ${uid})\r\n${tag} ${tail}\r\n`), 700);
            }, 300);
          }, 700);
          return;
        }
        socket.write(uidAfter ? `* 1 FETCH (BODY[] {${body.length}}\r\n` : `* 1 FETCH (UID ${uid} BODY[] {${body.length}}\r\n`);
        socket.write(body);
        setTimeout(() => socket.write(`${uidAfter ? ` UID ${uid}` : ''})\r\n${tag} ${tail}\r\n`), 700);
      } else if (cmd.startsWith('CAPABILITY')) socket.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
      else if (cmd.startsWith('EXAMINE')) socket.write(`* 9 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 99] ok\r\n${tag} OK [READ-ONLY] done\r\n`);
      else if (cmd.startsWith('LOGOUT')) socket.write(`* BYE bye\r\n${tag} OK bye\r\n`);
      else socket.write(`${tag} OK done\r\n`);
    }));
  });

  afterAll(async () => {
    await server?.close();
  });

  const slowly = async (s: Readable) => {
    const pieces: Buffer[] = [];
    for await (const c of s) {
      pieces.push(Buffer.from(c as Buffer));
      await new Promise((r) => setTimeout(r, 150));
    }
    return Buffer.concat(pieces);
  };

  it.each([6, 7])('a slow consumer gets the whole body and the call returns (UID %i)', async (uid) => {
    tail = 'OK done';
    const source = await ImapSource.connect(mb, { socketTimeoutMs: 5_000 });
    try {
      await source.open('INBOX');
      expect((await source.streamBody(uid, slowly))?.equals(bodyOf(Math.floor(uid / 2) * MIB + (uid % 2) * 1000))).toBe(true);
      expect(source.usable).toBe(true);
    } finally {
      await source.close();
    }
  }, 20_000);

  it('a server that names the UID after the body: the body still streams in pieces as it arrives, and is whole', async () => {
    tail = 'OK done';
    uidAfter = true;
    const source = await ImapSource.connect(mb, { socketTimeoutMs: 5_000 });
    try {
      await source.open('INBOX');
      const pieces: number[] = [];
      const got = await source.streamBody(7, async (s) => {
        expect(s.readableObjectMode).toBe(false);
        const parts: Buffer[] = [];
        for await (const c of s) {
          pieces.push((c as Buffer).length);
          parts.push(Buffer.from(c as Buffer));
          await new Promise((r) => setTimeout(r, 50));
        }
        return Buffer.concat(parts);
      });
      expect(got?.equals(bodyOf(3 * MIB + 1000))).toBe(true);
      // Read whole first, it would come as one chunk of 3 MiB + 1000 B.
      expect(pieces.length, String(pieces)).toBeGreaterThanOrEqual(3);
      expect(source.usable).toBe(true);
    } finally {
      uidAfter = false;
      await source.close();
    }
  }, 20_000);

  it.each(['alone', 'then right'] as const)('a body whose UID, 0.7 s after it, is another message\'s never gets a final name (%s)', async (how) => {
    tail = 'OK done';
    wrong = how;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-wrong-'));
    const source = await ImapSource.connect(mb, { socketTimeoutMs: 5_000 });
    try {
      await source.open('INBOX');
      const final = path.join(dir, 'message.eml');
      const streamed: boolean[] = [];
      const got = await source.streamBody(7, (s) => {
        streamed.push(!s.readableObjectMode);
        return streamToFileAtomic(final, s);
      });
      if (how === 'alone') {
        // Not sent: the engine then asks the server whether it still lists the message.
        expect(got).toBeUndefined();
        expect(fs.readdirSync(dir)).toEqual([]);
      } else {
        // The one asked for, streamed on trust as well, is the one under the name.
        expect(got).toBe(3 * MIB + 1000);
        expect(fs.readFileSync(final).equals(bodyOf(3 * MIB + 1000))).toBe(true);
        expect(fs.readdirSync(dir)).toEqual(['message.eml']);
      }
      expect(streamed).toEqual(how === 'alone' ? [true] : [true, true]);
      expect(source.usable).toBe(true);
    } finally {
      wrong = 'no';
      await source.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('a FETCH refused after the body fails the consumer: the body never counts as whole', async () => {
    tail = 'NO [SERVERBUG] could not finish';
    const source = await ImapSource.connect(mb, { socketTimeoutMs: 5_000 });
    let seen: unknown;
    try {
      await source.open('INBOX');
      await expect(source.streamBody(4, async (s) => slowly(s).catch((err: unknown) => {
        seen = err;
        throw err;
      }))).rejects.toThrow(/refused FETCH/);
      expect(seen).toBeInstanceOf(Error);
    } finally {
      await source.close();
    }
  }, 20_000);
});
