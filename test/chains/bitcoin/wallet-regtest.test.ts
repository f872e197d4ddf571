import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import test from 'ava'
import { BitcoinNode } from '../../../regtest/bitcoin-node.js'
import { freePort } from '../../../regtest/ports.js'
import { bitcoin } from '../../../src/chains/bitcoin/ecc.js'
import { BitcoinRpc } from '../../../src/chains/bitcoin/rpc.js'
import {
  BitcoinWallet,
  type BitcoinWalletOptions,
  type WalletRpc,
} from '../../../src/chains/bitcoin/wallet.js'
import { isSwarmswapError } from '../../../src/errors.js'

// One node in manual mining mode, so every block is one the test asked for. Tests run serially: they
// share the chain, and each checks balances against what it mined.
const node = new BitcoinNode({ mining: { mode: 'manual' } })
let rpc: BitcoinRpc
const wallets: BitcoinWallet[] = []
/** Funded in `before`: two mature coinbase coins. */
let alice: BitcoinWallet
let aliceMnemonic: string
let aliceBirthday: number

/** Regtest block subsidy: 50 BTC halving every 150 blocks. */
function subsidy(height: number): bigint {
  return 5_000_000_000n >> BigInt(Math.floor(height / 150))
}

async function newWallet(options: Partial<BitcoinWalletOptions> = {}): Promise<BitcoinWallet> {
  const wallet = new BitcoinWallet({
    rpc,
    network: 'regtest',
    mnemonic: generateMnemonic(wordlist),
    birthday: await rpc.getBlockCount(),
    ...options,
  })
  wallets.push(wallet)
  await wallet.ready()
  return wallet
}

function total(balance: { confirmed: bigint; unconfirmed: bigint; immature: bigint }): bigint {
  return balance.confirmed + balance.unconfirmed + balance.immature
}

test.before(async () => {
  await node.ready()
  rpc = new BitcoinRpc({ url: node.rpcUrl, auth: { user: node.rpcUser, password: node.rpcPassword } })
  aliceMnemonic = generateMnemonic(wordlist)
  aliceBirthday = await rpc.getBlockCount()
  alice = await newWallet({ mnemonic: aliceMnemonic, birthday: aliceBirthday })
  await node.mine(1, alice.receiveAddress())
  await node.mine(1, alice.receiveAddress())
  await node.mine(100)
})

/** A second node in automine mode (the regtest default), for the test that needs it. */
const automineNode = new BitcoinNode({ mining: { mode: 'automine' } })

test.after.always(async () => {
  for (const wallet of wallets) await wallet.close()
  await node.close()
  await automineNode.close()
})

test.serial('a coinbase is immature until it has 100 confirmations, then spendable', async (t) => {
  const miner = await newWallet()
  const [hash] = await node.mine(1, miner.receiveAddress())
  const height = (await rpc.getBlock(hash ?? '')).height
  t.deepEqual(await miner.balance(), { confirmed: 0n, unconfirmed: 0n, immature: subsidy(height) })

  await node.mine(98)
  t.deepEqual(
    await miner.balance(),
    { confirmed: 0n, unconfirmed: 0n, immature: subsidy(height) },
    '99 confirmations',
  )
  const early = await t.throwsAsync(miner.sendTo(alice.receiveAddress(), 100_000n))
  t.true(isSwarmswapError(early, 'INSUFFICIENT_FUNDS'))

  await node.mine(1)
  t.deepEqual(
    await miner.balance(),
    { confirmed: subsidy(height), unconfirmed: 0n, immature: 0n },
    '100 confirmations',
  )
  const sent = await miner.sendTo(alice.receiveAddress(), 100_000n)
  t.true((await rpc.getRawMempool()).includes(sent.txid), 'the node accepts the spend at depth 100')
  await node.mine(1)
})

