import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OAuth2Config, TlsOptions } from '../../src/core/config-types.js';
import { OAuth2Error } from '../../src/core/oauth2-advice.js';
import { runtimeSecrets } from '../../src/core/secret-registry.js';
import { Logger } from '../../src/cli/logger.js';
import { accessToken, clearTokenCache } from '../../src/io/oauth2-token.js';
import { startOAuth2Server, type OAuth2TestServer } from '../helpers/oauth2-server.js';

let srv: OAuth2TestServer;
let tls: TlsOptions;

beforeAll(async () => {
  srv = await startOAuth2Server();
  tls = { rejectUnauthorized: true, ca: srv.certPem };
  srv.clients.set('app-1', { secret: 'app-1-secret', username: 'app@contoso.com' });
  srv.refreshTokens.set('rt-carol', 'carol@contoso.com');
});

afterAll(async () => {
  await srv?.stop();
});

afterEach(() => {
  clearTokenCache();
  srv.calls.length = 0;
  srv.expiresIn = 3600;
  vi.useRealTimers();
});

const app = (over: Partial<OAuth2Config> = {}): OAuth2Config => ({
  kind: 'microsoft-client-credentials', tenantId: 'contoso.onmicrosoft.com', clientId: 'app-1', clientSecret: 'app-1-secret',
  tokenUrl: `${srv.base}/contoso.onmicrosoft.com/oauth2/v2.0/token`, scope: 'https://outlook.office365.com/.default', ...over,
});

describe('OAuth2 access tokens', () => {
  it('are fetched on a Node without process.getBuiltinModule too (21, 22.0-22.2, which engines admits)', async () => {
    const own = process.getBuiltinModule;
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    try {
      expect(await accessToken(app(), tls)).toMatch(/./);
    } finally {
      process.getBuiltinModule = own;
    }
  });

  it('are fetched once per credential, also when many connections ask at once', async () => {
    const tokens = await Promise.all(Array.from({ length: 5 }, () => accessToken(app(), tls)));
    expect(new Set(tokens).size).toBe(1);
    expect(await accessToken(app(), tls)).toBe(tokens[0]);
    expect(srv.calls).toEqual([{ path: '/contoso.onmicrosoft.com/oauth2/v2.0/token', grant: 'client_credentials', clientId: 'app-1' }]);
    // Another credential (here: another scope) is another token.
    await accessToken(app({ scope: 'other' }), tls);
    expect(srv.calls).toHaveLength(2);
  });

  it('are fetched again shortly before they expire, and when the server refused the one it got', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    srv.expiresIn = 100;
    const first = await accessToken(app(), tls);
    vi.setSystemTime(Date.now() + 70_000);
    expect(await accessToken(app(), tls)).toBe(first);
    // Within the last fifth of its lifetime: replaced before a long run's next login can fail.
    vi.setSystemTime(Date.now() + 15_000);
    const second = await accessToken(app(), tls);
    expect(second).not.toBe(first);
    expect(srv.calls).toHaveLength(2);
    // The server turned `second` down: a new one, but only once for all who report it.
    const [third, again] = await Promise.all([accessToken(app(), tls, second), accessToken(app(), tls, second)]);
    expect(third).not.toBe(second);
    expect(again).toBe(third);
    expect(await accessToken(app(), tls, second)).toBe(third);
    expect(srv.calls).toHaveLength(3);
  });

  it('refresh-token: the refresh grant, and a rotated refresh token is used from then on', async () => {
    const c: OAuth2Config = { kind: 'refresh-token', tokenUrl: `${srv.base}/token`, clientId: 'gmail-client', clientSecret: 'gsecret', refreshToken: 'rt-carol', scope: '' };
    const token = await accessToken(c, tls);
    expect(token).toMatch(/^at-/);
    expect(srv.calls[0]).toMatchObject({ grant: 'refresh_token', clientId: 'gmail-client' });
    // The provider rotates: the old refresh token is gone, the new one must be used (and is a secret).
    srv.rotate = true;
    const second = await accessToken(c, tls, token);
    const rotated = [...srv.refreshTokens.keys()].find((k) => k !== 'rt-carol' && srv.refreshTokens.get(k) === 'carol@contoso.com') as string;
    expect(srv.refreshTokens.has('rt-carol')).toBe(false);
    expect(await accessToken(c, tls, second)).toMatch(/^at-/);
    expect(runtimeSecrets()).toContain(rotated);
    srv.rotate = false;
    await expect(accessToken({ ...c, refreshToken: 'rt-revoked' }, tls)).rejects.toThrow(/HTTP 400 invalid_grant \("Token has been expired or revoked\."\): the refresh token has expired or was revoked/);
  });

  it('a refusal names the tenant, the client, the status and what the endpoint said, and holds for the run', async () => {
    const bad = app({ clientSecret: 'wrong-secret' });
    const err = await accessToken(bad, tls).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuth2Error);
    const message = (err as Error).message;
    expect(message).toContain('client app-1 of tenant contoso.onmicrosoft.com');
    expect(message).toContain('HTTP 400 invalid_client ("AADSTS7000215: Invalid client secret provided.');
    expect(message).toContain('Certificates & secrets');
    expect(message).not.toContain('Trace ID');
    expect(message).not.toContain('wrong-secret');
    await expect(accessToken(bad, tls)).rejects.toBe(err);
    expect(srv.calls).toHaveLength(1);
  });

  it('an endpoint whose certificate is not trusted, or that is not there, is said so', async () => {
    await expect(accessToken(app(), { rejectUnauthorized: true })).rejects.toThrow(/cannot be reached \(.*certificate.*\): its TLS certificate is not trusted: give its CA with tlsCaFile/);
    const gone = await accessToken(app({ tokenUrl: 'https://127.0.0.1:1/token' }), tls).catch((e: unknown) => e as OAuth2Error);
    expect((gone as OAuth2Error).code).toBe('ECONNREFUSED');
    expect((gone as OAuth2Error).message).toMatch(/cannot be reached .*ECONNREFUSED.*check tokenUrl/);
  });

  it('every token fetched is a secret the logger redacts', async () => {
    const token = await accessToken(app(), tls);
    expect(runtimeSecrets()).toContain(token);
    expect(new Logger(false).redact(`Bearer ${token}`)).toBe('Bearer ***');
  });
});
