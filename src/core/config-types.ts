/** The validated configuration. Every path is absolute, every default applied. */

export type TlsMode = 'implicit' | 'starttls' | 'none';
export type RollingMethod = 'DAYS' | 'ITEMS';

export type FolderSelection = { kind: 'all' } | { kind: 'list'; names: string[] };

export interface TlsOptions {
  rejectUnauthorized: boolean;
  /** PEM of extra trusted CAs (a company CA or a self-signed server), read from `tlsCaFile`. */
  ca?: string | undefined;
}

/** Sign-in with an OAuth2 access token (XOAUTH2/OAUTHBEARER) instead of a password. */
export interface OAuth2Config {
  kind: 'microsoft-client-credentials' | 'refresh-token';
  tokenUrl: string;
  clientId: string;
  /** Empty for a public client (refresh-token without a secret). */
  clientSecret: string;
  /** Empty: no scope is sent. */
  scope: string;
  /** microsoft-client-credentials only. */
  tenantId?: string | undefined;
  /** refresh-token only. */
  refreshToken?: string | undefined;
}

export interface MailboxConfig {
  address: string;
  login: string;
  /** Empty when `oauth2` is given. */
  password: string;
  oauth2?: OAuth2Config | undefined;
  host: string;
  port: number;
  tls: TlsMode;
  allowInsecure: boolean;
  tlsOptions: TlsOptions;
  folders: FolderSelection;
  excludeFolders: string[];
}

export interface NotificationConfig {
  enabled: boolean;
  server: string;
  port: number;
  user: string;
  password: string;
  from: string;
  to: string[];
  subject: string;
  message: string;
  useTLS: boolean;
  /**
   * implicit: TLS from the start (port 465 or `tls: implicit`); starttls: STARTTLS required (useTLS
   * True); none: useTLS False, STARTTLS only if offered, else plaintext (insecure; the original's way).
   */
  tls: TlsMode;
  tlsOptions: TlsOptions;
  sendOn: 'always' | 'failure';
}

export interface AppConfig {
  configPath: string;
  mailboxListPath: string;
  rootFolder: string;
  logsFolder: string;
  processFolder: string;
  outputFolder: string;
  archiveToZip: boolean;
  cleanProcessFolder: boolean;
  rollingMethod: RollingMethod;
  deleteOlderBackupThanDays: number;
  deleteBackupsItemsToKeep: number;
  zipCompressionLevel: number;
  verifyArchive: boolean;
  concurrency: number;
  retries: number;
  retryDelayMs: number;
  connectionsPerMailbox: number;
  /** A connection silent this long is given up (and retried). */
  timeoutMs: number;
  /** A lock older than this is taken over even when its process may still run (`common.lockStaleHours`). */
  lockStaleMs: number;
  notification: NotificationConfig;
  mailboxes: MailboxConfig[];
  /** Every secret in the configuration, so logs and mails can redact them. */
  secrets: string[];
  /** What the admin should hear about the files without it stopping the run (unknown keys). */
  warnings?: string[];
}
