/**
 * Crash-test writer: inserts and updates swaps in a tight loop until killed, printing one line per write
 * only after the store acknowledged it: `<swap number> <version> <key index>`. The test SIGKILLs this
 * process and checks that every printed write is in the database.
 * Usage: node --import tsx write-loop.ts <db path>
 */
import { SqliteStore } from '../../../src/store/sqlite-store.js'
import { numberedRecord } from '../../fixtures/store/records.js'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: write-loop.ts <db path>')
const store = new SqliteStore({ path })
await store.ready()

/** Each new swap gets three later versions, interleaved with the next swaps' inserts. */
const VERSIONS = 4
for (let n = 0; ; n++) {
  const keyIndex = store.allocateKeyIndex()
  store.insert({ ...numberedRecord(n), keyIndex })
  process.stdout.write(`${n} 0 ${keyIndex}\n`)
  for (let version = 1; version < VERSIONS && n - version >= 0; version++) {
    const earlier = n - version
    const stored = store.get(numberedRecord(earlier).id)
    if (stored === undefined) throw new Error(`swap ${earlier} vanished`)
    store.update({ ...numberedRecord(earlier, version), keyIndex: stored.keyIndex })
    process.stdout.write(`${earlier} ${version} ${stored.keyIndex}\n`)
  }
}
