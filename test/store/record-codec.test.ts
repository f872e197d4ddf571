import test from 'ava'
import { isSwarmswapError } from '../../src/errors.js'
import { decodeSwapRecord, encodeSwapRecord } from '../../src/store/record-codec.js'
import type { SwapRecord } from '../../src/swap/types.js'
import { invalidRecords, makerRecord, numberedRecord, takerRecord } from '../fixtures/store/records.js'

const validRecords: { description: string; record: SwapRecord }[] = [
  { description: 'maker claiming, preimage known, EVM claim pending with a nonce', record: makerRecord },
  { description: 'taker refunding, two Bitcoin refunds pending with fee rates', record: takerRecord },
  { description: 'freshly negotiated, no optional field', record: numberedRecord(3) },
]

for (const { description, record } of validRecords) {
  test(`round trip: ${description}`, (t) => {
    const json = encodeSwapRecord(record)
    t.deepEqual(decodeSwapRecord(json), record)
    t.is(encodeSwapRecord(decodeSwapRecord(json)), json)
  })
}

test('JSON form: decimal-string amounts, lower-case hex bytes, undefined optionals omitted', (t) => {
  const json = JSON.parse(encodeSwapRecord({ ...takerRecord, preimage: undefined }))
  t.is(json.takerLeg.amount, '1')
  t.is(json.pending[1].feeRate, '10')
  t.is(json.makerLeg.hashlock, '5e'.repeat(32))
  t.is(json.takerLeg.sender.btcPubkey, `02${'a1'.repeat(32)}`)
  t.false('preimage' in json)
  t.false('nonce' in json.pending[0])
  t.false('vout' in JSON.parse(encodeSwapRecord(makerRecord)).takerLock)
})

test('a Buffer slice encodes as its own bytes only', (t) => {
  const pool = Buffer.alloc(100, 0xff)
  const pubkey = pool.subarray(10, 43).fill(0x02, 0, 1).fill(0x09, 1)
  const record = {
    ...makerRecord,
    makerLeg: { ...makerRecord.makerLeg, sender: { ...makerRecord.makerLeg.sender, btcPubkey: pubkey } },
  }
  t.is(JSON.parse(encodeSwapRecord(record)).makerLeg.sender.btcPubkey, `02${'09'.repeat(32)}`)
})

/** Sets (or removes, without `value`) the dotted `field` of `json`. */
function edit(json: Record<string, unknown>, field: string, value?: unknown): void {
  const keys = field.split('.')
  const last = keys.pop() as string
  let target = json
  for (const key of keys) target = target[key] as Record<string, unknown>
  if (value === undefined) delete target[last]
  else target[last] = value
}

for (const { description, field, value, path } of invalidRecords) {
  test(`decode refuses ${description}`, (t) => {
    const json = JSON.parse(encodeSwapRecord(makerRecord))
    edit(json, field, value)
    const error = t.throws(() => decodeSwapRecord(JSON.stringify(json)))
    t.true(isSwarmswapError(error, 'BAD_DATA'), String(error))
    const named = path ?? field
    t.is((error as { details?: { path?: string } }).details?.path, named)
    t.true(error?.message.includes(`at ${named || '(root)'}:`), error?.message)
  })
}

test('decode refuses text that is not JSON', (t) => {
  const error = t.throws(() => decodeSwapRecord('{"id":'))
  t.true(isSwarmswapError(error, 'BAD_DATA'))
})

const unstorable: { description: string; record: SwapRecord; path: string }[] = [
  {
    description: 'a negative amount',
    record: { ...makerRecord, takerLeg: { ...makerRecord.takerLeg, amount: -1n } },
    path: 'takerLeg.amount',
  },
  {
    description: 'an upper-case preimage',
    record: { ...makerRecord, preimage: 'AB'.repeat(32) },
    path: 'preimage',
  },
  { description: 'a float time', record: { ...makerRecord, updatedAt: 1.5 }, path: 'updatedAt' },
  { description: 'an extra field', record: { ...makerRecord, extra: 1 } as SwapRecord, path: '' },
]

for (const { description, record, path } of unstorable) {
  test(`encode refuses ${description} (it could not be read back)`, (t) => {
    const error = t.throws(() => encodeSwapRecord(record))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), String(error))
    t.is((error as { details?: { path?: string } }).details?.path, path)
  })
}
