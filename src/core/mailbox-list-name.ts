import path from 'node:path';

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

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
