import { describe, expect, it } from 'vitest';
import { literalSize, ResponseReader, STREAMED, type Response, type SinkFor } from '../../src/io/response-reader.js';

const BODY = Buffer.from('Subject: x\r\n\r\nline with {5}\r\n\x00\xff bytes\r\n', 'latin1');
const WIRE = Buffer.concat([
  Buffer.from(`* 1 FETCH (UID 7 RFC822.SIZE ${BODY.length} BODY[] {${BODY.length}}\r\n`),
  BODY,
  Buffer.from(')\r\n* 2 EXISTS\r\n* 2 FETCH (UID 8 BODY[HEADER.FIELDS (DATE)] {0}\r\n BODY[] {3}\r\nabc)\r\nX1 OK done\r\n'),
]);

function readAll(chunks: Buffer[], stopAt?: string): { responses: Response[]; rest: Buffer } {
  const responses: Response[] = [];
  const reader: ResponseReader = new ResponseReader((r) => {
    responses.push({ text: r.text, literals: r.literals.map((l) => Buffer.from(l)) });
    if (stopAt && r.text.startsWith(stopAt)) reader.stop();
  });
  const rest: Buffer[] = [];
  for (const c of chunks) {
    const used = reader.push(c);
    rest.push(c.subarray(used));
  }
  return { responses, rest: Buffer.concat(rest) };
}

const expected = [
  { text: `* 1 FETCH (UID 7 RFC822.SIZE ${BODY.length} BODY[] {${BODY.length}})`, literals: [BODY] },
  { text: '* 2 EXISTS', literals: [] },
  { text: '* 2 FETCH (UID 8 BODY[HEADER.FIELDS (DATE)] {0} BODY[] {3})', literals: [Buffer.alloc(0), Buffer.from('abc')] },
  { text: 'X1 OK done', literals: [] },
];

describe('ResponseReader', () => {
  it('hands a literal a sink takes to it as it arrives, wherever the stream is split, and reads on after it', () => {
    for (let at = 0; at <= WIRE.length; at++) {
      const offered: [string, number][] = [];
      const taken: Buffer[] = [];
      let ends = 0;
      // Takes only the first message's body: other literals stay with the reader.
      const sinkFor: SinkFor = (text, size) => {
        offered.push([text, size]);
        return text.includes('UID 7') ? { write: (b) => void taken.push(Buffer.from(b)), end: () => void ends++ } : undefined;
      };
      const responses: Response[] = [];
      const reader = new ResponseReader((r) => responses.push(r), undefined, sinkFor);
      reader.push(WIRE.subarray(0, at));
      reader.push(WIRE.subarray(at));
      expect(Buffer.concat(taken).equals(BODY), `split at ${at}`).toBe(true);
      expect(ends).toBe(1);
      // The first offer is of the body, with the text before it; a {0} literal is never offered.
      expect(offered).toEqual([[`* 1 FETCH (UID 7 RFC822.SIZE ${BODY.length} BODY[] {${BODY.length}}`, BODY.length], ['* 2 FETCH (UID 8 BODY[HEADER.FIELDS (DATE)] {0} BODY[] {3}', 3]]);
      expect(responses[0]?.literals).toEqual([STREAMED]);
      expect(responses[0]?.literals[0]).toBe(STREAMED);
      expect(responses.slice(1).map((r) => ({ text: r.text, literals: r.literals.map((l) => Buffer.from(l)) }))).toEqual(expected.slice(1));
    }
  });

  it('reads responses whole, with literals cut out byte for byte', () => {
    expect(readAll([WIRE]).responses).toEqual(expected);
  });

  it('gives the same responses wherever the stream is split in two', () => {
    for (let at = 0; at <= WIRE.length; at++) {
      expect(readAll([WIRE.subarray(0, at), WIRE.subarray(at)]).responses, `split at ${at}`).toEqual(expected);
    }
  });

  it('gives the same responses when every byte is a chunk of its own', () => {
    expect(readAll([...WIRE].map((b) => Buffer.from([b]))).responses).toEqual(expected);
  });

  it('hands back the bytes after the response it was stopped at, untouched', () => {
    const after = Buffer.from('* 3 EXISTS\r\nX2 OK more\r\n');
    const wire = Buffer.concat([WIRE, after]);
    for (const at of [WIRE.length - 3, WIRE.length, WIRE.length + 5]) {
      const { responses, rest } = readAll([wire.subarray(0, at), wire.subarray(at)], 'X1 ');
      expect(responses).toEqual(expected);
      expect(rest.equals(after)).toBe(true);
    }
  });

  it('takes a line ended by a bare LF as a line', () => {
    expect(readAll([Buffer.from('* OK hello\nX1 OK\r\n')]).responses.map((r) => r.text)).toEqual(['* OK hello', 'X1 OK']);
  });

  it('refuses a line longer than its limit instead of buffering without end', () => {
    const reader = new ResponseReader(() => undefined, 100);
    expect(() => reader.push(Buffer.alloc(200, 0x41))).toThrow(/longer than 100 bytes/);
  });

  it('keeps a literal split over chunks in a buffer of its own size', () => {
    const lit: Buffer[] = [];
    const reader = new ResponseReader((r) => lit.push(...r.literals));
    reader.push(Buffer.from('* 1 FETCH (BODY[] {6}\r\nabc'));
    reader.push(Buffer.from('def)\r\n'));
    expect(lit[0]?.toString()).toBe('abcdef');
    expect(lit[0]?.buffer.byteLength).toBe(6);
  });
});

describe('literalSize', () => {
  it.each([
    ['* 1 FETCH (BODY[] {123}', 123],
    ['* 1 FETCH (BODY[] {0}', 0],
    ['A1 APPEND INBOX {12+}', 12],
    ['* 1 FETCH (BINARY[] ~{9}', 9],
    ['* OK no literal', -1],
    ['* OK {abc}', -1],
    ['* OK {}', -1],
    ['* OK "quoted {5}"', -1],
    ['* OK {1234567890123456}', -1],
  ])('%s -> %i', (line, size) => {
    expect(literalSize(line)).toBe(size);
  });
});
