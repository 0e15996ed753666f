import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/io/config-files.js';
import { EXTENDED_CONFIG, EXTENDED_MAILBOXES } from '../helpers/config-fixture.js';
import { prng } from '../helpers/faults.js';

// Malformed and hostile YAML at the loader: a ConfigError (exit 2) or a valid configuration, never another exception or a hang.
const CONFIG = EXTENDED_CONFIG;
const MAILBOXES = EXTENDED_MAILBOXES;
const WRONG_VALUES = ['[1, 2]', '{a: 1}', '-1', '1.5', '99999999999999999999999', '~', "''", "'text'", 'true', '!!binary aGVsbG8=', '2022-01-01', '.inf', '.nan', '0x1F', "'${UNSET_ENV_VAR}'", '*undefinedAlias', '!!js/function "function(){ return 1 }"', '&a [*a]'];
const MAX_MS = 2_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-fuzz-'));
let n = 0;

/** Writes the pair to a fresh folder and loads it: returns 'ok', or the ConfigError's message. */
function load(config: string | Buffer, mailboxes: string | Buffer = MAILBOXES): string {
  const d = path.join(dir, String(n++));
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'configuration.yml'), config);
  fs.writeFileSync(path.join(d, 'mailboxes_to_backup.yml'), mailboxes);
  const started = performance.now();
  try {
    loadConfig(path.join(d, 'configuration.yml'), {});
    return 'ok';
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${err instanceof Error ? err.stack : String(err)}`);
    expect(err.message).toMatch(/^The configuration has \d+ problems?:\n  - /);
    expect(err.exitCode).toBe(2);
    return err.message;
  } finally {
    expect(performance.now() - started, 'one load took too long').toBeLessThan(MAX_MS);
    fs.rmSync(d, { recursive: true, force: true });
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

const keysOf = (text: string) => text.split('\n').map((l, i) => ({ i, m: /^(\s+)([A-Za-z_]+):/.exec(l) })).filter((x) => x.m);

describe('configuration fuzz', () => {
  it('the base files are valid', () => {
    expect(load(CONFIG)).toBe('ok');
  });

  it(`a wrong type at every key (${WRONG_VALUES.length} values each)`, () => {
    let cases = 0;
    for (const [file, text] of [['config', CONFIG], ['mailboxes', MAILBOXES]] as const) {
      for (const { i, m } of keysOf(text)) {
        for (const value of WRONG_VALUES) {
          const lines = text.split('\n');
          lines[i] = `${m?.[1]}${m?.[2]}: ${value}`;
          const mutated = lines.join('\n');
          if (file === 'config') load(mutated);
          else load(CONFIG, mutated);
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(500);
    // A few that must be refused, with the key named.
    expect(load(CONFIG.replace('retries: 3', 'retries: [1, 2]'))).toContain("common.retries: expected a whole number from 0 to 20, found a list");
    expect(load(CONFIG, MAILBOXES.replace('imapPort: 993', 'imapPort: {a: 1}'))).toContain('office@contoso.com.imapPort');
    expect(load(CONFIG.replace("rollingMethod: 'items'", 'rollingMethod: !!binary aGVsbG8='))).toContain('storage.rollingMethod');
  });

  // [case, configuration.yml, mailboxes_to_backup.yml?, what the message must say (undefined: may also be valid)]
  const hostile: [string, () => string | Buffer, (string | Buffer)?, RegExp?][] = [
    ['billion laughs', () => `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\ncommon: *j\n`, undefined, /resource exhaustion/],
    ['alias to itself', () => 'common: &c\n  x: *c\n'],
    ['a file over 4 MB', () => `${CONFIG}# ${'x'.repeat(4.5 * 1024 * 1024)}\n`, undefined, /is 47\d+ bytes; a configuration file this large/],
    ['a 3.9 MB string value', () => CONFIG.replace("'alerts'", `'${'a'.repeat(3.9 * 1024 * 1024)}'`)],
    ['a 1 MB key', () => `${CONFIG}  ${'k'.repeat(1024 * 1024)}: 1\n`],
    ['duplicate keys', () => CONFIG.replace('  retries: 3\n', '  retries: 3\n  retries: 4\n'), undefined, /line 6, column 3: is not valid YAML: this key appears twice in its section; keep one/],
    // One tab made 5-6 problems, on correct lines too, each with the Windows-path hint (found in review).
    ['a tab in the indentation', () => CONFIG.replace('  retries: 3\n', '\tretries: 3\n'), undefined, /has 1 problem:\n.*line 5, column 1: is not valid YAML: a tab indents this line; indent with spaces only$/],
    ['a quote inside single quotes', () => CONFIG.replace('storage:\n', "storage:\n  processFolderFullPath: 'it's'\n"), undefined, /A ' inside single quotes is written twice \('it''s'\)/],
    ['duplicate sections', () => `${CONFIG}common:\n  retries: 1\n`],
    ['an empty file', () => ''],
    ['only a comment', () => '# nothing here\n'],
    ['only common', () => 'common:\n  retries: 3\n'],
    ['a list at the top', () => '- common\n- storage\n'],
    ['a scalar at the top', () => 'just text'],
    ['NUL bytes', () => Buffer.concat([Buffer.from(CONFIG), Buffer.from([0, 0, 1, 2, 0])]), undefined, /contains binary data/],
    ['invalid UTF-8', () => Buffer.concat([Buffer.from(CONFIG.replace("'alerts'", "'")), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x27, 0x0a])])],
    ['UTF-16 with BOM', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CONFIG, 'utf16le')])],
    ['deeply nested flow lists', () => `common: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, undefined, /has 1 problem:\n.*line 1, column \d+: is nested too deeply/],
    ['deeply nested flow maps', () => `common: ${'{a: '.repeat(50_000)}1${'}'.repeat(50_000)}\n`, undefined, /has 1 problem:\n.*line 1, column \d+: is nested too deeply/],
    ...[300, 1_000, 2_000].map((depth): [string, () => string] => [`block maps nested ${depth} deep`, () => Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')]),
    ...[300, 1_400].map((depth): [string, () => string] => [`block lists nested ${depth} deep`, () => Array.from({ length: depth }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n')]),
    ...[500, 900, 3_000, 10_000].map((depth): [string, () => string] => [`flow lists nested ${depth} deep`, () => `common: ${'['.repeat(depth)}${']'.repeat(depth)}\n`]),
    ['!!js/function', () => CONFIG.replace("'smtp.contoso.com'", '!!js/function "function () { process.exit(9) }"')],
    ['!!js/undefined and !!python/object', () => CONFIG.replace('retries: 3', 'retries: !!js/undefined ~').replace("'alerts'", '!!python/object/apply:os.system ["echo pwned"]')],
    ['!!binary, !!set, !!omap, !!timestamp', () => CONFIG.replace("'P@ssw0rd'", '!!binary UEBzc3cwcmQ=').replace("'alerts'", '!!set {a, b}').replace("'admin@contoso.com'", '!!omap [a: 1]').replace("'The mailbox copy has been triggered. The log is attached. Do not reply.'", '!!timestamp 2001-12-14')],
    ['an unknown local tag', () => CONFIG.replace("'items'", '!shell rm -rf /')],
    ['a verbatim tag', () => CONFIG.replace("'items'", '!<tag:example.com,2024:evil> items')],
    ['merge keys', () => `base: &b\n  retries: 3\n${CONFIG.replace('common:\n', 'common:\n  <<: *b\n')}`],
    ['two documents', () => `${CONFIG}---\ncommon: {}\n`],
    ['directives', () => `%YAML 1.1\n%TAG ! tag:evil.com,2000:\n---\n${CONFIG}`],
    ['__proto__ keys', () => CONFIG.replace('common:\n', 'common:\n  __proto__: {polluted: yes}\n  constructor: {prototype: {polluted: yes}}\n'), '__proto__:\n  polluted: yes\nconstructor:\n  password: x\n'],
    ['a mailbox list that is a folder', () => CONFIG.replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: '.'")],
    ['a mailbox list that is a device', () => CONFIG.replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: '/dev/zero'")],
    ['a mailbox list outside', () => CONFIG.replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: '../../../../../../etc/passwd'")],
    ['a mailbox list that is a list', () => CONFIG.replace("mailboxList: 'mailboxes_to_backup.yml'", 'mailboxList: [a, b]'), undefined, /common.mailboxList: expected a text value, found a list/],
    ['a mailbox that is a list', () => CONFIG, 'office@contoso.com: [1, 2]\n'],
    ['a mailbox key that is not text', () => CONFIG, '? [a, b]\n: {password: x}\n123: {password: x}\n'],
    ['an empty mailbox list', () => CONFIG, ''],
    ['tabs for indentation', () => CONFIG.replace(/\n {2}/g, '\n\t')],
    ['CR only line ends', () => CONFIG.replace(/\n/g, '\r')],
    ['an unterminated quote', () => CONFIG.replace("'alerts'", "'alerts")],
  ];

  it.each(hostile)('%s', (_name, config, mailboxes, says) => {
    // Library warnings would reach an admin's console as Node "(node:123) Warning" lines.
    const warned = vi.spyOn(process, 'emitWarning');
    const result = load(config(), mailboxes ?? MAILBOXES);
    expect(warned).not.toHaveBeenCalled();
    if (says) expect(result).toMatch(says);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(result).not.toMatch(/\n\s+at /);
  });

  it(`300 random mutations of valid files (seed ${SEED}; rerun with FUZZ_SEED=${SEED})`, () => {
    const random = prng(SEED);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const tokens = [...WRONG_VALUES, ':', '- ', '? ', '&x ', '*x', '!!str', '|', '>', '"', "'", '#', '{', '}', '[', ']', ',', '\t', '\0', '\r', '%', '@', '`', '\\', '---', '...', '<<: *x'];
    const outcomes = { ok: 0, configError: 0 };
    for (let c = 0; c < 300; c++) {
      const target = random() < 0.7 ? 'config' : 'mailboxes';
      let text = target === 'config' ? CONFIG : MAILBOXES;
      for (let ops = 1 + Math.floor(random() * 4); ops > 0; ops--) {
        const lines = text.split('\n');
        const at = Math.floor(random() * lines.length);
        const pos = Math.floor(random() * (text.length + 1));
        switch (Math.floor(random() * 7)) {
          case 0: lines.splice(at, 1); text = lines.join('\n'); break;
          case 1: lines.splice(at, 0, lines[at] ?? ''); text = lines.join('\n'); break;
          case 2: text = text.slice(0, pos) + pick(tokens) + text.slice(pos); break;
          case 3: text = text.slice(0, pos); break;
          case 4: text = text.slice(0, pos) + String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 256))) + text.slice(pos); break;
          case 5: lines[at] = ` ${lines[at] ?? ''}`; text = lines.join('\n'); break;
          default: { const m = /^(\s*[A-Za-z_@.]+:)/.exec(lines[at] ?? ''); if (m) lines[at] = `${m[1]} ${pick(WRONG_VALUES)}`; text = lines.join('\n'); }
        }
      }
      // Random bytes, not only text: written as latin1 so every byte value occurs.
      const bytes = Buffer.from(text, 'latin1');
      let result: string;
      try {
        result = target === 'config' ? load(bytes) : load(CONFIG, bytes);
      } catch (err) {
        throw new Error(`case ${c} (seed ${SEED}): ${String(err)}\n--- ${target} ---\n${text}`);
      }
      if (result === 'ok') outcomes.ok++;
      else outcomes.configError++;
    }
    console.log(`config fuzz: 300 random cases, ${outcomes.configError} ConfigError, ${outcomes.ok} valid`);
    expect(outcomes.configError).toBeGreaterThan(100);
  });

  it('300 random byte strings', () => {
    const random = prng(SEED + 1);
    for (let c = 0; c < 300; c++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256)));
      try {
        load(c % 2 ? bytes : CONFIG, c % 2 ? MAILBOXES : bytes);
      } catch (err) {
        throw new Error(`case ${c} (seed ${SEED + 1}): ${String(err)}`);
      }
    }
  });
});
