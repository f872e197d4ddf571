import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import test from 'ava'
import Database from 'better-sqlite3'
import { isSwarmswapError } from '../../src/errors.js'
import { HASHLOCK_OF_RECORD, SCHEMA_VERSION } from '../../src/store/migrations.js'
import { encodeSwapRecord } from '../../src/store/record-codec.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { PeerOffence, SwapRecord } from '../../src/swap/types.js'
import { makerRecord, numberedRecord, takerRecord } from '../fixtures/store/records.js'
import { spawnTs, stopChild } from '../helpers/child.js'

const dirs: string[] = []
const children: ChildProcess[] = []
test.after.always(async () => {
  await Promise.all(children.map((child) => stopChild(child, 'SIGKILL')))
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

async function dbPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-store-'))
  dirs.push(dir)
  return join(dir, 'swaps.db')
}

async function openStore(path: string, now?: () => number): Promise<SqliteStore> {
  const store = new SqliteStore(now === undefined ? { path } : { path, now })
  await store.ready()
  return store
}

const ids = (records: SwapRecord[]): string[] => records.map((record) => record.id)
const completed = (n: number): SwapRecord => ({ ...numberedRecord(n, 5), status: 'completed' })

test('insert, get, update, active, list and history, across a reopen', async (t) => {
  const path = await dbPath()
  const store = await openStore(path)
  const [first, second, third] = [numberedRecord(1), numberedRecord(2), numberedRecord(3)]
  // Inserted out of creation order: the queries order by createdAt, not by insertion.
  for (const record of [second, third, first]) store.insert(record)
  t.deepEqual(store.get(first.id), first)
  t.is(store.get('00'.repeat(32)), undefined)

  store.update(numberedRecord(1, 3))
  store.update(completed(2))
  t.deepEqual(store.get(first.id), numberedRecord(1, 3))
  t.deepEqual(ids(store.active()), [first.id, third.id])
  t.deepEqual(ids(store.list()), [third.id, second.id, first.id])
  t.deepEqual(ids(store.list({ limit: 2 })), [third.id, second.id])
  t.deepEqual(ids(store.history()), [second.id])
  await store.close()

  const reopened = await openStore(path)
  t.deepEqual(reopened.get(second.id), completed(2))
  t.deepEqual(reopened.active(), [numberedRecord(1, 3), third])
  t.deepEqual(reopened.list(), [third, completed(2), numberedRecord(1, 3)])
  await reopened.close()
})

test('history lists every final status, newest first, and honours limit', async (t) => {
  const store = await openStore(await dbPath())
  const finals: SwapRecord[] = [
    { ...numberedRecord(1), status: 'completed' },
    { ...numberedRecord(2), status: 'refunded' },
    { ...numberedRecord(3), status: 'failed' },
    numberedRecord(4),
  ]
  for (const record of finals) store.insert(record)
  t.deepEqual(ids(store.history()), ids(finals.slice(0, 3).reverse()))
  t.deepEqual(ids(store.history({ limit: 1 })), [finals[2]?.id])
  t.deepEqual(ids(store.active()), [finals[3]?.id])
  t.true(
    isSwarmswapError(
      t.throws(() => store.history({ limit: -1 })),
      'INVALID_ARGUMENT',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.list({ limit: 1.5 })),
      'INVALID_ARGUMENT',
    ),
  )
  await store.close()
})

test('a duplicate insert is refused and changes nothing', async (t) => {
  const store = await openStore(await dbPath())
  store.insert(makerRecord)
  const error = t.throws(() => store.insert({ ...takerRecord, id: makerRecord.id }))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.deepEqual(store.get(makerRecord.id), makerRecord)
  t.is(store.list().length, 1)
  await store.close()
})

test('update of an unknown id is NOT_FOUND and stores nothing', async (t) => {
  const store = await openStore(await dbPath())
  t.true(
    isSwarmswapError(
      t.throws(() => store.update(takerRecord)),
      'NOT_FOUND',
    ),
  )
  t.deepEqual(store.list(), [])
  await store.close()
})

test('an update may not change the role of a swap', async (t) => {
  const store = await openStore(await dbPath())
  store.insert(makerRecord)
  t.true(
    isSwarmswapError(
      t.throws(() => store.update({ ...makerRecord, role: 'taker' })),
      'INVALID_ARGUMENT',
    ),
  )
  t.deepEqual(store.get(makerRecord.id), makerRecord)
  await store.close()
})

