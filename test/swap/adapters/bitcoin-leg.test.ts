import { randomBytes } from 'node:crypto'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import test from 'ava'
import type { z } from 'zod'
import { BitcoinNode } from '../../../regtest/bitcoin-node.js'
import { RegtestEnv } from '../../../regtest/env.js'
import { freePort } from '../../../regtest/ports.js'
import { sha256Hashlock } from '../../../src/chains/bitcoin/preimage.js'
import { BitcoinRpc } from '../../../src/chains/bitcoin/rpc.js'
import { parseTransaction } from '../../../src/chains/bitcoin/transaction.js'
import { BitcoinWallet } from '../../../src/chains/bitcoin/wallet.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { BitcoinLegAdapter } from '../../../src/swap/adapters/bitcoin-leg.js'
import type { LegState, LegTerms, LockRef, SignedTx } from '../../../src/swap/types.js'

// One automining regtest environment shared by the serial tests below (they move its clock and reorg it),
// plus a bcoin node that mines only when asked, for what must wait in the mempool (fee bumps).
const env = new RegtestEnv({ ports: 'free' })
const manualNode = new BitcoinNode({ mining: { mode: 'manual' } })
const wallets: BitcoinWallet[] = []
const adapters: BitcoinLegAdapter[] = []

interface Party {
  wallet: BitcoinWallet
  adapter: BitcoinLegAdapter
  mnemonic: string
  birthday: number
}

/** BitcoinRpc that counts calls per method, to show what the watcher's cache saves. */
class CountingRpc extends BitcoinRpc {
  readonly calls = new Map<string, number>()

  override call<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1)
    return super.call(method, params, schema)
  }
}

/** BitcoinRpc whose calls go to a port nothing listens on while `unplugged`: a node that went away. */
class UnpluggableRpc extends BitcoinRpc {
  unplugged: BitcoinRpc | null = null

  override call<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    return this.unplugged?.call(method, params, schema) ?? super.call(method, params, schema)
  }
}

let alice: Party
let bob: Party
let nextKeyIndex = 0

async function openWallet(rpc: BitcoinRpc, mnemonic: string, birthday: number): Promise<BitcoinWallet> {
  const wallet = new BitcoinWallet({ rpc, network: 'regtest', mnemonic, birthday })
  await wallet.ready()
  wallets.push(wallet)
  return wallet
}

async function party(rpc: BitcoinRpc): Promise<Party> {
  const mnemonic = generateMnemonic(wordlist)
  const birthday = await rpc.getBlockCount()
  const wallet = await openWallet(rpc, mnemonic, birthday)
  const adapter = new BitcoinLegAdapter({ wallet, rpc, network: 'regtest' })
  adapters.push(adapter)
  return { wallet, adapter, mnemonic, birthday }
}

interface Swap {
  leg: LegTerms
  preimage: Uint8Array
  senderKey: number
  recipientKey: number
  /** Chain height when the swap was made: no lock of it can be below. */
  fromHeight: number
}

/** A BTC leg that `sender` locks for `recipient`, with a fresh secret and swap keys. */
async function newSwap(
  sender: Party,
  recipient: Party,
  options: { amount?: bigint; deadline?: number } = {},
) {
  const preimage = randomBytes(32)
  const senderKey = nextKeyIndex++
  const recipientKey = nextKeyIndex++
  const { height, time } = await sender.adapter.tip()
  const leg: LegTerms = {
    chain: 'bitcoin',
    asset: 'BTC',
    amount: options.amount ?? 100_000n,
    hashlock: sha256Hashlock(preimage),
    deadline: options.deadline ?? time + 3600,
    sender: {
      btcPubkey: (await sender.adapter.partyKey(senderKey)).btcPubkey,
      evmAddress: `0x${'11'.repeat(20)}`,
    },
    recipient: {
      btcPubkey: (await recipient.adapter.partyKey(recipientKey)).btcPubkey,
      evmAddress: `0x${'22'.repeat(20)}`,
    },
    confirmations: 1,
  }
  return { leg, preimage, senderKey, recipientKey, fromHeight: height } satisfies Swap
}

