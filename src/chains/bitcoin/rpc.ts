import { readFile } from 'node:fs/promises'
import { isInteger, isSafeNumber, LosslessNumber, parse } from 'lossless-json'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'
import { btcToSats } from './rpc-amount.js'
import { PostFailure, type PostReply, RpcTransport } from './rpc-transport.js'

export type BitcoinRpcAuth = { user: string; password: string } | { cookieFile: string }

export interface BitcoinRpcOptions {
  /** e.g. http://127.0.0.1:18443 */
  url: string
  /** rpcuser/rpcpassword, or bitcoind's `.cookie` file (re-read on every call, so a restart is picked up). */
  auth: BitcoinRpcAuth
  /** Per call, default 30 s. */
  timeoutMs?: number
}

export interface BlockchainInfo {
  chain: string
  blocks: number
  headers: number
  bestBlockHash: string
  medianTime: number
}

export interface BlockHeader {
  hash: string
  height: number
  time: number
  medianTime: number
  previousBlockHash?: string
  confirmations: number
}

export interface Block extends BlockHeader {
  txs: { txid: string; hex: string }[]
}

export interface RawTransaction {
  txid: string
  hex: string
  blockHash?: string
  /** 0 while unconfirmed. */
  confirmations: number
}

/** See BitcoinRpc.mempoolAtTip. */
export interface MempoolAtTip {
  before: BlockchainInfo
  txids: string[]
  after: BlockchainInfo
}

/** One call of a batch: what `call` takes. */
export interface RpcCall<T> {
  method: string
  params: readonly unknown[]
  schema: z.ZodType<T>
}

export interface TxOut {
  value: bigint
  scriptPubKeyHex: string
  confirmations: number
}

const hash = z.string().regex(/^[0-9a-f]{64}$/, 'a 64-digit lowercase hex hash')
const hex = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'lowercase hex bytes')
const int = z.number().int()
/** A BTC amount as parsed by lossless-json: a safe integer or the exact decimal text. */
const btc = z.union([int, z.instanceof(LosslessNumber)]).transform((amount) => btcToSats(amount.toString()))

const headerFields = {
  hash,
  height: int.nonnegative(),
  time: int,
  mediantime: int,
  previousblockhash: hash.optional(),
  confirmations: int,
}

function toHeader(raw: z.infer<z.ZodObject<typeof headerFields>>): BlockHeader {
  return {
    hash: raw.hash,
    height: raw.height,
    time: raw.time,
    medianTime: raw.mediantime,
    ...(raw.previousblockhash === undefined ? {} : { previousBlockHash: raw.previousblockhash }),
    confirmations: raw.confirmations,
  }
}

const schemas = {
  blockchainInfo: z
    .object({ chain: z.string(), blocks: int, headers: int, bestblockhash: hash, mediantime: int })
    .transform((raw) => ({
      chain: raw.chain,
      blocks: raw.blocks,
      headers: raw.headers,
      bestBlockHash: raw.bestblockhash,
      medianTime: raw.mediantime,
    })),
  header: z.object(headerFields).transform(toHeader),
  block: z
    .object({ ...headerFields, tx: z.array(z.object({ txid: hash, hex })) })
    .transform((raw) => ({ ...toHeader(raw), txs: raw.tx.map(({ txid, hex }) => ({ txid, hex })) })),
  rawTransaction: z
    .object({ txid: hash, hex, blockhash: hash.optional(), confirmations: int.nonnegative().optional() })
    .transform((raw) => ({
      txid: raw.txid,
      hex: raw.hex,
      ...(raw.blockhash === undefined ? {} : { blockHash: raw.blockhash }),
      confirmations: raw.confirmations ?? 0,
    })),
  smartFee: z.object({ feerate: btc.optional(), blocks: int }),
  txOut: z
    .object({ value: btc, scriptPubKey: z.object({ hex }), confirmations: int.nonnegative() })
    .transform((raw) => ({
      value: raw.value,
      scriptPubKeyHex: raw.scriptPubKey.hex,
      confirmations: raw.confirmations,
    }))
    .nullable(),
}

const envelope = z.object({
  result: z.unknown(),
  error: z.object({ code: int, message: z.string() }).nullable(),
  id: z.unknown(),
})

/** Methods whose JSON-RPC errors mean "the transaction was refused", not "the call failed". */
const TX_REJECT_CODES = new Set([-25, -26])
const TX_ALREADY_IN_CHAIN_CODE = -27

/**
 * A client of Bitcoin Core's documented JSON-RPC (v26+), usable unchanged against bitcoind and the embedded
 * regtest node. Every result is validated with zod; amounts are parsed from the exact decimal text (never
 * a float) into satoshis. Failures are SwarmswapErrors: RPC_UNREACHABLE, RPC_AUTH, TIMEOUT, BAD_DATA,
 * RPC_ERROR (`details.rpcCode`, `details.method`), and for sendrawtransaction TX_REJECTED
 * (`details.rpcCode`, `details.reason`) or TX_ALREADY_IN_CHAIN.
 */
