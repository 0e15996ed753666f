import os from 'node:os';
import type { AppConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import { buildNotification, notificationStatus, type NotificationOutcome } from '../core/notification.js';
import { runtimeSecrets } from '../core/secret-registry.js';

export type NotifyLevel = 'info' | 'success' | 'warn' | 'error';

export interface NotifyOptions {
  /** The run's log file, attached as it is when the mail is built; undefined when none was written. */
  logPath?: string | undefined;
  dryRun?: boolean;
  version: string;
  /** How the admin checks the configuration (cli/program.ts commandLine); a configuration error's mail names it. */
  check?: string;
  host?: string;
  now?: Date;
  onEvent?: (level: NotifyLevel, message: string) => void;
}

export interface NotifyResult {
  status: 'sent' | 'skipped' | 'failed';
  /** Why it was skipped or failed (advice), or who got it. */
  message: string;
}

/**
 * The last step of a run: decides whether to mail, builds the report, sends it. Never throws: a
 * failed mail must not hide the backup's own outcome; the caller turns `failed` into an exit code.
 */
export async function notifyStage(config: Pick<AppConfig, 'notification' | 'secrets'>, outcome: NotificationOutcome, opts: NotifyOptions): Promise<NotifyResult> {
  const n = config.notification;
  const emit = opts.onEvent ?? (() => undefined);
  const skip = (message: string): NotifyResult => (emit('info', message), { status: 'skipped', message });
  if (!n.enabled) return { status: 'skipped', message: 'send_notification is False' };
  if (opts.dryRun) return skip('Dry run: no notification e-mail is sent');
  const status = notificationStatus(outcome);
  if (n.sendOn === 'failure' && status === 'OK') return skip('The run was OK and sendOn is failure: no notification e-mail');
  if (n.tls === 'none') {
    emit('warn', 'mailNotification.useTLS is False: if the SMTP server offers no STARTTLS, the report, its log and the SMTP password cross the network unencrypted');
  }
  let mailer: typeof import('../io/mailer.js') | undefined;
  try {
    // Loaded only to send: nodemailer takes 10-15 ms to initialise, a run without mail does not pay it.
    mailer = await import('../io/mailer.js');
    const { describeSmtp, prepareLog, sendNotification } = mailer;
    // Written before the log is read, so the attached copy ends with this line.
    emit('info', `Sending the ${status} notification e-mail to ${n.to.join(', ')} through ${describeSmtp(n)}`);
    // Access tokens fetched during the run are secrets too.
    const secrets = [...config.secrets, ...runtimeSecrets()];
    const log = await prepareLog(opts.logPath, secrets);
    const content = buildNotification(outcome, n, { host: opts.host ?? os.hostname(), version: opts.version, now: opts.now ?? new Date(), log: log.info, check: opts.check });
    const sent = await sendNotification(n, content, log, secrets);
    if (sent.rejected.length > 0) emit('warn', `The SMTP server refused the notification for ${sent.rejected.join(', ')}: check mailNotification.to`);
    const message = `Notification e-mail sent to ${sent.accepted.join(', ') || n.to.join(', ')}${sent.response ? ` (${sent.response})` : ''}`;
    emit('success', message);
    return { status: 'sent', message };
  } catch (err) {
    const advice = mailer && err instanceof mailer.SmtpError ? err.message : describeError(err);
    const message = `The notification e-mail was not sent: ${advice}`;
    emit('error', message);
    return { status: 'failed', message };
  }
}
