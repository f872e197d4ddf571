import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { RegtestEnv, type RegtestEnvOptions } from '../../regtest/env.js'
import { BitcoinRpc } from '../../src/chains/bitcoin/rpc.js'
import { parseTransaction } from '../../src/chains/bitcoin/transaction.js'
import { Erc20 } from '../../src/chains/evm/token.js'
import { TradingNode, type TradingNodeOptions } from '../../src/daemon/trading-node.js'
import type { Market } from '../../src/orderbook/types.js'
import type { TimelockPolicy } from '../../src/swap/policy.js'
import type { ChainKind, SwapRecord } from '../../src/swap/types.js'

/** Timelocks short enough that refund tests only advance the chains' clocks a few minutes. */
export const TEST_TIMELOCKS: TimelockPolicy = {
  takerLockSeconds: 600,
  makerLockSeconds: 1200,
  minTakerWindowSeconds: 300,
  makerClaimMarginSeconds: 120,
  clockToleranceSeconds: 60,
}

export interface TraderFunds {
  /** Satoshis. */
  btc?: bigint
  /** Wei. */
  eth?: bigint
  /** Test-token units. */
  token?: bigint
}

/**
 * A regtest environment (bcoin, anvil, local DHT on free ports) and traders on it, each a full TradingNode
 * with its own data dir and mnemonic. `close()` stops every trader and process.
 */
export class SwapScene {
  readonly env: RegtestEnv
  readonly traders: TradingNode[] = []
  #root: string | null = null

  /** `env`: options of the regtest environment beyond free ports (for example manual Bitcoin mining). */
  constructor(env: Omit<RegtestEnvOptions, 'ports'> = {}) {
    this.env = new RegtestEnv({ ...env, ports: 'free' })
  }

  async ready(): Promise<void> {
    await this.env.ready()
    this.#root = await mkdtemp(join(tmpdir(), 'swarmswap-swap-'))
  }

  get control() {
    return this.env.control
  }

  get btcEth(): Market {
    return { network: 'regtest', base: 'BTC', quote: 'ETH' }
  }

  get btcToken(): Market {
    return {
      network: 'regtest',
      base: 'BTC',
      quote: `ERC20:${this.env.endpoints.evm.tokenAddress.toLowerCase()}`,
    }
  }