test.serial('a send pays the exact fee: both wallets and the fee add up to the coins spent', async (t) => {
  const bob = await newWallet()
  const before = await alice.balance()
  const sent = await alice.sendTo(bob.receiveAddress(), 123_456_789n)

  const inputTotal = sent.inputs.reduce((sum, input) => sum + input.value, 0n)
  const outputTotal = sent.outputs.reduce((sum, output) => sum + output.amount, 0n)
  t.is(sent.fee, inputTotal - outputTotal)
  t.true(sent.fee >= 2n * BigInt(sent.vsize), 'at least the regtest fallback of 2 sat/vB')
  t.true(sent.fee <= 2n * BigInt(sent.vsize + 1), 'and not more than one vbyte of rounding above it')
  t.is(sent.outputs.length, 2)
  const tx = bitcoin.Transaction.fromHex(sent.hex)
  t.true(
    tx.ins.every((input) => input.sequence === 0xfffffffd),
    'RBF signalled',
  )

  const aliceAfter = await alice.balance()
  const bobAfter = await bob.balance()
  t.deepEqual(bobAfter, { confirmed: 0n, unconfirmed: 123_456_789n, immature: 0n })
  t.is(total(aliceAfter) + total(bobAfter) + sent.fee, total(before))

  await node.mine(1)
  t.deepEqual(await bob.balance(), { confirmed: 123_456_789n, unconfirmed: 0n, immature: 0n })
  const aliceMined = await alice.balance()
  t.is(aliceMined.unconfirmed, 0n)
  t.is(aliceMined.confirmed + 123_456_789n + sent.fee, total(before))
})

test.serial('two sends in a row before a block never spend the same coin', async (t) => {
  const bob = await newWallet()
  const first = await alice.sendTo(bob.receiveAddress(), 10_000_000n)
  const second = await alice.sendTo(bob.receiveAddress(), 20_000_000n)
  const spent = (sent: typeof first) => sent.inputs.map((input) => `${input.txid}:${input.vout}`)
  t.deepEqual(
    spent(first).filter((outpoint) => spent(second).includes(outpoint)),
    [],
  )
  const mempool = await rpc.getRawMempool()
  t.true(mempool.includes(first.txid) && mempool.includes(second.txid), 'the node took both')

  await node.mine(1)
  t.deepEqual(await bob.balance(), { confirmed: 30_000_000n, unconfirmed: 0n, immature: 0n })
})

test.serial('send() alone records nothing; broadcast() records the spend at once', async (t) => {
  const bob = await newWallet()
  const signed = await alice.send({ outputs: [{ address: bob.receiveAddress(), amount: 5_000_000n }] })
  const again = await alice.send({ outputs: [{ address: bob.receiveAddress(), amount: 5_000_000n }] })
  t.deepEqual(again.inputs, signed.inputs, 'unbroadcast coins stay available')
  t.is(await alice.broadcast(signed.hex), signed.txid)
  const next = await alice.send({ outputs: [{ address: bob.receiveAddress(), amount: 5_000_000n }] })
  t.false(
    next.inputs.some((input) => signed.inputs.some((i) => i.txid === input.txid && i.vout === input.vout)),
  )
  await node.mine(1)
})

test.serial('a reorg drops a received payment from the confirmed balance', async (t) => {
  const bob = await newWallet()
  await alice.sendTo(bob.receiveAddress(), 7_000_000n)
  const [blockHash = ''] = await node.mine(1)
  t.is((await bob.balance()).confirmed, 7_000_000n)
  const height = bob.height

  await rpc.invalidateBlock(blockHash)
  t.deepEqual(
    await bob.balance(),
    { confirmed: 0n, unconfirmed: 7_000_000n, immature: 0n },
    'the payment is back in the mempool, as Bitcoin Core does',
  )
  t.is(bob.height, height - 1)
  await node.mine(1)
  t.deepEqual(await bob.balance(), { confirmed: 7_000_000n, unconfirmed: 0n, immature: 0n }, 'mined again')
})

