import { defineCommand } from 'citty';
import type { AppConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import type { RunReport } from '../core/report.js';
import { summaryHeadline, summaryTable } from '../core/summary.js';
import { runBackup } from '../engine/backup-run.js';
import { acquireLock } from '../io/lock.js';
import { exitCodeForReport, EXIT, markReported } from '../cli/exit-codes.js';
import { listArg, loadContext, mailboxArgs, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { logEvent } from '../cli/progress.js';
import { VERSION } from '../version.js';

const STALE_LOCK_MS = 12 * 60 * 60 * 1000;

interface RunOptions {
  only: string[];
  dryRun: boolean;
}

export default defineCommand({
  meta: { name: 'run', description: 'Back up every listed mailbox (the default command)' },
  args: { ...sharedArgs, ...mailboxArgs },
  async run({ args }) {
    const log = new Logger(args.verbose);
    const { config } = loadContext(args, log);
    const opts: RunOptions = { only: listArg(args.mailbox), dryRun: args['dry-run'] };
    if (!opts.dryRun) log.openFile(config.logsFolder);
    log.info(`imap-backup-tool ${VERSION}: ${opts.dryRun ? 'dry run, nothing is written' : 'backup'} with ${config.configPath}`);
    let report: RunReport | undefined;
    let failure: unknown;
    try {
      report = await backup(config, log, opts);
    } catch (err) {
      // Any crash after the configuration was read still reaches the log (and the notification).
      failure = err;
      log.error(describeError(err));
      if (args.verbose && err instanceof Error && err.stack) log.error(err.stack);
      markReported(err);
    }
    // Notification stage: see issue 4 (sent with `report` or `failure`, the log attached).
    log.close();
    if (failure !== undefined || !report) throw failure;
    return exitCodeForReport(report);
  },
});

/** Lock, download, archive; the summary goes to the console and the log. */
async function backup(config: AppConfig, log: Logger, opts: RunOptions): Promise<RunReport> {
  const lock = opts.dryRun ? undefined : acquireLock(config.processFolder, {
    staleAfterMs: STALE_LOCK_MS,
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
    // Archive stage: see issue 3 (zip, verify, clean, roll), recorded in report.archive.
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
