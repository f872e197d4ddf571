import test from 'ava'
import { type Decision, decide, type SwapView } from '../../src/swap/decide.js'
import { REGTEST_TIMELOCKS } from '../../src/swap/policy.js'
import type { LegState, SwapRecord, SwapRole, SwapStatus, TxPurpose } from '../../src/swap/types.js'

const T0 = 1_800_000_000
const policy = REGTEST_TIMELOCKS
const SECRET = new Uint8Array(32).fill(7)
const keys = (n: number) => ({
  btcPubkey: new Uint8Array(33).fill(n),
  evmAddress: `0x${String(n).repeat(40)}`,
})

function record(role: SwapRole, status: SwapStatus): SwapRecord {
  const leg = (chain: 'bitcoin' | 'evm', deadline: number, maker: boolean) => ({
    chain,
    asset: chain === 'bitcoin' ? 'BTC' : 'ETH',
    amount: 1000n,
    hashlock: new Uint8Array(32),
    deadline,
    sender: maker ? keys(2) : keys(3),
    recipient: maker ? keys(3) : keys(2),
    confirmations: 1,
  })
  return {
    id: '00'.repeat(32),
    role,
    status,
    market: { network: 'regtest', base: 'BTC', quote: 'ETH' },
    orderId: '11'.repeat(32),
    peer: '22'.repeat(32),
    makerLeg: leg('bitcoin', T0 + policy.makerLockSeconds, true),
    takerLeg: leg('evm', T0 + policy.takerLockSeconds, false),
    keyIndex: 0,
    startHeights: { bitcoin: 0, evm: 0 },
    pending: [],
    history: [],
    createdAt: T0 * 1000,
    updatedAt: T0 * 1000,
  }
}

const ref = { txid: 'ab'.repeat(32), vout: 0 }
const absent: LegState = { kind: 'absent' }
const mempool: LegState = { kind: 'locked', ref, confirmations: 0 }
const locked: LegState = { kind: 'locked', ref, confirmations: 1 }
const invalid: LegState = { kind: 'invalid', ref, field: 'amount', detail: 'short' }
const claimed = (confirmations: number): LegState => ({
  kind: 'claimed',
  ref,
  preimage: SECRET,
  spendTxid: 'cd'.repeat(32),
  confirmations,
})
const refunded: LegState = { kind: 'refunded', ref, spendTxid: 'ef'.repeat(32), confirmations: 1 }

/** Seconds after negotiation at which the taker's window drops below minTakerWindowSeconds. */
const LATE = policy.takerLockSeconds - policy.minTakerWindowSeconds + 1
/** Seconds after negotiation at which the maker may no longer reveal the secret. */
const CLAIM_CUTOFF = policy.takerLockSeconds - policy.makerClaimMarginSeconds + 1

interface Case {
  name: string
  role: SwapRole
  status: SwapStatus
  own?: LegState
  counter?: LegState
  at?: number
  refundable?: boolean
  pending?: TxPurpose[]
  secret?: boolean
  expect: Decision['kind'] | `advance:${SwapStatus}`
  reason?: string
}

