import path from 'node:path';
import { close } from './config-keys.js';
import { isRecord } from './config-reader.js';

export const DEFAULT_MAILBOX_LIST = 'mailboxes_to_backup.yml';

/** `common.mailboxList` as written, or undefined when the default applies: one rule for run and init. */
export function configuredListName(main: unknown): string | undefined {
  const common = isRecord(main) ? main['common'] : undefined;
  const value = isRecord(common) ? common['mailboxList'] : undefined;
  // A number is a name too, as the configuration's reader takes it (`mailboxList: 2024`).
  const text = typeof value === 'number' ? String(value) : value;
  return typeof text === 'string' && text.trim() ? text.trim() : undefined;
}

/** Relative names resolve from the configuration's own folder, never from the working directory. */
export function mailboxListPath(configPath: string, main: unknown): string {
  return path.resolve(path.dirname(configPath), configuredListName(main) ?? DEFAULT_MAILBOX_LIST);
}

/** Whether `file` lies in `dir` or below it (`..` and absolute names elsewhere do not). */
export function insideFolder(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`);
}

/**
 * A key of `common` that is most likely `mailboxList` misspelt (`mailboxLst: office.yml`), and the
 * name it gives: the run then looks for the default list, and init would write a sample of it.
 */
export function misspeltListKey(main: unknown): { key: string; value: string } | undefined {
  const common = isRecord(main) ? main['common'] : undefined;
  if (!isRecord(common) || configuredListName(main) !== undefined) return undefined;
  for (const [key, value] of Object.entries(common)) {
    if (key === 'mailboxList' || (typeof value !== 'string' && typeof value !== 'number')) continue;
    // The rule the unknown-key warning uses, so both name the same key.
    if (key.toLowerCase() === 'mailboxlist' || close('mailboxlist', key.toLowerCase())) return { key, value: String(value) };
  }
  return undefined;
}

