import { randomBytes } from 'node:crypto'
import anyTest, { type TestFn } from 'ava'
import { HDNodeWallet, JsonRpcProvider, sha256, Wallet } from 'ethers'
import { freePort } from '../../../regtest/ports.js'
import { EvmHtlc } from '../../../src/chains/evm/htlc.js'
import { deployTestToken, type Erc20 } from '../../../src/chains/evm/token.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { EvmLegAdapter } from '../../../src/swap/adapters/evm-leg.js'
import type { LegState, LegTerms, SignedTx } from '../../../src/swap/types.js'
import {
  chainTime,
  type EvmEnv,
  feePaid,
  isolateEachTest,
  revertTo,
  snapshot,
  startEvm,
} from '../../chains/evm/evm-env.js'

const MNEMONIC = 'test test test test test test test test test test test junk'
const CHAIN_ID = 31337n
const AMOUNT = 10n ** 18n

interface Context {
  env: EvmEnv
  htlcAddress: string
  token: Erc20
  /** anvil's accounts 1 (alice, locks) and 2 (bob, claims) and 3 (a bystander). */
  wallets: { alice: Wallet; bob: Wallet; carol: Wallet }
  /** Fresh per test: a snapshot revert rewinds the chain's nonces, not an adapter's counter. */
  alice: EvmLegAdapter
  bob: EvmLegAdapter
  snapshotId: string
}

const test = anyTest as TestFn<Context>

function anvilWallet(index: number): Wallet {
  return new Wallet(HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey)
}

function adapter(c: Pick<Context, 'env' | 'htlcAddress'>, wallet: Wallet): EvmLegAdapter {
  return new EvmLegAdapter({
    provider: c.env.provider,
    wallet,
    htlcAddress: c.htlcAddress,
    chainId: CHAIN_ID,
  })
}

test.before(async (t) => {
  const env = await startEvm()
  const [deployer] = env.accounts
  if (deployer === undefined) throw new Error('no anvil account')
  const htlc = await EvmHtlc.deploy(deployer)
  const token = await deployTestToken(deployer)
  const wallets = { alice: anvilWallet(1), bob: anvilWallet(2), carol: anvilWallet(3) }
  await token.mint(wallets.alice.address, 100n * AMOUNT)
  t.context = { env, htlcAddress: htlc.address, token, wallets } as Context
})

isolateEachTest(test)

test.beforeEach((t) => {
  t.context.alice = adapter(t.context, t.context.wallets.alice)
  t.context.bob = adapter(t.context, t.context.wallets.bob)
})

type Asset = 'ETH' | 'ERC-20'

function assetName(c: Context, asset: Asset): string {
  return asset === 'ETH' ? 'ETH' : `ERC20:${c.token.address.toLowerCase()}`
}

/** A fresh secret and alice's leg to bob of it, an hour from now on chain time. */
async function newLeg(c: Context, asset: Asset, overrides: Partial<LegTerms> = {}) {
  const preimage = randomBytes(32)
  const leg: LegTerms = {
    chain: 'evm',
    asset: assetName(c, asset),
    amount: AMOUNT,
    hashlock: Buffer.from(sha256(preimage).slice(2), 'hex'),
    deadline: Number(await chainTime(c.env.provider)) + 3600,
    sender: { btcPubkey: new Uint8Array(33), evmAddress: c.wallets.alice.address.toLowerCase() },
    recipient: { btcPubkey: new Uint8Array(33), evmAddress: c.wallets.bob.address.toLowerCase() },
    confirmations: 1,
    ...overrides,
  }
  return { preimage: new Uint8Array(preimage), leg }
}

async function broadcastAll(a: EvmLegAdapter, txs: SignedTx[]): Promise<void> {
  for (const tx of txs) {
    const outcome = await a.broadcast(tx)
    if (outcome.kind !== 'accepted') throw new Error(`${tx.purpose} ${tx.txid}: ${JSON.stringify(outcome)}`)
  }
}

function lockRef(state: LegState) {
  if (state.kind !== 'locked') throw new Error(`expected locked, got ${JSON.stringify(state)}`)
  return state.ref
}

async function balanceOf(c: Context, asset: Asset, owner: string): Promise<bigint> {
  return asset === 'ETH' ? await c.env.provider.getBalance(owner) : await c.token.balanceOf(owner)
}