test.serial(
  'a reorg read in one sync (same height, other hash) drops a coin the new chain lacks',
  async (t) => {
    const bob = await newWallet()
    const [blockHash = ''] = await node.mine(1, bob.receiveAddress())
    t.true((await bob.balance()).immature > 0n)
    const height = bob.height

    // The competing chain is longer; the wallet sees it only after both blocks exist.
    await rpc.invalidateBlock(blockHash)
    await node.mine(2)
    t.deepEqual(await bob.balance(), { confirmed: 0n, unconfirmed: 0n, immature: 0n })
    t.is(bob.height, height + 1)
  },
)

test.serial('insufficient funds: INSUFFICIENT_FUNDS with needed and available', async (t) => {
  const empty = await newWallet()
  const error = await t.throwsAsync(empty.sendTo(alice.receiveAddress(), 1_000_000n))
  t.true(isSwarmswapError(error, 'INSUFFICIENT_FUNDS'))
  if (!isSwarmswapError(error)) return
  t.is(error.details.available, 0n)
  t.true((error.details.needed as bigint) > 1_000_000n)

  await node.mine(1)
  const { confirmed } = await alice.balance()
  const tooMuch = await t.throwsAsync(alice.sendTo(empty.receiveAddress(), confirmed))
  t.true(isSwarmswapError(tooMuch, 'INSUFFICIENT_FUNDS'), 'the whole balance leaves nothing for the fee')
  if (!isSwarmswapError(tooMuch)) return
  t.is(tooMuch.details.available, confirmed)
  t.true((tooMuch.details.needed as bigint) > confirmed)
})

test.serial(
  'an unconfirmed payment from someone else counts as unconfirmed and is not spent until it confirms',
  async (t) => {
    const bob = await newWallet()
    await alice.sendTo(bob.receiveAddress(), 3_000_000n)
    t.deepEqual(await bob.balance(), { confirmed: 0n, unconfirmed: 3_000_000n, immature: 0n })
    t.true(
      isSwarmswapError(
        await t.throwsAsync(bob.sendTo(alice.receiveAddress(), 1_000_000n)),
        'INSUFFICIENT_FUNDS',
      ),
    )
    await node.mine(1)
    await bob.sendTo(alice.receiveAddress(), 1_000_000n)
    await node.mine(1)
  },
)

test.serial('reserved coins are not selected until released, and can be spent under their tag', async (t) => {
  const carol = await newWallet()
  await alice.sendTo(carol.receiveAddress(), 2_000_000n)
  await alice.sendTo(carol.receiveAddress(), 1_000_000n)
  await node.mine(1)
  const coins = await carol.listCoins()
  t.is(coins.length, 2)
  const big = coins.find((coin) => coin.value === 2_000_000n)
  if (big === undefined) return t.fail()

  await carol.reserve([big], 'swap-1')
  const listed = await carol.listCoins()
  t.is(listed.find((coin) => coin.txid === big.txid)?.reservedBy, 'swap-1')
  const refused = await t.throwsAsync(carol.sendTo(alice.receiveAddress(), 1_500_000n))
  t.true(isSwarmswapError(refused, 'INSUFFICIENT_FUNDS'), 'only the 1M coin is free')

  const other = await t.throwsAsync(carol.reserve([big], 'swap-2'))
  t.true(isSwarmswapError(other, 'INVALID_ARGUMENT'), 'a coin is held by one tag at a time')
  const unknown = await t.throwsAsync(carol.reserve([{ txid: 'ab'.repeat(32), vout: 0 }], 'swap-2'))
  t.true(isSwarmswapError(unknown, 'INVALID_ARGUMENT'))

  const funding = await carol.send({
    outputs: [{ address: alice.receiveAddress(), amount: 1_500_000n }],
    reservation: 'swap-1',
  })
  t.deepEqual(funding.inputs, [{ txid: big.txid, vout: big.vout, value: big.value }])

  carol.release('swap-1')
  const sent = await carol.sendTo(alice.receiveAddress(), 1_500_000n)
  t.deepEqual(sent.inputs, [{ txid: big.txid, vout: big.vout, value: big.value }])
  await node.mine(1)
})

