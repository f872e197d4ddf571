import bcoin, { type Address, type Block, type ChainEntry, type FullNode, type TX } from 'bcoin'
import {
  blockJson,
  btcAmount,
  headerJson,
  reverseHex,
  scriptPubKeyJson,
  txJson,
} from './bitcoin-core-format.js'
import { coreScriptRejectReason } from './bitcoin-script-errors.js'

/** Bitcoin Core's RPC error codes (src/rpc/protocol.h) that this node answers with. */
export const RPC = {
  MISC_ERROR: -1,
  TYPE_ERROR: -3,
  INVALID_ADDRESS_OR_KEY: -5,
  INVALID_PARAMETER: -8,
  DESERIALIZATION_ERROR: -22,
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  PARSE_ERROR: -32700,
} as const

/** A JSON-RPC error in Core's words; the HTTP front turns it into Core's error body and status. */
export class CoreRpcError extends Error {
  readonly code: number

  constructor(code: number, message: string) {
    super(message)
    this.code = code
  }
}

export type CoreMethod = (params: readonly unknown[]) => Promise<unknown>

/** What the methods need besides bcoin itself: mining and the clock belong to the node wrapper. */
export interface CoreMethodsBackend {
  node: FullNode
  mine(count: number, address: Address): Promise<string[]>
  /** Called after a transaction entered the mempool (automine mines it before the RPC answers). */
  accepted(): Promise<void>
  setMockTime(unixSeconds: number): void
}

interface VerifyError {
  type: 'VerifyError'
  code: string
  reason: string
}

function isVerifyError(error: unknown): error is VerifyError {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'VerifyError'
}

/**
 * Bitcoin Core's RPC methods, implemented on bcoin's chain, mempool and miner with Core's parameters, result
 * shapes, error codes and messages (v26). Only what swarmswap's client uses plus a few neighbours; anything
 * else is "Method not found", as it would be on a Core build without that method.
 */
