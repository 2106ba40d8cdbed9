import { type Credentials, credentialsOf, parseStoreUrl, type StoreUrl } from './parse.js';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A function that blanks the secret of a URL in a text: its password (as
 * written and percent-encoded), and the URL itself when it carries one. A
 * short password is blanked only where it stands alone, so it does not
 * garble every message. User names are not secret (servers print them in
 * their own errors, "password authentication failed for user ...").
 */
export function redactor(secrets: Credentials, raw?: string): (text: string) => string {
  const words = new Set<string>();
  if (secrets.password) {
    words.add(secrets.password);
    words.add(encodeURIComponent(secrets.password));
  }
  const patterns = [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) =>
      word.length >= 4
        ? new RegExp(escapeRegExp(word), 'g')
        : new RegExp(`(?<![\\w-])${escapeRegExp(word)}(?![\\w-])`, 'g'),
    );
  return (text) => {
    let out = raw && secrets.password ? text.split(raw).join('***') : text;
    for (const pattern of patterns) out = out.replace(pattern, '***');
    return out;
  };
}

/**
 * Blanks the passwords of the given store URLs wherever they
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
