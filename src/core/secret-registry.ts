/**
 * Secrets that exist only at run time (OAuth2 access tokens, rotated refresh tokens): the token
 * code registers each one the moment it has it, and every redaction (logger, notification)
 * consults this list besides the configuration's secrets. Process-wide on purpose: a token
 * reaches no log line without passing through here first.
 */
const registered = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 3) registered.add(value);
}

export function runtimeSecrets(): readonly string[] {
  return [...registered];
}