export function coreMethods(backend: CoreMethodsBackend): ReadonlyMap<string, CoreMethod> {
  const { node } = backend
  const { chain, mempool, network } = node
  /** Blocks disconnected by invalidateblock, so reconsiderblock can reconnect them (bcoin deletes them). */
  const invalidated = new Map<string, Block[]>()

  async function entryOf(params: readonly unknown[], index: number, name: string): Promise<ChainEntry> {
    const entry = await chain.getEntry(hashParam(params, index, name))
    if (entry === null) throw new CoreRpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Block not found')
    return entry
  }

  async function blockOf(entry: ChainEntry): Promise<Block> {
    const block = await chain.getBlock(entry.hash)
    if (block === null) throw new CoreRpcError(RPC.MISC_ERROR, 'Block not available')
    return block
  }

  /** Puts a transaction back into the mempool if it is still valid there, as Core does after a disconnect. */
  async function resubmit(tx: TX): Promise<void> {
    try {
      if ((await mempool.addTX(tx)) !== null) mempool.removeOrphan(tx.hash('hex'))
    } catch {
      // no longer valid on the new tip: dropped, as Core drops it
    }
  }

  async function sendRawTransaction(params: readonly unknown[]): Promise<string> {
    const tx = decodeTx(stringParam(params, 0))
    const hash = tx.hash('hex')
    let missing: string[] | null
    try {
      missing = await mempool.addTX(tx)
    } catch (error) {
      if (!isVerifyError(error)) throw error
      if (error.reason === 'txn-already-in-mempool') return tx.txid()
      if (error.reason === 'txn-already-known') {
        throw new CoreRpcError(RPC.VERIFY_ALREADY_IN_CHAIN, 'Transaction outputs already in utxo set')
      }
      if (error.reason === 'bad-txns-inputs-spent') {
        throw new CoreRpcError(RPC.VERIFY_REJECTED, 'txn-mempool-conflict')
      }
      if (error.code === 'highfee') {
        throw new CoreRpcError(
          RPC.VERIFY_ERROR,
          'Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)',
        )
      }
      const scriptReason = error.reason.includes('script-verify-flag')
        ? await coreScriptRejectReason(tx, mempool, chain)
        : null
      throw new CoreRpcError(RPC.VERIFY_REJECTED, scriptReason ?? error.reason)
    }
    if (missing !== null) {
      // Core's RPC never keeps orphans: a tx with unknown inputs is an error, not a pending orphan.
      mempool.removeOrphan(hash)
      throw new CoreRpcError(RPC.VERIFY_ERROR, 'bad-txns-inputs-missingorspent')
    }
    await backend.accepted()
    return tx.txid()
  }

  async function getRawTransaction(params: readonly unknown[]): Promise<unknown> {
    const hash = hashParam(params, 0, 'parameter 1')
    const verbose = verbosityParam(params, 1, 0) > 0
    let tx: TX | undefined
    let entry: ChainEntry | null = null
    let inActiveChain: boolean | undefined
    if (params[2] !== undefined && params[2] !== null) {
      entry = await chain.getEntry(hashParam(params, 2, 'parameter 3'))
      if (entry === null) throw new CoreRpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Block hash not found')
      tx = (await blockOf(entry)).txs.find((candidate) => candidate.hash('hex') === hash)
      inActiveChain = await chain.isMainChain(entry)
      if (tx === undefined) {
        throw new CoreRpcError(
          RPC.INVALID_ADDRESS_OR_KEY,
          'No such transaction found in the provided block. Use gettransaction for wallet transactions.',
        )
      }
    } else {
      const meta = await node.getMeta(hash)
      if (meta === null) {
        throw new CoreRpcError(
          RPC.INVALID_ADDRESS_OR_KEY,
          'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.',
        )
      }
      tx = meta.tx
      if (meta.block !== null) entry = await chain.getEntry(meta.block)
    }
    if (!verbose) return tx.toRaw().toString('hex')
    const confirmed =
      entry === null
        ? {}
        : {
            blockhash: entry.rhash(),
            confirmations: (await chain.isMainChain(entry)) ? chain.height - entry.height + 1 : 0,
            time: entry.time,
            blocktime: entry.time,
          }
    return {
      ...(inActiveChain === undefined ? {} : { in_active_chain: inActiveChain }),
      ...txJson(tx, network),
      ...confirmed,
    }
  }

  const methods: Record<string, CoreMethod> = {
    async getblockchaininfo() {
      const tip = chain.tip
      return {
        chain: 'regtest',
        blocks: chain.height,
        headers: chain.height,
        bestblockhash: tip.rhash(),
        difficulty: (await headerJson(chain, tip, 0)).difficulty,
        time: tip.time,
        mediantime: await chain.getMedianTime(tip),
        verificationprogress: 1,
        initialblockdownload: false,
        chainwork: tip.chainwork.toString('hex', 64),
        size_on_disk: 0,
        pruned: false,
        warnings: '',
      }
    },

    async getblockcount() {
      return chain.height
    },

    async getbestblockhash() {
      return chain.tip.rhash()
    },

    async getblockhash(params) {
      const height = intParam(params, 0)
      if (height === undefined || height < 0 || height > chain.height) {
        throw new CoreRpcError(RPC.INVALID_PARAMETER, 'Block height out of range')
      }
      const entry = await chain.getEntry(height)
      if (entry === null) throw new CoreRpcError(RPC.INVALID_PARAMETER, 'Block height out of range')
      return entry.rhash()
    },

    async getblockheader(params) {
      const entry = await entryOf(params, 0, 'hash')
      const verbose = params[1] === undefined || params[1] === null ? true : boolParam(params, 1)
      const block = await blockOf(entry)
      if (!verbose) return block.toRaw().subarray(0, 80).toString('hex')
      return await headerJson(chain, entry, block.txs.length)
    },

    async getblock(params) {
      const entry = await entryOf(params, 0, 'blockhash')
      const verbosity = verbosityParam(params, 1, 1)
      const block = await blockOf(entry)
      if (verbosity === 0) return block.toRaw().toString('hex')
      return await blockJson(chain, entry, block, verbosity === 1 ? 1 : 2, network)
    },

    getrawtransaction: getRawTransaction,
    sendrawtransaction: sendRawTransaction,

    async getrawmempool(params) {
      if (params[0] === true) {
        throw new CoreRpcError(
          RPC.INVALID_PARAMETER,
          'verbose getrawmempool is not supported by this regtest node',
        )
      }
      return [...mempool.map.values()].map((entry) => entry.tx.txid())
    },

    async gettxout(params) {
      const hash = hashParam(params, 0, 'txid')
      const index = intParam(params, 1)
      if (index === undefined || index < 0)
        throw new CoreRpcError(RPC.TYPE_ERROR, 'Expected type number for n')
      const includeMempool = params[2] === undefined || params[2] === null ? true : boolParam(params, 2)
      let coin = null
      if (includeMempool) {
        if (mempool.isSpent(hash, index)) return null
        coin = mempool.getCoin(hash, index)
      }
      coin ??= await chain.getCoin(hash, index)
      if (coin === null) return null
      return {
        bestblock: chain.tip.rhash(),
        confirmations: coin.height === -1 ? 0 : chain.height - coin.height + 1,
        value: btcAmount(coin.value),
        scriptPubKey: scriptPubKeyJson(coin.script, network),
        coinbase: coin.coinbase,
      }
    },

    async estimatesmartfee(params) {
      const target = intParam(params, 0)
      if (target === undefined || target < 1 || target > 1008) {
        throw new CoreRpcError(RPC.INVALID_PARAMETER, 'Invalid conf_target, must be between 1 and 1008')
      }
      const satsPerKvB = node.fees.estimateFee(target, true)
      if (satsPerKvB > 0) return { feerate: btcAmount(satsPerKvB), blocks: target }
      return { errors: ['Insufficient data or no feerate found'], blocks: 0 }
    },

    async generatetoaddress(params) {
      const count = intParam(params, 0)
      if (count === undefined || count < 0)
        throw new CoreRpcError(RPC.TYPE_ERROR, 'Expected type number for nblocks')
      let address: Address
      try {
        address = bcoin.Address.fromString(stringParam(params, 1), network.type)
      } catch {
        throw new CoreRpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address')
      }
      return await backend.mine(count, address)
    },

    async setmocktime(params) {
      const time = intParam(params, 0)
      if (time === undefined) throw new CoreRpcError(RPC.TYPE_ERROR, 'Expected type number for timestamp')
      if (time < 0) throw new CoreRpcError(RPC.INVALID_PARAMETER, `Mocktime cannot be negative: ${time}.`)
      backend.setMockTime(time)
      return null
    },

    async invalidateblock(params) {
      const entry = await entryOf(params, 0, 'blockhash')
      if (entry.height === 0) throw new CoreRpcError(RPC.MISC_ERROR, 'Genesis block cannot be invalidated')
      if (!(await chain.isMainChain(entry))) {
        throw new CoreRpcError(
          RPC.MISC_ERROR,
          'invalidateblock of a block off the active chain is not supported',
        )
      }
      const disconnected: Block[] = []
      for (let height = entry.height; height <= chain.height; height++) {
        const connected = await chain.getEntry(height)
        if (connected !== null) disconnected.push(await blockOf(connected))
      }
      const pending = [...mempool.map.values()].map((mempoolEntry) => mempoolEntry.tx)
      await chain.invalidate(entry.hash)
      invalidated.set(entry.hash, disconnected)
      for (const tx of [...disconnected.flatMap((block) => block.txs.slice(1)), ...pending])
        await resubmit(tx)
      return null
    },

    async reconsiderblock(params) {
      const hash = hashParam(params, 0, 'blockhash')
      const blocks = invalidated.get(hash)
      if (blocks === undefined) {
        if ((await chain.getEntry(hash)) === null) {
          throw new CoreRpcError(RPC.INVALID_ADDRESS_OR_KEY, 'Block not found')
        }
        return null
      }
      invalidated.delete(hash)
      chain.removeInvalid(hash)
      // Reconnecting makes them the active chain again if it has more work, as Core's ActivateBestChain does.
      for (const block of blocks) await chain.add(block)
      return null
    },
  }
  return new Map(Object.entries(methods))
}

