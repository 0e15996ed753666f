import { expect, it } from 'vitest';
import { trustedSpecialUse } from '../../src/io/special-use.js';

it.each<[string, string | undefined, string[], string | undefined]>([
  ['flagged by the server, nested', 'extension', ['Restored'], '\\Sent'],
  ['guessed by name at the top', 'name', [], '\\Sent'],
  ['guessed by name below INBOX (INBOX.Sent)', 'name', ['INBOX'], '\\Sent'],
  ['guessed by name anywhere else (Restored/Sent)', 'name', ['Restored'], undefined],
  ['guessed by name deeper below INBOX', 'name', ['INBOX', 'Old'], undefined],
  ['named by the caller', 'user', ['a', 'b'], '\\Sent'],
])('%s', (_, source, parent, want) => {
  expect(trustedSpecialUse({ specialUse: '\\Sent', specialUseSource: source, parent })).toBe(want);
});