test('a record that could not be read back is refused before it is written', async (t) => {
  const store = await openStore(await dbPath())
  const bad = { ...makerRecord, makerLeg: { ...makerRecord.makerLeg, amount: -5n } }
  t.true(
    isSwarmswapError(
      t.throws(() => store.insert(bad)),
      'INVALID_ARGUMENT',
    ),
  )
  t.is(store.get(makerRecord.id), undefined)
  await store.close()
})

test('a corrupted stored record is BAD_DATA, not a wrong record', async (t) => {
  const path = await dbPath()
  const store = await openStore(path)
  store.insert(makerRecord)
  await store.close()
  const db = new Database(path)
  db.prepare('UPDATE swaps SET record = replace(record, \'"amount":"1\', \'"amount":"-1\')').run()
  db.close()
  const reopened = await openStore(path)
  t.true(
    isSwarmswapError(
      t.throws(() => reopened.get(makerRecord.id)),
      'BAD_DATA',
    ),
  )
  await reopened.close()
})

test('usesHashlock finds a stored swap of any status by its hashlock, by index, across a reopen', async (t) => {
  const path = await dbPath()
  const store = await openStore(path)
  const lock = (byte: number) => new Uint8Array(32).fill(byte)
  const withLock = (n: number, byte: number): SwapRecord => {
    const record = numberedRecord(n)
    return {
      ...record,
      makerLeg: { ...record.makerLeg, hashlock: lock(byte) },
      takerLeg: { ...record.takerLeg, hashlock: lock(byte) },
    }
  }
  t.false(store.usesHashlock(lock(0x01)), 'an empty store uses none')
  store.insert(withLock(1, 0x01))
  store.insert({ ...withLock(2, 0x02), status: 'failed' })
  t.true(store.usesHashlock(lock(0x01)))
  t.true(store.usesHashlock(lock(0x02)), 'a swap that ended still counts')
  t.false(store.usesHashlock(lock(0x03)))
  await store.close()

  const reopened = await openStore(path)
  t.true(reopened.usesHashlock(lock(0x02)))
  t.false(reopened.usesHashlock(lock(0x03)))
  await reopened.close()
  const db = new Database(path, { readonly: true })
  const plan = db
    .prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM swaps WHERE ${HASHLOCK_OF_RECORD} = ?`)
    .all('01'.repeat(32)) as { detail: string }[]
  db.close()
  t.true(
    plan.some((step) => step.detail.includes('swaps_by_hashlock')),
    JSON.stringify(plan),
  )
})

test('key indexes start at 0 and are never reused, across reopens', async (t) => {
  const path = await dbPath()
  const seen: number[] = []
  for (let round = 0; round < 3; round++) {
    const store = await openStore(path)
    for (let i = 0; i < 4; i++) seen.push(store.allocateKeyIndex())
    await store.close()
  }
  t.deepEqual(
    seen,
    Array.from({ length: 12 }, (_, i) => i),
  )
})

test('key indexes are reserved in blocks: a store that never closed skips the rest of its block', async (t) => {
  const path = await dbPath()
  const crashed = await openStore(path)
  t.deepEqual([crashed.allocateKeyIndex(), crashed.allocateKeyIndex()], [0, 1])
  // Another store on the file while the first still holds its block (as after a crash, where it is lost).
  const next = await openStore(path)
  t.is(next.allocateKeyIndex(), 16, 'the first block stays reserved')
  t.is(crashed.allocateKeyIndex(), 2, 'and its holder goes on within it')
  // Closing the first gives nothing back: the counter has moved past its block.
  await crashed.close()
  t.is(next.allocateKeyIndex(), 17)
  await next.close()
  const reopened = await openStore(path)
  t.is(reopened.allocateKeyIndex(), 18, 'the last store gave back what it did not use')
  await reopened.close()
})

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const T = 1_900_000_000_000

/** Offences of one peer at `offences` (offsets from T); at each `checks` offset, the expected refusal end. */
const escalation: { description: string; offences: number[]; checks: [number, number | null][] }[] = [
  { description: 'never offended', offences: [], checks: [[0, null]] },
  {
    description: 'one offence: 10 minutes, end exclusive',
    offences: [0],
    checks: [
      [-1, null],
      [0, T + 10 * MINUTE],
      [10 * MINUTE - 1, T + 10 * MINUTE],
      [10 * MINUTE, null],
    ],
  },
  {
    description: 'doubling per offence within 30 days',
    offences: [0, DAY, 2 * DAY, 3 * DAY],
    checks: [
      [DAY, T + DAY + 20 * MINUTE],
      [2 * DAY, T + 2 * DAY + 40 * MINUTE],
      [3 * DAY + 79 * MINUTE, T + 3 * DAY + 80 * MINUTE],
      [3 * DAY + 80 * MINUTE, null],
    ],
  },
  {
    description: 'overlapping refusals: the later end wins',
    offences: [0, MINUTE],
    checks: [[5 * MINUTE, T + MINUTE + 20 * MINUTE]],
  },
  {
    description: 'an offence 30 days old no longer counts',
    offences: [0, 30 * DAY],
    checks: [[30 * DAY, T + 30 * DAY + 10 * MINUTE]],
  },
  {
    description: 'an offence just under 30 days old still counts',
    offences: [0, 30 * DAY - 1],
    checks: [[30 * DAY, T + 30 * DAY - 1 + 20 * MINUTE]],
  },
  {
    description: 'capped at 7 days (the 11th offence would be 10240 minutes)',
    offences: Array.from({ length: 11 }, (_, i) => i * MINUTE),
    checks: [
      [10 * MINUTE, T + 10 * MINUTE + 7 * DAY],
      [10 * MINUTE + 7 * DAY, null],
    ],
  },
  {
    description: 'offences after now do not count yet',
    offences: [0, 2 * DAY],
    checks: [
      [DAY, null],
      [2 * DAY, T + 2 * DAY + 20 * MINUTE],
    ],
  },
]

for (const { description, offences, checks } of escalation) {
  test(`reputation: ${description}`, async (t) => {
    const store = await openStore(await dbPath())
    const kinds: PeerOffence[] = ['backed-out', 'bad-lock', 'protocol']
    offences.forEach((offset, i) => {
      store.recordOffence('peer-a', kinds[i % kinds.length] ?? 'protocol', T + offset)
    })
    store.recordOffence('peer-b', 'protocol', T)
    for (const [offset, until] of checks) {
      t.is(store.refusedUntil('peer-a', T + offset), until, `at T+${offset}`)
    }
    await store.close()
  })
}

test('reputation survives a reopen; offences too old to matter are forgotten on open', async (t) => {
  const path = await dbPath()
  const store = await openStore(path)
  store.recordOffence('peer', 'backed-out', T)
  store.recordOffence('peer', 'backed-out', T + DAY)
  await store.close()
  const reopened = await openStore(path, () => T + DAY)
  t.is(reopened.refusedUntil('peer', T + DAY), T + DAY + 20 * MINUTE)
  await reopened.close()
  // 37 days after the first offence it can no longer refuse anyone or count for an offence that can.
  const later = await openStore(path, () => T + 37 * DAY)
  t.is(later.refusedUntil('peer', T + DAY), T + DAY + 10 * MINUTE)
  await later.close()
})

test('recordOffence validates its input', async (t) => {
  const store = await openStore(await dbPath())
  t.true(
    isSwarmswapError(
      t.throws(() => store.recordOffence('p', 'rude' as PeerOffence, T)),
      'INVALID_ARGUMENT',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.recordOffence('p', 'protocol', 1.5)),
      'INVALID_ARGUMENT',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.recordOffence('', 'protocol', T)),
      'INVALID_ARGUMENT',
    ),
  )
  t.is(store.refusedUntil('p', T), null)
  await store.close()
})

test('ready and close are safe twice; methods before ready or after close throw CLOSED', async (t) => {
  const store = new SqliteStore({ path: await dbPath() })
  t.true(
    isSwarmswapError(
      t.throws(() => store.get(makerRecord.id)),
      'CLOSED',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.allocateKeyIndex()),
      'CLOSED',
    ),
  )
  await Promise.all([store.ready(), store.ready()])
  await store.ready()
  store.insert(makerRecord)
  await store.close()
  await store.close()
  t.true(
    isSwarmswapError(
      t.throws(() => store.active()),
      'CLOSED',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.refusedUntil('p', T)),
      'CLOSED',
    ),
  )
  t.true(
    isSwarmswapError(
      t.throws(() => store.insert(takerRecord)),
      'CLOSED',
    ),
  )
})

test('the database is in WAL mode at the current schema version', async (t) => {
  const path = await dbPath()
  const store = await openStore(path)
  await store.close()
  const db = new Database(path, { readonly: true })
  t.is(db.pragma('journal_mode', { simple: true }), 'wal')
  t.is(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  db.close()
})

test('a database from a newer swarmswap is refused and left untouched', async (t) => {
  const path = await dbPath()
  const db = new Database(path)
  db.exec('CREATE TABLE future (x TEXT)')
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  db.close()
  const store = new SqliteStore({ path })
  const error = await t.throwsAsync(store.ready())
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.regex(error?.message ?? '', /newer than this swarmswap knows/)
  t.true(
    isSwarmswapError(
      t.throws(() => store.list()),
      'CLOSED',
    ),
  )
  await store.close()
  const after = new Database(path, { readonly: true })
  t.is(after.pragma('user_version', { simple: true }), SCHEMA_VERSION + 1)
  t.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), [
    { name: 'future' },
  ])
  after.close()
})

test('a version 1 database is migrated: records, key counter and final flags carried over', async (t) => {
  const path = await dbPath()
  // Version 1 as it was released: no `final` column, no offences table.
  const db = new Database(path)
  db.exec(`
    CREATE TABLE swaps (id TEXT PRIMARY KEY, role TEXT NOT NULL, status TEXT NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, record TEXT NOT NULL) STRICT;
    CREATE TABLE key_index (singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
      next INTEGER NOT NULL CHECK (next >= 0)) STRICT;
    INSERT INTO key_index (singleton, next) VALUES (0, 5);
  `)
  const insert = db.prepare('INSERT INTO swaps VALUES (?, ?, ?, ?, ?, ?)')
  for (const record of [
    numberedRecord(1, 2),
    completed(2),
    { ...numberedRecord(3), status: 'refunded' as const },
  ]) {
    insert.run(
      record.id,
      record.role,
      record.status,
      record.createdAt,
      record.updatedAt,
      encodeSwapRecord(record),
    )
  }
  db.pragma('user_version = 1')
  db.close()

  const store = await openStore(path)
  t.deepEqual(store.active(), [numberedRecord(1, 2)])
  t.deepEqual(ids(store.history()), [numberedRecord(3).id, numberedRecord(2).id])
  t.is(store.allocateKeyIndex(), 5)
  store.recordOffence('peer', 'protocol', T)
  t.is(store.refusedUntil('peer', T), T + 10 * MINUTE)
  await store.close()
  const after = new Database(path, { readonly: true })
  t.is(after.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  after.close()
})

/** Complete lines of `text` (a line cut off by the kill is not an acknowledgement). */
const completeLines = (text: string): string[] => text.split('\n').slice(0, -1)

test('a writer killed with SIGKILL mid-loop loses no acknowledged write', async (t) => {
  const path = await dbPath()
  const child = spawnTs('test/store/helpers/write-loop.ts', [path])
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  // Kill after a varying number of writes, so the kill lands at a different point of the loop each run.
  const killAfter = 150 + Math.floor(Math.random() * 100)
  const exited = once(child, 'exit')
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    if (completeLines(stdout).length >= killAfter) child.kill('SIGKILL')
  })
  const [code, signal] = await exited
  t.is(signal, 'SIGKILL', `writer exited by itself (${code}): ${stderr}`)

  const acknowledged = new Map<number, { version: number; keyIndex: number }>()
  for (const line of completeLines(stdout)) {
    const [n, version, keyIndex] = line.split(' ').map(Number) as [number, number, number]
    acknowledged.set(n, { version, keyIndex })
  }
  t.true(completeLines(stdout).length >= killAfter, 'killed before the writes it was waiting for')

  const db = new Database(path)
  t.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }])
  db.close()
  const store = await openStore(path)
  for (const [n, { version, keyIndex }] of acknowledged) {
    const stored = store.get(numberedRecord(n).id)
    // The write in flight at the kill may have committed without being acknowledged: one version later.
    const expected = [version, version + 1].map((v) => ({ ...numberedRecord(n, v), keyIndex }))
    t.true(
      expected.some((record) => isDeepStrictEqual(stored, record)),
      `swap ${n} version ${version}: ${stored === undefined ? 'missing' : `stored as ${stored.status}`}`,
    )
  }
  const keyIndexes = [...acknowledged.values()].map((entry) => entry.keyIndex)
  t.is(new Set(keyIndexes).size, keyIndexes.length, 'key indexes unique')
  t.true(
    store.allocateKeyIndex() > Math.max(...keyIndexes),
    'counter continues after the last acknowledged index',
  )
  await store.close()
})
