import fs from 'node:fs';
import path from 'node:path';
import { createConsola, type ConsolaInstance, type ConsolaOptions, type LogObject } from 'consola/basic';
import { redactSecrets } from '../core/redact.js';
import { runtimeSecrets } from '../core/secret-registry.js';

export type Level = 'info' | 'success' | 'warn' | 'error' | 'debug';

/**
 * Console and log file through one door, so every line is redacted the same way: a password that
 * reaches a message (an echoed server reply, a URL) becomes *** before consola or the file sees it.
 */
export class Logger {
  private consola: ConsolaInstance;
  private readonly secrets = new Set<string>();
  private fd: number | undefined;
  filePath: string | undefined;

  /** Plain `[info] …` lines, as on a pipe or in a scheduled task; see create() for a terminal. */
  constructor(readonly verbose: boolean) {
    this.consola = createConsola(this.options(false));
  }

  /**
   * On a terminal, consola's fancy reporter (colours, icons). Only loaded there: it sets up ICU's
   * text segmentation at load, 10 ms of every scheduled run that writes to a pipe or a file.
   */
  static async create(verbose: boolean): Promise<Logger> {
    const log = new Logger(verbose);
    if (process.stdout.isTTY === true) {
      const fancy = await import('consola');
      log.consola = fancy.createConsola(log.options(true));
    }
    return log;
  }

  private options(tty: boolean): Partial<ConsolaOptions> & { fancy: boolean } {
    return {
      level: this.verbose ? 4 : 3,
      fancy: tty,
      formatOptions: { colors: tty, date: true, compact: !tty },
      // The same warning for many messages is information, not noise to collapse.
      throttle: 0,
    };
  }

  addSecrets(values: Iterable<string>): void {
    for (const v of values) if (v) this.secrets.add(v);
  }

  redact(text: string): string {
    return redactSecrets(text, [...this.secrets, ...runtimeSecrets()]);
  }

  /** Opens `mailbackup-YYYY-MM-DD_HHMMSS.log`, readable only by its owner; never reuses a name. */
  openFile(folder: string, now = new Date()): string {
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const base = `mailbackup-${stamp(now)}`;
    for (let n = 1; ; n++) {
      const candidate = path.join(folder, n === 1 ? `${base}.log` : `${base}-${n}.log`);
      try {
        this.fd = fs.openSync(candidate, 'wx', 0o600);
        this.filePath = candidate;
        this.consola.addReporter({ log: (o: LogObject) => this.toFile(o) });
        return candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  log(level: Level, message: string): void {
    this.consola[level](this.redact(message));
  }
  info(m: string): void { this.log('info', m); }
  success(m: string): void { this.log('success', m); }
  warn(m: string): void { this.log('warn', m); }
  error(m: string): void { this.log('error', m); }
  /** Without --verbose nothing is built for a debug line: one per saved message adds up. */
  debug(m: string | (() => string)): void {
    if (this.verbose) this.log('debug', typeof m === 'string' ? m : m());
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  // Synchronous writes: the lines survive a process.exit straight after.
  private toFile(o: LogObject): void {
    if (this.fd === undefined) return;
    const text = o.args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : String(a))).join(' ');
    const line = `${isoLocal(o.date)} [${o.type}] ${this.redact(text)}\n`;
    fs.writeSync(this.fd, line);
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function stamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

function isoLocal(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
