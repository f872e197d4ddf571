import Database from 'better-sqlite3'
import { SwarmswapError } from '../errors.js'
import {
  FINAL_STATUSES,
  type PeerOffence,
  type ReputationStore,
  type SwapRecord,
  type SwapStore,
} from '../swap/types.js'
import { HASHLOCK_OF_RECORD, migrate } from './migrations.js'
import { decodeSwapRecord, encodeSwapRecord } from './record-codec.js'
import { OFFENCE_MEMORY_MS, refusedUntil } from './reputation.js'

export interface SqliteStoreOptions {
  /** The database file; its directory must exist. */
  path: string
  /** Unix ms; decides which offences are old enough to forget when the store opens. Default Date.now. */
  now?: () => number
}

const OFFENCES: ReadonlySet<PeerOffence> = new Set(['backed-out', 'bad-lock', 'protocol'])
/** Key indexes reserved per durable write; a crash skips the rest of a block. */
const KEY_INDEX_BLOCK = 16
/** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000

type Statements = ReturnType<typeof prepare>

function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[string, string, string, number, number, number, string]>(
      `INSERT INTO swaps (id, role, status, final, created_at, updated_at, record) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    ),
    update: db.prepare<[string, number, number, string, string, string]>(
      'UPDATE swaps SET status = ?, final = ?, updated_at = ?, record = ? WHERE id = ? AND role = ?',
    ),
    get: db.prepare<[string], { record: string }>('SELECT record FROM swaps WHERE id = ?'),
    exists: db.prepare<[string], { role: string }>('SELECT role FROM swaps WHERE id = ?'),
    active: db.prepare<[], { record: string }>(
      'SELECT record FROM swaps WHERE final = 0 ORDER BY created_at ASC, rowid ASC',
    ),
    list: db.prepare<[number], { record: string }>(
      'SELECT record FROM swaps ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    history: db.prepare<[number], { record: string }>(
      'SELECT record FROM swaps WHERE final = 1 ORDER BY created_at DESC, rowid DESC LIMIT ?',
    ),
    reserveKeyIndexes: db.prepare<[number, number], { first: number }>(
      'UPDATE key_index SET next = next + ? WHERE singleton = 0 RETURNING next - ? AS first',
    ),
    returnKeyIndexes: db.prepare<[number, number]>(
      'UPDATE key_index SET next = ? WHERE singleton = 0 AND next = ?',
    ),
    recordOffence: db.prepare<[string, string, number]>(
      'INSERT INTO peer_offences (peer, offence, at) VALUES (?, ?, ?)',
    ),
    offencesSince: db.prepare<[string, number, number], { at: number }>(
      'SELECT at FROM peer_offences WHERE peer = ? AND at > ? AND at <= ? ORDER BY at ASC',
    ),
    forgetOffences: db.prepare<[number]>('DELETE FROM peer_offences WHERE at <= ?'),
    usesHashlock: db.prepare<[string], { found: number }>(
      `SELECT 1 AS found FROM swaps WHERE ${HASHLOCK_OF_RECORD} = ? LIMIT 1`,
    ),
  }
}

/** `limit` as SQLite's LIMIT: -1 means none. */
function sqlLimit(limit: number | undefined): number {
  if (limit === undefined) return -1
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new SwarmswapError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${limit}`, {
      details: { field: 'limit' },
    })
  }
  return limit
}

function assertTime(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new SwarmswapError('INVALID_ARGUMENT', `${field} must be a unix ms integer, got ${value}`, {
      details: { field },
    })
  }
}

/**
 * Swap records, the swap-key counter and the peers' offences in one SQLite file (better-sqlite3, so every
 * call is synchronous). Each write is a single statement, hence its own transaction, committed with
 * journal_mode=WAL and synchronous=FULL: once a method returns, the change survives a crash or power loss.
 * Records are stored whole as JSON (record-codec); the other columns only serve the queries.
 */
export class SqliteStore implements SwapStore, ReputationStore {
  readonly path: string
  readonly #now: () => number
  /** Key indexes reserved on disk and not handed out yet: [next, end). */
  #keyIndexes = { next: 0, end: 0 }
  #db: Database.Database | null = null
  #sql: Statements | null = null
  #opening: Promise<void> | null = null
  #closed = false

  constructor(options: SqliteStoreOptions) {
    this.path = options.path
    this.#now = options.now ?? Date.now
  }

  /** Opens the file and brings its schema up to date. Safe to call twice; CLOSED after close(). */
  ready(): Promise<void> {
    this.#opening ??= Promise.resolve().then(() => this.#open())
    return this.#opening
  }

  /** Safe to call twice, and before ready(). */
  async close(): Promise<void> {
    this.#closed = true
    // Unused reserved indexes go back, unless another store on the file reserved after ours.
    const { next, end } = this.#keyIndexes
    if (next < end) this.#sql?.returnKeyIndexes.run(next, end)
    this.#keyIndexes = { next: 0, end: 0 }
    this.#sql = null
    this.#db?.close()
    this.#db = null
  }

  #open(): void {
    if (this.#closed) throw new SwarmswapError('CLOSED', 'swap store was closed before it was opened')
    const db = new Database(this.path)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('foreign_keys = ON')
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
      migrate(db, this.path)
      const sql = prepare(db)
      sql.forgetOffences.run(this.#now() - OFFENCE_MEMORY_MS)
      this.#db = db
      this.#sql = sql
    } catch (error) {
      db.close()
      throw error
    }
  }

  #statements(): Statements {
    if (this.#sql === null) {
      throw new SwarmswapError(
        'CLOSED',
        this.#closed ? 'swap store is closed' : 'swap store is not ready yet',
      )
    }
    return this.#sql
  }

  insert(record: SwapRecord): void {
    const sql = this.#statements()
    const json = encodeSwapRecord(record)
    const final = FINAL_STATUSES.has(record.status) ? 1 : 0
    const { changes } = sql.insert.run(
      record.id,
      record.role,
      record.status,
      final,
      record.createdAt,
      record.updatedAt,
      json,
    )
    if (changes === 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', `swap ${record.id} exists already`, {
        details: { id: record.id },
      })
    }
  }

  update(record: SwapRecord): void {
    const sql = this.#statements()
    const json = encodeSwapRecord(record)
    const final = FINAL_STATUSES.has(record.status) ? 1 : 0
    const { changes } = sql.update.run(record.status, final, record.updatedAt, json, record.id, record.role)
    if (changes > 0) return
    const stored = sql.exists.get(record.id)
    if (stored === undefined) {
      throw new SwarmswapError('NOT_FOUND', `no swap ${record.id} to update`, { details: { id: record.id } })
    }
    // A swap's role is fixed at creation; a record claiming the other role is a bug in the caller.
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `swap ${record.id} is a ${stored.role} swap, not ${record.role}`,
      {
        details: { id: record.id, field: 'role' },
      },
    )
  }

  get(id: string): SwapRecord | undefined {
    const row = this.#statements().get.get(id)
    return row === undefined ? undefined : decodeSwapRecord(row.record)
  }

  /** Swaps whose status is not final, oldest first: what the engine resumes on start. */
  active(): SwapRecord[] {
    return this.#statements()
      .active.all()
      .map((row) => decodeSwapRecord(row.record))
  }

  /** All swaps, newest (by createdAt) first. */
  list(options: { limit?: number } = {}): SwapRecord[] {
    const sql = this.#statements()
    return sql.list.all(sqlLimit(options.limit)).map((row) => decodeSwapRecord(row.record))
  }

  /** Final swaps (completed, refunded, failed), newest (by createdAt) first: the trade history. */
  history(options: { limit?: number } = {}): SwapRecord[] {
    const sql = this.#statements()
    return sql.history.all(sqlLimit(options.limit)).map((row) => decodeSwapRecord(row.record))
  }

  /**
   * 0, 1, 2, ... across restarts; an index is never returned twice, even if its swap is never stored. Indexes
   * are reserved on disk KEY_INDEX_BLOCK at a time, so most swaps cost no durable write for theirs; close()
   * gives the unused ones back, and a crash skips them.
   */
  allocateKeyIndex(): number {
    const sql = this.#statements()
    if (this.#keyIndexes.next === this.#keyIndexes.end) {
      const row = sql.reserveKeyIndexes.get(KEY_INDEX_BLOCK, KEY_INDEX_BLOCK)
      if (row === undefined) throw new SwarmswapError('INTERNAL', 'key index counter row is missing')
      this.#keyIndexes = { next: row.first, end: row.first + KEY_INDEX_BLOCK }
    }
    return this.#keyIndexes.next++
  }

  /** Whether any stored swap, of any role and status, locks under this hashlock (SHA-256 of a secret). */
  usesHashlock(hashlock: Uint8Array): boolean {
    const sql = this.#statements()
    return sql.usesHashlock.get(Buffer.from(hashlock).toString('hex')) !== undefined
  }

  recordOffence(peer: string, offence: PeerOffence, at: number): void {
    const sql = this.#statements()
    if (peer === '')
      throw new SwarmswapError('INVALID_ARGUMENT', 'peer is empty', { details: { field: 'peer' } })
    if (!OFFENCES.has(offence)) {
      throw new SwarmswapError('INVALID_ARGUMENT', `unknown offence ${JSON.stringify(offence)}`, {
        details: { field: 'offence' },
      })
    }
    assertTime(at, 'at')
    sql.recordOffence.run(peer, offence, at)
  }

  /** See src/store/reputation.ts for the rule. Offences recorded after `now` do not count. */
  refusedUntil(peer: string, now: number): number | null {
    const sql = this.#statements()
    assertTime(now, 'now')
    const times = sql.offencesSince.all(peer, now - OFFENCE_MEMORY_MS, now).map((row) => row.at)
    return refusedUntil(times, now)
  }
}