async function lock(sender: Party, swap: Swap): Promise<SignedTx> {
  const [tx, ...more] = await sender.adapter.signLock(swap.leg, swap.senderKey)
  if (tx === undefined || more.length > 0) throw new Error('a Bitcoin lock is one transaction')
  return tx
}

function refOf(state: LegState): LockRef {
  if (state.kind === 'absent') throw new Error('no lock')
  return state.ref
}

test.before(async () => {
  await Promise.all([env.ready(), manualNode.ready()])
  alice = await party(env.control.bitcoinRpc)
  bob = await party(env.control.bitcoinRpc)
  // Separate coins, so concurrent locks have something each to spend.
  for (let i = 0; i < 8; i++) await env.control.fundBitcoin(alice.wallet.receiveAddress(), 1_000_000n)
})

test.after.always(async () => {
  for (const adapter of adapters) adapter.close()
  for (const wallet of wallets) await wallet.close()
  await Promise.all([env.close(), manualNode.close()])
})

test.serial(
  'absent, locked with 1 confirmation, then claimed: the sender learns the preimage from the chain',
  async (t) => {
    const swap = await newSwap(alice, bob)
    t.deepEqual(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'absent' })

    const lockTx = await lock(alice, swap)
    t.like(lockTx, { chain: 'bitcoin', purpose: 'lock' })
    t.deepEqual(await alice.adapter.broadcast(lockTx), { kind: 'accepted' })
    const locked = await bob.adapter.observe(swap.leg, swap.fromHeight)
    t.like(locked, { kind: 'locked', confirmations: 1, ref: { txid: lockTx.txid } })
    t.like(await alice.adapter.txStatus(lockTx), { kind: 'mined', confirmations: 1 })

    const before = (await bob.wallet.balance()).confirmed
    const claim = await bob.adapter.signClaim(swap.leg, refOf(locked), swap.preimage, swap.recipientKey)
    t.like(claim, { purpose: 'claim', feeRate: 2n })
    t.deepEqual(await bob.adapter.broadcast(claim), { kind: 'accepted' })
    // Broadcasting again is harmless: the node already has it.
    t.deepEqual(await bob.adapter.broadcast(claim), { kind: 'accepted' })

    const seen = await alice.adapter.observe(swap.leg, swap.fromHeight)
    if (seen.kind !== 'claimed') return t.fail(`expected claimed, got ${seen.kind}`)
    t.deepEqual(Buffer.from(seen.preimage), swap.preimage)
    t.like(seen, { spendTxid: claim.txid, confirmations: 1, ref: refOf(locked) })
    // Bob's wallet got the amount less the claim's fee (136 vB at 2 sat/vB).
    t.is((await bob.wallet.balance()).confirmed - before, swap.leg.amount - 272n)
  },
)

test.serial(
  'a refund is retried before the deadline and accepted once median-time-past passes it',
  async (t) => {
    const { time } = await alice.adapter.tip()
    const swap = await newSwap(alice, bob, { deadline: time + 120 })
    const lockTx = await lock(alice, swap)
    t.deepEqual(await alice.adapter.broadcast(lockTx), { kind: 'accepted' })
    const ref = refOf(await alice.adapter.observe(swap.leg, swap.fromHeight))

    const refund = await alice.adapter.signRefund(swap.leg, ref, swap.senderKey)
    t.is(parseTransaction(refund.raw).locktime, swap.leg.deadline)
    t.deepEqual(await alice.adapter.broadcast(refund), { kind: 'retry', reason: 'non-final' })
    t.deepEqual(await alice.adapter.txStatus(refund), { kind: 'unknown' })

    await env.control.advanceTimeTo(swap.leg.deadline)
    t.deepEqual(await alice.adapter.broadcast(refund), { kind: 'accepted' })
    t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), {
      kind: 'refunded',
      spendTxid: refund.txid,
      confirmations: 1,
    })
  },
)

