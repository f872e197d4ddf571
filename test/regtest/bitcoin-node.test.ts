import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { z } from 'zod'
import { BitcoinNode } from '../../regtest/bitcoin-node.js'
import { bitcoin, ECPair } from '../../src/chains/bitcoin/ecc.js'
import { BitcoinRpc } from '../../src/chains/bitcoin/rpc.js'
import { isSwarmswapError } from '../../src/errors.js'

const network = bitcoin.networks.regtest
const FEE = 1_000n

const nodes: BitcoinNode[] = []
const dirs: string[] = []

test.after.always(async () => {
  await Promise.all(nodes.map((node) => node.close()))
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

async function startNode(options: ConstructorParameters<typeof BitcoinNode>[0] = {}) {
  const node = new BitcoinNode(options)
  nodes.push(node)
  await node.ready()
  const rpc = new BitcoinRpc({ url: node.rpcUrl, auth: { user: node.rpcUser, password: node.rpcPassword } })
  return { node, rpc }
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-bcoin-'))
  dirs.push(dir)
  return dir
}

/** A mature coinbase output paying a fresh P2WPKH key. */
async function fundedCoin(node: BitcoinNode, rpc: BitcoinRpc) {
  const key = ECPair.makeRandom({ network })
  const payment = bitcoin.payments.p2wpkh({ pubkey: key.publicKey, network })
  if (payment.address === undefined || payment.output === undefined) throw new Error('p2wpkh')
  const [blockHash] = await node.mine(1, payment.address)
  await node.mine(100)
  const coinbase = (await rpc.getBlock(blockHash ?? '')).txs[0]
  if (coinbase === undefined) throw new Error('no coinbase')
  const value = (await rpc.getTxOut(coinbase.txid, 0))?.value ?? 0n
  return { key, payment, txid: coinbase.txid, vout: 0, value }
}

type Coin = Awaited<ReturnType<typeof fundedCoin>>

/** A signed spend of `coin` back to its own address, minus a fee. */
function spend(coin: Coin, options: { locktime?: number; sequence?: number } = {}) {
  const psbt = new bitcoin.Psbt({ network })
  if (options.locktime !== undefined) psbt.setLocktime(options.locktime)
  psbt.addInput({
    hash: coin.txid,
    index: coin.vout,
    witnessUtxo: { script: coin.payment.output as Uint8Array, value: coin.value },
    ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
  })
  psbt.addOutput({ script: coin.payment.output as Uint8Array, value: coin.value - FEE })
  psbt.signInput(0, coin.key)
  psbt.finalizeAllInputs()
  return psbt.extractTransaction()
}

async function rejection(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    if (isSwarmswapError(error)) return error
    throw error
  }
  throw new Error('expected a rejection')
}

test('starts past segwit/CSV activation and answers Core getblockchaininfo', async (t) => {
  const { node, rpc } = await startNode()
  const info = await rpc.getBlockchainInfo()
  t.is(info.chain, 'regtest')
  t.true(info.blocks >= 432)
  t.is(info.headers, info.blocks)
  t.is(info.bestBlockHash, await rpc.getBlockHash(info.blocks))
  // The start-up chain is back-dated, so median-time-past is not ahead of the clock.
  t.true(info.medianTime <= Math.floor(Date.now() / 1000))
  t.is(await rpc.estimateSmartFee(6), null)
  await node.ready()
  t.is(await rpc.getBlockCount(), info.blocks)
})

test('Core regtest address prefixes round-trip with bitcoinjs-lib networks.regtest', async (t) => {
  const { rpc } = await startNode({ mining: { mode: 'manual' } })
  const pubkey = ECPair.makeRandom({ network }).publicKey
  const payments = [
    bitcoin.payments.p2wpkh({ pubkey, network }),
    bitcoin.payments.p2pkh({ pubkey, network }),
    bitcoin.payments.p2sh({ redeem: bitcoin.payments.p2wpkh({ pubkey, network }), network }),
    bitcoin.payments.p2wsh({
      redeem: { output: bitcoin.script.compile([bitcoin.opcodes.OP_TRUE]) },
      network,
    }),
  ]
  t.deepEqual(
    payments.map((payment) => payment.address?.slice(0, 4)),
    ['bcrt', payments[1]?.address?.slice(0, 4), payments[2]?.address?.slice(0, 4), 'bcrt'],
  )
  for (const payment of payments) {
    const [hash] = await rpc.generateToAddress(1, payment.address ?? '')
    const block = await rpc.call('getblock', [hash, 2], coreBlock2)
    const output = block.tx[0]?.vout[0]
    t.is(output?.scriptPubKey.address, payment.address)
    t.is(output?.scriptPubKey.hex, Buffer.from(payment.output ?? []).toString('hex'))
  }
  const wif = ECPair.makeRandom({ network }).toWIF()
  t.true(wif.startsWith('c')) // 0xef private keys, as bitcoind's dumpprivkey on regtest
  const mainnet = bitcoin.payments.p2wpkh({ pubkey, network: bitcoin.networks.bitcoin }).address ?? ''
  const error = await rejection(rpc.generateToAddress(1, mainnet))
  t.like(error.details, { rpcCode: -5 })
})

const coreTx = z.object({
  txid: z.string(),
  hash: z.string(),
  hex: z.string(),
  vout: z.array(
    z.object({ n: z.number(), scriptPubKey: z.object({ hex: z.string(), address: z.string().optional() }) }),
  ),
})
const coreBlock2 = z.object({ hash: z.string(), nTx: z.number(), tx: z.array(coreTx) })

test('getblock verbosity 0 (hex), 1 (txids) and 2 (tx objects with hex, txid, hash)', async (t) => {
  const { node, rpc } = await startNode()
  const coin = await fundedCoin(node, rpc)
  const tx = spend(coin)
  await rpc.sendRawTransaction(tx.toHex())
  const blockHash = await rpc.getBlockHash(await rpc.getBlockCount())

  const raw = await rpc.call('getblock', [blockHash, 0], z.string())
  const decoded = bitcoin.Block.fromHex(raw)
  t.is(decoded.getId(), blockHash)
  t.is(decoded.transactions?.[1]?.getId(), tx.getId())

  const verbose1 = await rpc.call('getblock', [blockHash, 1], z.object({ tx: z.array(z.string()) }))
  t.deepEqual(
    verbose1.tx,
    decoded.transactions?.map((entry) => entry.getId()),
  )

  const verbose2 = await rpc.call('getblock', [blockHash, 2], coreBlock2)
  t.is(verbose2.nTx, 2)
  t.like(verbose2.tx[1], {
    txid: tx.getId(),
    hash: Buffer.from(tx.getHash(true)).reverse().toString('hex'),
    hex: tx.toHex(),
  })
  t.is(
    (await rpc.call('getblock', [blockHash, true], z.object({ tx: z.array(z.string()) }))).tx.length,
    2,
    'a bool verbosity is accepted as Core does',
  )
})

test('strict sendrawtransaction: invalid spends -26 with the reason, missing inputs -25, valid ones automined', async (t) => {
  const { node, rpc } = await startNode()
  const coin = await fundedCoin(node, rpc)
  const valid = spend(coin)

  const forged = bitcoin.Transaction.fromHex(valid.toHex())
  const signature = Buffer.from(forged.ins[0]?.witness[0] ?? [])
  signature[10] = (signature[10] ?? 0) ^ 1
  forged.setWitness(0, [signature, forged.ins[0]?.witness[1] ?? Buffer.alloc(0)])
  const invalid = await rejection(rpc.sendRawTransaction(forged.toHex()))
  t.is(invalid.code, 'TX_REJECTED')
  t.like(invalid.details, { rpcCode: -26 })
  t.regex(String(invalid.details.reason), /^mandatory-script-verify-flag-failed \(.+\)$/)

  const orphan = bitcoin.Transaction.fromHex(valid.toHex())
  const input = orphan.ins[0]
  if (input !== undefined) input.hash = Buffer.alloc(32, 7)
  const missing = await rejection(rpc.sendRawTransaction(orphan.toHex()))
  t.is(missing.code, 'TX_REJECTED')
  t.like(missing.details, { rpcCode: -25, reason: 'bad-txns-inputs-missingorspent' })
  t.deepEqual(await rpc.getRawMempool(), [], 'rejected transactions are not kept (no orphans)')

  const height = await rpc.getBlockCount()
  const started = performance.now()
  t.is(await rpc.sendRawTransaction(valid.toHex()), valid.getId())
  t.log(`sendrawtransaction + automined block: ${(performance.now() - started).toFixed(1)} ms`)
  t.is(await rpc.getBlockCount(), height + 1)
  const confirmed = await rpc.getRawTransaction(valid.getId())
  t.is(confirmed.confirmations, 1)
  t.is(confirmed.blockHash, await rpc.getBlockHash(height + 1))
  t.is(confirmed.hex, valid.toHex())

  const again = await rejection(rpc.sendRawTransaction(valid.toHex()))
  t.is(again.code, 'TX_ALREADY_IN_CHAIN')
  t.like(again.details, { rpcCode: -27 })

  const decode = await rejection(rpc.sendRawTransaction('00'))
  t.is(decode.code, 'RPC_ERROR')
  t.like(decode.details, { rpcCode: -22 })
})

test('automine puts transactions sent together into one block', async (t) => {
  const { node, rpc } = await startNode()
  const first = await fundedCoin(node, rpc)
  const second = await fundedCoin(node, rpc)
  const height = await rpc.getBlockCount()
  const txids = await Promise.all(
    [spend(first), spend(second)].map((tx) => rpc.sendRawTransaction(tx.toHex())),
  )
  const heights = new Set<number>()
  for (const txid of txids) {
    const { blockHash } = await rpc.getRawTransaction(txid)
    heights.add((await rpc.getBlockHeader(blockHash ?? '')).height)
  }
  t.is(heights.size, 1)
  t.is(await rpc.getBlockCount(), height + 1)
  t.deepEqual(await rpc.getRawMempool(), [])
})

test('manual mining: mempool, gettxout with and without mempool spends, getrawtransaction unconfirmed', async (t) => {
  const { node, rpc } = await startNode({ mining: { mode: 'manual' } })
  const coin = await fundedCoin(node, rpc)
  const tx = spend(coin)
  const height = await rpc.getBlockCount()
  await rpc.sendRawTransaction(tx.toHex())
  t.is(await rpc.getBlockCount(), height)
  t.deepEqual(await rpc.getRawMempool(), [tx.getId()])
  t.is(await rpc.getTxOut(coin.txid, 0, true), null, 'spent by the mempool')
  t.like(await rpc.getTxOut(coin.txid, 0, false), { value: coin.value, confirmations: 101 })
  t.like(await rpc.getTxOut(tx.getId(), 0, true), { value: coin.value - FEE, confirmations: 0 })
  t.is(await rpc.getTxOut(tx.getId(), 0, false), null)
  const pending = await rpc.getRawTransaction(tx.getId())
  t.is(pending.confirmations, 0)
  t.is(pending.blockHash, undefined)

  const [blockHash] = await node.mine(1)
  t.deepEqual(await rpc.getRawMempool(), [])
  t.like(await rpc.getRawTransaction(tx.getId(), blockHash), { blockHash, confirmations: 1 })
  t.is(await rpc.getTxOut(coin.txid, 0), null)
})

test('invalidateblock returns its transactions to the mempool; reconsiderblock restores the chain', async (t) => {
  const { node, rpc } = await startNode({ mining: { mode: 'manual' } })
  const coin = await fundedCoin(node, rpc)
  const tx = spend(coin)
  await rpc.sendRawTransaction(tx.toHex())
  const [blockHash = ''] = await node.mine(1)
  const tip = await rpc.getBlockCount()

  await rpc.invalidateBlock(blockHash)
  t.is(await rpc.getBlockCount(), tip - 1)
  t.deepEqual(await rpc.getRawMempool(), [tx.getId()])
  t.is((await rpc.getRawTransaction(tx.getId())).confirmations, 0)
  t.deepEqual(node.errors, [])

  await rpc.reconsiderBlock(blockHash)
  t.is(await rpc.getBlockCount(), tip)
  t.is(await rpc.getBlockHash(tip), blockHash)
  t.deepEqual(await rpc.getRawMempool(), [])
  t.is((await rpc.getRawTransaction(tx.getId())).confirmations, 1)

  await rpc.invalidateBlock(blockHash)
  const [competitor = ''] = await node.mine(1)
  t.not(competitor, blockHash)
  t.is((await rpc.getRawTransaction(tx.getId())).blockHash, competitor, 'mined again on the new branch')
  t.deepEqual(await rpc.getRawMempool(), [])
  t.deepEqual(node.errors, [])
})

test('advanceTimeTo moves median-time-past past a CLTV deadline', async (t) => {
  const { node, rpc } = await startNode({ mining: { mode: 'manual' } })
  const coin = await fundedCoin(node, rpc)
  const deadline = (await rpc.getBlockchainInfo()).medianTime + 3600
  const refund = spend(coin, { locktime: deadline, sequence: 0xfffffffe })
  const early = await rejection(rpc.sendRawTransaction(refund.toHex()))
  t.like(early.details, { rpcCode: -26, reason: 'non-final' })

  const mined = await node.advanceTimeTo(deadline)
  t.true(mined.length >= 6 && mined.length <= 12, `${mined.length} blocks`)
  const info = await rpc.getBlockchainInfo()
  t.true(info.medianTime > deadline)
  const times: number[] = []
  for (const hash of mined) times.push((await rpc.getBlockHeader(hash)).time)
  t.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
    'timestamps never go back',
  )
  t.true((times.at(-1) ?? 0) >= deadline + 1)
  t.is(await rpc.sendRawTransaction(refund.toHex()), refund.getId())
})

