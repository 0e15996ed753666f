import { AppError } from '../core/errors.js';
import { runStatus, type RunReport } from '../core/report.js';

/** The one place that decides the process exit code; documented in README "Exit codes". */
export const EXIT = {
  ok: 0,
  partial: 1,
  config: 2,
  locked: 3,
  notification: 4,
  interrupted: 130,
} as const;

export function exitCodeForReport(report: RunReport): number {
  if (report.interrupted) return EXIT.interrupted;
  return runStatus(report) === 'OK' ? EXIT.ok : EXIT.partial;
}

/** A backup that was OK but whose report could not be mailed exits 4; a worse outcome keeps its own code. */
export function exitCodeWithNotification(code: number, notificationFailed: boolean): number {
  return notificationFailed && code === EXIT.ok ? EXIT.notification : code;
}

export function exitCodeForError(err: unknown): number {
  return err instanceof AppError ? err.exitCode : EXIT.partial;
}

const reported = new WeakSet<object>();

/** A command that already logged an error marks it, so the entry point does not print it twice. */
export function markReported(err: unknown): void {
  if (typeof err === 'object' && err !== null) reported.add(err);
}

export function wasReported(err: unknown): boolean {
  return typeof err === 'object' && err !== null && reported.has(err);
}
