import type { AppConfig, MailboxConfig } from './config-types.js';
import { ConfigError } from './errors.js';

/** The mailboxes a run backs up: all, or those --mailbox names (an unknown one is a ConfigError). */
export function selectMailboxes(config: AppConfig, only: string[] = []): MailboxConfig[] {
  if (only.length === 0) return config.mailboxes;
  const wanted = only.map((a) => a.trim().toLowerCase());
  const unknown = wanted.filter((a) => !config.mailboxes.some((m) => m.address.toLowerCase() === a));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((a) => ({
      file: config.mailboxListPath,
      key: a,
      message: `--mailbox names a mailbox that is not in the list; listed: ${config.mailboxes.map((m) => m.address).join(', ')}`,
    })));
  }
  return config.mailboxes.filter((m) => wanted.includes(m.address.toLowerCase()));
}
