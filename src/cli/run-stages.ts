import type { AppConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import type { RunReport } from '../core/report.js';
import { summaryHeadline, summaryTable } from '../core/summary.js';
import { archiveStage } from '../engine/archive-stage.js';
import { runBackup } from '../engine/backup-run.js';
import { notifyStage } from '../engine/notify-stage.js';
import { diskFullAdvice } from '../engine/advice.js';
import { acquireLock } from '../io/lock.js';
import { closeEarly } from '../io/early-connect.js';
import { commandLine } from './program.js';
import { exitCodeForReport, exitCodeWithNotification, EXIT, markReported } from './exit-codes.js';
import type { Logger } from './logger.js';
import { logEvent } from './progress.js';
import { VERSION } from '../version.js';

export interface RunOptions {
  only: string[];
  dryRun: boolean;
  verbose: boolean;
}

/**
 * What `run` does once it knows it will not start again (allocator.ts): log, lock, download,
 * archive, notify. A module of its own, loaded only then, so that a run which does start again
 * has not loaded the IMAP, ZIP and SMTP code for nothing (~50 ms of its start).
 */
export async function runStages(config: AppConfig, log: Logger, opts: RunOptions): Promise<number> {
  const startedAt = new Date();
  let report: RunReport | undefined;
  let failure: unknown;
  try {
    // Inside the try: a logs folder that cannot be used is a crash the notification reports.
    if (!opts.dryRun) openLog(log, config.logsFolder);
    log.info(`imap-backup-tool ${VERSION}: ${opts.dryRun ? 'dry run, nothing is written' : 'backup'} with ${config.configPath}`);
    for (const w of config.warnings ?? []) log.warn(w);
    report = await backup(config, log, opts);
  } catch (err) {
    // Any crash after the configuration was read still reaches the log (and the notification).
    failure = err;
    log.error(diskFullAdvice(err, config.processFolder) ?? describeError(err));
    if (opts.verbose && err instanceof Error && err.stack) log.error(err.stack);
    markReported(err);
  }
  // A connection started early for a mailbox the run never reached (a held lock, a crash).
  closeEarly();
  // Before close: the attachment is the log as written so far (every line is written synchronously),
  // and the send result still reaches the log file after it.
  const notified = await notifyStage(config, report ? { kind: 'report', report } : { kind: 'failure', error: failure, startedAt }, {
    logPath: log.filePath, dryRun: opts.dryRun, version: VERSION, onEvent: (level, message) => log.log(level, message),
  });
  log.close();
  if (failure !== undefined || !report) throw failure;
  return exitCodeWithNotification(exitCodeForReport(report), notified.status === 'failed');
}

function openLog(log: Logger, folder: string): void {
  try {
    log.openFile(folder);
  } catch (err) {
    throw new Error(`The logs folder ${folder} cannot be used (${describeError(err)}): check common.logsFolderFullPath and its permissions`);
  }
}

/** Lock, download, archive; the summary goes to the console and the log. */
async function backup(config: AppConfig, log: Logger, opts: RunOptions): Promise<RunReport> {
  const lock = opts.dryRun ? undefined : acquireLock(config.processFolder, {
    unlock: commandLine('unlock', config.configPath),
    staleAfterMs: config.lockStaleMs,
    onStale: (who) => log.warn(`took over a stale lock (${who})`),
  });
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    log.warn('Interrupted: finishing the message in flight and saving state (press Ctrl+C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const report = await runBackup(config, { only: opts.only, dryRun: opts.dryRun, signal: controller.signal, onEvent: (e) => logEvent(log, e) });
    // A partial backup on a full disk must not push a complete archive out by rolling, nor be cleaned.
    if (report.mailboxes.some((m) => m.folders.some((f) => f.diskFull))) {
      log.error('The disk of the process folder is full: no archive was made, nothing was cleaned and no old archive was deleted');
    } else if (!report.interrupted) {
      report.archive = await archiveStage(config, report, { dryRun: opts.dryRun, someMailboxesOnly: report.mailboxes.length < config.mailboxes.length, signal: controller.signal, onEvent: (e) => log.log(e.level, e.message) });
      report.interrupted = controller.signal.aborted;
    }
    if ((config.warnings?.length ?? 0) > 0) report.ignoredSettings = config.warnings;
    log.info(`Summary\n${summaryTable(report)}`);
    const headline = summaryHeadline(report);
    if (headline.startsWith('[OK]')) log.success(headline);
    else log.warn(headline);
    if (log.filePath) log.info(`Log file: ${log.filePath}`);
    return report;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock?.release();
  }
}
