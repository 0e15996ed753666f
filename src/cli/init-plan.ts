import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { shownCommand } from '../core/init-command.js';
import { listHolds } from './init-advice.js';
import { DEFAULT_MAILBOX_LIST, configuredListName, insideFolder, misspeltListKey } from '../core/mailbox-list-name.js';
import { SAMPLES } from './samples.js';

export interface InitTarget {
  file: string;
  text: string;
  /** What the admin edits in it, for the next steps. */
  holds: string;
}

export interface InitPlan {
  targets: InitTarget[];
  /** Why the list has the name it has, when that is not plain. */
  notes: string[];
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The configuration at `configPath` and its mailbox list, under the name the run will look for:
 * an existing configuration's `common.mailboxList` (see loadConfig), kept inside its folder.
 * `check`: the check of this configuration as the admin types it, for a file that cannot be read;
 * `platform`: the system whose way of keeping the passwords private the advice gives.
 */
export function initPlan(configPath: string, check: string, platform: NodeJS.Platform): InitPlan {
  const dir = path.dirname(configPath);
  const config = path.basename(configPath);
  const notes: string[] = [];
  const read = readLeniently(configPath);
  const configTarget: InitTarget = { file: configPath, text: sample('configuration.yml'), holds: 'folders, the notification' };
  if (read.problem) {
    // Found in review: a guessed name sent the admin round again once the YAML was fixed.
    notes.push(`${config} ${read.problem}, so the name its common.mailboxList gives is unknown: fix ${config} first (${shownCommand(check)} says where), then run init again for the mailbox list.`);
    return { targets: [configTarget], notes };
  }
  const typo = misspeltListKey(read.main);
  if (typo) {
    notes.push(`common.${typo.key} in ${config} (${typo.value}) is not a setting: write mailboxList there, spelt so. No sample list is written while it is misspelt.`);
    return { targets: [configTarget], notes };
  }
  const named = configuredListName(read.main);
  let list = path.resolve(dir, named ?? DEFAULT_MAILBOX_LIST);
  const rel = path.relative(list, dir);
  // Where the folder lies in (or is) what the list names: `.`, `..`, a parent's path.
  if (named !== undefined && !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`)) {
    // `.` or `..`: the folder itself or one above it, never a file.
    list = path.join(dir, DEFAULT_MAILBOX_LIST);
    notes.push(`common.mailboxList in ${config} names ${named}, a folder, not a file: the sample's place is ${list}; set common.mailboxList: '${DEFAULT_MAILBOX_LIST}'.`);
  } else if (named !== undefined && !insideFolder(dir, list)) {
    // A name that leads out of the folder (../, another drive) is not followed: init writes where
    // it was asked to, and says how to connect the two.
    const base = path.basename(list);
    list = path.join(dir, base && base !== '..' ? base : DEFAULT_MAILBOX_LIST);
    notes.push(`common.mailboxList in ${config} names ${named}, outside ${dir}; init writes only into that folder, so the sample's place is ${list}: move it to ${path.resolve(dir, named)}, or set common.mailboxList: '${path.basename(list).replace(/'/g, "''")}'.`);
  } else if (named !== undefined && list !== path.join(dir, DEFAULT_MAILBOX_LIST)) {
    notes.push(`The mailbox list is named ${path.relative(dir, list)}, as common.mailboxList in ${config} says.`);
  }
  const listText = sample(DEFAULT_MAILBOX_LIST);
  const targets: InitTarget[] = [configTarget];
  // common.mailboxList may name the configuration itself: one file, kept once.
  if (list !== configPath) targets.push({ file: list, text: listText, holds: listHolds(platform) });
  return { targets, notes };
}

/** Only common.mailboxList is wanted: a file the run would refuse may still name it. */
function readLeniently(file: string): { main?: unknown; problem?: string } {
  let text: string;
  try {
    if (fs.statSync(file).size > MAX_CONFIG_BYTES) return { problem: 'is too large to be a configuration' };
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Missing: the sample is written, and it names the default list.
    return code === 'ENOENT' ? {} : { problem: `cannot be read (${code ?? String(err)})` };
  }
  try {
    const doc = YAML.parseDocument(text.replace(/^\uFEFF/, ''), { uniqueKeys: false, prettyErrors: false, logLevel: 'silent' });
    const main = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (configuredListName(main) === undefined && doc.errors.length > 0) return { problem: 'is not valid YAML' };
    return { main };
  } catch {
    return { problem: 'is not valid YAML' };
  }
}

function sample(name: string): string {
  const found = SAMPLES.find(([n]) => n === name);
  if (!found) throw new Error(`no embedded sample ${name}`);
  return found[1];
}