test.serial('an output of another amount to the HTLC script is invalid, never locked', async (t) => {
  const swap = await newSwap(alice, bob)
  const wrong = await lock(alice, { ...swap, leg: { ...swap.leg, amount: swap.leg.amount - 1n } })
  t.deepEqual(await alice.adapter.broadcast(wrong), { kind: 'accepted' })
  t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), {
    kind: 'invalid',
    field: 'amount',
    ref: { txid: wrong.txid },
  })
})

test.serial('5 concurrent locks from one wallet spend disjoint coins and all broadcast', async (t) => {
  const swaps = await Promise.all(Array.from({ length: 5 }, () => newSwap(alice, bob)))
  const spendableBefore = await alice.adapter.spendable('BTC')
  const locks = await Promise.all(swaps.map(async (swap) => await lock(alice, swap)))

  const inputs = locks.flatMap((tx) =>
    parseTransaction(tx.raw).ins.map(
      (input) => `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`,
    ),
  )
  t.is(new Set(inputs).size, inputs.length, 'no coin is spent by two locks')
  const reserved = (await alice.wallet.listCoins()).filter((coin) => coin.reservedBy !== null)
  t.is(reserved.length, inputs.length)
  // Held coins are not spendable, but each unbroadcast lock's change is: it is ours once the lock goes out.
  const reservedValue = reserved.reduce((sum, coin) => sum + coin.value, 0n)
  const change = locks.reduce((sum, tx, i) => sum + changeOf(tx.raw, swaps[i]?.leg.amount ?? 0n), 0n)
  t.is(await alice.adapter.spendable('BTC'), spendableBefore - reservedValue + change)

  const outcomes = await Promise.all(locks.map(async (tx) => await alice.adapter.broadcast(tx)))
  t.deepEqual(outcomes, Array(5).fill({ kind: 'accepted' }))
  t.deepEqual(
    (await alice.wallet.listCoins()).filter((coin) => coin.reservedBy !== null),
    [],
    'reservations end when the node accepts',
  )
  for (const [i, swap] of swaps.entries()) {
    t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), {
      kind: 'locked',
      ref: { txid: locks[i]?.txid },
    })
  }
})

test.serial('a lock whose coins were spent elsewhere is dropped and its reservation released', async (t) => {
  const swap = await newSwap(alice, bob)
  const lockTx = await lock(alice, swap)
  const spent = parseTransaction(lockTx.raw).ins.map((input) => ({
    txid: Buffer.from(input.hash).reverse().toString('hex'),
    vout: input.index,
  }))
  // Another instance of Alice's wallet (a second device, or the same one before a restart) knows nothing of
  // the adapter's reservation and spends the same coins.
  const twin = await openWallet(env.control.bitcoinRpc, alice.mnemonic, alice.birthday)
  await twin.reserve(spent, 'double-spend')
  const doubleSpend = await twin.send({
    outputs: [{ address: bob.wallet.receiveAddress(), amount: 50_000n }],
    reservation: 'double-spend',
  })
  await twin.broadcast(doubleSpend.hex)

  const outcome = await alice.adapter.broadcast(lockTx)
  t.deepEqual(outcome, { kind: 'dropped', reason: 'bad-txns-inputs-missingorspent' })
  t.deepEqual(await alice.adapter.txStatus(lockTx), { kind: 'unknown' })
  t.deepEqual(await alice.adapter.observe(swap.leg, swap.fromHeight), { kind: 'absent' })
  const held = (await alice.wallet.listCoins()).filter((coin) => coin.reservedBy !== null)
  t.deepEqual(held, [], 'the dropped lock holds no coins')
})

test.serial('spendable() is for BTC only', async (t) => {
  const error = await t.throwsAsync(alice.adapter.spendable('ETH'))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})

test.serial('signing refuses a leg whose key is not ours at that index', async (t) => {
  const swap = await newSwap(alice, bob)
  const error = await t.throwsAsync(alice.adapter.signLock(swap.leg, swap.senderKey + 1000))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  const claim = await t.throwsAsync(
    bob.adapter.signClaim(swap.leg, { txid: '00'.repeat(32), vout: 0 }, swap.preimage, swap.senderKey),
  )
  t.true(isSwarmswapError(claim, 'INVALID_ARGUMENT'))
})

