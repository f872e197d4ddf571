import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { DATADIR_FILES } from '../api/paths.js'
import { BitcoinRpc } from '../chains/bitcoin/rpc.js'
import type { BookChange, Market } from '../orderbook/types.js'
import type { SwapRecord } from '../swap/types.js'
import { Cookie } from './api/auth.js'
import { ApiServer } from './api/server.js'
import { AssetDecimals } from './assets.js'
import type { DaemonConfig } from './config.js'
import { type OpenSeedOptions, openSeed } from './keys.js'
import { DatadirLock } from './lock.js'
import { JoinedMarkets } from './markets.js'
import { createHandlers } from './methods.js'
import { TradingNode } from './trading-node.js'
import { marketViewOf, orderViewOf, swapViewOf } from './views.js'

/** Chain polling of the swap engine on regtest, ms: blocks come on demand there, so look often. */
const REGTEST_POLL_MS = 200

export interface DaemonOptions {
  config: DaemonConfig
  log: Logger
  keys: Pick<OpenSeedOptions, 'password' | 'restoreWords' | 'showWords'>
}

/**
 * swarmswapd's composition root: the data dir lock, the seed, the trading node, the joined markets and the
 * local API, started in that order and stopped in the reverse one. `stop()` leaves every swap resumable
 * and removes the lock, the cookie and api.json.
 */
export class Daemon {
  readonly config: DaemonConfig
  readonly #log: Logger
  readonly #keys: DaemonOptions['keys']
  readonly #lock: DatadirLock
  readonly #cookie: Cookie
  #node: TradingNode | null = null
  #api: ApiServer | null = null
  /** Notifications are built asynchronously; this chain keeps them in the order things happened. */
  #notifying: Promise<void> = Promise.resolve()
  #stopping: Promise<void> | null = null

  constructor(options: DaemonOptions) {
    this.config = options.config
    this.#log = options.log
    this.#keys = options.keys
    this.#lock = new DatadirLock(options.config.datadir)
    this.#cookie = new Cookie(join(options.config.datadir, DATADIR_FILES.cookie))
  }

  get apiUrl(): string | undefined {
    return this.#api?.url
  }

  /** Starts everything; on failure stops what was started and rethrows. */
  async start(): Promise<void> {
    try {
      await this.#start()
    } catch (error) {
      await this.stop()
      throw error
    }
  }

  async #start(): Promise<void> {
    const { config } = this
    await mkdir(config.datadir, { recursive: true, mode: 0o700 })
    await this.#lock.acquire()
    const seed = await openSeed({
      datadir: config.datadir,
      ...this.#keys,
      birthday: () =>
        new BitcoinRpc({ url: config.bitcoin.rpcUrl, auth: config.bitcoin.auth }).getBlockCount(),
    })
    if (seed.created) this.#log.info({ birthday: seed.birthday }, 'new wallet seed created')
    const node = new TradingNode({
      network: config.network,
      datadir: config.datadir,
      mnemonic: seed.mnemonic,
      bitcoin: { rpcUrl: config.bitcoin.rpcUrl, auth: config.bitcoin.auth, birthday: seed.birthday },
      evm: config.evm,
      dht: config.dht,
      ...(config.network === 'regtest' ? { pollMs: REGTEST_POLL_MS } : {}),
    })
    this.#node = node
    const decimals = new AssetDecimals(node.provider)
    node.engine.on('error', (error, swapId) => this.#log.warn({ err: error, swapId }, 'swap tick failed'))
    node.engine.on('update', (record) => this.#onSwapUpdate(record, decimals))
    node.orderbook.on('peer-add', (peer) => this.#log.info({ peer: peer.publicKey }, 'peer connected'))
    node.orderbook.on('peer-remove', (peer) => this.#log.info({ peer: peer.publicKey }, 'peer disconnected'))
    node.orderbook.on('peer-banned', (ban) => this.#log.warn({ ban }, 'peer banned'))
    await node.ready()
    const markets = new JoinedMarkets({
      node: node.orderbook,
      datadir: config.datadir,
      onChange: (market, change) => this.#onBookChange(market, change, decimals),
    })
    await markets.ready()
    await this.#cookie.write()
    this.#api = new ApiServer({
      port: config.apiPort,
      cookie: this.#cookie,
      handlers: createHandlers({ node, network: config.network, markets, decimals, tokens: config.tokens }),
      log: this.#log,
    })
    await this.#api.listen()
    await writeAtomically(
      join(config.datadir, DATADIR_FILES.api),
      `${JSON.stringify({ url: this.#api.url, pid: process.pid })}\n`,
    )
    this.#log.info(
      {
        network: config.network,
        datadir: config.datadir,
        api: this.#api.url,
        identity: hex(node.orderbook.publicKey),
      },
      'swarmswapd ready',
    )
  }

  /** Stops the API, then the node (every swap stays resumable); removes api.json, the cookie and the lock. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#api?.close()
      await this.#node?.close()
      await this.#notifying
      if (this.#api !== null) await rm(join(this.config.datadir, DATADIR_FILES.api), { force: true })
      await this.#cookie.remove()
      await this.#lock.release()
    })()
    return this.#stopping
  }

  #onSwapUpdate(record: SwapRecord, decimals: AssetDecimals): void {
    this.#log.info(
      { swapId: record.id, status: record.status, note: record.history.at(-1)?.note },
      'swap update',
    )
    const policy = this.#node?.engine.policy
    if (policy === undefined) return
    this.#queue(async () =>
      this.#api?.notify('swap.updated', { swap: await swapViewOf(record, policy, decimals) }),
    )
  }

  #onBookChange(market: Market, change: BookChange, decimals: AssetDecimals): void {
    const node = this.#node
    if (node === null) return
    this.#queue(async () =>
      this.#api?.notify('orderbook.changed', {
        market: marketViewOf(market),
        change: change.type,
        order: await orderViewOf(change.entry, hex(node.orderbook.publicKey), decimals),
        ...(change.type === 'removed' ? { reason: change.reason } : {}),
      }),
    )
  }

  #queue(task: () => Promise<void>): void {
    this.#notifying = this.#notifying
      .then(task)
      .catch((error: unknown) => this.#log.error({ err: error }, 'a notification could not be built'))
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, { mode: 0o600 })
  await rename(`${path}.tmp`, path)
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
