/**
 * Watches the Bitcoin chain and mempool for HTLC locks and their spends, for every swap at once. Blocks are
 * read through Bitcoin Core's RPC (getblock verbosity 2), indexed once and cached by hash, so many swaps
 * observed every 100 ms cost one request per refresh (tip, mempool listing, tip again), not a block
 * download. The active chain is remembered height by height; a different hash at a height means a reorg,
 * and the blocks above the fork are dropped and read again.
 *
 * Only what HTLCs need is indexed: P2WSH outputs (every HTLC lock pays one) and inputs whose witness ends in
 * a swarmswap HTLC script (every spend of an HTLC lock has one, since P2WSH commits to the script).
 */
import type { bitcoin } from '../../chains/bitcoin/ecc.js'
import { decodeHtlcScript } from '../../chains/bitcoin/htlc-script.js'
import type { BitcoinRpc, Block } from '../../chains/bitcoin/rpc.js'
import { parseTransaction } from '../../chains/bitcoin/transaction.js'
import { SwarmswapError } from '../../errors.js'

/** The node calls the watcher makes. */
export type WatcherRpc = Pick<BitcoinRpc, 'mempoolAtTip' | 'getBlockHash' | 'getBlock' | 'getRawTransaction'>

/** A P2WSH output; `height` null while it is in the mempool. */
export interface WatchedOutput {
  txid: string
  vout: number
  value: bigint
  height: number | null
}

/** A transaction spending an HTLC output; `height` null while it is in the mempool. */
export interface HtlcSpend {
  txid: string
  hex: string
  height: number | null
}

/** The chain and mempool as one refresh saw them. */
export interface ChainSnapshot {
  tipHeight: number
  /** Outputs paying `scriptPubKeyHex` in blocks >= `fromHeight`, then in the mempool. */
  outputsTo(scriptPubKeyHex: string, fromHeight: number): WatchedOutput[]
  /** The transaction spending `txid:vout` (a block's before the mempool's), if any. */
  spenderOf(txid: string, vout: number): HtlcSpend | undefined
  /** 1 for an output or spend in the tip block, 0 in the mempool. */
  confirmations(height: number | null): number
}

interface TxIndex {
  /** scriptPubKey hex -> P2WSH outputs paying it. */
  outputs: Map<string, { txid: string; vout: number; value: bigint }[]>
  /** Outpoint key -> the HTLC spend of it. */
  spends: Map<string, { txid: string; hex: string }>
}

interface BlockIndex extends TxIndex {
  hash: string
  height: number
  previousBlockHash: string | undefined
}

/** Blocks fetched concurrently. */
const FETCH_BATCH = 16
/** Times one refresh starts again because the tip moved while it was reading. */
const REFRESH_ATTEMPTS = 5
const P2WSH_SCRIPT_BYTES = 34
/** Lengths of the HTLC witness script (see htlc-script.ts): a cheap filter before decoding. */
const HTLC_SCRIPT_BYTES = new Set([106, 107])

export class BitcoinChainWatcher {
  private readonly rpc: WatcherRpc
  /** Block index by block hash: only blocks of the active chain are kept. */
  private readonly blocks = new Map<string, BlockIndex>()
  /** Height -> hash of the active chain, from `lowest` to `top`. */
  private readonly active = new Map<number, string>()
  private lowest = Number.POSITIVE_INFINITY
  private top = -1
  /** Mempool transactions by txid, indexed once each. */
  private mempool = new Map<string, TxIndex>()
  /** Lowest height any caller asked for since the last refresh started. */
  private wanted = Number.POSITIVE_INFINITY
  private running: Promise<ChainSnapshot> | null = null
  private queued: Promise<ChainSnapshot> | null = null
  private closed = false

  constructor(rpc: WatcherRpc) {
    this.rpc = rpc
  }

  /**
   * The chain from `fromHeight` to the tip and the mempool, read after this call began. Calls made while a
   * refresh runs share the next one, so any number of concurrent callers cost one refresh at a time.
   */
  snapshot(fromHeight: number): Promise<ChainSnapshot> {
    if (this.closed) return Promise.reject(new SwarmswapError('CLOSED', 'the chain watcher was closed'))
    if (!Number.isSafeInteger(fromHeight) || fromHeight < 0) {
      return Promise.reject(
        new SwarmswapError('INVALID_ARGUMENT', `fromHeight must be a block height, got ${fromHeight}`),
      )
    }
    this.wanted = Math.min(this.wanted, fromHeight)
    this.queued ??= (this.running ?? Promise.resolve())
      .catch(() => {})
      .then(() => {
        this.queued = null
        const from = this.wanted
        this.wanted = Number.POSITIVE_INFINITY
        this.running = this.refresh(from)
        return this.running
      })
    return this.queued
  }