test.serial('many swaps observed at once read each block once', async (t) => {
  const rpc = new CountingRpc({
    url: env.endpoints.bitcoin.rpcUrl,
    auth: { user: env.endpoints.bitcoin.rpcUser, password: env.endpoints.bitcoin.rpcPassword },
  })
  const watcher = new BitcoinLegAdapter({ wallet: bob.wallet, rpc, network: 'regtest' })
  adapters.push(watcher)
  const fromHeight = (await rpc.getBlockCount()) - 9
  const swaps = await Promise.all(Array.from({ length: 50 }, () => newSwap(alice, bob)))
  rpc.calls.clear()
  let started = performance.now()
  await Promise.all(swaps.map(async (swap) => await watcher.observe(swap.leg, fromHeight)))
  t.log(`50 concurrent observes over 10 blocks: ${Math.round(performance.now() - started)} ms`)
  t.is(rpc.calls.get('getblock'), 10, 'each of the 10 blocks once')
  t.true((rpc.calls.get('getblockchaininfo') ?? 0) <= 4, 'concurrent observers share refreshes')

  rpc.calls.clear()
  started = performance.now()
  for (const swap of swaps.slice(0, 10)) await watcher.observe(swap.leg, fromHeight)
  t.log(`10 sequential observes, tip unchanged: ${Math.round(performance.now() - started)} ms`)
  t.is(rpc.calls.get('getblock'), undefined, 'no block read again while the tip stays')
  await env.control.mineBitcoin(1)
  await Promise.all(swaps.map(async (swap) => await watcher.observe(swap.leg, fromHeight)))
  t.is(rpc.calls.get('getblock'), 1, 'a new block is read once')
})

test.serial('a reorg returns a confirmed lock to the mempool (0 confirmations), and back', async (t) => {
  const swap = await newSwap(alice, bob)
  const lockTx = await lock(alice, swap)
  t.deepEqual(await alice.adapter.broadcast(lockTx), { kind: 'accepted' })
  t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 1 })

  const rpc = env.control.bitcoinRpc
  const tip = await rpc.getBlockchainInfo()
  await rpc.invalidateBlock(tip.bestBlockHash)
  t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 0 })
  t.deepEqual(await alice.adapter.txStatus(lockTx), { kind: 'mempool' })

  await rpc.reconsiderBlock(tip.bestBlockHash)
  t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 1 })
})

test.serial('a lock reorganised out and double-spent in the mempool is absent again', async (t) => {
  const swap = await newSwap(alice, bob)
  const lockTx = await lock(alice, swap)
  const spent = parseTransaction(lockTx.raw).ins.map((input) => ({
    txid: Buffer.from(input.hash).reverse().toString('hex'),
    vout: input.index,
  }))
  const twin = await openWallet(env.control.bitcoinRpc, alice.mnemonic, alice.birthday)
  await twin.reserve(spent, 'double-spend')
  const doubleSpend = await twin.send({
    outputs: [{ address: bob.wallet.receiveAddress(), amount: 50_000n }],
    feeRate: 5n,
    reservation: 'double-spend',
  })
  t.deepEqual(await alice.adapter.broadcast(lockTx), { kind: 'accepted' })
  t.like(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 1 })

  await env.control.bitcoinRpc.invalidateBlock(
    (await env.control.bitcoinRpc.getBlockchainInfo()).bestBlockHash,
  )
  // The lock is back in the mempool, where a conflicting spend paying a higher fee rate replaces it.
  await twin.broadcast(doubleSpend.hex)
  t.deepEqual(await bob.adapter.observe(swap.leg, swap.fromHeight), { kind: 'absent' })
  t.deepEqual(await alice.adapter.txStatus(lockTx), { kind: 'unknown' })
})

