import { describe, expect, it } from 'vitest';
import { headerFieldsOf, parseHeaderFields } from '../../src/core/headers.js';

const FIELDS = ['message-id', 'date', 'subject', 'from', 'to'];
const cut = (raw: string | Buffer) => headerFieldsOf(typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw, FIELDS).toString('latin1');

describe('headerFieldsOf: what HEADER.FIELDS would return, cut from the whole message', () => {
  it.each([
    ['CRLF header block', 'Received: x\r\nSubject: hi\r\nX-A: 1\r\n\r\nSubject: in body\r\n', 'Subject: hi\r\n'],
    ['LF only', 'Subject: hi\nMessage-ID: <a@b>\n\nbody\n', 'Subject: hi\nMessage-ID: <a@b>\n'],
    ['folded value kept with its continuation lines', 'Subject: one\r\n two\r\n\tthree\r\nX: y\r\n continued\r\n\r\n', 'Subject: one\r\n two\r\n\tthree\r\n'],
    ['every occurrence, in order', 'To: a\r\nSubject: 1\r\nTo: b\r\n\r\n', 'To: a\r\nSubject: 1\r\nTo: b\r\n'],
    ['names in any letter case, space before the colon', 'SUBJECT: up\r\nmessage-id : <x>\r\n\r\n', 'SUBJECT: up\r\nmessage-id : <x>\r\n'],
    ['only whole names match', 'X-Subject: no\r\nSubject-Extra: no\r\nResent-Date: no\r\nDate: yes\r\n\r\n', 'Date: yes\r\n'],
    ['a line without a colon ends the field before it', 'Subject: a\r\nnot a header\r\n cont\r\nFrom: f\r\n\r\n', 'Subject: a\r\nFrom: f\r\n'],
    ['no empty line: the whole message is header', 'Subject: a\r\nFrom: f', 'Subject: a\r\nFrom: f'],
    ['a message that starts with an empty line has no header', '\r\nSubject: body\r\n', ''],
    ['LF-only message starting with an empty line', '\nSubject: body\n', ''],
    ['continuation before any field is dropped', ' stray\r\nSubject: s\r\n\r\n', 'Subject: s\r\n'],
    ['an empty header block', '', ''],
    ['a colon in the value, an empty name', ': nameless\r\nSubject: a: b\r\n\r\n', 'Subject: a: b\r\n'],
    ['mixed endings: the first empty line wins', 'Subject: a\n\r\nFrom: body\r\n\r\n', 'Subject: a\n'],
  ])('%s', (_, raw, expected) => {
    expect(cut(raw)).toBe(expected);
  });

  it('keeps 8-bit bytes as they are, whatever other fields contain', () => {
    const raw = Buffer.concat([Buffer.from('X-Latin1: caf'), Buffer.from([0xe9]), Buffer.from('\r\nSubject: Grüße\r\n\r\nbody', 'utf8')]);
    const fields = headerFieldsOf(raw, FIELDS);
    expect(fields.equals(Buffer.from('Subject: Grüße\r\n', 'utf8'))).toBe(true);
    // Decoded alone, as a server's HEADER.FIELDS answer would be: UTF-8, not Latin-1.
    expect(parseHeaderFields(fields)['subject']).toBe('Grüße');
  });

  it('parses to the same fields as the header block itself', () => {
    const raw = 'Message-ID:\r\n <long@id>\r\nDate: Tue, 1 Mar 2022 10:00:00 +0000\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nFrom: a@b\r\nTo: c@d\r\n\r\nbody';
    expect(parseHeaderFields(Buffer.from(cut(raw), 'latin1'))).toEqual({
      'message-id': '<long@id>',
      date: 'Tue, 1 Mar 2022 10:00:00 +0000',
      subject: '=?UTF-8?Q?caf=C3=A9?=',
      from: 'a@b',
      to: 'c@d',
    });
  });
});
