import type { NotificationConfig } from './config-types.js';
import { ConfigError, describeError, issueText } from './errors.js';
import { shownCommand } from './init-command.js';
import { redactSecrets } from './redact.js';
import { mailboxFailed, runStatus, totals, type RunReport, type RunStatus } from './report.js';
import { archiveLines, formatBytes, formatCount as num, summaryRows, summaryTable } from './summary.js';

/** What the e-mail reports on: a finished run, a run that crashed after reading its configuration, or `notify --test`. */
export type NotificationOutcome =
  | { kind: 'report'; report: RunReport }
  | { kind: 'failure'; error: unknown; startedAt: Date }
  | { kind: 'test' };

/** How the run's log travels with the mail; decided by the mailer before the text is built. */
export interface LogInfo {
  /** The log file on the machine that ran the backup; undefined when none was written. */
  path?: string | undefined;
  attachment?: { filename: string; bytes: number; gzipped: boolean; originalBytes: number } | undefined;
  /** Why an existing log is not attached (too large even gzipped, unreadable). */
  notAttached?: string | undefined;
}

export interface NotificationContext {
  host: string;
  version: string;
  now: Date;
  log: LogInfo;
  /**
   * The command that checks the configuration, as the admin types it where the run ran (the
   * executable's full path, --config): the mail of a run that did not start says to run it.
   */
  check?: string | undefined;
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export type NotificationStatus = RunStatus | 'TEST';

const plural = (n: number, word: string, many = `${word}s`) => `${num(n)} ${n === 1 ? word : many}`;

export function notificationStatus(outcome: NotificationOutcome): NotificationStatus {
  if (outcome.kind === 'test') return 'TEST';
  return outcome.kind === 'failure' ? 'FAILED' : runStatus(outcome.report);
}

/** The part of the subject after the configured text, e.g. `[PARTIAL] 1 of 3 mailboxes failed, 1,204 new`. */
export function statusLine(outcome: NotificationOutcome): string {
  if (outcome.kind === 'test') return '[TEST] notification settings work';
  // A subject is one line; the full error is in the body.
  if (outcome.kind === 'failure') {
    const e = outcome.error;
    if (e instanceof ConfigError) return `[FAILED] not started: ${clip(oneLine(e.issues[0] ? issueText(e.issues[0], true) : e.message), 160)}${e.issues.length > 1 ? ` (+${num(e.issues.length - 1)} more)` : ''}`;
    return `[FAILED] run stopped: ${clip(oneLine(describeError(e)), 100)}`;
  }
  const r = outcome.report;
  const status = runStatus(r);
  const n = r.mailboxes.length;
  const failed = r.mailboxes.filter(mailboxFailed).length;
  const t = totals(r);
  const parts = [status === 'OK' || failed === 0 ? plural(n, 'mailbox', 'mailboxes') : `${num(failed)} of ${plural(n, 'mailbox', 'mailboxes')} failed`];
  if (r.interrupted) parts.push('interrupted');
  if (r.archive?.error) parts.push('archive failed');
  else if ((r.archive?.warnings?.length ?? 0) > 0) parts.push('archive warnings');
  parts.push(r.dryRun ? 'dry run' : `${num(t.newCount)} new`);
  const ignored = r.ignoredSettings?.length ?? 0;
  if (ignored > 0) parts.push(`${plural(ignored, 'setting')} ignored`);
  return `[${status}] ${parts.join(', ')}`;
}

export function buildNotification(outcome: NotificationOutcome, config: NotificationConfig, ctx: NotificationContext): MailContent {
  const subject = oneLine(`${config.subject} ${statusLine(outcome)}`.trim());
  const sections = bodySections(outcome, config, ctx);
  const text = [config.message, ...sections.map((s) => s.text)].filter((s) => s !== '').join('\n\n');
  const html = [
    '<!DOCTYPE html><html><body style="font-family:sans-serif;font-size:14px">',
    config.message ? `<p>${esc(config.message).replace(/\r?\n/g, '<br>')}</p>` : '',
    ...sections.map((s) => s.html),
    '</body></html>',
  ].filter(Boolean).join('\n');
  return { subject, text: `${text}\n`, html: `${html}\n` };
}

interface Section {
  text: string;
  html: string;
}

function bodySections(outcome: NotificationOutcome, config: NotificationConfig, ctx: NotificationContext): Section[] {
  const status = statusLine(outcome);
  const head: Section = { text: status, html: `<p style="font-size:16px"><b>${esc(status)}</b></p>` };
  if (outcome.kind === 'test') {
    const when = config.sendOn === 'failure' ? 'only when a run is not OK' : 'after every run';
    const text = `This is a test message from imap-backup-tool ${ctx.version} on ${ctx.host}, sent by "notify --test" at ${timestamp(ctx.now)}.\n`
      + `It went through ${config.server}:${config.port}${config.user ? ` as ${config.user}` : ' without login'}. Runs send their report to ${config.to.join(', ')} ${when}.`;
    return [head, para(text)];
  }
  if (outcome.kind === 'failure' && outcome.error instanceof ConfigError) {
    const issues = outcome.error.issues;
    const text = `The run on ${ctx.host} (imap-backup-tool ${ctx.version}, started ${timestamp(outcome.startedAt)}) did not start: its configuration has `
      + `${plural(issues.length, 'problem')}, so nothing was backed up, archived or deleted. Fix ${issues.length === 1 ? 'it' : 'them'}; ${ctx.check ? shownCommand(ctx.check) : 'the check command'} shows whether the files are right before the next run:`;
    const notWritten = 'No log file was written: the logs path is among the problems above, or its folder could not be used.';
    return [head, para(text), list(issues.map((i) => issueText(i))), ...ignoredSection(outcome.error.salvage?.warnings ?? []), para(ctx.log.path ? logText(ctx.log, ctx.host) : notWritten)];
  }
  if (outcome.kind === 'failure') {
    const text = `The run on ${ctx.host} (imap-backup-tool ${ctx.version}, started ${timestamp(outcome.startedAt)}) stopped with an error after reading its configuration, `
      + 'so the steps after that point (downloads, archive, rolling) did not run or did not finish:';
    return [head, para(text), list([describeError(outcome.error)]), para(logText(ctx.log, ctx.host))];
  }
  const r = outcome.report;
  const seconds = (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000;
  const run = `Run on ${ctx.host} with imap-backup-tool ${ctx.version}: ${timestamp(r.startedAt)} to ${timestamp(r.finishedAt)} (${duration(seconds)}).`
    + (r.dryRun ? ' Dry run: nothing was written.' : '');
  const t = totals(r);
  const sums = `${num(t.newCount)} new (${formatBytes(t.bytes)}), ${num(t.present)} already present, ${num(t.failed)} failed.`;
  const errors = errorLines(r);
  return [
    head,
    para(`${run}\n${sums}`),
    { text: summaryTable(r), html: tableHtml(r) },
    ...(errors.length > 0 ? [{ text: `Errors:\n${errors.map((e) => `- ${e}`).join('\n')}`, html: `<p><b>Errors</b></p>${list(errors).html}` }] : []),
    ...ignoredSection(r.ignoredSettings ?? []),
    para(logText(ctx.log, ctx.host)),
  ];
}

/** Every failure of the run, each phrased as what to check (the engine writes them as advice). */
export function errorLines(r: RunReport): string[] {
  const out: string[] = [];
  for (const m of r.mailboxes) {
    if (m.error) out.push(`${m.mailbox}: ${m.error}`);
    for (const f of m.folders) {
      if (f.error) out.push(`${m.mailbox} / ${f.folder}: ${f.error}`);
      else if (f.failed > 0) out.push(`${m.mailbox} / ${f.folder}: ${plural(f.failed, 'message')} could not be saved; the log names them`);
    }
  }
  if (r.interrupted) out.push('The run was interrupted (Ctrl+C, or the scheduled task was stopped) before it finished; the next run continues where it stopped.');
  return out;
}

/** A misspelt key leaves its setting at the default (`rolingMethod`: nothing rotated) without failing the run. */
function ignoredSection(lines: string[]): Section[] {
  if (lines.length === 0) return [];
  const intro = 'Settings ignored (not settings of the tool, so their default is in force; most likely a typo):';
  return [{ text: `${intro}\n${lines.map((l) => `- ${l}`).join('\n')}`, html: `<p><b>${esc(intro)}</b></p>${list(lines).html}` }];
}

function logText(log: LogInfo, host: string): string {
  if (!log.path) return 'No log file was written for this run (the logs folder could not be used); the error above is all there is.';
  const where = `It is on ${host} at ${log.path}.`;
  const a = log.attachment;
  if (!a) return `The log is not attached${log.notAttached ? `: ${log.notAttached}` : ''}. ${where}`;
  if (a.gzipped) return `The log is attached gzipped as ${a.filename} (${formatBytes(a.bytes)}; ${formatBytes(a.originalBytes)} unpacked, over the 5 MB limit for a plain attachment). ${where}`;
  return `The log is attached as ${a.filename} (${formatBytes(a.bytes)}). ${where}`;
}

function tableHtml(r: RunReport): string {
  const th = (s: string, right = false) => `<th style="text-align:${right ? 'right' : 'left'};padding:2px 8px;border-bottom:1px solid #999">${esc(s)}</th>`;
  const td = (s: string, right = false, extra = '') => `<td style="text-align:${right ? 'right' : 'left'};padding:2px 8px;${extra}">${esc(s)}</td>`;
  const rows = summaryRows(r).map((row) => {
    const mailbox = !row.label.startsWith(' ');
    const bad = row.note.startsWith('FAILED') || (row.failed !== '' && row.failed !== '0');
    const style = `${mailbox ? 'font-weight:bold;' : ''}${bad ? 'color:#b00;' : ''}`;
    const label = mailbox ? row.label : `\u00a0\u00a0${row.label.trim()}`;
    return `<tr style="${style}">${td(label)}${td(row.newCount, true)}${td(row.present, true)}${td(row.failed, true)}${td(row.bytes, true)}${td(row.seconds, true)}${td(row.note, false, 'white-space:normal')}</tr>`;
  });
  const header = `<tr>${th('Mailbox / folder')}${th('new', true)}${th('present', true)}${th('failed', true)}${th('bytes', true)}${th('seconds', true)}${th('')}</tr>`;
  const table = `<table style="border-collapse:collapse;white-space:nowrap">\n${header}\n${rows.join('\n')}\n</table>`;
  const archive = archiveLines(r);
  return archive.length > 0 ? `${table}\n${list(archive).html}` : table;
}

function para(text: string): Section {
  return { text, html: `<p>${esc(text).replace(/\n/g, '<br>')}</p>` };
}

function list(items: string[]): Section {
  return { text: items.map((i) => `- ${i}`).join('\n'), html: `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` };
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ');
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const pad = (n: number) => String(n).padStart(2, '0');

function timestamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** For the HTML part: its text was escaped before redaction, so a secret with `&<>"'` is there escaped. */
export function redactHtml(html: string, secrets: readonly string[]): string {
  return redactSecrets(html, [...secrets, ...secrets.map(esc)]);
}