test.serial('an unreachable node makes broadcast and observe throw; the lock keeps its coins', async (t) => {
  const auth = { user: env.endpoints.bitcoin.rpcUser, password: env.endpoints.bitcoin.rpcPassword }
  const rpc = new UnpluggableRpc({ url: env.endpoints.bitcoin.rpcUrl, auth })
  // Alice again (same mnemonic, so the same swap keys), on a connection that can fail.
  const wallet = await openWallet(rpc, alice.mnemonic, alice.birthday)
  const adapter = new BitcoinLegAdapter({ wallet, rpc, network: 'regtest' })
  adapters.push(adapter)
  const swap = await newSwap(alice, bob)
  const lockTx = await lock({ ...alice, wallet, adapter }, swap)

  rpc.unplugged = new BitcoinRpc({ url: `http://127.0.0.1:${await freePort()}`, auth, timeoutMs: 2000 })
  t.true(isSwarmswapError(await t.throwsAsync(adapter.broadcast(lockTx)), 'RPC_UNREACHABLE'))
  t.true(isSwarmswapError(await t.throwsAsync(adapter.observe(swap.leg, swap.fromHeight)), 'RPC_UNREACHABLE'))
  rpc.unplugged = null

  const held = (await wallet.listCoins()).filter((coin) => coin.reservedBy !== null)
  t.true(held.length > 0, 'still reserved: the lock may yet be broadcast')
  t.deepEqual(await adapter.broadcast(lockTx), { kind: 'accepted' })
  t.like(await adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 1 })
})

test.serial('a claim re-signed at a higher fee rate replaces the first (RBF)', async (t) => {
  const rpc = new BitcoinRpc({
    url: manualNode.rpcUrl,
    auth: { user: manualNode.rpcUser, password: manualNode.rpcPassword },
  })
  const carol = await party(rpc)
  const dave = await party(rpc)
  await manualNode.mine(1, carol.wallet.receiveAddress())
  await manualNode.mine(100)
  const swap = await newSwap(carol, dave)

  const lockTx = await lock(carol, swap)
  t.deepEqual(await carol.adapter.broadcast(lockTx), { kind: 'accepted' })
  t.like(await dave.adapter.observe(swap.leg, swap.fromHeight), { kind: 'locked', confirmations: 0 })
  await manualNode.mine(1)
  const ref = refOf(await dave.adapter.observe(swap.leg, swap.fromHeight))

  const first = await dave.adapter.signClaim(swap.leg, ref, swap.preimage, swap.recipientKey, 2n)
  t.deepEqual(await dave.adapter.broadcast(first), { kind: 'accepted' })
  t.deepEqual(await dave.adapter.broadcast(first), { kind: 'accepted' }, 'again: the mempool has it')
  t.like(await carol.adapter.observe(swap.leg, swap.fromHeight), {
    kind: 'claimed',
    spendTxid: first.txid,
    confirmations: 0,
  })

  const cheaper = await dave.adapter.signClaim(swap.leg, ref, swap.preimage, swap.recipientKey, 1n)
  const refused = await dave.adapter.broadcast(cheaper)
  t.is(refused.kind, 'retry')
  t.regex(refused.kind === 'retry' ? refused.reason : '', /^insufficient fee, rejecting replacement/)

  const bumped = await dave.adapter.signClaim(swap.leg, ref, swap.preimage, swap.recipientKey, 10n)
  t.is(bumped.feeRate, 10n)
  t.deepEqual(await dave.adapter.broadcast(bumped), { kind: 'accepted' })
  t.deepEqual(await rpc.getRawMempool(), [bumped.txid])
  t.deepEqual(await dave.adapter.txStatus(first), { kind: 'unknown' })
  t.deepEqual(await dave.adapter.txStatus(bumped), { kind: 'mempool' })

  await manualNode.mine(1)
  const claimed = await carol.adapter.observe(swap.leg, swap.fromHeight)
  t.like(claimed, { kind: 'claimed', spendTxid: bumped.txid, confirmations: 1 })
  // The replaced claim can never be mined now: its input is spent.
  t.is((await dave.adapter.broadcast(first)).kind, 'dropped')
})

/** Value of a lock's outputs other than the HTLC output of `amount` (its change). */
function changeOf(raw: string, amount: bigint): bigint {
  const outputs = parseTransaction(raw).outs.map((out) => BigInt(out.value))
  return outputs.reduce((sum, value) => sum + value, 0n) - amount
}
