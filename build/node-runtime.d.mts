// Types for the tests that run the CLI on the pinned Node (test/integration/node22.e2e.test.ts).
export const PINS: { version: string; targets: Record<string, { package: string; binary: string; sha256: string; integrity: string }> };
/** Path of the verified Node binary for a target, downloading it into cacheDir when needed. */
export function nodeBinary(target: string, cacheDir: string): Promise<string>;
