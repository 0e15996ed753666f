import fs from 'node:fs';
import path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { buildConfig } from '../core/config.js';
import type { AppConfig } from '../core/config-types.js';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { initCommand, programName, shownCommand } from '../core/init-command.js';
import { configuredListName, insideFolder, mailboxListPath as listPathOf, misspeltListKey } from '../core/mailbox-list-name.js';

const CONFIG_NAME = 'configuration.yml';
const MAX_YAML_BYTES = 4 * 1024 * 1024;

/**
 * `--config`, else beside the executable (a single-file binary dropped next to its configuration,
 * started by Task Scheduler from C:\Windows\System32), else the working directory.
 */
export function locateConfig(explicit: string | undefined, binaryDir: string | undefined, cwd = process.cwd()): string {
  const program = programName(binaryDir);
  if (explicit) {
    const p = path.resolve(cwd, explicit);
    if (!fs.existsSync(p)) throw new ConfigError([{ file: p, key: '', message: linkedAway(p) ?? configMissing(initCommand(program, p)) }]);
    return p;
  }
  // The executable's folder is often the working directory too: named once.
  const tried = [...new Set([binaryDir, cwd].filter((d): d is string => !!d).map((d) => path.join(d, CONFIG_NAME)))];
  const found = tried.find((p) => fs.existsSync(p));
  if (found) return found;
  for (const p of tried) {
    const away = linkedAway(p);
    if (away) throw new ConfigError([{ file: p, key: '', message: away }]);
  }
  throw new ConfigError([{
    file: tried.join(' and '),
    key: '',
    message: `no configuration.yml found; run ${shownCommand(initCommand(program))} to write a commented sample, or pass --config <file>`,
  }]);
}

/**
 * `init`: how the messages say to write a missing file (the caller knows whether plain `init` finds
 * this configuration); `program`: the tool as the admin types it, for the other commands they name.
 */
export function loadConfig(configPath: string, env = process.env, init = initCommand('imap-backup-tool', configPath), program = 'imap-backup-tool'): AppConfig {
  const main = readYaml(configPath, configMissing(init));
  const mailboxListPath = listPathOf(configPath, main);
  let mailboxes: unknown;
  let mailboxListIssues: ConfigIssue[] | undefined;
  try {
    mailboxes = readYaml(mailboxListPath, listMissing(configPath, main, mailboxListPath, init));
  } catch (err) {
    // Reported with the main file's problems, so that what can be used of it still is (ConfigSalvage).
    if (!(err instanceof ConfigError)) throw err;
    mailboxListIssues = err.issues;
  }
  return buildConfig({ main, mailboxListPath, mailboxes, ...(mailboxListIssues ? { mailboxListIssues } : {}) }, {
    configPath,
    env,
    program,
    readTextFile: (p) => {
      try {
        return decodeText(fs.readFileSync(p));
      } catch {
        return undefined;
      }
    },
  });
}

/** The admin of the original tool may have its configuration but not its list; `init` writes just what is missing. */
function listMissing(configPath: string, main: unknown, listPath: string, init: string): string {
  const config = path.basename(configPath);
  const dir = path.dirname(configPath);
  const typo = misspeltListKey(main);
  // Found in review: `mailboxLst: office.yml` sent the admin to init, which wrote a sample list.
  if (typo) return `does not exist, and common.${typo.key} in ${config} (${typo.value}) is not a setting: write mailboxList there, spelt so`;
  const fix = `${configuredListName(main) === undefined ? 'set' : 'fix'} common.mailboxList in ${config}`;
  // init writes only into the configuration's folder: a list named elsewhere it cannot provide.
  if (!insideFolder(dir, listPath)) {
    return `does not exist; create it, or ${fix} to name a list in its folder (${shownCommand(init)} writes a commented sample beside ${config}; existing files are kept)`;
  }
  const where = path.dirname(listPath) === dir ? `beside ${config}` : 'there';
  return `does not exist; run ${shownCommand(init)} to write a commented sample of it ${where} (existing files are kept), or ${fix}`;
}

function configMissing(init: string): string {
  return `does not exist; check the --config path, or run ${shownCommand(init)} to write a commented sample there (with its mailbox list beside it)`;
}

/**
 * A text file as the admin's editor saved it: UTF-8, with or without a byte-order mark, or UTF-16
 * with one. Windows PowerShell 5.1 writes UTF-16 with `>`, `Out-File` and `Set-Content -Encoding
 * Unicode`: a password file made with `'S3cret' > pw.txt` was read as `S\0 3\0 …`, and the login
 * failed with nothing but "authentication failed". Exported for its test.
 */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  // A copy, swapped to little-endian; an odd last byte is no character in either order.
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2))).swap16().toString('utf16le');
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

