import { defineCommand } from 'citty';
import type { AppConfig } from '../core/config-types.js';
import { ConfigError } from '../core/errors.js';
import { selectMailboxes } from '../core/select-mailboxes.js';
import { listArg, loadContext, mailboxArgs, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { steadyHeapPays } from '../cli/allocator.js';
import { startAgainForMalloc } from '../cli/start-again.js';
import { StateStore } from '../io/state-store.js';
import { repeatedArg } from '../cli/repeated.js';
import { connectEarly } from '../io/early-connect.js';

export default defineCommand({
  meta: { name: 'run', description: 'Back up every listed mailbox (the default command)' },
  args: { ...sharedArgs, ...mailboxArgs },
  async run({ args, rawArgs }) {
    const log = await Logger.create(args.verbose);
    const { config } = await loadOrReport(args, log);
    const opts = { only: listArg(repeatedArg(rawArgs, 'mailbox')), dryRun: args['dry-run'], verbose: args.verbose };
    // Before the log, the lock and any connection: a restart keeps nothing else.
    if (steadyHeapPays({ dryRun: opts.dryRun, archiveToZip: config.archiveToZip, firstBackup: firstBackup(config, opts.only) })) startAgainForMalloc();
    connectEarly(earlyMailboxes(config, opts.only));
    // One turn of the event loop sends the TLS hellos before the IMAP code's synchronous load.
    await new Promise((resolve) => setImmediate(resolve));
    const { runStages } = await import('../cli/run-stages.js');
    return runStages(config, log, opts);
  },
});

/** A configuration error of a real run is logged and mailed where the configuration allows (config-failure.ts). */
async function loadOrReport(args: Parameters<typeof loadContext>[0] & { 'dry-run'?: boolean }, log: Logger): Promise<ReturnType<typeof loadContext>> {
  try {
    return loadContext(args, log, false);
  } catch (err) {
    if (err instanceof ConfigError && !args['dry-run']) {
      const { reportConfigFailure } = await import('../cli/config-failure.js');
      await reportConfigFailure(err, log);
    }
    throw err;
  }
}

/** The mailboxes the run connects to first (`concurrency` at a time, in the list's order). */
function earlyMailboxes(config: AppConfig, only: string[]): AppConfig['mailboxes'] {
  try {
    return selectMailboxes(config, only).slice(0, config.concurrency);
  } catch {
    return [];
  }
}

/** A mailbox of the run has no marks of an earlier run: all its mail is downloaded. */
function firstBackup(config: AppConfig, only: string[]): boolean {
  try {
    return selectMailboxes(config, only).some((mb) => !StateStore.existsFor(config.processFolder, mb.address));
  } catch {
    // An unknown --mailbox: the run says so at once.
    return false;
  }
}
