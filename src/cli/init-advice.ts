import path from 'node:path';

/**
 * How to keep the passwords from other accounts: mode 600 where files have modes; Windows has none
 * (chmod does not exist there, and a file's mode is at most read-only), so its folder's permissions.
 */
export function secretsAdvice(platform: NodeJS.Platform, holds: 'it holds' | 'they hold'): string {
  return platform === 'win32'
    ? `${holds} secrets: let only the account the scheduled task runs as, and administrators, read the folder (its Properties, Security)`
    : `mode 600: ${holds} secrets`;
}

/** What the admin edits in the mailbox list init writes. */
export const listHolds = (platform: NodeJS.Platform): string => `mailboxes, passwords (${secretsAdvice(platform, 'it holds')})`;

/** The first of init's next steps: what to edit in the files it wrote (`planned`: how many it meant to). */
export function editStep(written: { file: string; holds: string }[], planned: number, configPath: string, platform: NodeJS.Platform): string {
  return written.length === planned
    ? `Edit both files: folders, mailboxes, passwords (${secretsAdvice(platform, 'they hold')}), the notification.`
    : `Edit ${written.map((t) => `${path.relative(path.dirname(configPath), t.file)}: ${t.holds}`).join('; ')}.`;
}
