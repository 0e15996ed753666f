import type { OAuth2Config } from './config-types.js';
import type { ConfigContext } from './config.js';
import { describe, type FieldReader, isEmptyValue, isRecord } from './config-reader.js';

export const MICROSOFT_TOKEN_URL = 'https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token';
export const MICROSOFT_SCOPE = 'https://outlook.office365.com/.default';

const KINDS = ['microsoft-client-credentials', 'refresh-token'] as const;
const KEYS: Record<OAuth2Config['kind'], string[]> = {
  'microsoft-client-credentials': ['kind', 'tenantId', 'clientId', 'clientSecret', 'clientSecretFile', 'tokenUrl', 'scope'],
  'refresh-token': ['kind', 'tokenUrl', 'clientId', 'clientSecret', 'clientSecretFile', 'refreshToken', 'refreshTokenFile', 'scope'],
};

/**
 * The `oauth2:` section of a mailbox, in place of `password`. Secrets may be written inline, as
 * `${ENV_NAME}`, or in a file (`clientSecretFile`, `refreshTokenFile`); they join `secrets` so
 * logs and mails never show them.
 */
export function readOAuth2(r: FieldReader, m: Record<string, unknown>, key: string, ctx: ConfigContext, abs: (p: string) => string, secrets: string[]): OAuth2Config | undefined {
  const at = `${key}.oauth2`;
  const raw = m['oauth2'];
  if (m['password'] !== undefined || m['passwordFile'] !== undefined) {
    r.fail(at, 'is given together with password; a mailbox signs in with one of them: remove password (or passwordFile), or the oauth2 section');
  }
  if (!isRecord(raw)) {
    r.fail(at, `expected a section with kind: microsoft-client-credentials or kind: refresh-token, found ${describe(raw)}`);
    return undefined;
  }
  if (raw['kind'] === undefined || raw['kind'] === null || raw['kind'] === '') {
    r.fail(`${at}.kind`, `${raw['kind'] === undefined ? 'is missing' : 'is empty'}; expected ${KINDS.map((k) => `'${k}'`).join(' or ')}`);
    return undefined;
  }
  const kind = r.oneOf(raw, 'kind', `${at}.kind`, KINDS, 'refresh-token');
  for (const k of Object.keys(raw)) {
    if (!KEYS[kind].includes(k)) r.fail(`${at}.${k}`, `is not a key of kind ${kind}; expected ${KEYS[kind].join(', ')}`);
  }
  const microsoft = kind === 'microsoft-client-credentials';
  const tenantId = microsoft ? r.string(raw, 'tenantId', `${at}.tenantId`) : undefined;
  if (tenantId && !/^[A-Za-z0-9.-]+$/.test(tenantId)) r.fail(`${at}.tenantId`, `expected the directory (tenant) ID, a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain like contoso.onmicrosoft.com; found '${tenantId}'`);
  const tokenUrl = microsoft ? r.string(raw, 'tokenUrl', `${at}.tokenUrl`, MICROSOFT_TOKEN_URL).replace('{tenantId}', tenantId ?? '') : r.string(raw, 'tokenUrl', `${at}.tokenUrl`);
  if (tokenUrl && !isHttps(tokenUrl)) r.fail(`${at}.tokenUrl`, `expected an https:// URL (the client secret travels to it), found '${tokenUrl}'`);
  const clientSecret = secret(r, raw, 'clientSecret', 'clientSecretFile', at, ctx, abs, microsoft);
  const refreshToken = microsoft ? undefined : secret(r, raw, 'refreshToken', 'refreshTokenFile', at, ctx, abs, true);
  for (const s of [clientSecret, refreshToken]) if (s) secrets.push(s);
  return {
    kind,
    tokenUrl,
    clientId: r.string(raw, 'clientId', `${at}.clientId`),
    clientSecret,
    scope: r.string(raw, 'scope', `${at}.scope`, microsoft ? MICROSOFT_SCOPE : ''),
    ...(microsoft ? { tenantId } : { refreshToken }),
  };
}

function isHttps(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Inline, `${ENV_NAME}`, or `{name}File`; '' when optional and absent. */
function secret(r: FieldReader, o: Record<string, unknown>, name: string, fileKey: string, at: string, ctx: ConfigContext, abs: (p: string) => string, required: boolean): string {
  const file = r.string(o, fileKey, `${at}.${fileKey}`, '');
  if (file) {
    const text = ctx.readTextFile(abs(file));
    if (text === undefined) r.fail(`${at}.${fileKey}`, `cannot read ${abs(file)}; create it with the ${name} as its only line`);
    return (text ?? '').trim();
  }
  // As for password: a key written without a value is empty, not missing (the admin wrote it).
  if (required && isEmptyValue(o, fileKey) && o[name] === undefined) {
    r.fail(`${at}.${fileKey}`, `is empty; give the path of the file that holds the ${name} (relative to the configuration's folder), or write it itself: ${name}: '…'`);
    return '';
  }
  const value = r.string(o, name, `${at}.${name}`, '');
  if (!value) {
    if (required && isEmptyValue(o, name)) r.fail(`${at}.${name}`, `is empty: after "${name}:" YAML reads nothing, ~ and null as no value. Write it in single quotes, or give ${name}: '\${ENV_NAME}' or ${fileKey}`);
    else if (required) r.fail(`${at}.${name}`, `is missing; give ${name}, ${name}: \${ENV_NAME} or ${fileKey}`);
    return '';
  }
  const env = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
  if (!env) return value;
  const resolved = ctx.env[env[1] ?? ''];
  if (resolved === undefined) r.fail(`${at}.${name}`, `refers to the environment variable ${env[1]}, which is not set`);
  else if (resolved.trim() === '') r.fail(`${at}.${name}`, `refers to the environment variable ${env[1]}, which is set but empty`);
  return resolved?.trim() ?? '';
}