function decodeTx(hex: string): TX {
  const fail = (): never => {
    throw new CoreRpcError(
      RPC.DESERIALIZATION_ERROR,
      'TX decode failed. Make sure the tx has at least one input.',
    )
  }
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) fail()
  const raw = Buffer.from(hex, 'hex')
  try {
    const tx = bcoin.TX.fromRaw(raw)
    if (tx.toRaw().length !== raw.length || tx.inputs.length === 0) fail()
    return tx
  } catch (error) {
    if (error instanceof CoreRpcError) throw error
    return fail()
  }
}

/** Core's ParseHashV: a 64-digit hex string in display order; returned in bcoin's internal order. */
function hashParam(params: readonly unknown[], index: number, name: string): string {
  const value = stringParam(params, index)
  if (!/^[0-9a-fA-F]*$/.test(value)) {
    throw new CoreRpcError(RPC.INVALID_PARAMETER, `${name} must be hexadecimal string (not '${value}')`)
  }
  if (value.length !== 64) {
    throw new CoreRpcError(
      RPC.INVALID_PARAMETER,
      `${name} must be of length 64 (not ${value.length}, for '${value}')`,
    )
  }
  return reverseHex(value.toLowerCase())
}

function stringParam(params: readonly unknown[], index: number): string {
  const value = params[index]
  if (typeof value !== 'string') throw typeError(value, 'string')
  return value
}

function intParam(params: readonly unknown[], index: number): number | undefined {
  const value = params[index]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(value, 'number')
  return value
}

function boolParam(params: readonly unknown[], index: number): boolean {
  const value = params[index]
  if (typeof value !== 'boolean') throw typeError(value, 'bool')
  return value
}

/** getblock/getrawtransaction accept a number or, for compatibility, a bool. */
function verbosityParam(params: readonly unknown[], index: number, fallback: number): number {
  const value = params[index]
  if (value === undefined || value === null) return fallback
  if (typeof value === 'boolean') return value ? 1 : 0
  const verbosity = intParam(params, index)
  return verbosity === undefined ? fallback : Math.max(0, Math.min(verbosity, 2))
}

function typeError(value: unknown, expected: string): CoreRpcError {
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return new CoreRpcError(RPC.TYPE_ERROR, `JSON value of type ${actual} is not of expected type ${expected}`)
}
