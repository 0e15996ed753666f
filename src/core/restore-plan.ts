/**
 * Pure decisions of a restore: which local folders, into which server folder, and which messages
 * the target already holds (by the same identity rule as the backup, so a rerun uploads nothing).
 */
import { findFolder, fold, type ServerFolder } from './folders.js';
import { emlFileName, legacySegment1, segment1, segment1Of, type MessageHeaders } from './naming.js';
import { segment3Ms, segment3OfName } from './restore-names.js';

interface Held {
  name: string;
  size: number;
  used: boolean;
}

/**
 * The messages of a target folder. A file is there when a message has its segment1 and either its
 * name or its size (README "What counts as already backed up"). Each message accounts for one
 * file only, so two files that share a Message-ID and size (`x.eml`, `x__2.eml`) need two messages.
 */
export class TargetIndex {
  private readonly bySegment = new Map<string, Held[]>();
  private readonly byLegacy = new Map<string, Held[]>();

  add(meta: MessageHeaders): void {
    const held: Held = { name: emlFileName(meta), size: meta.size, used: false };
    push(this.bySegment, segment1(meta), held);
    // Files of the original tool are named by its hash of part of the Message-ID.
    const legacy = legacySegment1(meta.messageId);
    if (legacy !== undefined) push(this.byLegacy, legacy, held);
  }

  /** True (and the message is taken) when the target holds this file's message. */
  take(fileName: string, size: number): boolean {
    const seg = segment1Of(fileName);
    if (seg === undefined) return false;
    const ours = this.bySegment.get(seg) ?? [];
    const held = ours.find((h) => !h.used && h.name === fileName)
      ?? ours.find((h) => !h.used && h.size === size)
      ?? this.byLegacy.get(seg)?.find((h) => !h.used && h.size === size);
    if (held) held.used = true;
    return held !== undefined;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}


/**
 * `--folder` values: a folder as the server named it (`Archive/2023`, `/` between levels) or as
 * its local folder is named; `X/*` takes X and everything below it. Letter case does not matter.
 */
export function folderSelected(imapName: string, localPath: string, filters: readonly string[], exact = false): boolean {
  if (filters.length === 0) return true;
  const norm = exact ? (s: string) => s.normalize('NFC') : fold;
  const names = [norm(imapName), norm(localPath)];
  return filters.some((f) => {
    const subtree = f.endsWith('/*');
    const want = norm(subtree ? f.slice(0, -2) : f);
    return names.some((n) => n === want || (subtree && n.startsWith(`${want}/`)));
  });
}

export interface TargetChoice {
  path: string;
  /** Already a selectable folder on the server; otherwise it is created. */
  exists: boolean;
}

/**
 * Without --into: the folder of that name (any letter case, like the backup's folder lookup),
 * else the folder flagged with the special use the name stands for (a local `SENT` goes to
 * `Sent Items` or `[Gmail]/Sent Mail`), else a new folder of that name. With --into: below the
 * prefix, by name only, so a restore never mixes into the live folders.
 */
export function targetFolder(imapName: string, into: string | undefined, delimiter: string, listed: readonly ServerFolder[], exactOnly = false): TargetChoice {
  const usable = listed.filter((f) => !f.flags.has('\\Noselect') && !f.flags.has('\\NonExistent'));
  if (into !== undefined && into !== '') {
    const prefix = into.endsWith(delimiter) ? into.slice(0, -delimiter.length) : into;
    const path = `${prefix}${delimiter}${imapName}`;
    return { path, exists: usable.some((f) => f.path === path) };
  }
  const found = exactOnly ? usable.find((f) => f.path.normalize('NFC') === imapName.normalize('NFC')) : findFolder(imapName, usable);
  return found ? { path: found.path, exists: true } : { path: imapName, exists: false };
}

/** Upload order: oldest first by the name's date, and `x.eml` before `x__2.eml` before `x__3.eml`. */
export function uploadOrder(a: string, b: string): number {
  const da = segment3Ms(segment3OfName(a) ?? '') ?? 0;
  const db = segment3Ms(segment3OfName(b) ?? '') ?? 0;
  if (da !== db) return da - db;
  const [ba, na] = splitSuffix(a);
  const [bb, nb] = splitSuffix(b);
  return ba < bb ? -1 : ba > bb ? 1 : na - nb;
}

function splitSuffix(name: string): [string, number] {
  // A plain name ends in its date (`-183517.eml`), never in `__N.eml`.
  const m = /^(.*)__(\d+)\.eml$/i.exec(name);
  return m ? [`${m[1]}.eml`, Number(m[2])] : [name, 1];
}
