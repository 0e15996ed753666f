import { createHash } from 'node:crypto';
import type { OAuth2Config, TlsOptions } from '../core/config-types.js';
import { OAuth2Error, tokenRefusal, tokenUnreachable } from '../core/oauth2-advice.js';
import { registerSecret } from '../core/secret-registry.js';
import { builtinModule } from './builtin.js';

interface Entry {
  token?: string;
  expiresAt: number;
  lifetimeMs: number;
  /** The newest refresh token: a provider may rotate it with each use. Memory only. */
  refreshToken?: string | undefined;
  pending?: Promise<string> | undefined;
  /** A refusal (4xx) holds for the whole run: other mailboxes on this credential fail at once. */
  refused?: OAuth2Error | undefined;
}

const cache = new Map<string, Entry>();
const TIMEOUT_MS = 30_000;
const MAX_BODY = 1024 * 1024;

/**
 * An access token for this credential: fetched once per run and shared by every mailbox and
 * connection using it, fetched again shortly before it expires (a fifth of its lifetime, at most
 * five minutes, ahead), or when the server refused `stale`, the token it was given.
 */
export async function accessToken(c: OAuth2Config, tls: TlsOptions, stale?: string): Promise<string> {
  const key = credentialKey(c);
  const entry = cache.get(key) ?? { expiresAt: 0, lifetimeMs: 0, refreshToken: c.refreshToken };
  cache.set(key, entry);
  if (entry.refused) throw entry.refused;
  if (entry.pending) return entry.pending;
  const margin = Math.min(300_000, entry.lifetimeMs / 5);
  if (entry.token && entry.token !== stale && Date.now() < entry.expiresAt - margin) return entry.token;
  entry.pending = fetchToken(c, tls, entry).finally(() => (entry.pending = undefined));
  return entry.pending;
}

/** Forgets every token; for tests, which run many "runs" in one process. */
export function clearTokenCache(): void {
  cache.clear();
}

async function fetchToken(c: OAuth2Config, tls: TlsOptions, entry: Entry): Promise<string> {
  const form = new URLSearchParams({ client_id: c.clientId });
  if (c.kind === 'microsoft-client-credentials') form.set('grant_type', 'client_credentials');
  else {
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', entry.refreshToken ?? '');
  }
  if (c.clientSecret) form.set('client_secret', c.clientSecret);
  if (c.scope) form.set('scope', c.scope);
  const asked = Date.now();
  let answer: { status: number; body: string };
  try {
    answer = await post(c.tokenUrl, form.toString(), tls);
  } catch (err) {
    throw tokenUnreachable(c, err);
  }
  const json = parse(answer.body);
  const token = typeof json?.['access_token'] === 'string' ? json['access_token'] : '';
  if (answer.status !== 200 || !token) {
    const err = answer.status === 200 ? new OAuth2Error(`OAuth2 sign-in failed: the token endpoint ${c.tokenUrl} answered without an access_token: check tokenUrl`) : tokenRefusal(c, answer.status, answer.body);
    if (err.final) entry.refused = err;
    throw err;
  }
  // Registered before anyone can use (and so log) it.
  registerSecret(token);
  const rotated = json?.['refresh_token'];
  if (typeof rotated === 'string' && rotated) {
    registerSecret(rotated);
    entry.refreshToken = rotated;
  }
  const seconds = Number(json?.['expires_in']);
  entry.lifetimeMs = (Number.isFinite(seconds) && seconds > 0 ? seconds : 3600) * 1000;
  entry.expiresAt = asked + entry.lifetimeMs;
  entry.token = token;
  return token;
}

/**
 * Node's https, not fetch: only it takes the mailbox's CA (tlsCaFile) for a private endpoint.
 * Loaded here, not at start-up, where Node's HTTP modules cost every run a few milliseconds.
 */
async function post(url: string, body: string, tls: TlsOptions): Promise<{ status: number; body: string }> {
  const https = builtinModule('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: tls.ca } : {}),
      timeout: TIMEOUT_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One cache entry per credential; secrets enter the key only hashed. */
function credentialKey(c: OAuth2Config): string {
  const secret = createHash('sha256').update(`${c.clientSecret}\n${c.refreshToken ?? ''}`).digest('hex');
  return JSON.stringify([c.kind, c.tokenUrl, c.clientId, c.tenantId ?? '', c.scope, secret]);
}