test.serial('bad input is INVALID_ARGUMENT and changes nothing', async (t) => {
  const before = await alice.balance()
  const mempoolBefore = await rpc.getRawMempool()
  const regtestAddress = alice.receiveAddress()
  const cases: [string, unknown][] = [
    [
      'mainnet address',
      { outputs: [{ address: 'bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', amount: 10_000n }] },
    ],
    ['not an address', { outputs: [{ address: 'bcrt1qnotanaddress', amount: 10_000n }] }],
    ['zero amount', { outputs: [{ address: regtestAddress, amount: 0n }] }],
    ['negative amount', { outputs: [{ address: regtestAddress, amount: -5n }] }],
    ['below the P2WPKH dust limit', { outputs: [{ address: regtestAddress, amount: 293n }] }],
    ['a number, not a bigint', { outputs: [{ address: regtestAddress, amount: 10_000 }] }],
    ['a fraction', { outputs: [{ address: regtestAddress, amount: 1.5 }] }],
    ['no outputs', { outputs: [] }],
    [
      'address and script at once',
      { outputs: [{ address: regtestAddress, scriptPubKey: '00', amount: 10_000n }] },
    ],
    [
      'fee rate above the maximum',
      { outputs: [{ address: regtestAddress, amount: 10_000n }], feeRate: 1001n },
    ],
    [
      'change address of another network',
      {
        outputs: [{ address: regtestAddress, amount: 10_000n }],
        changeAddress: 'tb1q6rz28mcfaxtmd6v789l9rrlrusdprr9pqcpvkl',
      },
    ],
  ]
  for (const [description, request] of cases) {
    const error = await t.throwsAsync(alice.send(request as Parameters<typeof alice.send>[0]))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), description)
  }
  t.true(
    isSwarmswapError(
      await t.throwsAsync(alice.sendTo('bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu', 10_000n)),
      'INVALID_ARGUMENT',
    ),
  )
  t.true(isSwarmswapError(await t.throwsAsync(alice.broadcast('zz')), 'INVALID_ARGUMENT'))
  t.deepEqual(await alice.balance(), before)
  t.deepEqual(await rpc.getRawMempool(), mempoolBefore)
})

test.serial(
  'a new instance from the same mnemonic recovers the same coins, past the first gap window',
  async (t) => {
    const bobMnemonic = generateMnemonic(wordlist)
    const bobBirthday = await rpc.getBlockCount()
    const bob = await newWallet({ mnemonic: bobMnemonic, birthday: bobBirthday })
    // Index 15 is inside the first window of 20, 30 only once 15 is seen used, 45 only once 30 is.
    const far = {
      outputs: [
        { address: bob.addressAt(0, 30), amount: 40_000n },
        { address: bob.addressAt(0, 15), amount: 50_000n },
      ],
    }
    await alice.broadcast((await alice.send(far)).hex)
    await node.mine(1)
    await alice.sendTo(bob.addressAt(0, 45), 30_000n)
    await node.mine(1)
    const bobRestored = await newWallet({ mnemonic: bobMnemonic, birthday: bobBirthday })
    t.deepEqual(await bobRestored.balance(), { confirmed: 120_000n, unconfirmed: 0n, immature: 0n })
    t.is(bobRestored.receiveAddress(), bob.addressAt(0, 46), 'never hands out a used address')

    await alice.sendTo(bob.receiveAddress(), 60_000n) // left unconfirmed on purpose
    const expected = await alice.balance()
    const restoredAlice = await newWallet({ mnemonic: aliceMnemonic, birthday: aliceBirthday })
    t.deepEqual(await restoredAlice.balance(), expected)
    const outpoints = (coins: { txid: string; vout: number }[]) =>
      coins.map((c) => `${c.txid}:${c.vout}`).sort()
    t.deepEqual(outpoints(await restoredAlice.listCoins()), outpoints(await alice.listCoins()))
    await node.mine(1)
  },
)