  /**
   * Options of a trader named `name` (same name = same data dir), for in-process or child-process use. The
   * wallet's birthday is `birthday`, default the current height: pass the height read before funding it.
   */
  async options(
    name: string,
    mnemonic: string,
    extra: Partial<TradingNodeOptions> = {},
    birthday?: number,
  ): Promise<TradingNodeOptions> {
    if (this.#root === null) throw new Error('scene not ready')
    const endpoints = this.env.endpoints
    const bootstrap = endpoints.dht.bootstrap.map((hostPort) => {
      const [host = '', port = ''] = hostPort.split(':')
      return { host, port: Number(port) }
    })
    return {
      network: 'regtest',
      datadir: join(this.#root, name),
      mnemonic,
      bitcoin: {
        rpcUrl: endpoints.bitcoin.rpcUrl,
        auth: { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
        birthday: birthday ?? (await this.control.bitcoinRpc.getBlockCount()),
      },
      evm: {
        rpcUrl: endpoints.evm.rpcUrl,
        chainId: endpoints.evm.chainId,
        htlcAddress: endpoints.evm.htlcAddress,
      },
      dht: { bootstrap, host: '127.0.0.1' },
      timelocks: TEST_TIMELOCKS,
      pollMs: 25,
      idleTickMs: 500,
      ...extra,
    }
  }

  /** A fresh mnemonic, funded on both chains as asked. */
  async fundedMnemonic(funds: TraderFunds): Promise<string> {
    const mnemonic = generateMnemonic(wordlist)
    const probe = new TradingNode(await this.options(`probe-${Math.random()}`, mnemonic))
    const btcAddress = probe.wallet.receiveAddress()
    const evmAddress = probe.evmWallet.address
    if (funds.btc) await this.control.fundBitcoin(btcAddress, funds.btc)
    if (funds.eth) await this.control.fundEth(evmAddress, funds.eth)
    if (funds.token) await this.control.mintToken(evmAddress, funds.token)
    return mnemonic
  }

  /** A ready trader; `mnemonic` defaults to a new one funded with `funds`. */
  async trader(
    name: string,
    funds: TraderFunds,
    extra: Partial<TradingNodeOptions> & { mnemonic?: string } = {},
  ): Promise<TradingNode> {
    const { mnemonic: given, ...rest } = extra
    // Read before funding: blocks mined meanwhile (other traders' funding) must not hide the coins.
    const birthday = await this.control.bitcoinRpc.getBlockCount()
    const mnemonic = given ?? (await this.fundedMnemonic(funds))
    const trader = new TradingNode(
      await this.options(name, mnemonic, rest, given === undefined ? birthday : 0),
    )
    if (process.env.SWARMSWAP_DEBUG_SWAPS) traceSwaps(name, trader)
    this.traders.push(trader)
    await trader.ready()
    return trader
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.traders.map((t) => t.close()))
    await this.env.close()
    if (this.#root) await rm(this.#root, { recursive: true, force: true })
  }
}

/** Logs every swap update and engine error of a trader to stderr (set SWARMSWAP_DEBUG_SWAPS=1). */
export function traceSwaps(name: string, trader: TradingNode): void {
  const t0 = Date.now()
  trader.engine.on('error', (error, id) =>
    console.error(Date.now() - t0, name, id.slice(0, 8), 'ERROR', error.message),
  )
  trader.engine.on('update', (r) =>
    console.error(Date.now() - t0, name, r.id.slice(0, 8), r.status, r.history.at(-1)?.note ?? ''),
  )
}

/** What a trader holds of each asset of `market`: BTC (confirmed + unconfirmed sats), ETH wei, token units. */
export async function holdings(trader: TradingNode, assets: string[]): Promise<Map<string, bigint>> {
  const result = new Map<string, bigint>()
  for (const asset of assets) {
    if (asset === 'BTC') {
      const balance = await trader.wallet.balance()
      result.set(asset, balance.confirmed + balance.unconfirmed)
    } else if (asset === 'ETH') {
      result.set(asset, await trader.provider.getBalance(trader.evmWallet.address))
    } else {
      const token = new Erc20(asset.slice('ERC20:'.length), trader.evmWallet)
      result.set(asset, await token.balanceOf(trader.evmWallet.address))
    }
  }
  return result
}

/**
 * What the swaps should have changed in a trader's holdings: for a completed swap, what it received minus
 * what it sent; nothing for a refunded or failed one; minus the fees of every transaction it signed that
 * was mined (Bitcoin: inputs minus outputs; EVM: gas used times its price, in ETH).
 */
export async function expectedChanges(
  trader: TradingNode,
  records: SwapRecord[],
  assets: string[],
): Promise<Map<string, bigint>> {
  const change = new Map<string, bigint>(assets.map((a) => [a, 0n]))
  const add = (asset: string, amount: bigint) => change.set(asset, (change.get(asset) ?? 0n) + amount)
  const rpc = trader.options.bitcoin
  const bitcoinRpc = new BitcoinRpc({ url: rpc.rpcUrl, auth: rpc.auth })
  const provider = trader.provider
  for (const record of records) {
    const own = record.role === 'maker' ? record.makerLeg : record.takerLeg
    const counter = record.role === 'maker' ? record.takerLeg : record.makerLeg
    if (record.status === 'completed') {
      add(own.asset, -own.amount)
      add(counter.asset, counter.amount)
    }
    const ours = new Map<string, ChainKind>()
    for (const event of record.history) {
      if (event.txid && event.chain && / signed/.test(event.note)) ours.set(event.txid, event.chain)
    }
    for (const [txid, chain] of ours) {
      if (chain === 'bitcoin') {
        const fee = await bitcoinFee(bitcoinRpc, txid)
        if (fee !== null) add('BTC', -fee)
      } else {
        const receipt = await provider.getTransactionReceipt(txid)
        if (receipt) add('ETH', -(receipt.gasUsed * receipt.gasPrice))
      }
    }
  }
  return change
}

/** Fee of a mined or pending Bitcoin transaction, or null if the node does not know it (replaced). */
async function bitcoinFee(rpc: BitcoinRpc, txid: string): Promise<bigint | null> {
  let hex: string
  try {
    hex = (await rpc.getRawTransaction(txid)).hex
  } catch {
    return null
  }
  const tx = parseTransaction(hex)
  let inputs = 0n
  for (const input of tx.ins) {
    const prevTxid = Buffer.from(input.hash).reverse().toString('hex')
    const prev = parseTransaction((await rpc.getRawTransaction(prevTxid)).hex)
    inputs += BigInt(prev.outs[input.index]?.value ?? 0)
  }
  const outputs = tx.outs.reduce((sum, out) => sum + BigInt(out.value), 0n)
  return inputs - outputs
}
