import { mailboxFailed, runStatus, totals, type RunReport } from './report.js';

/**
 * `1,234,567`, as `toLocaleString('en-US')` writes it for counts, without its first-call cost: ICU's
 * number formatting takes 5-30 ms to set up, a noticeable part of a run with little to download.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+$)/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

const num = formatCount;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export interface SummaryRow {
  label: string;
  newCount: string;
  present: string;
  failed: string;
  bytes: string;
  seconds: string;
  note: string;
}

/** One row per mailbox and folder; shared by the console summary and the notification e-mail. */
export function summaryRows(report: RunReport): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const m of report.mailboxes) {
    rows.push({ label: m.mailbox, newCount: '', present: '', failed: '', bytes: '', seconds: m.seconds.toFixed(1), note: m.error ? `FAILED: ${m.error}` : m.interrupted ? 'interrupted' : '' });
    for (const f of m.folders) {
      const notes = [
        f.error ? `FAILED: ${f.error}` : '',
        f.wouldDownload !== undefined ? `would download ${num(f.wouldDownload)}` : '',
        f.duplicates ? `${num(f.duplicates)} stored twice on the server (same Message-ID and size), saved once` : '',
        f.vanished ? `${num(f.vanished)} deleted on server meanwhile` : '',
      ].filter(Boolean);
      rows.push({
        label: `  ${f.folder}`,
        newCount: num(f.newCount),
        present: num(f.present),
        failed: num(f.failed + (f.error ? 1 : 0)),
        bytes: formatBytes(f.bytes),
        seconds: f.seconds.toFixed(1),
        note: notes.join('; '),
      });
    }
  }
  return rows;
}

export function summaryHeadline(report: RunReport): string {
  const status = runStatus(report);
  const t = totals(report);
  const n = report.mailboxes.length;
  // The same test as the status's, so a [PARTIAL] always says why.
  const failed = report.mailboxes.filter(mailboxFailed).length;
  const what = report.dryRun ? 'dry run' : `${num(t.newCount)} new (${formatBytes(t.bytes)})`;
  const tail = report.interrupted ? ', interrupted' : failed > 0 ? `, ${failed} of ${n} with failures` : '';
  const archiveTail = report.archive?.error ? ', archive FAILED' : (report.archive?.warnings?.length ?? 0) > 0 ? ', archive warnings (see above)' : '';
  return `[${status}] ${n} mailbox${n === 1 ? '' : 'es'}, ${what}, ${num(t.present)} already present${tail}${archiveTail}`;
}

/** The archive, cleaning and rolling lines under the table; empty when the stage did not run. */
export function archiveLines(report: RunReport): string[] {
  const a = report.archive;
  if (!a) return [];
  const lines: string[] = [];
  if (a.path) lines.push(`Archive: ${a.path}, ${num(a.entries)} entries, ${formatBytes(a.bytes)} in ${formatBytes(a.archiveBytes)}, ${a.verified ? 'verified' : 'NOT verified'}`);
  if (a.error) lines.push(`Archive: FAILED: ${a.error}`);
  if (a.skipped) lines.push(`Archive: none, ${a.skipped}`);
  if (a.cleanedFiles !== undefined) lines.push(`Cleaned: ${num(a.cleanedFiles)} files removed from the process folder`);
  const r = a.rolling;
  if (r?.skipped) lines.push(`Rolling (${r.method}): skipped, ${r.skipped}`);
  else if (r) {
    const verb = report.dryRun ? 'would delete' : 'deleted';
    lines.push(`Rolling (${r.method}): ${verb} ${r.removed.length ? r.removed.join(', ') : 'nothing'}; ${num(r.kept.length)} kept`);
  }
  const warnings = a.warnings ?? [];
  for (const w of warnings.slice(0, 10)) lines.push(`Warning: ${w}`);
  if (warnings.length > 10) lines.push(`Warning: … and ${num(warnings.length - 10)} more (see the log)`);
  return lines;
}

export function summaryTable(report: RunReport): string {
  const header: SummaryRow = { label: 'Mailbox / folder', newCount: 'new', present: 'present', failed: 'failed', bytes: 'bytes', seconds: 'seconds', note: '' };
  const rows = [header, ...summaryRows(report)];
  const width = (k: keyof SummaryRow) => Math.max(...rows.map((r) => r[k].length));
  const w = { label: width('label'), newCount: width('newCount'), present: width('present'), failed: width('failed'), bytes: width('bytes'), seconds: width('seconds') };
  return rows
    .map((r) => [
      r.label.padEnd(w.label), r.newCount.padStart(w.newCount), r.present.padStart(w.present),
      r.failed.padStart(w.failed), r.bytes.padStart(w.bytes), r.seconds.padStart(w.seconds), r.note,
    ].join('  ').trimEnd())
    .concat(archiveLines(report))
    .join('\n');
}