test.serial('a full rescan from height 0 finds the same balance', async (t) => {
  const started = performance.now()
  const restored = await newWallet({ mnemonic: aliceMnemonic, birthday: 0 })
  const elapsed = performance.now() - started
  t.deepEqual(await restored.balance(), await alice.balance())
  t.log(`rescanned ${restored.height + 1} blocks in ${Math.round(elapsed)} ms`)
})

test.serial(
  'ready() and close() are safe twice; calls before ready() or after close() are CLOSED',
  async (t) => {
    const wallet = new BitcoinWallet({
      rpc,
      network: 'regtest',
      mnemonic: aliceMnemonic,
      birthday: await rpc.getBlockCount(),
    })
    t.true(isSwarmswapError(await t.throwsAsync(wallet.balance()), 'CLOSED'))
    await Promise.all([wallet.ready(), wallet.ready()])
    await wallet.ready()
    t.is(typeof (await wallet.balance()).confirmed, 'bigint')
    await wallet.close()
    await wallet.close()
    t.true(isSwarmswapError(await t.throwsAsync(wallet.balance()), 'CLOSED'))
    t.true(isSwarmswapError(await t.throwsAsync(wallet.ready()), 'CLOSED'))
  },
)

test.serial('a failed first sync (node unreachable) is reported and ready() can be retried', async (t) => {
  const dead = new BitcoinRpc({
    url: `http://127.0.0.1:${await freePort()}`,
    auth: { user: 'u', password: 'p' },
  })
  let current: WalletRpc = dead
  // Switches to the live node between attempts, as a node coming up would.
  const switchable: WalletRpc = {
    mempoolAtTip: () => current.mempoolAtTip(),
    getBlockHash: (height) => current.getBlockHash(height),
    getBlock: (hash) => current.getBlock(hash),
    getRawTransaction: (txid, blockHash) => current.getRawTransaction(txid, blockHash),
    sendRawTransaction: (hex) => current.sendRawTransaction(hex),
    estimateSmartFee: (target) => current.estimateSmartFee(target),
  }
  const wallet = new BitcoinWallet({
    rpc: switchable,
    network: 'regtest',
    mnemonic: aliceMnemonic,
    birthday: aliceBirthday,
  })
  wallets.push(wallet)
  t.true(isSwarmswapError(await t.throwsAsync(wallet.ready()), 'RPC_UNREACHABLE'))
  current = rpc
  await wallet.ready()
  t.deepEqual(await wallet.balance(), await alice.balance())
})

test.serial('the fee rate falls back to 2 sat/vB on regtest and is capped', async (t) => {
  t.is(await alice.feeRate(), 2n)
  const capped = await newWallet({ fallbackFeeRate: 50n, maxFeeRate: 20n }).catch((error: unknown) => error)
  t.true(isSwarmswapError(capped, 'INVALID_ARGUMENT'), 'a fallback above the cap is a configuration error')
  const custom = await newWallet({ fallbackFeeRate: 7n })
  t.is(await custom.feeRate(1), 7n)
})

test.serial(
  'with automine (each broadcast mined before it returns), consecutive sends confirm and add up',
  async (t) => {
    await automineNode.ready()
    const live = new BitcoinRpc({
      url: automineNode.rpcUrl,
      auth: { user: automineNode.rpcUser, password: automineNode.rpcPassword },
    })
    const dave = await newWallet({ rpc: live, birthday: await live.getBlockCount() })
    const erin = await newWallet({ rpc: live, birthday: await live.getBlockCount() })
    await automineNode.mine(1, dave.receiveAddress())
    await automineNode.mine(100)
    const start = await dave.balance()
    let fees = 0n
    for (const amount of [1_000_000n, 2_000_000n, 3_000_000n])
      fees += (await dave.sendTo(erin.receiveAddress(), amount)).fee
    t.deepEqual(await erin.balance(), { confirmed: 6_000_000n, unconfirmed: 0n, immature: 0n })
    t.deepEqual(await dave.balance(), {
      confirmed: start.confirmed - 6_000_000n - fees,
      unconfirmed: 0n,
      immature: 0n,
    })
  },
)
