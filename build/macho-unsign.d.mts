// Types for the tests; the build scripts themselves are plain JavaScript.
export interface MachoLoadCommand {
  cmd: number;
  size: number;
  offset: number;
  segname?: string;
  fileoff?: number;
  filesize?: number;
  dataoff?: number;
  datasize?: number;
}
export function machoLoadCommands(buf: Buffer): MachoLoadCommand[];
export function hasCodeSignature(buf: Buffer): boolean;
export function removeCodeSignature(buf: Buffer): Buffer;
