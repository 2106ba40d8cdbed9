import type { IncomingMessage } from 'node:http';

export const COOKIE_NAME = 'sess';

/** The value of one cookie from the request's Cookie header. */
export function readCookie(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

interface CookieOptions {
  /** Adds `Secure`: only over HTTPS. */
  readonly secure: boolean;
}

// HttpOnly: scripts cannot read the token. SameSite=Lax: the browser leaves
// it off cross-site POSTs (CSRF) but keeps it on links into the site.
function attributes({ secure }: CookieOptions): string {
  return `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

/** Sets the session cookie to expire exactly when the stored session does. */
export function sessionCookie(token: string, expiresAt: number, options: CookieOptions): string {
  return `${COOKIE_NAME}=${token}; Expires=${new Date(expiresAt).toUTCString()}; ${attributes(options)}`;
}

export function clearedCookie(options: CookieOptions): string {
  return `${COOKIE_NAME}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; ${attributes(options)}`;
}