for (const asset of ['ETH', 'ERC-20'] as Asset[]) {
  test.serial(`${asset}: lock, the counterparty claims, and the sender reads the preimage`, async (t) => {
    const c = t.context
    const start = (await c.alice.tip()).height
    const { preimage, leg } = await newLeg(c, asset)
    t.deepEqual(await c.bob.observe(leg, start), { kind: 'absent' })

    const locks = await c.alice.signLock(leg, 0)
    t.deepEqual(
      locks.map((tx) => tx.purpose),
      asset === 'ETH' ? ['lock'] : ['approve', 'lock'],
    )
    const nonces = locks.map((tx) => tx.nonce ?? -1)
    t.deepEqual(
      nonces,
      nonces.map((_, i) => (nonces[0] ?? -1) + i),
      'consecutive nonces',
    )
    await broadcastAll(c.alice, locks)
    const lockTx = locks.at(-1) as SignedTx
    t.deepEqual(await c.alice.txStatus(lockTx), { kind: 'mined', confirmations: 1, reverted: false })

    await c.env.provider.send('anvil_mine', [2])
    const seen = await c.bob.observe(leg, start)
    t.deepEqual(seen, { kind: 'locked', ref: { txid: lockTx.txid }, confirmations: 3 })

    const before = await balanceOf(c, asset, c.wallets.bob.address)
    const claim = await c.bob.signClaim(leg, lockRef(seen), preimage, 0)
    t.is(claim.purpose, 'claim')
    t.deepEqual(await c.bob.broadcast(claim), { kind: 'accepted' })
    t.deepEqual(await c.bob.broadcast(claim), { kind: 'accepted' }, 'a second broadcast is idempotent')
    const gas = asset === 'ETH' ? await feePaid(c.env.provider, claim.txid) : 0n
    t.is(await balanceOf(c, asset, c.wallets.bob.address), before + AMOUNT - gas)

    const claimed = await c.alice.observe(leg, start)
    t.like(claimed, { kind: 'claimed', ref: { txid: lockTx.txid }, spendTxid: claim.txid, confirmations: 1 })
    t.deepEqual(claimed.kind === 'claimed' ? claimed.preimage : undefined, preimage)
  })

  test.serial(`${asset}: refund after the deadline returns the funds`, async (t) => {
    const c = t.context
    const start = (await c.alice.tip()).height
    const { leg } = await newLeg(c, asset)
    await broadcastAll(c.alice, await c.alice.signLock(leg, 0))
    const ref = lockRef(await c.alice.observe(leg, start))
    const before = await balanceOf(c, asset, c.wallets.alice.address)
    await c.env.provider.send('evm_increaseTime', [3601])
    await c.env.provider.send('evm_mine', [])
    t.true((await c.alice.tip()).time >= leg.deadline)

    const refund = await c.alice.signRefund(leg, ref, 0)
    t.deepEqual(await c.alice.broadcast(refund), { kind: 'accepted' })
    const gas = asset === 'ETH' ? await feePaid(c.env.provider, refund.txid) : 0n
    t.is(await balanceOf(c, asset, c.wallets.alice.address), before + AMOUNT - gas)
    t.like(await c.bob.observe(leg, start), {
      kind: 'refunded',
      ref,
      spendTxid: refund.txid,
      confirmations: 1,
    })
  })
}

test.serial('a second ERC-20 lock needs no approval (the allowance is unlimited)', async (t) => {
  const c = t.context
  await broadcastAll(c.alice, await c.alice.signLock((await newLeg(c, 'ERC-20')).leg, 0))
  const again = await c.alice.signLock((await newLeg(c, 'ERC-20')).leg, 0)
  t.deepEqual(
    again.map((tx) => tx.purpose),
    ['lock'],
  )
})

test.serial('a refund before the deadline is to be retried, and never sent', async (t) => {
  const c = t.context
  const start = (await c.alice.tip()).height
  const { leg } = await newLeg(c, 'ETH')
  await broadcastAll(c.alice, await c.alice.signLock(leg, 0))
  const refund = await c.alice.signRefund(leg, lockRef(await c.alice.observe(leg, start)), 0)
  const outcome = await c.alice.broadcast(refund)
  t.is(outcome.kind, 'retry')
  t.regex(outcome.kind === 'retry' ? outcome.reason : '', /DeadlineNotReached/)
  t.deepEqual(await c.alice.txStatus(refund), { kind: 'unknown' })
  // Sent anyway, the node mines it and it reverts: txStatus says so.
  await c.env.provider.send('eth_sendRawTransaction', [refund.raw])
  t.like(await c.alice.txStatus(refund), { kind: 'mined', reverted: true })
  t.like(await c.alice.observe(leg, start), { kind: 'locked' })
})

test.serial('a claim of a swap that is not live is dropped', async (t) => {
  const c = t.context
  const { preimage, leg } = await newLeg(c, 'ETH')
  const claim = await c.bob.signClaim(leg, { txid: '0x00' }, preimage, 0)
  const outcome = await c.bob.broadcast(claim)
  t.is(outcome.kind, 'dropped')
  t.regex(outcome.kind === 'dropped' ? outcome.reason : '', /NotLocked/)
})