export class BitcoinRpc {
  private readonly url: string
  private readonly auth: BitcoinRpcAuth
  private readonly timeoutMs: number
  private readonly transport: RpcTransport
  private nextId = 1

  constructor(options: BitcoinRpcOptions) {
    this.url = options.url
    this.auth = options.auth
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.transport = new RpcTransport(this.url, this.timeoutMs)
  }

  /** One JSON-RPC call; `schema` validates (and may transform) the result. */
  async call<T>(method: string, params: readonly unknown[], schema: z.ZodType<T>): Promise<T> {
    const request = { jsonrpc: '1.0', id: this.nextId++, method, params }
    const { status, json, text } = await this.exchange(method, request)
    const reply = envelope.safeParse(json)
    if (!reply.success) throw notAReply(method, status, text)
    return settle(method, reply.data, status, schema)
  }

  /**
   * Several calls in one HTTP request (a JSON-RPC batch): the node runs them one after the other, in this
   * order, and answers them together. Each result is validated like `call`'s; the first failed call's
   * error is thrown.
   */
  async batch<T extends readonly unknown[]>(calls: { readonly [K in keyof T]: RpcCall<T[K]> }): Promise<T> {
    const first = this.nextId
    this.nextId += calls.length
    const label = calls.map((c) => c.method).join('+')
    const requests = calls.map((c, i) => ({
      jsonrpc: '1.0',
      id: first + i,
      method: c.method,
      params: c.params,
    }))
    const { status, json, text } = await this.exchange(label, requests)
    const replies = z.array(envelope).safeParse(json)
    if (!replies.success) throw notAReply(label, status, text)
    const byId = new Map(replies.data.map((reply) => [reply.id, reply]))
    const results = calls.map((c, i) => {
      const reply = byId.get(first + i)
      if (reply === undefined) {
        throw new SwarmswapError('BAD_DATA', `${c.method}: no reply in the batch (HTTP ${status})`, {
          details: { method: c.method, status },
        })
      }
      return settle(c.method, reply, status, c.schema)
    })
    return results as unknown as T
  }

  /**
   * The tip, the mempool's txids and the tip again, read in this order in one request. When both tips are
   * the same block, the listing and the chain up to that block are one consistent view: nothing was mined
   * between them, so every transaction is in one or the other (blocks are then read by hash at leisure).
   */
  async mempoolAtTip(): Promise<MempoolAtTip> {
    const [before, txids, after] = await this.batch<[BlockchainInfo, string[], BlockchainInfo]>([
      { method: 'getblockchaininfo', params: [], schema: schemas.blockchainInfo },
      { method: 'getrawmempool', params: [false], schema: z.array(hash) },
      { method: 'getblockchaininfo', params: [], schema: schemas.blockchainInfo },
    ])
    return { before, txids, after }
  }

  getBlockchainInfo(): Promise<BlockchainInfo> {
    return this.call('getblockchaininfo', [], schemas.blockchainInfo)
  }

  getBlockCount(): Promise<number> {
    return this.call('getblockcount', [], int.nonnegative())
  }

  getBlockHash(height: number): Promise<string> {
    return this.call('getblockhash', [height], hash)
  }

  getBlockHeader(blockHash: string): Promise<BlockHeader> {
    return this.call('getblockheader', [blockHash, true], schemas.header)
  }

  /** The block with every transaction's txid and raw hex (Core's getblock verbosity 2). */
  getBlock(blockHash: string): Promise<Block> {
    return this.call('getblock', [blockHash, 2], schemas.block)
  }

  /** Needs `-txindex` on Core for confirmed transactions unless `blockHash` is given. */
  getRawTransaction(txid: string, blockHash?: string): Promise<RawTransaction> {
    const params = blockHash === undefined ? [txid, true] : [txid, true, blockHash]
    return this.call('getrawtransaction', params, schemas.rawTransaction)
  }

  getRawMempool(): Promise<string[]> {
    return this.call('getrawmempool', [false], z.array(hash))
  }

  /** Resolves to the txid; a refusal is TX_REJECTED (`details.reason`), a confirmed tx TX_ALREADY_IN_CHAIN. */
  sendRawTransaction(txHex: string): Promise<string> {
    return this.call('sendrawtransaction', [txHex], hash)
  }

  /** Fee rate in sat/vB, rounded up; null when the node has no estimate yet (always so on a fresh regtest). */
  async estimateSmartFee(confTarget: number): Promise<bigint | null> {
    const { feerate } = await this.call('estimatesmartfee', [confTarget], schemas.smartFee)
    if (feerate === undefined) return null
    if (feerate <= 0n)
      throw new SwarmswapError('BAD_DATA', `estimatesmartfee: non-positive feerate ${feerate}`)
    return (feerate + 999n) / 1000n
  }

  /** The unspent output, or null when it does not exist or is spent (by the mempool too, if included). */
  getTxOut(txid: string, vout: number, includeMempool = true): Promise<TxOut | null> {
    return this.call('gettxout', [txid, vout, includeMempool], schemas.txOut)
  }

  generateToAddress(blocks: number, address: string): Promise<string[]> {
    return this.call('generatetoaddress', [blocks, address], z.array(hash))
  }

