import { defineCommand } from 'citty';
import { LockHeldError } from '../core/errors.js';
import { describeHolder, inspectLock, removeLock } from '../io/lock.js';
import { EXIT } from '../cli/exit-codes.js';
import { loadContext, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';

export default defineCommand({
  meta: { name: 'unlock', description: 'Remove the lock a killed or crashed run left in the process folder' },
  args: { ...sharedArgs, force: { type: 'boolean', description: 'Remove it even though its run still seems to be running on this machine', default: false } },
  async run({ args }) {
    const log = await Logger.create(args.verbose);
    const { config } = loadContext(args, log);
    const lock = inspectLock(config.processFolder);
    if (!lock.exists) {
      log.info(`No lock at ${lock.path}: nothing to remove`);
      return EXIT.ok;
    }
    const who = lock.info ? describeHolder(lock.info) : 'its content is unreadable';
    // Removing the lock of a run that is still going would let a second run write the same files.
    if (lock.alive === true && !args.force) {
      throw new LockHeldError(`The lock ${lock.path} belongs to a run that is still running here (${who}); not removed. Wait for it, or stop it; use --force only if that process is not imap-backup-tool.`);
    }
    removeLock(config.processFolder);
    log.success(`Removed the lock ${lock.path} (${who})`);
    return EXIT.ok;
  },
});