test.serial('a claim from a wallet without ETH for gas is to be retried', async (t) => {
  const c = t.context
  const empty = Wallet.createRandom()
  const recipient = { btcPubkey: new Uint8Array(33), evmAddress: empty.address.toLowerCase() }
  const { preimage, leg } = await newLeg(c, 'ETH', { recipient })
  await broadcastAll(c.alice, await c.alice.signLock(leg, 0))
  const claimer = adapter(c, new Wallet(empty.privateKey))
  const claim = await claimer.signClaim(leg, { txid: '0x00' }, preimage, 0)
  t.like(await claimer.broadcast(claim), {
    kind: 'retry',
    reason: 'Insufficient funds for gas * price + value',
  })
  await c.env.provider.send('anvil_setBalance', [empty.address, '0xde0b6b3a7640000'])
  t.deepEqual(await claimer.broadcast(claim), { kind: 'accepted' })
  t.is(
    await c.env.provider.getBalance(empty.address),
    2n * AMOUNT - (await feePaid(c.env.provider, claim.txid)),
  )
})

const wrongLocks: { field: string; change: (c: Context, leg: LegTerms) => Partial<LegTerms> }[] = [
  { field: 'amount', change: (_, leg) => ({ amount: leg.amount - 1n }) },
  {
    field: 'recipient',
    change: (c) => ({ recipient: { btcPubkey: new Uint8Array(33), evmAddress: c.wallets.carol.address } }),
  },
  { field: 'deadline', change: (_, leg) => ({ deadline: leg.deadline - 60 }) },
  { field: 'token', change: (c) => ({ asset: assetName(c, 'ERC-20') }) },
]

for (const { field, change } of wrongLocks) {
  test.serial(`a lock with the wrong ${field} reads as invalid until an exact one appears`, async (t) => {
    const c = t.context
    const start = (await c.bob.tip()).height
    const { leg } = await newLeg(c, 'ETH')
    const wrong = await c.alice.signLock({ ...leg, ...change(c, leg) }, 0)
    await broadcastAll(c.alice, wrong)
    const state = await c.bob.observe(leg, start)
    t.like(state, { kind: 'invalid', ref: { txid: wrong.at(-1)?.txid }, field })
    const exact = await c.alice.signLock(leg, 0)
    await broadcastAll(c.alice, exact)
    t.like(await c.bob.observe(leg, start), { kind: 'locked', ref: { txid: exact.at(-1)?.txid } })
  })
}

test.serial('10 concurrent locks get distinct nonces and are all mined', async (t) => {
  const c = t.context
  const legs = await Promise.all(Array.from({ length: 10 }, async () => (await newLeg(c, 'ETH')).leg))
  const signed = (await Promise.all(legs.map((leg) => c.alice.signLock(leg, 0)))).flat()
  const nonces = signed.map((tx) => tx.nonce ?? -1).sort((a, b) => a - b)
  const first = nonces[0] ?? -1
  t.deepEqual(
    nonces,
    Array.from({ length: 10 }, (_, i) => first + i),
  )
  const outcomes = await Promise.all(signed.map((tx) => c.alice.broadcast(tx)))
  t.true(outcomes.every((o) => o.kind === 'accepted'))
  for (const tx of signed) t.like(await c.alice.txStatus(tx), { kind: 'mined', reverted: false })
})

test.serial('a signed transaction whose nonce another one used is dropped, and nonces resync', async (t) => {
  const c = t.context
  const first = await c.alice.signLock((await newLeg(c, 'ETH')).leg, 0)
  const second = await c.alice.signLock((await newLeg(c, 'ETH')).leg, 0)
  // The same key elsewhere (a restarted daemon that lost these two) uses the first nonce.
  const elsewhere = await adapter(c, c.wallets.alice).signLock((await newLeg(c, 'ETH')).leg, 0)
  t.is(elsewhere[0]?.nonce, first[0]?.nonce)
  await broadcastAll(c.alice, elsewhere)

  const outcome = await c.alice.broadcast(first[0] as SignedTx)
  t.like(outcome, { kind: 'dropped', reason: 'nonce too low' })
  // The counter was reset to the node's: the next lock fills the gap instead of queueing behind `second`.
  const next = await c.alice.signLock((await newLeg(c, 'ETH')).leg, 0)
  t.is(next[0]?.nonce, second[0]?.nonce)
  await broadcastAll(c.alice, next)
  t.like(await c.alice.txStatus(next[0] as SignedTx), { kind: 'mined' })
})

