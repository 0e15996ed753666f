// A local OAuth2 token endpoint (HTTPS, the test certificate) and the introspection service the
// test Dovecot asks about each token (plain HTTP on 127.0.0.1, see dovecot-conf.ts).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificate } from './smtp.js';

export interface TokenCall {
  path: string;
  grant: string;
  clientId: string;
}

interface Issued {
  username: string;
  issuedAt: number;
  expiresIn: number;
  dead: boolean;
}

export interface OAuth2TestServer {
  /** `https://127.0.0.1:port`; any path is a token endpoint. */
  base: string;
  introspectionUrl: string;
  certPem: string;
  calls: TokenCall[];
  /** client_credentials: client id → secret and the user its tokens are for. */
  clients: Map<string, { secret: string; username: string }>;
  /** refresh_token grant: refresh token → user. */
  refreshTokens: Map<string, string>;
  /** Lifetime in seconds of the tokens issued from now on. */
  expiresIn: number;
  /** The next N tokens issued are refused by introspection, as tokens the server finds expired. */
  killNext: number;
  /** Each refresh answers with a new refresh token and forgets the old one. */
  rotate: boolean;
  /** Introspection answers this late (judging the token when asked): a slow login. */
  introspectionDelayMs: number;
  /** Every access token handed out, so a test can look for it in logs. */
  issued(): string[];
  stop(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

export async function startOAuth2Server(): Promise<OAuth2TestServer> {
  const tokens = new Map<string, Issued>();
  const { key, cert } = testCertificate();
  const s: OAuth2TestServer = {
    base: '', introspectionUrl: '', certPem: cert, calls: [], clients: new Map(), refreshTokens: new Map(),
    expiresIn: 3600, killNext: 0, rotate: false, introspectionDelayMs: 0, issued: () => [...tokens.keys()], stop: async () => undefined,
  };
  const issue = (res: http.ServerResponse, username: string, extra: Record<string, string> = {}) => {
    const token = `at-${randomBytes(24).toString('base64url')}`;
    tokens.set(token, { username, issuedAt: Date.now(), expiresIn: s.expiresIn, dead: s.killNext > 0 });
    if (s.killNext > 0) s.killNext--;
    json(res, 200, { token_type: 'Bearer', expires_in: s.expiresIn, access_token: token, ...extra });
  };
  const tokenServer = https.createServer({ key, cert }, async (req, res) => {
    const form = await readForm(req);
    const grant = form.get('grant_type') ?? '';
    const clientId = form.get('client_id') ?? '';
    s.calls.push({ path: req.url ?? '', grant, clientId });
    const client = s.clients.get(clientId);
    if (grant === 'client_credentials') {
      if (!client || client.secret !== form.get('client_secret')) {
        return json(res, 400, { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2024-01-01 00:00:00Z`, error_codes: [7000215] });
      }
      return issue(res, client.username);
    }
    const old = form.get('refresh_token') ?? '';
    const user = s.refreshTokens.get(old);
    if (grant !== 'refresh_token' || !user) return json(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    if (!s.rotate) return issue(res, user);
    const next = `rt-${randomBytes(12).toString('base64url')}`;
    s.refreshTokens.delete(old);
    s.refreshTokens.set(next, user);
    issue(res, user, { refresh_token: next });
  });
  const introspection = http.createServer(async (req, res) => {
    const t = tokens.get((await readForm(req)).get('token') ?? '');
    const active = !!t && !t.dead && Date.now() < t.issuedAt + t.expiresIn * 1000;
    setTimeout(() => json(res, 200, { active, username: t?.username ?? 'nobody@invalid.example' }), s.introspectionDelayMs);
  });
  const listen = (srv: http.Server) => new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));
  s.base = `https://127.0.0.1:${await listen(tokenServer)}`;
  s.introspectionUrl = `http://127.0.0.1:${await listen(introspection)}/introspect`;
  s.stop = async () => {
    for (const srv of [tokenServer, introspection]) {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  };
  return s;
}
