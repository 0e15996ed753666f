// The configuration files the tests start from. One copy, so every test reads the same files.

/** The original tool's files, exactly as its users have them. */
export const ORIGINAL_CONFIG = `common:
  rootFolderFullPath: 'c:\\mailbox_backup'
  logsFolderFullPath: 'c:\\mailbox_backup\\logs'
  mailboxList: 'mailboxes_to_backup.yml'

storage:
  processFolderFullPath: 'c:\\mailbox_backup\\process'
  outputFolderFullPath: 'c:\\mailbox_backup\\output'
  archiveToZip: True
  cleanProcessFolder: False
  rollingMethod: 'items'
  deleteOlderBackupThanDays: 3
  deleteBackupsItemsToKeep: 3

mailNotification:
  send_notification: True
  server: 'smtp.contoso.com'
  user: 'alerts'
  from: 'alerts@contoso.com'
  password: 'P@ssw0rd'
  port: 587
  subject: "Notification form MailboxBackupTool"
  to: 'admin@contoso.com'
  message: 'The mailbox copy has been triggered. The log is attached. Do not reply.'
  useTLS: True
`;
export const ORIGINAL_MAILBOXES = `office@contoso.com:
    UserFullEmail: true
    password: 'P@ssw0rd'
    imapHost: 'imap.contoso.com'
    imapPort: 993
    imapFolder: 'INBOX, SENT'
contact@mailbox.com:
    UserFullEmail: false
    password: 'P@ssvvOrD'
    imapHost: 'mail.mailbox.com'
    imapPort: 993
    imapFolder: 'INBOX, SENT, DRAFT'
`;

/**
 * The original files with the keys this tool added, for tests that change every key in turn: the
 * first mailbox, and the common and storage keys an original file leaves at their defaults.
 */
export const EXTENDED_CONFIG = ORIGINAL_CONFIG
  .replace("  mailboxList: 'mailboxes_to_backup.yml'\n", "  mailboxList: 'mailboxes_to_backup.yml'\n  retries: 3\n  timeoutSeconds: 120\n  lockStaleHours: 12\n")
  .replace('  deleteBackupsItemsToKeep: 3\n', '  deleteBackupsItemsToKeep: 3\n  zipCompressionLevel: 6\n');
export const EXTENDED_MAILBOXES = `${ORIGINAL_MAILBOXES.slice(0, ORIGINAL_MAILBOXES.indexOf('contact@'))}    tls: implicit\n    allowInsecure: false\n`;
