import path from 'node:path';
import { defineCommand } from 'citty';
import type { AppConfig, MailboxConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import type { RunReport } from '../core/report.js';
import { runStatus } from '../core/report.js';
import { restoreHeadline, restoreTable } from '../core/restore-summary.js';
import { formatBytes, formatCount } from '../core/summary.js';
import { restoreMailbox, type RestoreEvent } from '../engine/restore.js';
import { openRestoreSource, RestoreUsageError } from '../io/restore-source.js';
import { EXIT, exitCodeForReport, markReported } from '../cli/exit-codes.js';
import { loadContext, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { binaryDir } from '../cli/program.js';
import { programName } from '../core/init-command.js';
import { startAgainForMalloc } from '../cli/start-again.js';
import { repeatedArg } from '../cli/repeated.js';
import { VERSION } from '../version.js';

export default defineCommand({
  meta: { name: 'restore', description: 'Upload backed-up messages (an archive or the process folder) to a mailbox of the list; rerunnable' },
  args: {
    ...sharedArgs,
    from: { type: 'string', required: true, description: 'A backup-….zip archive, or the process folder', valueHint: 'archive.zip|folder' },
    to: { type: 'string', required: true, description: 'The mailbox to restore into: an address from the mailbox list (its login is used)', valueHint: 'address' },
    'mailbox-from': { type: 'string', description: 'Whose backup to take from --from (default: the --to address)', valueHint: 'address' },
    folder: { type: 'string', description: 'Only this folder, as the server named it (`Archive/2023`; `X/*` with subfolders); repeatable', valueHint: 'name' },
    into: { type: 'string', description: 'Restore below this folder (e.g. Restored) instead of into the folders of the same name', valueHint: 'folder' },
    'dry-run': { type: 'boolean', description: 'Say what would be uploaded; change nothing', default: false },
  },
  async run({ args, rawArgs }) {
    const log = await Logger.create(args.verbose);
    const { config } = loadContext(args, log);
    const dryRun = args['dry-run'];
    // Uploading a backup is long: worth the steady heap.
    if (!dryRun) startAgainForMalloc();
    try {
      const target = findTarget(config, String(args.to));
      const from = path.resolve(String(args.from));
      const whose = args['mailbox-from'] ? String(args['mailbox-from']).trim() : target.address;
      if (!dryRun) openLog(log, config.logsFolder);
      const source = await openRestoreSource(from, whose, programName(binaryDir()));
      try {
        log.info(`imap-backup-tool ${VERSION}: restore of ${whose} from ${source.where} to ${target.address}${args.into ? ` below ${args.into}` : ''}${dryRun ? ' (dry run, nothing is changed)' : ''}`);
        const report = await restore(config, target, source, { folders: repeatedArg(rawArgs, 'folder'), into: args.into, dryRun, log });
        return exitCodeForReport(report);
      } finally {
        await source.close();
      }
    } catch (err) {
      log.error(err instanceof RestoreUsageError ? err.message : describeError(err));
      markReported(err);
      throw err;
    } finally {
      log.close();
    }
  },
});

interface RestoreOptions {
  folders: string[];
  into: string | undefined;
  dryRun: boolean;
  log: Logger;
}

async function restore(config: AppConfig, target: MailboxConfig, source: Awaited<ReturnType<typeof openRestoreSource>>, o: RestoreOptions): Promise<RunReport> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    o.log.warn('Interrupted: finishing the message in flight (press Ctrl+C again to quit at once); rerun restore to continue');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedAt = new Date();
  try {
    const mailbox = await restoreMailbox({
      mailbox: target, source, folders: o.folders, into: o.into, dryRun: o.dryRun,
      retries: config.retries, retryDelayMs: config.retryDelayMs, timeoutMs: config.timeoutMs, connections: config.connectionsPerMailbox,
      signal: controller.signal, onEvent: (e) => logRestoreEvent(o.log, e),
    });
    const report: RunReport = { startedAt, finishedAt: new Date(), dryRun: o.dryRun, interrupted: !!mailbox.interrupted, mailboxes: [mailbox] };
    if (mailbox.error) o.log.error(`${mailbox.mailbox}: FAILED: ${mailbox.error}`);
    o.log.info(`Summary\n${restoreTable(mailbox, o.dryRun)}`);
    const status = runStatus(report);
    const headline = restoreHeadline(mailbox, status, o.dryRun);
    if (status === 'OK') o.log.success(headline);
    else o.log.warn(headline);
    if (o.log.filePath) o.log.info(`Log file: ${o.log.filePath}`);
    return report;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function findTarget(config: AppConfig, to: string): MailboxConfig {
  const found = config.mailboxes.find((m) => m.address.toLowerCase() === to.trim().toLowerCase());
  if (found) return found;
  throw new RestoreUsageError(`--to ${to} is not in ${config.mailboxListPath}; restore logs in with the list's settings, so add the mailbox there first (listed: ${config.mailboxes.map((m) => m.address).join(', ')})`);
}

function openLog(log: Logger, folder: string): void {
  try {
    log.openFile(folder);
  } catch (err) {
    throw new Error(`The logs folder ${folder} cannot be used (${describeError(err)}): check common.logsFolderFullPath and its permissions`);
  }
}

function logRestoreEvent(log: Logger, e: RestoreEvent): void {
  switch (e.type) {
    case 'folder-plan':
      log.info(`${e.local} → ${e.target}: ${e.toUpload} to upload, ${e.present} already there${e.create ? ' (new folder)' : ''}`);
      break;
    case 'message-uploaded':
      log.debug(() => `${e.target}: uploaded ${e.fileName} (${formatBytes(e.bytes)})`);
      break;
    case 'progress':
      log.info(`${e.target}: ${formatCount(e.done)} of ${formatCount(e.total)} uploaded`);
      break;
    case 'folder-done':
      if (e.report.error) log.error(`${e.report.folder}: ${e.report.error}`);
      break;
    case 'retry':
      log.warn(`${e.folder ?? 'connection'}: ${e.reason}; reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (try ${e.attempt + 1})`);
      break;
    case 'warning':
      log.warn(`${e.folder ? `${e.folder}: ` : ''}${e.message}`);
      break;
  }
}
