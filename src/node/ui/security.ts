import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to `dumpkit ui`: a browser or script on this machine that knows the token printed at
 * start (Jupyter's scheme), through the server's own host name (no DNS rebinding) and, for
 * anything that changes state, from the server's own pages (no cross-site requests).
 */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** Constant-time comparison of a presented token with the real one (hashed first: equal lengths). */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Cookies are not port-specific: each server's cookie carries its port in its name. */
export function cookieName(port: number): string {
  return `dumpkit-ui-token-${port}`;
}

export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type Authentication = 'cookie' | 'bearer' | 'query' | undefined;

/** How the request proves it knows the token: the cookie, `Authorization: Bearer`, or `?token=` (first visit). */
export function authenticate(req: IncomingMessage, url: URL, port: number, token: string): Authentication {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m && tokenMatches(m[1], token) ? 'bearer' : undefined;
  }
  const q = url.searchParams.get('token');
  if (q !== null) return tokenMatches(q, token) ? 'query' : undefined;
  return tokenMatches(cookieValue(req, cookieName(port)), token) ? 'cookie' : undefined;
}

/** The Host header names this server: `127.0.0.1:PORT` or `localhost:PORT`, nothing else (DNS rebinding). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** The origins of this server's own pages. */
export function ownOrigin(origin: string, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Why a request is refused, or undefined. Order: the socket (loopback only), Host, Origin, token.
 * An Origin header, when present, must be the server's own; a state-changing request made with
 * the cookie must carry one (browsers always send it on POST), so a cross-site form cannot ride
 * on the cookie even where SameSite is not honoured.
 */
export function refusal(req: IncomingMessage, url: URL, port: number, token: string): { status: number; reason: string } | undefined {
  const remote = req.socket.remoteAddress;
  if (remote !== '127.0.0.1' && remote !== '::ffff:127.0.0.1') return { status: 403, reason: `connections from ${remote} are refused: loopback only` };
  if (!hostAllowed(req.headers.host, port)) {
    return { status: 403, reason: `Host ${JSON.stringify(req.headers.host ?? '')} is not this server (127.0.0.1:${port} or localhost:${port})` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !ownOrigin(origin, port)) return { status: 403, reason: `Origin ${JSON.stringify(origin)} is not this server's` };
  const auth = authenticate(req, url, port, token);
  if (!auth) {
    const had = req.headers.authorization !== undefined || url.searchParams.has('token') || cookieValue(req, cookieName(port)) !== undefined;
    return { status: 403, reason: had ? 'wrong token' : 'no token: open the URL `dumpkit ui` printed (it ends in ?token=…)' };
  }
  const method = req.method ?? 'GET';
  if (STATE_CHANGING.has(method)) {
    if (auth === 'query') return { status: 403, reason: 'the token in the address is for the first visit only' };
    if (auth === 'cookie' && origin === undefined) return { status: 403, reason: `${method} without an Origin header` };
  }
  return undefined;
}
