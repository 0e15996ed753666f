import { describe, expect, it } from 'vitest';
import { redactBytes, redactSecrets } from '../../src/core/redact.js';

describe('redactSecrets', () => {
  const cases: [string, string, string[], string][] = [
    // A short password no longer turns every word that holds it into ***: that showed which word it was.
    ['short secret inside words', 'mailbox office@x: 3 mails in INBOX/mail', ['mail'], 'mailbox office@x: 3 mails in INBOX/***'],
    ['short secret as an echoed argument', 'server said: BAD LOGIN "office" "mail"', ['mail'], 'server said: BAD LOGIN "office" "***"'],
    ['short secret in a URL', 'imaps://office:mail@imap.x.test/', ['mail'], 'imaps://office:***@imap.x.test/'],
    ['short secret on a YAML line', '  password: mail', ['mail'], '  password: ***'],
    ['short secret at the start and end', 'mail', ['mail'], '***'],
    ['short secret next to digits is part of a longer word', 'mail2 2mail', ['mail'], 'mail2 2mail'],
    ['short secret with a non-word edge matches inside a word on that side', 'xab!y ab!', ['ab!'], 'xab!y ***'],
    ['short secret of symbols only', 'a#$%b', ['#$%'], 'a***b'],
    ['short secret next to a letter outside ASCII', 'Postfächer fäch', ['fäch'], 'Postfächer ***'],
    ['long secret inside a word', 'xxCorrectHorse9yy', ['CorrectHorse9'], 'xx***yy'],
    ['secrets under three characters are left', 'ab cd', ['ab'], 'ab cd'],
    ['longest first', 'pw abc and abcdef', ['abc', 'abcdef', 'x'], 'pw *** and ***'],
    ['a long secret holding a short one', 'key=Secret-mail-2026 mail', ['mail', 'Secret-mail-2026'], 'key=*** ***'],
    ['overlapping occurrences', 'aaaa', ['aaa'], 'aaaa'],
    ['repeated', 'pw pw1 pw1 pw1', ['pw1'], 'pw *** *** ***'],
    // Found in review: an escape that ends in a letter or digit is no part of the word after it.
    ['after a JSON escape', '{"said":"line\\nmail","tab":"x:\\tmail"}', ['mail'], '{"said":"line\\n***","tab":"x:\\t***"}'],
    ['after a JSON \\u escape', '"\\u00e9mail"', ['mail'], '"\\u00e9***"'],
    ['URL-encoded', 'user=office%40x.test%3Amail&pass=%20mail', ['mail'], 'user=office%40x.test%3A***&pass=%20***'],
    ['quoted-printable', 'password=3Dmail', ['mail'], 'password=3D***'],
    ['after a terminal colour', '\x1b[31mmail\x1b[39m \x1b[38;5;196mmail', ['mail'], '\x1b[31m***\x1b[39m \x1b[38;5;196m***'],
    ['a word after an escape is still a word', '"\\nmailbox" %20mailbox', ['mail'], '"\\nmailbox" %20mailbox'],
  ];
  it.each(cases)('%s', (_name, text, secrets, expected) => {
    expect(redactSecrets(text, secrets)).toBe(expected);
  });

  it.each(cases.filter(([, text]) => /^[\x1b\x20-\x7e]*$/.test(text)))('bytes: %s', (_name, text, secrets, expected) => {
    expect(redactBytes(Buffer.from(text), secrets).toString()).toBe(expected);
  });

  it('bytes: a neighbour outside ASCII counts as a boundary, on the safe side', () => {
    expect(redactSecrets('éfäch fäch', ['fäch'])).toBe('éfäch ***');
    expect(redactBytes(Buffer.from('éfäch fäch'), ['fäch']).toString()).toBe('é*** ***');
  });

  it('a secret is never left whole in a line that says nothing else', () => {
    for (const secret of ['abc', 'mail', 'P@ss', 'xY7#', 'abcdefg', 'abcdefgh', 'Tr0ub&dor']) {
      for (const around of [['', ''], ['"', '"'], [':', '@'], [' ', '\n'], ["'", "'"], ['=', ';']] as const) {
        const text = `${around[0]}${secret}${around[1]}`;
        expect(redactSecrets(text, [secret])).not.toContain(secret);
        expect(redactBytes(Buffer.from(text), [secret]).toString()).not.toContain(secret);
      }
    }
  });
});
