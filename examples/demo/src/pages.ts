import type { SessionInfo } from '@sess/core';
import type { DemoData } from './app.js';

export interface PageModel {
  /** Visits counted in this session; undefined for a visitor without one. */
  readonly visits: number | undefined;
  readonly user: string | undefined;
  readonly flash: string | undefined;
  readonly currentId: string | undefined;
  readonly sessions: readonly SessionInfo<DemoData>[];
  /** The store finds sessions by user (listing, logout everywhere else). */
  readonly usersSupported: boolean;
  readonly store: string;
}

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

const time = (ms: number) => escapeHtml(new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

function sessionRows(model: PageModel): string {
  return model.sessions
    .map((s) => {
      const device = escapeHtml(String(s.data?.device ?? 'unknown device'));
      const mark = s.id === model.currentId ? ' <strong>(this one)</strong>' : '';
      return `<tr><td><code>${escapeHtml(s.id.slice(0, 10))}…</code>${mark}</td><td>${device}</td><td>${time(s.createdAt)}</td><td>${time(s.expiresAt)}</td></tr>`;
    })
    .join('\n');
}

function visitsLine(visits: number | undefined): string {
  if (visits === undefined) {
    return '<p>Anonymous visits are not stored: log in to start a session that counts them.</p>';
  }
  return `<p>You have visited this page <strong>${visits}</strong> time${visits === 1 ? '' : 's'} in this session.</p>`;
}

export function homePage(model: PageModel): string {
  const everywhere = model.usersSupported
    ? `<form method="post" action="/logout-others"><button>Log out everywhere else</button></form>
<h2>My sessions</h2>
<table>
<tr><th>Session</th><th>Device</th><th>Created (UTC)</th><th>Expires (UTC)</th></tr>
${sessionRows(model)}
</table>`
    : '<p><small>This store does not index sessions by user: no session list here.</small></p>';
  const signedIn = model.user
    ? `<p>Signed in as <strong>${escapeHtml(model.user)}</strong>.</p>
<form method="post" action="/logout"><button>Log out</button></form>
${everywhere}`
    : `<form method="post" action="/login">
<label>Name <input name="name" required maxlength="64" autocomplete="username"></label>
<button>Log in</button>
</form>
<p><small>A demo: any name logs in, no password.</small></p>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sess demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left}form{display:inline-block;margin-right:.5rem}</style>
</head>
<body>
<h1>sess demo</h1>
${model.flash ? `<p role="status">${escapeHtml(model.flash)}</p>` : ''}
${visitsLine(model.visits)}
${signedIn}
<p><small>Sessions are kept in <code>${escapeHtml(model.store)}</code>.</small></p>
</body>
</html>
`;
}