const cases: Case[] = [
  // Maker, happy path.
  { name: 'maker locks first', role: 'maker', status: 'negotiated', expect: 'lock' },
  {
    name: 'maker does not lock too late',
    role: 'maker',
    status: 'negotiated',
    at: LATE,
    expect: 'advance:failed',
    reason: 'too-late-to-lock',
  },
  {
    name: 'maker waits for its lock in flight',
    role: 'maker',
    status: 'lock-signed',
    pending: ['lock'],
    expect: 'wait',
  },
  { name: 'maker lock in mempool only', role: 'maker', status: 'lock-signed', own: mempool, expect: 'wait' },
  {
    name: 'maker lock confirmed',
    role: 'maker',
    status: 'lock-signed',
    own: locked,
    expect: 'advance:locked',
  },
  { name: 'maker lock dropped: sign again', role: 'maker', status: 'lock-signed', expect: 'lock' },
  {
    name: 'maker lock dropped late',
    role: 'maker',
    status: 'lock-signed',
    at: LATE,
    expect: 'advance:failed',
    reason: 'lock-dropped',
  },
  { name: 'maker waits for taker lock', role: 'maker', status: 'locked', own: locked, expect: 'wait' },
  {
    name: 'maker: taker lock 0-conf is not enough',
    role: 'maker',
    status: 'locked',
    own: locked,
    counter: mempool,
    expect: 'wait',
  },
  {
    name: 'maker audits taker lock',
    role: 'maker',
    status: 'locked',
    own: locked,
    counter: locked,
    expect: 'advance:counter-locked',
  },
  {
    name: 'maker claims',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: locked,
    expect: 'claim',
  },
  {
    name: 'maker claim in flight',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: locked,
    pending: ['claim'],
    expect: 'wait',
  },
  {
    name: 'maker past claim cutoff keeps the secret',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: locked,
    at: CLAIM_CUTOFF,
    expect: 'wait',
  },
  {
    name: 'maker past claim cutoff refunds at deadline',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: locked,
    at: CLAIM_CUTOFF,
    refundable: true,
    expect: 'refund',
    reason: 'too-late-to-claim',
  },
  {
    name: 'maker claim confirmed',
    role: 'maker',
    status: 'claim-signed',
    own: locked,
    counter: claimed(1),
    expect: 'advance:completed',
  },
  {
    name: 'maker claim dropped: claim again',
    role: 'maker',
    status: 'claim-signed',
    own: locked,
    counter: locked,
    expect: 'claim',
  },
  // Maker, counterparty failures.
  {
    name: 'taker never locks: refund at deadline',
    role: 'maker',
    status: 'locked',
    own: locked,
    refundable: true,
    expect: 'refund',
    reason: 'counterparty-never-locked',
  },
  {
    name: 'taker lock wrong amount: never claimed',
    role: 'maker',
    status: 'locked',
    own: locked,
    counter: invalid,
    expect: 'wait',
  },
  {
    name: 'taker lock wrong amount: refund',
    role: 'maker',
    status: 'locked',
    own: locked,
    counter: invalid,
    refundable: true,
    expect: 'refund',
    reason: 'bad-lock:amount',
  },
  {
    name: 'maker back after the taker refunded: refund, reason says so',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: refunded,
    at: CLAIM_CUTOFF,
    refundable: true,
    expect: 'refund',
    reason: 'counterparty-refunded-first',
  },
  {
    name: 'taker lock reorged out: refund at deadline, reason says so',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: absent,
    refundable: true,
    expect: 'refund',
    reason: 'counterparty-lock-reorged',
  },
  {
    name: 'taker lock reorged out before claim',
    role: 'maker',
    status: 'counter-locked',
    own: locked,
    counter: absent,
    expect: 'wait',
  },
  {
    name: 'maker refund confirmed',
    role: 'maker',
    status: 'refund-signed',
    own: refunded,
    expect: 'advance:refunded',
  },
  {
    name: 'maker refund dropped: refund again',
    role: 'maker',
    status: 'refund-signed',
    own: locked,
    refundable: true,
    expect: 'refund',
  },
  {
    name: 'maker: taker claimed while we refunded: claim taker lock',
    role: 'maker',
    status: 'refund-signed',
    own: claimed(1),
    counter: locked,
    expect: 'claim',
  },
  // Taker, happy path.
  { name: 'taker waits for the maker lock', role: 'taker', status: 'negotiated', expect: 'wait' },
  {
    name: 'taker: maker lock 0-conf is not enough',
    role: 'taker',
    status: 'negotiated',
    counter: mempool,
    expect: 'wait',
  },
  {
    name: 'taker audits maker lock',
    role: 'taker',
    status: 'negotiated',
    counter: locked,
    expect: 'advance:counter-locked',
  },
  { name: 'taker locks', role: 'taker', status: 'counter-locked', counter: locked, expect: 'lock' },
  {
    name: 'taker lock confirmed',
    role: 'taker',
    status: 'lock-signed',
    own: locked,
    counter: locked,
    expect: 'advance:locked',
  },
  {
    name: 'taker waits for the maker to claim',
    role: 'taker',
    status: 'locked',
    own: locked,
    counter: locked,
    expect: 'wait',
  },
  {
    name: 'taker learns the secret and claims',
    role: 'taker',
    status: 'locked',
    own: claimed(0),
    counter: locked,
    secret: true,
    expect: 'claim',
  },
  {
    name: 'taker claim confirmed',
    role: 'taker',
    status: 'claim-signed',
    own: claimed(1),
    counter: claimed(1),
    secret: true,
    expect: 'advance:completed',
  },
  // Taker, counterparty failures.
  {
    name: 'maker never locks',
    role: 'taker',
    status: 'negotiated',
    at: LATE,
    expect: 'advance:failed',
    reason: 'counterparty-never-locked',
  },
  {
    name: 'maker locks too late',
    role: 'taker',
    status: 'negotiated',
    counter: locked,
    at: LATE,
    expect: 'advance:failed',
    reason: 'counterparty-locked-too-late',
  },
  {
    name: 'maker lock wrong: nothing locked',
    role: 'taker',
    status: 'negotiated',
    counter: invalid,
    expect: 'advance:failed',
    reason: 'bad-lock:amount',
  },
  {
    name: 'taker does not lock after a late restart',
    role: 'taker',
    status: 'counter-locked',
    counter: locked,
    at: LATE,
    expect: 'advance:failed',
    reason: 'too-late-to-lock',
  },
  {
    name: 'maker never claims: taker refunds',
    role: 'taker',
    status: 'locked',
    own: locked,
    counter: locked,
    refundable: true,
    expect: 'refund',
    reason: 'counterparty-never-claimed',
  },
  {
    name: 'maker never claims: not before the deadline',
    role: 'taker',
    status: 'locked',
    own: locked,
    counter: locked,
    expect: 'wait',
  },
  {
    name: 'maker claims at the last moment during our refund',
    role: 'taker',
    status: 'refund-signed',
    own: claimed(1),
    counter: locked,
    secret: true,
    expect: 'claim',
  },
  {
    name: 'taker refund confirmed',
    role: 'taker',
    status: 'refund-signed',
    own: refunded,
    counter: locked,
    expect: 'advance:refunded',
  },
  {
    name: 'final swaps never act',
    role: 'taker',
    status: 'completed',
    own: locked,
    counter: locked,
    refundable: true,
    expect: 'wait',
  },
]

for (const c of cases) {
  test(`${c.role}/${c.status}: ${c.name}`, (t) => {
    const view: SwapView = {
      now: T0 + (c.at ?? 0),
      own: c.own ?? absent,
      counter: c.counter ?? absent,
      ownRefundable: c.refundable ?? false,
      pending: new Set(c.pending ?? []),
      secret: c.role === 'maker' || c.secret ? SECRET : undefined,
    }
    const decision = decide(record(c.role, c.status), view, policy)
    const got = decision.kind === 'advance' ? `advance:${decision.status}` : decision.kind
    t.is(got, c.expect, JSON.stringify(decision))
    if (c.reason !== undefined) t.is('reason' in decision ? decision.reason : undefined, c.reason)
    if (decision.kind === 'claim') t.deepEqual(decision.preimage, SECRET)
  })
}

test('a taker never claims without knowing the secret', (t) => {
  const view: SwapView = {
    now: T0,
    own: locked,
    counter: locked,
    ownRefundable: false,
    pending: new Set(),
    secret: undefined,
  }
  t.is(decide(record('taker', 'claim-signed'), view, policy).kind, 'wait')
})