  async setMockTime(unixSeconds: number): Promise<void> {
    await this.call('setmocktime', [unixSeconds], z.null())
  }

  async invalidateBlock(blockHash: string): Promise<void> {
    await this.call('invalidateblock', [blockHash], z.null())
  }

  async reconsiderBlock(blockHash: string): Promise<void> {
    await this.call('reconsiderblock', [blockHash], z.null())
  }

  /** Posts a request (or batch); the parsed JSON body, after the HTTP-level failures are thrown. */
  private async exchange(
    method: string,
    body: unknown,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const { status, text } = await this.post(method, JSON.stringify(body))
    if (status === 401 || status === 403) {
      throw new SwarmswapError(
        'RPC_AUTH',
        `${method}: the node rejected the RPC credentials (HTTP ${status})`,
        {
          details: { method, status },
        },
      )
    }
    const json = parseJson(text)
    if (json === undefined && status !== 200) {
      // e.g. 503 "Work queue depth exceeded": the node is there but its RPC server did not take the call.
      throw new SwarmswapError('RPC_UNREACHABLE', `${method}: HTTP ${status} without a JSON-RPC reply`, {
        details: { method, status, body: text.slice(0, 200) },
      })
    }
    return { status, json, text }
  }

  private async post(method: string, body: string): Promise<PostReply> {
    const authorization = `Basic ${Buffer.from(await this.credentials()).toString('base64')}`
    try {
      return await this.transport.post(body, authorization)
    } catch (error) {
      if (!(error instanceof PostFailure)) throw error
      if (error.kind === 'timeout') {
        throw new SwarmswapError('TIMEOUT', `${method}: ${error.message}`, {
          cause: error,
          details: { method, timeoutMs: this.timeoutMs },
        })
      }
      throw new SwarmswapError('RPC_UNREACHABLE', `${method}: ${error.message}`, {
        cause: error,
        details: { method, url: this.url },
      })
    }
  }

  /** `user:password`, from the options or from the cookie file as it is now. */
  private async credentials(): Promise<string> {
    if (!('cookieFile' in this.auth)) return `${this.auth.user}:${this.auth.password}`
    let cookie: string
    try {
      cookie = (await readFile(this.auth.cookieFile, 'utf8')).trim()
    } catch (error) {
      // bitcoind deletes its cookie on shutdown and writes a new one on start: no cookie, no node.
      throw new SwarmswapError('RPC_UNREACHABLE', `cannot read the RPC cookie file ${this.auth.cookieFile}`, {
        cause: error,
        details: { cookieFile: this.auth.cookieFile },
      })
    }
    if (!cookie.includes(':')) {
      throw new SwarmswapError('RPC_AUTH', `malformed RPC cookie file ${this.auth.cookieFile}`, {
        details: { cookieFile: this.auth.cookieFile },
      })
    }
    return cookie
  }
}

/** Integers stay numbers when exactly representable; every other number stays exact text (LosslessNumber). */
function parseNumber(text: string): number | LosslessNumber {
  return isInteger(text) && isSafeNumber(text) ? Number(text) : new LosslessNumber(text)
}

function parseJson(text: string): unknown {
  try {
    return parse(text, null, parseNumber)
  } catch {
    return undefined
  }
}

function notAReply(method: string, status: number, body: string): SwarmswapError {
  return new SwarmswapError('BAD_DATA', `${method}: not a JSON-RPC reply (HTTP ${status})`, {
    details: { method, status, body: body.slice(0, 200) },
  })
}

/** One reply's result, validated by `schema`; its error as a SwarmswapError. */
function settle<T>(method: string, reply: z.infer<typeof envelope>, status: number, schema: z.ZodType<T>): T {
  if (reply.error !== null) throw rpcError(method, reply.error.code, reply.error.message)
  if (status !== 200) {
    throw new SwarmswapError('BAD_DATA', `${method}: HTTP ${status} with a result and no error`, {
      details: { method, status },
    })
  }
  const parsed = schema.safeParse(reply.result)
  if (!parsed.success) {
    throw new SwarmswapError('BAD_DATA', `${method}: unexpected result: ${z.prettifyError(parsed.error)}`, {
      details: { method, issues: parsed.error.issues },
    })
  }
  return parsed.data
}

function rpcError(method: string, rpcCode: number, message: string): SwarmswapError {
  if (method === 'sendrawtransaction' && TX_REJECT_CODES.has(rpcCode)) {
    return new SwarmswapError('TX_REJECTED', `transaction rejected: ${message}`, {
      details: { rpcCode, reason: message, method },
    })
  }
  if (method === 'sendrawtransaction' && rpcCode === TX_ALREADY_IN_CHAIN_CODE) {
    return new SwarmswapError('TX_ALREADY_IN_CHAIN', `transaction already in the chain: ${message}`, {
      details: { rpcCode, reason: message, method },
    })
  }
  return new SwarmswapError('RPC_ERROR', `${method}: ${message} (${rpcCode})`, {
    details: { rpcCode, method, message },
  })
}
