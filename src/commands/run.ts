import { defineCommand } from 'citty';
import { describeError } from '../core/errors.js';
import { summaryHeadline, summaryTable } from '../core/summary.js';
import { runBackup } from '../engine/backup-run.js';
import { acquireLock } from '../io/lock.js';
import { exitCodeForReport, EXIT, markReported } from '../cli/exit-codes.js';
import { listArg, loadContext, mailboxArgs, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { logEvent } from '../cli/progress.js';
import { VERSION } from '../version.js';

const STALE_LOCK_MS = 12 * 60 * 60 * 1000;

export default defineCommand({
  meta: { name: 'run', description: 'Back up every listed mailbox (the default command)' },
  args: { ...sharedArgs, ...mailboxArgs },
  async run({ args }) {
    const log = new Logger(args.verbose);
    const { config } = loadContext(args, log);
    const dryRun = args['dry-run'];
    if (!dryRun) log.openFile(config.logsFolder);
    log.info(`imap-backup-tool ${VERSION}: ${dryRun ? 'dry run, nothing is written' : 'backup'} with ${config.configPath}`);
    const lock = dryRun ? undefined : acquireLock(config.processFolder, {
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
      const report = await runBackup(config, {
        only: listArg(args.mailbox),
        dryRun,
        signal: controller.signal,
        onEvent: (e) => logEvent(log, e),
      });
      log.info(`Summary\n${summaryTable(report)}`);
      const headline = summaryHeadline(report);
      if (headline.startsWith('[OK]')) log.success(headline);
      else log.warn(headline);
      if (log.filePath) log.info(`Log file: ${log.filePath}`);
      return exitCodeForReport(report);
    } catch (err) {
      log.error(describeError(err));
      markReported(err);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      lock?.release();
      log.close();
    }
  },
});

