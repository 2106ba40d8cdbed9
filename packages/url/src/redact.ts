import { type Credentials, credentialsOf, parseStoreUrl, type StoreUrl } from './parse.js';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A function that blanks every secret in a text: the password and user
 * name of a URL (as written and percent-encoded), and the URL itself. Short
 * secrets are blanked only where they stand alone, so a one-letter user name
 * does not garble every message.
 */
export function redactor(secrets: Credentials, raw?: string): (text: string) => string {
  const words = new Set<string>();
  for (const secret of [secrets.password, secrets.username]) {
    if (!secret) continue;
    words.add(secret);
    words.add(encodeURIComponent(secret));
  }
  const patterns = [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) =>
      word.length >= 4
        ? new RegExp(escape(word), 'g')
        : new RegExp(`(?<![\\w-])${escape(word)}(?![\\w-])`, 'g'),
    );
  return (text) => {
    let out = raw && secrets.password + secrets.username ? text.split(raw).join('***') : text;
    for (const pattern of patterns) out = out.replace(pattern, '***');
    return out;
  };
}

/**
 * Blanks the user names and passwords of the given store URLs wherever they
 * appear in `text`: for tools that print messages from drivers and servers.
 *
 * @example
 * redactSecrets('auth failed for hunter2', 'redis://:hunter2@cache:6379'); // 'auth failed for ***'
 */
export function redactSecrets(text: string, ...specs: readonly string[]): string {
  let out = text;
  for (const spec of specs) {
    let url: StoreUrl;
    try {
      url = parseStoreUrl(spec);
    } catch {
      continue;
    }
    out = redactor(credentialsOf(url), spec)(out);
  }
  return out;
}
