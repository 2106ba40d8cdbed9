/** `sess --help`. */
export const USAGE = `Usage: sess <command> <store URL> [arguments] [options]

Inspect, sweep, migrate and check session stores.

Commands:
  stats <url>                    Live sessions, how many expire within the hour, sizes, capabilities.
                                   sess stats sqlite:./sessions.db
  list <url>                     Session ids with expiry, user and size.
       [--user <id>] [--limit <n>] (default 100)
                                   sess list redis://127.0.0.1:6379 --user alice --json
  show <url> <id>                One session, its values masked (--reveal shows them).
       [--token <token|->]         Look it up by cookie token instead of store id (- reads stdin).
                                   sess show postgres://db/app k5lQ-2Hx...
  destroy <url> <id>             End one session (also --token).
                                   sess destroy redis://127.0.0.1:6379 k5lQ-2Hx...
  logout-user <url> <user>       End every session of a user.
       [--except <id>]             Keep this one.
                                   sess logout-user redis://127.0.0.1:6379 alice
  sweep <url> [--batch <n>]      Remove expired sessions (SQL, files). SQL sweeps hold the
                                 table's advisory lock, like sess-sql sweep and store.sweep().
                                   sess sweep postgres://db/app --batch 5000
  migrate <from> <to>            Copy every live session (data, expiry, user) to another store.
       [--dry-run]                 Report what would be copied; write nothing.
       [--resume]                  Continue an interrupted migration from its checkpoint.
       [--checkpoint <file>]       Where progress is kept (default sess-migrate-<hash>.json).
       [--batch <n>]               Sessions per page (default 1000).
       [--concurrency <n>]         Sessions copied at once (default 128).
                                   sess migrate sqlite:./sessions.db redis://127.0.0.1:6379
  doctor <url>                   Check the server for what sessions need, and print fixes.
                                   sess doctor memcached://10.0.0.1:11211,10.0.0.2:11211

Store URLs:
  sqlite:./sessions.db   postgres://user:pass@host/db   mysql://user:pass@host/db
  redis://host:6379/0    rediss://host:6380   redis+cluster://h1:7000,h2:7000
  memcached://h1:11211,h2:11211   file:./sessions   memory:
  Options go in the query string: ?prefix= (Redis, memcached), ?table= ?schema= (SQL),
  ?timeoutMs= (default 2000), ?maxPayloadBytes=, ?itemSizeMax= (memcached), ?pool= (SQL).
  Passwords never appear in any output. Command lines are visible to other users of the
  machine: pass URLs with passwords from the environment, e.g. sess stats "$SESS_STORE".

Options:
  --json         Machine-readable output (one JSON document on stdout).
  -h, --help     This help.

Progress goes to stderr: a bar on a terminal, a line every 5 s otherwise.
Ctrl-C stops sweep and migrate after the batch under way; the target stays consistent.

Exit status: 0 ok, 1 failure (a server error, a failed check, an incomplete migration),
2 usage error (bad arguments, URL, id or table), 130 interrupted (migrate: --resume continues).`;
