import type { NotificationConfig } from './config-types.js';

/**
 * Errors a user can cause carry their advice as the message; `exitCode` is read in one place
 * (cli/exit-codes.ts). Anything that is not an AppError is a bug and gets exit code 1 with a stack
 * only under --verbose.
 */
export class AppError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ConfigIssue {
  file: string;
  key: string;
  message: string;
}

/** What of a configuration with problems can still be trusted, to report that the run did not start. */
export interface ConfigSalvage {
  /** The configuration that has the problems: the mail says how to check it. */
  configPath: string;
  logsFolder?: string | undefined;
  notification?: NotificationConfig | undefined;
  /** Every secret read, for redaction. */
  secrets: string[];
  /** Keys that are not settings (a `pasword` is often why `password` is missing). */
  warnings?: string[];
}

export class ConfigError extends AppError {
  constructor(
    readonly issues: ConfigIssue[],
    readonly salvage?: ConfigSalvage,
  ) {
    super(formatIssues(issues), 2);
  }
}

export class LockHeldError extends AppError {
  constructor(message: string) {
    super(message, 3);
  }
}

export class InterruptedError extends AppError {
  constructor() {
    super('Interrupted: the message in flight was finished or discarded and the state was saved.', 130);
  }
}

/** `file: key: message`; `short` names the file without its folder (an e-mail's subject). */
export function issueText(i: ConfigIssue, short = false): string {
  const file = short ? (i.file.split(/[\\/]/).pop() ?? i.file) : i.file;
  return `${file}: ${i.key ? `${i.key}: ` : ''}${i.message}`;
}

export function formatIssues(issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `  - ${issueText(i)}`);
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return `The configuration has ${issues.length} ${noun}:\n${lines.join('\n')}`;
}

/** A short, secret-free description of any thrown value, for summaries and e-mails. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const response = (err as { responseText?: unknown }).responseText;
    let text = err.message;
    if (typeof response === 'string' && response && !text.includes(response)) text += ` (${response})`;
    if (typeof code === 'string' && !text.includes(code)) text += ` [${code}]`;
    return text;
  }
  return String(err);
}
