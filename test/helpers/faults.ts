import { randomBytes } from 'node:crypto'
import { Wallet } from 'ethers'
import type { RegtestControl } from '../../regtest/control.js'
import { ECPair } from '../../src/chains/bitcoin/ecc.js'
import { TradingNode } from '../../src/daemon/trading-node.js'
import { hashlockOf } from '../../src/swap/secret.js'
import type { ChainKind, LegTerms, SwapRecord } from '../../src/swap/types.js'

/**
 * Fault injection for swap tests on real chains: stop a trader at an exact point of a swap, start it again
 * from its data dir, lock a leg by hand with wrong terms (a hostile counterparty), and search both chains
 * for a secret.
 */

/**
 * Stops `victim`'s engine the moment one of `watched`'s stored records satisfies `when` (inside the
 * engine's synchronous 'update', so the victim takes no further step). Resolves to that record.
 */
export function haltEngineWhen(
  victim: TradingNode,
  watched: TradingNode,
  when: (record: SwapRecord) => boolean,
): Promise<SwapRecord> {
  return new Promise((resolve) => {
    const onUpdate = (record: SwapRecord) => {
      if (!when(record)) return
      watched.engine.off('update', onUpdate)
      // close() marks the engine closed before its first await: no step starts after this line.
      void victim.engine.close()
      resolve(structuredClone(record))
    }
    watched.engine.on('update', onUpdate)
  })
}

/** A new TradingNode on `stopped`'s data dir and mnemonic (it resumes every stored swap), ready. */
export async function restart(stopped: TradingNode, registry: TradingNode[]): Promise<TradingNode> {
  await stopped.close()
  const { onPersisted: _hook, ...options } = stopped.options
  const node = new TradingNode(options)
  registry.push(node)
  await node.ready()
  return node
}

/** How a hostile party bends the terms of the leg it locks. */
export type Tamper = 'amount' | 'hashlock' | 'recipient' | 'deadline'

export function tamper(leg: LegTerms, how: Tamper): LegTerms {
  switch (how) {
    case 'amount':
      return { ...leg, amount: leg.amount - 1n }
    case 'hashlock':
      return { ...leg, hashlock: hashlockOf(Uint8Array.from(randomBytes(32))) }
    case 'recipient':
      // Pays a stranger: the honest party's key and address are not in the lock.
      return {
        ...leg,
        recipient: {
          btcPubkey: ECPair.makeRandom().publicKey,
          evmAddress: Wallet.createRandom().address.toLowerCase(),
        },
      }
    case 'deadline':
      return { ...leg, deadline: leg.deadline - 300 }
  }
}

/**
 * What the honest side's adapter reads for a lock tampered `how`. The EVM contract keys swaps by all their
 * terms but is searched by hashlock, so every other field shows as 'invalid'. A Bitcoin HTLC with another
 * hash, key or deadline is another script: nothing pays the agreed one ('absent'); a wrong amount pays
 * the agreed script.
 */
export function expectedReading(
  chain: ChainKind,
  how: Tamper,
): { kind: 'absent' } | { kind: 'invalid'; field: Tamper } {
  if (how === 'hashlock') return { kind: 'absent' }
  if (chain === 'evm' || how === 'amount') return { kind: 'invalid', field: how }
  return { kind: 'absent' }
}

/** Signs and broadcasts a lock of `leg` from `node`'s wallet, bypassing its engine; resolves once it is mined. */
export async function lockByHand(node: TradingNode, leg: LegTerms, keyIndex: number): Promise<void> {
  const adapter = leg.chain === 'bitcoin' ? node.bitcoin : node.evm
  for (const tx of await adapter.signLock(leg, keyIndex)) {
    const outcome = await adapter.broadcast(tx)
    if (outcome.kind !== 'accepted')
      throw new Error(`hand lock ${tx.purpose} ${outcome.kind}: ${outcome.reason}`)
    // Resolves once mined (automine), so what the test reads next sees the lock on chain.
    const deadline = Date.now() + 30_000
    while ((await adapter.txStatus(tx)).kind !== 'mined') {
      if (Date.now() > deadline) throw new Error(`hand lock ${tx.purpose} ${tx.txid} not mined in 30 s`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

/**
 * Whether `bytes` occur in any transaction mined on either chain from `from` on (Bitcoin: raw transactions,
 * witnesses included; EVM: calldata). Byte-aligned hex search, so a miss is a real miss.
 */
export async function onChain(
  control: RegtestControl,
  bytes: Uint8Array,
  from: Record<ChainKind, number>,
): Promise<boolean> {
  const needle = Buffer.from(bytes).toString('hex')
  const found = (hex: string) => {
    for (let at = hex.indexOf(needle); at !== -1; at = hex.indexOf(needle, at + 1)) {
      if (at % 2 === 0) return true
    }
    return false
  }
  const rpc = control.bitcoinRpc
  const bitcoinTip = await rpc.getBlockCount()
  for (let height = from.bitcoin; height <= bitcoinTip; height++) {
    const block = await rpc.getBlock(await rpc.getBlockHash(height))
    if (block.txs.some((tx) => found(tx.hex))) return true
  }
  const provider = control.evmProvider
  const evmTip = await provider.getBlockNumber()
  for (let height = from.evm; height <= evmTip; height++) {
    const block = await provider.getBlock(height, true)
    if (block?.prefetchedTransactions.some((tx) => found(tx.data.slice(2)))) return true
  }
  return false
}
