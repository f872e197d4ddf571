import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { HDNodeWallet, JsonRpcProvider, Wallet } from 'ethers'
import { BitcoinRpc, type BitcoinRpcAuth } from '../chains/bitcoin/rpc.js'
import { BitcoinWallet } from '../chains/bitcoin/wallet.js'
import { seedFromMnemonic } from '../chains/bitcoin/wallet-keys.js'
import { SwarmswapError } from '../errors.js'
import { relayNudges } from '../negotiation/nudges.js'
import { Trader } from '../negotiation/trader.js'
import { OrderbookNode } from '../orderbook/node.js'
import type { NetworkName } from '../orderbook/types.js'
import type { PeerLimits } from '../p2p/limits.js'
import type { DhtPeerAddress } from '../p2p/swarm.js'
import { SqliteStore } from '../store/sqlite-store.js'
import { BitcoinLegAdapter } from '../swap/adapters/bitcoin-leg.js'
import { EvmLegAdapter } from '../swap/adapters/evm-leg.js'
import { type PersistPoint, SwapEngine } from '../swap/engine.js'
import { defaultTimelocks, type TimelockPolicy } from '../swap/policy.js'
import { secretKeyFromSeed } from '../swap/secret.js'
import type { ChainKind, SwapRecord } from '../swap/types.js'

/** BIP44 path of the EVM account: the first account of the standard Ethereum path, as wallets use. */
const EVM_PATH = "m/44'/60'/0'/0/0"

export interface TradingNodeOptions {
  network: NetworkName
  /** This trader's data directory: the swap database and the order book identity and journal. */
  datadir: string
  /** BIP39 words: the Bitcoin wallet, the EVM account and every swap secret derive from them. */
  mnemonic: string
  bitcoin: {
    rpcUrl: string
    auth: BitcoinRpcAuth
    /** First block that can hold a coin of this wallet (a new wallet: the height when it was created). */
    birthday?: number
  }
  evm: { rpcUrl: string; chainId: number; htlcAddress: string }
  /** Local bootstrap (regtest, tests) and the host the DHT binds to ('127.0.0.1' on regtest). */
  dht?: { bootstrap?: DhtPeerAddress[]; host?: string }
  limits?: Partial<PeerLimits>
  /** Default: defaultTimelocks(network). */
  timelocks?: TimelockPolicy
  /** Confirmations required on each lock; default 1 on regtest, 3 BTC / 12 EVM elsewhere. */
  confirmations?: Record<ChainKind, number>
  /** Engine timing (see SwapEngineOptions). */
  pollMs?: number
  idleTickMs?: number
  feeBumpAfterMs?: number
  onPersisted?: (record: SwapRecord, point: PersistPoint) => void
}

/**
 * One trader's whole stack, wired: the Bitcoin wallet and EVM account from one mnemonic, the chain adapters,
 * the swap database, the swap engine, the order book node and the negotiation between them. The daemon and
 * the tests build on it. `ready()` resumes every stored swap; `close()` leaves every swap resumable.
 */
export class TradingNode {
  readonly options: TradingNodeOptions
  readonly wallet: BitcoinWallet
  readonly evmWallet: Wallet
  readonly store: SqliteStore
  readonly engine: SwapEngine
  readonly orderbook: OrderbookNode
  readonly trader: Trader
  readonly bitcoin: BitcoinLegAdapter
  readonly evm: EvmLegAdapter
  readonly provider: JsonRpcProvider
  #opening: Promise<void> | null = null
  #closing: Promise<void> | null = null
  #stopNudges: (() => void) | null = null

  constructor(options: TradingNodeOptions) {
    this.options = options
    const network = options.network
    const rpc = new BitcoinRpc({ url: options.bitcoin.rpcUrl, auth: options.bitcoin.auth })
    this.wallet = new BitcoinWallet({
      rpc,
      network,
      mnemonic: options.mnemonic,
      ...(options.bitcoin.birthday === undefined ? {} : { birthday: options.bitcoin.birthday }),
    })
    // No request cache (stale blocks after time jumps) and no batching: ethers otherwise holds every call
    // 10 ms to batch it, which adds up over the swap engine's sequential reads.
    this.provider = new JsonRpcProvider(options.evm.rpcUrl, options.evm.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      batchMaxCount: 1,
    })
    const account = HDNodeWallet.fromPhrase(
      options.mnemonic.trim().split(/\s+/).join(' '),
      undefined,
      EVM_PATH,
    )
    this.evmWallet = new Wallet(account.privateKey, this.provider)
    this.bitcoin = new BitcoinLegAdapter({ wallet: this.wallet, rpc, network })
    this.evm = new EvmLegAdapter({
      provider: this.provider,
      wallet: this.evmWallet,
      htlcAddress: options.evm.htlcAddress,
      chainId: BigInt(options.evm.chainId),
    })
    this.store = new SqliteStore({ path: join(options.datadir, 'swaps.db') })
    const adapters = { bitcoin: this.bitcoin, evm: this.evm }
    this.engine = new SwapEngine({
      store: this.store,
      adapters,
      policy: options.timelocks ?? defaultTimelocks(network),
      secretKey: secretKeyFromSeed(seedFromMnemonic(options.mnemonic)),
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.idleTickMs === undefined ? {} : { idleTickMs: options.idleTickMs }),
      ...(options.feeBumpAfterMs === undefined ? {} : { feeBumpAfterMs: options.feeBumpAfterMs }),
      ...(options.onPersisted === undefined ? {} : { onPersisted: options.onPersisted }),
    })
    this.orderbook = new OrderbookNode({
      network,
      storageDir: join(options.datadir, 'orderbook'),
      ...(options.dht?.bootstrap === undefined ? {} : { bootstrap: options.dht.bootstrap }),
      ...(options.dht?.host === undefined ? {} : { host: options.dht.host }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    })
    this.trader = new Trader({
      node: this.orderbook,
      engine: this.engine,
      store: this.store,
      adapters,
      confirmations:
        options.confirmations ?? (network === 'regtest' ? { bitcoin: 1, evm: 1 } : { bitcoin: 3, evm: 12 }),
    })
  }

  /** Opens everything and resumes stored swaps. Safe to call twice; fails with CLOSED after close(). */
  ready(): Promise<void> {
    if (this.#closing) return Promise.reject(new SwarmswapError('CLOSED', 'the trading node was closed'))
    this.#opening ??= this.#open()
    return this.#opening
  }

  async #open(): Promise<void> {
    await mkdir(this.options.datadir, { recursive: true })
    await this.store.ready()
    await this.wallet.ready()
    // Swaps resume before the node takes new trades: their stored transactions go out first.
    await this.engine.ready()
    await this.orderbook.ready()
    this.#stopNudges = relayNudges(this.orderbook, this.engine)
    await this.trader.ready()
  }

  /** Stops taking trades, then the engine, the node, the wallet and the store. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.#opening?.catch(() => {})
    this.#stopNudges?.()
    await this.trader.close()
    await this.engine.close()
    await this.orderbook.close()
    await this.bitcoin.close?.()
    await this.wallet.close()
    this.provider.destroy()
    await this.store.close()
  }
}
