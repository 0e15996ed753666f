import { describeError, type ConfigError } from '../core/errors.js';
import { notifyStage } from '../engine/notify-stage.js';
import { markReported } from './exit-codes.js';
import type { Logger } from './logger.js';
import { commandLine } from './program.js';
import { VERSION } from '../version.js';

/**
 * A scheduled run whose configuration has problems has no console anyone reads: it still writes
 * its log (in the logs folder, if that much of the file is sound) and mails the problems (if the
 * notification settings are), so that the admin hears of it as of any other failed run.
 */
export async function reportConfigFailure(err: ConfigError, log: Logger, startedAt = new Date()): Promise<void> {
  const salvage = err.salvage;
  if (!salvage) return;
  log.addSecrets(salvage.secrets);
  let noLog = 'the logs path is among the problems';
  if (salvage.logsFolder) {
    try {
      log.openFile(salvage.logsFolder);
    } catch (e) {
      noLog = `the logs folder ${salvage.logsFolder} could not be used (${describeError(e)})`;
    }
  }
  log.info(`imap-backup-tool ${VERSION}: the run did not start`);
  log.error(err.message);
  if (!log.filePath) log.warn(`No log file is written: ${noLog}`);
  for (const w of salvage.warnings ?? []) log.warn(w);
  markReported(err);
  if (salvage.notification) {
    await notifyStage({ notification: salvage.notification, secrets: salvage.secrets }, { kind: 'failure', error: err, startedAt }, {
      logPath: log.filePath, version: VERSION, check: commandLine('check', salvage.configPath), onEvent: (level, message) => log.log(level, message),
    });
  }
  log.close();
}
