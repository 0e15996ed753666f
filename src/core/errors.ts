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

export class ConfigError extends AppError {
  constructor(readonly issues: ConfigIssue[]) {
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

export function formatIssues(issues: ConfigIssue[]): string {
  const lines = issues.map((i) => `  - ${i.file}: ${i.key ? `${i.key}: ` : ''}${i.message}`);
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
