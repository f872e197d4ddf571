import type { Database } from 'better-sqlite3'
import { SwarmswapError } from '../errors.js'
import { FINAL_STATUSES } from '../swap/types.js'

/**
 * The store's schema history. `PRAGMA user_version` holds the version a database is at; opening applies
 * every later migration in order, each in its own transaction together with the version bump, so a crash
 * mid-migration leaves the database at the previous version. Never edit a released migration: append one.
 */
/** The hashlock of a stored record (lower-case hex), as indexed since version 3; queries must use it verbatim. */
export const HASHLOCK_OF_RECORD = "json_extract(record, '$.makerLeg.hashlock')"

export interface Migration {
  version: number
  up(db: Database): void
}

export const MIGRATIONS: readonly Migration[] = [
  {
    // Swap records and the swap-key counter.
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE swaps (
          id TEXT PRIMARY KEY,
          role TEXT NOT NULL,
          status TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          record TEXT NOT NULL
        ) STRICT;
        CREATE TABLE key_index (
          singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
          next INTEGER NOT NULL CHECK (next >= 0)
        ) STRICT;
        INSERT INTO key_index (singleton, next) VALUES (0, 0);
      `)
    },
  },
  {
    // A `final` flag so active swaps are found by index on every start, and the peers' offence log.
    version: 2,
    up(db) {
      db.exec(`
        ALTER TABLE swaps ADD COLUMN final INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1));
        CREATE INDEX swaps_by_final ON swaps (final, created_at);
        CREATE INDEX swaps_by_created ON swaps (created_at);
        CREATE TABLE peer_offences (
          peer TEXT NOT NULL,
          offence TEXT NOT NULL CHECK (offence IN ('backed-out', 'bad-lock', 'protocol')),
          at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX peer_offences_by_peer ON peer_offences (peer, at);
      `)
      db.prepare('UPDATE swaps SET final = 1 WHERE status IN (SELECT value FROM json_each(?))').run(
        JSON.stringify([...FINAL_STATUSES]),
      )
    },
  },
  {
    // Swaps by hashlock (both legs share it), so a taker finds at once whether offered terms reuse one.
    version: 3,
    up(db) {
      db.exec(`CREATE INDEX swaps_by_hashlock ON swaps (${HASHLOCK_OF_RECORD});`)
    },
  },
]

/** The newest schema this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0

/**
 * Brings `db` to SCHEMA_VERSION. Throws INVALID_ARGUMENT for a database written by a newer swarmswap:
 * this code cannot know what the newer schema means, so it must not read or write it.
 */
export function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > SCHEMA_VERSION) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `swap database ${path} has schema version ${current}, newer than this swarmswap knows (${SCHEMA_VERSION}); ` +
        'upgrade swarmswap to open it',
      { details: { path, version: current, supported: SCHEMA_VERSION } },
    )
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue
    db.transaction(() => {
      migration.up(db)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}
