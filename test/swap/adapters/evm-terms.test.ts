import test from 'ava'
import { ZeroAddress } from 'ethers'
import { isSwarmswapError } from '../../../src/errors.js'
import { evmSwapTerms, evmTokenOf } from '../../../src/swap/adapters/evm-terms.js'
import type { LegTerms } from '../../../src/swap/types.js'

const SENDER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
const RECIPIENT = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
const HASHLOCK = new Uint8Array(32).fill(0xab)

function leg(overrides: Partial<LegTerms> = {}): LegTerms {
  return {
    chain: 'evm',
    asset: 'ETH',
    amount: 10n ** 18n,
    hashlock: HASHLOCK,
    deadline: 1_900_000_000,
    sender: { btcPubkey: new Uint8Array(33), evmAddress: SENDER },
    recipient: { btcPubkey: new Uint8Array(33), evmAddress: RECIPIENT },
    confirmations: 1,
    ...overrides,
  }
}

const valid: { description: string; leg: LegTerms; token: string }[] = [
  { description: 'ETH locks as the zero token', leg: leg(), token: ZeroAddress },
  {
    description: 'an ERC-20 locks as its contract',
    leg: leg({ asset: `ERC20:${TOKEN}` }),
    token: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  },
]

for (const fixture of valid) {
  test(`evmSwapTerms: ${fixture.description}`, (t) => {
    t.deepEqual(evmSwapTerms(fixture.leg), {
      sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      recipient: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      token: fixture.token,
      amount: 10n ** 18n,
      hashlock: `0x${'ab'.repeat(32)}`,
      deadline: 1_900_000_000n,
    })
  })
}

const invalid: { description: string; leg: LegTerms; field: string }[] = [
  { description: 'a Bitcoin leg', leg: leg({ chain: 'bitcoin', asset: 'BTC' }), field: 'chain' },
  { description: 'the asset BTC on the EVM chain', leg: leg({ asset: 'BTC' }), field: 'asset' },
  {
    description: 'an upper-case token address',
    leg: leg({ asset: `ERC20:${TOKEN.toUpperCase()}` }),
    field: 'asset',
  },
  { description: 'a short token address', leg: leg({ asset: 'ERC20:0x5fbdb2315678' }), field: 'asset' },
  { description: 'a 31-byte hashlock', leg: leg({ hashlock: new Uint8Array(31) }), field: 'hashlock' },
  { description: 'a fractional deadline', leg: leg({ deadline: 1.5 }), field: 'deadline' },
  { description: 'a zero amount', leg: leg({ amount: 0n }), field: 'amount' },
  {
    description: 'a sender that is no address',
    leg: leg({ sender: { btcPubkey: new Uint8Array(33), evmAddress: '0x1234' } }),
    field: 'sender',
  },
  {
    description: 'the zero recipient',
    leg: leg({ recipient: { btcPubkey: new Uint8Array(33), evmAddress: ZeroAddress } }),
    field: 'recipient',
  },
]

for (const fixture of invalid) {
  test(`evmSwapTerms rejects ${fixture.description}`, (t) => {
    const error = t.throws(() => evmSwapTerms(fixture.leg))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
    t.is(isSwarmswapError(error) ? error.details.field : undefined, fixture.field)
  })
}

test('evmTokenOf names the token of each EVM asset', (t) => {
  t.is(evmTokenOf('ETH'), ZeroAddress)
  t.is(evmTokenOf(`ERC20:${TOKEN}`), '0x5FbDB2315678afecb367f032d93F642f64180aa3')
  t.true(
    isSwarmswapError(
      t.throws(() => evmTokenOf('eth')),
      'INVALID_ARGUMENT',
    ),
  )
})