function readYaml(file: string, missing: string): unknown {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw fail(file, 'is not a file');
    if (stat.size > MAX_YAML_BYTES) throw fail(file, `is ${stat.size} bytes; a configuration file this large is surely not one`);
    text = decodeText(fs.readFileSync(file));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(file, code === 'ENOENT' ? (linkedAway(file) ?? missing) : `cannot be read (${code ?? String(err)})`);
  }
  if (text.includes('\0')) throw fail(file, 'contains binary data (NUL bytes); it is not a YAML text file');
  const lines = new LineCounter();
  // logLevel 'error': the library's warnings (a list used as a key…) would reach stderr as Node warnings.
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines, logLevel: 'error' });
  // One mistake (a tab above all) trips the parser many times over, on correct lines too: the first
  // error is the one to fix, and the others may vanish with it.
  const first = doc.errors[0];
  if (first) {
    const at = lines.linePos(first.pos[0]);
    const end = text.indexOf('\n', first.pos[1]);
    const source = text.slice(lines.lineStarts[at.line - 1] ?? 0, end < 0 ? undefined : end);
    throw new ConfigError([issue(file, `line ${at.line}, column ${at.col}`, yamlMessage(first.code, first.message, source))]);
  }
  keepTextAsWritten(doc);
  try {
    // maxAliasCount stops "billion laughs" alias bombs from exhausting memory.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // `Unresolved alias (…): name` names what follows the *, which may be a password.
    throw fail(file, `cannot be used: ${(err instanceof Error ? err.message : String(err)).replace(/^(Unresolved alias[^:]*):.*$/s, '$1')}`);
  }
}

/** Keys whose values are text however they look: secrets, user names, ids. */
const TEXT_KEYS = new Set(['password', 'user', 'clientId', 'clientSecret', 'refreshToken', 'tenantId']);

/**
 * `password: 00731234` is the number 731234 to YAML, `password: true` a boolean, `*Secret1` an
 * alias (whose error would print most of the password), `&Sec x` the text `x` and `!Secret1` an
 * empty tagged value: for these keys the value is the text as written, so a login does not fail,
 * nor a message show, a password the file has right.
 */
function keepTextAsWritten(doc: YAML.Document): void {
  // An anchor some alias uses, and an alias whose anchor exists, are YAML doing its job (one
  // password shared by several mailboxes): those resolve as YAML says.
  const anchors = new Set<string>();
  const aliases = new Set<string>();
  YAML.visit(doc, {
    Alias: (_, node) => void aliases.add(node.source),
    Node: (_, node) => void (node.anchor !== undefined && anchors.add(node.anchor)),
  });
  YAML.visit(doc, {
    Pair(_, pair) {
      const { key, value } = pair;
      if (!YAML.isScalar(key) || typeof key.value !== 'string' || !TEXT_KEYS.has(key.value)) return;
      if (YAML.isAlias(value)) {
        if (!anchors.has(value.source)) pair.value = new YAML.Scalar(`*${value.source}`);
        return;
      }
      if (!YAML.isScalar(value) || value.type !== 'PLAIN') return;
      const written = typeof value.source === 'string' ? value.source : '';
      const anchor = value.anchor !== undefined && !aliases.has(value.anchor) ? `&${value.anchor}` : '';
      const prefix = [anchor, value.tag?.startsWith('!') && !value.tag.startsWith('!!') ? value.tag : ''].filter(Boolean).join(' ');
      if (prefix !== '') value.value = written === '' ? prefix : `${prefix} ${written}`;
      else if (typeof value.value !== 'string' && value.value !== null && written !== '') value.value = written;
    },
  });
}

function yamlMessage(code: string, message: string, source: string): string {
  // The parser recurses per level; a hostile file nested thousands deep exhausts the stack.
  if (/call stack/i.test(message)) return 'is nested too deeply to be a configuration (thousands of levels of lists or sections)';
  const said = parserText(message, source);
  const first = said ? `: ${said}` : '';
  if (/^(Block scalar header|Not a YAML token)/.test(message)) return 'is not valid YAML: a value starting with > or | is read as a block of text; put it in single quotes (a \' inside them written twice)';
  if (code === 'TAB_AS_INDENT') return 'is not valid YAML: a tab indents this line; indent with spaces only';
  if (code === 'DUPLICATE_KEY') return 'is not valid YAML: this key appears twice in its section; keep one';
  if (code === 'BAD_DQ_ESCAPE') return `is not valid YAML${first || ': a \\ starts an unknown escape between double quotes'}. Windows paths belong in single quotes, e.g. 'c:\\mailbox_backup'`;
  if (code === 'UNEXPECTED_TOKEN') return `is not valid YAML${first}. A ' inside single quotes is written twice ('it''s')`;
  return `is not valid YAML${first || ` (${code})`}`;
}

/**
 * The parser's first line, unless it repeats text of the lines it is about: several messages quote
 * them (`Block scalar header includes extra characters: >S3cret`, `Unresolved tag: !S3cret`), and
 * those lines may hold a password that nothing redacts yet. Line and column say where, then.
 */
export function parserText(message: string, source: string): string | undefined {
  const line = message.split('\n')[0] ?? '';
  const words = line.split(/[\s:,]+/).map((w) => w.replace(/^["'`(]+|["'`).]+$/g, '')).filter((w) => w.length >= 3);
  return words.some((w) => source.includes(w)) ? undefined : line;
}

/** Where `file` points when it is a symbolic link to nothing (a share not mounted); else undefined. */
export function danglingTarget(file: string): string | undefined {
  try {
    return fs.lstatSync(file).isSymbolicLink() && !fs.existsSync(file) ? fs.readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Such a link is named: `init` would not replace it, so sending the admin there goes round in circles. */
function linkedAway(file: string): string | undefined {
  const target = danglingTarget(file);
  return target === undefined ? undefined : `is a symbolic link to ${target}, which does not exist; mount or restore that, or remove the link`;
}

function issue(file: string, key: string, message: string): ConfigIssue {
  return { file, key, message };
}

function fail(file: string, message: string): ConfigError {
  return new ConfigError([issue(file, '', message)]);
}