test('setmocktime freezes block timestamps (Core semantics)', async (t) => {
  const { node, rpc } = await startNode({ mining: { mode: 'manual' } })
  const future = Math.floor(Date.now() / 1000) + 600
  await rpc.setMockTime(future)
  const [first = ''] = await node.mine(1)
  t.is((await rpc.getBlockHeader(first)).time, future)
  await node.setMockTime(0)
  const [second = ''] = await node.mine(1)
  t.true((await rpc.getBlockHeader(second)).time >= (await rpc.getBlockHeader(first)).medianTime)
})

test('interval mining produces blocks on its own', async (t) => {
  const { rpc } = await startNode({ mining: { mode: 'interval', seconds: 0.2 } })
  const height = await rpc.getBlockCount()
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.true((await rpc.getBlockCount()) >= height + 2)
})

test('a datadir keeps the chain across close and reopen', async (t) => {
  const datadir = await tempDir()
  const first = await startNode({ datadir })
  const [hash] = await first.node.mine(3)
  const height = await first.rpc.getBlockCount()
  await first.node.close()
  await first.node.close()

  const second = await startNode({ datadir })
  t.is(await second.rpc.getBlockCount(), height)
  t.is(await second.rpc.getBlockHash(height - 2), hash ?? '')
})

test('Core transport: wrong credentials are RPC_AUTH, unknown methods -32601', async (t) => {
  const { node, rpc } = await startNode({ rpcUser: 'alice', rpcPassword: 'right' })
  t.is(node.rpcUser, 'alice')
  const wrong = new BitcoinRpc({ url: node.rpcUrl, auth: { user: 'alice', password: 'wrong' } })
  t.is((await rejection(wrong.getBlockCount())).code, 'RPC_AUTH')
  const unknown = await rejection(rpc.call('getwalletinfo', [], z.unknown()))
  t.is(unknown.code, 'RPC_ERROR')
  t.like(unknown.details, { rpcCode: -32601 })
  const notFound = await rejection(rpc.getRawTransaction('00'.repeat(32)))
  t.like(notFound.details, { rpcCode: -5 })
  const outOfRange = await rejection(rpc.getBlockHash(1_000_000))
  t.like(outOfRange.details, { rpcCode: -8 })
})

test('closed nodes refuse work and free their port', async (t) => {
  const { node, rpc } = await startNode()
  await node.close()
  t.is((await rejection(rpc.getBlockCount())).code, 'RPC_UNREACHABLE')
  await t.throwsAsync(node.mine(1), { message: /not running/ })
  await t.throwsAsync(node.ready())
})
