import { AppError } from '../core/errors.js';

/** One backed-up message, read only when its turn comes. */
export interface SourceFile {
  name: string;
  size: number;
  mtime: Date;
  read(): Promise<Buffer>;
}

export interface SourceFolder {
  /** Local path segments below the mailbox folder, as the backup wrote them (escaped). */
  local: string[];
  files: SourceFile[];
}

export interface RestoreSource {
  /** The archive or folder the messages come from, for messages. */
  where: string;
  folders: SourceFolder[];
  close(): Promise<void>;
}

/** A restore the user asked for that cannot start: exit 2, the message is the advice. */
export class RestoreUsageError extends AppError {
  constructor(message: string) {
    super(message, 2);
  }
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