test.serial('a lock removed by a reorg reads as absent again', async (t) => {
  const c = t.context
  const start = (await c.bob.tip()).height
  const { leg } = await newLeg(c, 'ETH')
  const beforeLock = await snapshot(c.env.provider)
  const locks = await c.alice.signLock(leg, 0)
  await broadcastAll(c.alice, locks)
  t.like(await c.bob.observe(leg, start), { kind: 'locked', confirmations: 1 })
  await revertTo(c.env.provider, beforeLock)
  t.deepEqual(await c.bob.observe(leg, start), { kind: 'absent' })
  t.not((await c.bob.txStatus(locks[0] as SignedTx)).kind, 'mined')
})

test.serial('txStatus follows a transaction from unknown to the mempool to mined', async (t) => {
  const c = t.context
  const [lock] = await c.alice.signLock((await newLeg(c, 'ETH')).leg, 0)
  if (lock === undefined) return t.fail()
  t.deepEqual(await c.alice.txStatus(lock), { kind: 'unknown' })
  await c.env.provider.send('evm_setAutomine', [false])
  t.teardown(() => c.env.provider.send('evm_setAutomine', [true]))
  t.deepEqual(await c.alice.broadcast(lock), { kind: 'accepted' })
  t.deepEqual(await c.alice.txStatus(lock), { kind: 'mempool' })
  t.deepEqual(await c.alice.broadcast(lock), { kind: 'accepted' }, 'already in the mempool')
  await c.env.provider.send('evm_mine', [])
  t.deepEqual(await c.alice.txStatus(lock), { kind: 'mined', confirmations: 1, reverted: false })
})

test.serial('a wallet that cannot pay gets INSUFFICIENT_FUNDS', async (t) => {
  const c = t.context
  const eth = await c.alice.spendable('ETH')
  const tokens = await c.alice.spendable(assetName(c, 'ERC-20'))
  t.is(tokens, 100n * AMOUNT)
  t.true(
    eth > 0n && eth < (await c.env.provider.getBalance(c.wallets.alice.address)),
    'ETH spendable keeps gas',
  )
  for (const [asset, amount] of [
    ['ETH', eth + 1n],
    ['ERC-20', tokens + 1n],
  ] as const) {
    const { leg } = await newLeg(c, asset, { amount })
    const error = await t.throwsAsync(c.alice.signLock(leg, 0))
    t.true(isSwarmswapError(error, 'INSUFFICIENT_FUNDS'), `${asset}: ${String(error)}`)
  }
  await t.notThrowsAsync(c.alice.signLock((await newLeg(c, 'ETH', { amount: eth })).leg, 0))
})

test.serial('sign* refuse what would not pay our wallet', async (t) => {
  const c = t.context
  const { preimage, leg } = await newLeg(c, 'ETH')
  const notOurs = [
    c.bob.signLock(leg, 0),
    c.alice.signClaim(leg, { txid: '0x00' }, preimage, 0),
    c.bob.signRefund(leg, { txid: '0x00' }, 0),
    c.bob.signClaim(leg, { txid: '0x00' }, new Uint8Array(32), 0),
  ]
  for (const signing of notOurs) t.true(isSwarmswapError(await t.throwsAsync(signing), 'INVALID_ARGUMENT'))
})

test.serial('partyKey, feeRate and tip', async (t) => {
  const c = t.context
  t.deepEqual(await c.bob.partyKey(7), { evmAddress: c.wallets.bob.address.toLowerCase() })
  t.is(await c.bob.feeRate(), 0n)
  const tip = await c.bob.tip()
  t.is(tip.height, await c.env.provider.getBlockNumber())
  t.is(BigInt(tip.time), await chainTime(c.env.provider))
})

test('an unreachable node throws RPC_UNREACHABLE', async (t) => {
  // The network is given, so ethers does not try to detect it (and log about it) first.
  const provider = new JsonRpcProvider(`http://127.0.0.1:${await freePort()}`, CHAIN_ID, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  t.teardown(() => provider.destroy())
  const c = t.context
  const offline = new EvmLegAdapter({
    provider,
    wallet: c.wallets.alice,
    htlcAddress: c.htlcAddress,
    chainId: CHAIN_ID,
  })
  const [lock] = await c.alice.signLock((await newLeg(c, 'ETH')).leg, 0)
  if (lock === undefined) return t.fail()
  t.true(isSwarmswapError(await t.throwsAsync(offline.broadcast(lock)), 'RPC_UNREACHABLE'))
  t.true(isSwarmswapError(await t.throwsAsync(offline.tip()), 'RPC_UNREACHABLE'))
})