  /** Forgets every cached block and mempool transaction; later calls fail with CLOSED. */
  close(): void {
    this.closed = true
    this.blocks.clear()
    this.active.clear()
    this.mempool.clear()
  }

  private async refresh(fromHeight: number): Promise<ChainSnapshot> {
    // A chain that grew is assumed to extend ours until a read refutes it (see followChain).
    let hopeful = true
    for (let attempt = 1; attempt <= REFRESH_ATTEMPTS; attempt++) {
      // One request lists the mempool between two tip reads: a transaction mined in between would be in
      // neither the listing nor the blocks up to the first tip, so only a still tip makes the view whole.
      const { before, txids, after } = await this.rpc.mempoolAtTip()
      if (after.bestBlockHash !== before.bestBlockHash) continue
      // Both settle before anything is thrown, so no read outlives this refresh and overlaps the next.
      const [chain, mempool] = await Promise.allSettled([
        this.followChain(after.blocks, after.bestBlockHash, fromHeight, hopeful),
        this.readMempool(txids),
      ])
      if (chain.status === 'rejected') throw chain.reason
      if (mempool.status === 'rejected') throw mempool.reason
      if (chain.value) return this.view()
      hopeful = false
    }
    throw new SwarmswapError('TIMEOUT', `the chain tip kept moving during ${REFRESH_ATTEMPTS} refreshes`)
  }

  /**
   * Makes `active` the node's chain from min(fromHeight, lowest) to `tipHeight`. Returns false when the
   * node's chain changed under the reads (a block's parent is not the block read below it); the broken part
   * is forgotten, so the next attempt reads it again. `hopeful`: a chain that grew past ours is assumed to
   * extend it (the common case, one new block), so the new blocks are read without first searching for a
   * fork; `linked()` proves or refutes that, and a refuted attempt is followed by a searching one.
   */
  private async followChain(
    tipHeight: number,
    tipHash: string,
    fromHeight: number,
    hopeful: boolean,
  ): Promise<boolean> {
    // The tip block is always read, even for a swap created above it, so the tip hash can be compared.
    const from = Math.min(fromHeight, tipHeight)
    if (this.top < this.lowest) {
      this.lowest = from
      this.top = from - 1
    } else if (from < this.lowest) {
      // Below the cached range; a chain now shorter than that range is truncated just below.
      await this.readRange(from, Math.min(this.lowest - 1, tipHeight))
      this.lowest = from
    }
    if (this.top !== tipHeight || this.active.get(tipHeight) !== tipHash) {
      // The highest height at which the node still has our block: everything above it is read again.
      let common = Math.min(this.top, tipHeight)
      const grew = hopeful && tipHeight > this.top
      while (
        !grew &&
        common >= this.lowest &&
        this.active.get(common) !== (await this.rpc.getBlockHash(common))
      ) {
        common--
      }
      this.truncate(common)
      await this.readRange(common + 1, tipHeight, tipHash)
      this.top = tipHeight
    }
    return this.linked() && this.active.get(tipHeight) === tipHash
  }

  /** Whether every cached block's parent is the block cached below it; if not, forgets from the break up. */
  private linked(): boolean {
    for (let height = this.lowest + 1; height <= this.top; height++) {
      const block = this.blocks.get(this.active.get(height) ?? '')
      if (block === undefined || block.previousBlockHash !== this.active.get(height - 1)) {
        this.truncate(height - 2)
        return false
      }
    }
    return true
  }

  /** Forgets the cached blocks above `height`. */
  private truncate(height: number): void {
    for (let h = this.top; h > height; h--) {
      const hash = this.active.get(h)
      if (hash !== undefined) this.blocks.delete(hash)
      this.active.delete(h)
    }
    this.top = Math.min(this.top, height)
  }

  /**
   * Reads heights `from`..`to` into `active` (blocks already cached by hash are not fetched again);
   * `toHash`, the hash at `to` when known, saves looking it up.
   */
  private async readRange(from: number, to: number, toHash?: string): Promise<void> {
    for (let start = from; start <= to; start += FETCH_BATCH) {
      const heights = Array.from({ length: Math.min(FETCH_BATCH, to - start + 1) }, (_, i) => start + i)
      const indexes = await Promise.all(
        heights.map(async (height) => await this.blockAt(height, height === to ? toHash : undefined)),
      )
      for (const index of indexes) {
        this.active.set(index.height, index.hash)
        this.blocks.set(index.hash, index)
      }
    }
  }

