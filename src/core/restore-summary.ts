import type { MailboxReport } from './report.js';
import { formatBytes, formatCount as num } from './summary.js';

/** One row per folder: where it came from, where it went, and what happened. */
export function restoreTable(report: MailboxReport, dryRun: boolean): string {
  const head = ['Folder (backup → server)', dryRun ? 'to upload' : 'uploaded', 'present', 'failed', 'bytes', 'seconds', ''];
  const rows = report.folders.map((f) => [
    f.local === f.folder ? f.folder : `${f.local} → ${f.folder}`,
    num(dryRun ? (f.wouldDownload ?? 0) : f.newCount),
    num(f.present),
    num(f.failed + (f.error ? 1 : 0)),
    formatBytes(f.bytes),
    f.seconds.toFixed(1),
    f.error ? `FAILED: ${f.error}` : '',
  ]);
  const all = [head, ...rows];
  const width = (i: number) => Math.max(...all.map((r) => (r[i] ?? '').length));
  return all.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(width(0)) : i < 6 ? cell.padStart(width(i)) : cell)).join('  ').trimEnd()).join('\n');
}

export function restoreHeadline(report: MailboxReport, status: string, dryRun: boolean): string {
  const f = report.folders;
  const sum = (pick: (x: (typeof f)[number]) => number) => f.reduce((n, x) => n + pick(x), 0);
  const failed = f.filter((x) => x.error !== undefined || x.failed > 0).length;
  const what = dryRun ? `${num(sum((x) => x.wouldDownload ?? 0))} would be uploaded` : `${num(sum((x) => x.newCount))} uploaded (${formatBytes(sum((x) => x.bytes))})`;
  const tail = report.error ? `, FAILED: ${report.error}` : report.interrupted ? ', interrupted' : failed > 0 ? `, ${failed} of ${f.length} folders with failures` : '';
  return `[${status}] restore to ${report.mailbox}: ${f.length} folder${f.length === 1 ? '' : 's'}, ${what}, ${num(sum((x) => x.present))} already there${tail}`;
}
