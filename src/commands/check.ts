import { defineCommand } from 'citty';
import { resolveFolders } from '../core/folders.js';
import { StateStore } from '../io/state-store.js';
import { selectMailboxes } from '../core/select-mailboxes.js';
import { mailboxAdvice } from '../engine/advice.js';
import { ImapSource } from '../io/imap-source.js';
import { describeSmtp, verifySmtp } from '../io/mailer.js';
import { EXIT } from '../cli/exit-codes.js';
import { listArg, loadContext, sharedArgs } from '../cli/context.js';
import { Logger } from '../cli/logger.js';
import { repeatedArg } from '../cli/repeated.js';

export default defineCommand({
  meta: { name: 'check', description: 'Validate the configuration and log in to every mailbox, listing the folders it would back up' },
  args: { ...sharedArgs, mailbox: { type: 'string', description: 'Only this mailbox address (repeatable)', valueHint: 'address' } },
  async run({ args, rawArgs }) {
    const log = await Logger.create(args.verbose);
    const { config } = loadContext(args, log);
    log.success(`Configuration ${config.configPath} and ${config.mailboxListPath} are valid`);
    const mailboxes = selectMailboxes(config, listArg(repeatedArg(rawArgs, 'mailbox')));
    let failures = 0;
    // One mailbox at a time keeps the output readable; check is interactive, not a bulk job.
    for (const mb of mailboxes) {
      let source: ImapSource | undefined;
      try {
        source = await ImapSource.connect(mb, { connectionTimeoutMs: 20_000 });
        // The local names a run would use: folders an earlier run kept state for keep theirs.
        const state = StateStore.forMailbox(config.processFolder, mb.address);
        await state.load();
        const { folders, problems } = resolveFolders(mb.folders, mb.excludeFolders, await source.listFolders(), state.folderHistory());
        log.success(`${mb.address}: login OK at ${mb.host}:${mb.port} (${mb.tls === 'implicit' ? 'TLS' : mb.tls === 'starttls' ? 'STARTTLS' : 'no TLS'})`);
        for (const f of folders) log.info(`  ${f.spec === f.path ? f.path : `${f.spec} → ${f.path}`}  →  ${[mb.address, ...f.local].join('/')}`);
        for (const p of problems) {
          failures++;
          log.error(`  ${p.message}`);
        }
      } catch (err) {
        failures++;
        log.error(`${mb.address}: ${mailboxAdvice(mb, err)}`);
      } finally {
        await source?.close();
      }
    }
    if (config.notification.enabled) {
      try {
        await verifySmtp(config.notification, config.secrets);
        log.success(`Notification: SMTP ${config.notification.user ? `login as ${config.notification.user}` : 'connection (no login)'} OK at ${describeSmtp(config.notification)}`);
      } catch (err) {
        failures++;
        log.error(`Notification: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return failures === 0 ? EXIT.ok : EXIT.partial;
  },
});