  private async blockAt(height: number, knownHash?: string): Promise<BlockIndex> {
    const hash = knownHash ?? (await this.rpc.getBlockHash(height))
    const cached = this.blocks.get(hash)
    if (cached !== undefined) return cached
    const block = await this.rpc.getBlock(hash)
    if (block.height !== height || block.hash !== hash) {
      throw new SwarmswapError('BAD_DATA', `node returned block ${block.height} for height ${height}`, {
        details: { height, hash, returned: block.hash },
      })
    }
    return indexBlock(block)
  }

  /** Indexes new mempool transactions (each once) and forgets those that left. */
  private async readMempool(txids: readonly string[]): Promise<void> {
    const next = new Map<string, TxIndex>()
    const missing: string[] = []
    for (const txid of txids) {
      const known = this.mempool.get(txid)
      if (known === undefined) missing.push(txid)
      else next.set(txid, known)
    }
    for (let i = 0; i < missing.length; i += FETCH_BATCH) {
      const batch = missing.slice(i, i + FETCH_BATCH)
      const fetched = await Promise.all(batch.map(async (txid) => await this.mempoolTx(txid)))
      for (const [j, index] of fetched.entries()) {
        const txid = batch[j]
        if (index !== undefined && txid !== undefined) next.set(txid, index)
      }
    }
    this.mempool = next
  }

  /** A mempool transaction's index, or undefined if it left the mempool since getrawmempool listed it. */
  private async mempoolTx(txid: string): Promise<TxIndex | undefined> {
    try {
      const { hex } = await this.rpc.getRawTransaction(txid)
      return indexTransactions([{ txid, tx: parseTransaction(hex), hex }])
    } catch (error) {
      if (error instanceof SwarmswapError && error.details.rpcCode === -5) return undefined
      throw error
    }
  }

  private view(): ChainSnapshot {
    const tipHeight = this.top
    const activeBlocks = (fromHeight: number): BlockIndex[] => {
      const found: BlockIndex[] = []
      for (let height = Math.max(fromHeight, this.lowest); height <= tipHeight; height++) {
        const index = this.blocks.get(this.active.get(height) ?? '')
        if (index !== undefined) found.push(index)
      }
      return found
    }
    const mempool = [...this.mempool.values()]
    return {
      tipHeight,
      outputsTo: (scriptPubKeyHex, fromHeight) => [
        ...activeBlocks(fromHeight).flatMap((block) =>
          (block.outputs.get(scriptPubKeyHex) ?? []).map((out) => ({ ...out, height: block.height })),
        ),
        ...mempool.flatMap((tx) =>
          (tx.outputs.get(scriptPubKeyHex) ?? []).map((out) => ({ ...out, height: null })),
        ),
      ],
      spenderOf: (txid, vout) => {
        const key = outpointKey(txid, vout)
        for (const block of activeBlocks(this.lowest)) {
          const spend = block.spends.get(key)
          if (spend !== undefined) return { ...spend, height: block.height }
        }
        for (const tx of mempool) {
          const spend = tx.spends.get(key)
          if (spend !== undefined) return { ...spend, height: null }
        }
        return undefined
      },
      confirmations: (height) => (height === null ? 0 : tipHeight - height + 1),
    }
  }
}

function indexBlock(block: Block): BlockIndex {
  const txs = block.txs.map(({ txid, hex }) => ({ txid, hex, tx: parseTransaction(hex) }))
  return {
    hash: block.hash,
    height: block.height,
    previousBlockHash: block.previousBlockHash,
    ...indexTransactions(txs),
  }
}

function indexTransactions(txs: readonly { txid: string; hex: string; tx: bitcoin.Transaction }[]): TxIndex {
  const index: TxIndex = { outputs: new Map(), spends: new Map() }
  for (const { txid, hex, tx } of txs) {
    tx.outs.forEach((out, vout) => {
      if (!isP2wsh(out.script)) return
      const script = Buffer.from(out.script).toString('hex')
      const list = index.outputs.get(script) ?? []
      list.push({ txid, vout, value: out.value })
      index.outputs.set(script, list)
    })
    for (const input of tx.ins) {
      const witnessScript = input.witness.at(-1)
      if (witnessScript === undefined || !HTLC_SCRIPT_BYTES.has(witnessScript.length)) continue
      if (decodeHtlcScript(witnessScript) === null) continue
      const spent = Buffer.from(input.hash).reverse().toString('hex')
      index.spends.set(outpointKey(spent, input.index), { txid, hex })
    }
  }
  return index
}

function isP2wsh(script: Uint8Array): boolean {
  return script.length === P2WSH_SCRIPT_BYTES && script[0] === 0x00 && script[1] === 0x20
}

function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`
}
