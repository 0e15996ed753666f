import type { ConfigIssue } from './errors.js';
import { shownCommand } from './init-command.js';

/**
 * Reads typed values out of `unknown` YAML, collecting every problem instead of stopping at the
 * first: an admin fixing a file wants the whole list at once.
 */
export class FieldReader {
  /** `program`: the tool as the admin types it (programName), for the init a missing section needs. */
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
    readonly program = 'imap-backup-tool',
  ) {}

  fail(key: string, message: string): void {
    this.issues.push({ file: this.file, key, message });
  }

  section(root: unknown, key: string, required: boolean): Record<string, unknown> {
    const value = isRecord(root) ? root[key] : undefined;
    if (value === undefined || value === null) {
      if (required) this.fail(key, `section is missing; copy it from a commented sample (${shownCommand(`${this.program} init --dir sample`)} writes one into the folder sample)`);
      return {};
    }
    if (!isRecord(value)) {
      this.fail(key, `expected a section of keys, found ${describe(value)}`);
      return {};
    }
    return value;
  }

  string(obj: Record<string, unknown>, key: string, path: string, fallback?: string): string {
    const value = obj[key];
    if (value === undefined || value === null || value === '') {
      if (fallback !== undefined) return fallback;
      this.fail(path, `${value === undefined ? 'is missing' : 'is empty'}; expected a text value`);
      return '';
    }
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') {
      this.fail(path, `expected a text value, found ${describe(value)}`);
      return fallback ?? '';
    }
    return value.trim();
  }

  /**
   * A file or folder path. In double quotes YAML reads `\t`, `\n`, `\b`… as control characters,
   * so `"c:\backup\temp"` would name another folder without a word: refused with the fix.
   */
  path(obj: Record<string, unknown>, key: string, path: string, fallback?: string): string {
    const value = this.string(obj, key, path, fallback);
    if (/[\u0000-\u001f\u007f]/.test(value)) {
      this.fail(path, `contains a control character (a tab, a line break or a backspace), most likely from \\t, \\n or \\b between double quotes: put Windows paths in single quotes, e.g. 'c:\\backup\\temp'`);
      return fallback ?? '';
    }
    return value;
  }

  bool(obj: Record<string, unknown>, key: string, path: string, fallback: boolean): boolean {
    const value = obj[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    // Older files sometimes quote their booleans: 'True', 'false', 'yes'.
    if (typeof value === 'string') {
      const v = value.trim().toLowerCase();
      if (['true', 'yes', 'on', '1'].includes(v)) return true;
      if (['false', 'no', 'off', '0'].includes(v)) return false;
    }
    this.fail(path, `expected True or False, found ${describe(value)}`);
    return fallback;
  }

  int(obj: Record<string, unknown>, key: string, path: string, fallback: number | undefined, min: number, max: number): number {
    const value = obj[key];
    if (value === undefined || value === null || value === '') {
      if (fallback !== undefined) return fallback;
      this.fail(path, `is missing; expected a whole number from ${min} to ${max}`);
      return min;
    }
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(path, `expected a whole number from ${min} to ${max}, found ${describe(value)}`);
      return fallback ?? min;
    }
    return n;
  }

  oneOf<T extends string>(obj: Record<string, unknown>, key: string, path: string, options: readonly T[], fallback: T): T {
    const value = obj[key];
    if (value === undefined || value === null || value === '') return fallback;
    const match = typeof value === 'string' ? options.find((o) => o.toLowerCase() === value.trim().toLowerCase()) : undefined;
    if (!match) this.fail(path, `expected one of ${options.map((o) => `'${o}'`).join(', ')}, found ${describe(value)}`);
    return match ?? fallback;
  }

  /** A list given as YAML sequence or as the original's comma-separated string. */
  list(obj: Record<string, unknown>, key: string, path: string): string[] {
    const value = obj[key];
    if (value === undefined || value === null) return [];
    const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
    if (!items || items.some((i) => typeof i !== 'string' && typeof i !== 'number')) {
      this.fail(path, `expected a comma-separated text or a list of texts, found ${describe(value)}`);
      return [];
    }
    return items.map((i) => String(i).trim()).filter((i) => i !== '');
  }
}

/**
 * The key is written but YAML gives it no value: nothing after the colon, `~`, `null` (any letter
 * case) or `''`. Not missing: the admin wrote it, and needs to hear why it reads as empty.
 */
export const isEmptyValue = (obj: Record<string, unknown>, key: string): boolean => Object.hasOwn(obj, key) && (obj[key] === null || obj[key] === '');

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section of keys';
  const text = String(value);
  return `${typeof value} '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`;
}
