// HS256 JWT verification with Node's crypto (no JWT library), shared by both peers.
import { createHmac, timingSafeEqual } from 'node:crypto';

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// Returns the token's `sub`, or null when the token is missing, malformed, not HS256,
// signed with another secret, without `sub`, or expired (`exp` is optional here).
export function verifyToken(token, secret) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = b64urlJson(parts[0]);
    if (header.alg !== 'HS256') return null;
    const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = b64urlJson(parts[1]);
    if (typeof claims.sub !== 'string' || claims.sub === '') return null;
    if (claims.exp !== undefined && !(typeof claims.exp === 'number' && claims.exp * 1000 > Date.now())) return null;
    return claims.sub;
  } catch {
    return null;
  }
}

// Mints a token (used by smoke.mjs; the load generator mints its own).
export function signToken(claims, secret) {
  const enc = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
