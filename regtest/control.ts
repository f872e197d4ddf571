import { getAddress, isAddress, JsonRpcProvider, Wallet } from 'ethers'
import { BitcoinRpc } from '../src/chains/bitcoin/rpc.js'
import { BitcoinWallet } from '../src/chains/bitcoin/wallet.js'
import { Erc20 } from '../src/chains/evm/token.js'
import { SwarmswapError } from '../src/errors.js'
import { FAUCET, type RegtestEndpoints } from './endpoints.js'

/** Mature coinbase outputs the faucet keeps on hand; regtest coinbases mature after 100 blocks. */
const FAUCET_TOP_UP_BLOCKS = 110

/** Blocks whose timestamps make up Bitcoin's median-time-past (BIP113). */
const MEDIAN_TIME_SPAN = 11

/**
 * Test and user helpers for a running regtest environment, through the chains' JSON-RPC only, so they
 * work the same against the embedded nodes and against docker-compose's Bitcoin Core and anvil:
 * mine blocks, fund addresses on both chains from the faucets, and move both chains' clocks.
 */
export class RegtestControl {
  readonly endpoints: RegtestEndpoints
  readonly bitcoinRpc: BitcoinRpc
  readonly evmProvider: JsonRpcProvider
  private readonly evmFaucet: Wallet
  private faucetWallet: BitcoinWallet | null = null
  private closed = false

  constructor(endpoints: RegtestEndpoints) {
    this.endpoints = endpoints
    this.bitcoinRpc = new BitcoinRpc({
      url: endpoints.bitcoin.rpcUrl,
      auth: { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
    })
    // staticNetwork and no cache: anvil's answers change after every mined block or time jump.
    this.evmProvider = new JsonRpcProvider(endpoints.evm.rpcUrl, endpoints.evm.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
    })
    this.evmFaucet = new Wallet(FAUCET.evmPrivateKey, this.evmProvider)
  }

  /** Mines `count` Bitcoin blocks, to `address` or to the faucet. Resolves to the block hashes. */
  async mineBitcoin(count: number, address?: string): Promise<string[]> {
    if (!Number.isSafeInteger(count) || count < 1 || count > 10_000) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'block count must be an integer from 1 to 10000', {
        details: { count },
      })
    }
    // Only the default address needs the faucet wallet (and its scan of the chain).
    const to = address ?? (await this.faucet()).receiveAddress()
    return await this.bitcoinRpc.generateToAddress(count, to)
  }

  /**
   * Pays `sats` to `address` from the faucet and makes sure the payment is in a block (mining one when
   * the node does not automine). Tops the faucet up by mining when it runs low. Resolves to the txid.
   */
  async fundBitcoin(address: string, sats: bigint): Promise<string> {
    const faucet = await this.faucet()
    const { confirmed } = await faucet.balance()
    if (confirmed < sats + 100_000n) await this.mineBitcoin(FAUCET_TOP_UP_BLOCKS)
    const { txid } = await faucet.sendTo(address, sats)
    await this.confirmBitcoin(txid)
    return txid
  }

  /** Sends `wei` of the EVM chain's native coin from the faucet account. Resolves to the tx hash. */
  async fundEth(address: string, wei: bigint): Promise<string> {
    const to = this.evmAddress(address)
    const response = await this.evmFaucet.sendTransaction({ to, value: wei })
    await response.wait()
    return response.hash
  }

  /** Mints `units` of the regtest test token to `address`. */
  async mintToken(address: string, units: bigint): Promise<void> {
    const token = new Erc20(this.endpoints.evm.tokenAddress, this.evmFaucet)
    await token.mint(this.evmAddress(address), units)
  }

  /** Moves both chains' clocks `seconds` past the later of the two (see advanceTimeTo). */
  async advanceTime(seconds: number): Promise<number> {
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'seconds must be a non-negative integer', {
        details: { seconds },
      })
    }
    const target = (await this.now()) + seconds
    await this.advanceTimeTo(target)
    return target
  }

  /** The later of the two chains' clocks and the wall clock, in unix seconds: "now" for new deadlines. */
  async now(): Promise<number> {
    const [bitcoinTime, evmTime] = await Promise.all([this.bitcoinTime(), this.evmTime()])
    return Math.max(bitcoinTime, evmTime, Math.floor(Date.now() / 1000))
  }

  /**
   * Makes both chains' time reach `unixSeconds`: on Bitcoin, the tip's median-time-past passes it (so a
   * CLTV refund locked to it is final) and the node's clock then returns to the system clock; on the EVM
   * chain, a block is mined with that timestamp (anvil keeps the offset from then on).
   */
  async advanceTimeTo(unixSeconds: number): Promise<void> {
    if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'time must be unix seconds', { details: { unixSeconds } })
    }
    await this.advanceBitcoinTo(unixSeconds)
    if ((await this.evmTime()) < unixSeconds) {
      await this.evmProvider.send('evm_setNextBlockTimestamp', [unixSeconds])
      await this.evmProvider.send('evm_mine', [])
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    this.evmProvider.destroy()
    return this.faucetWallet?.close() ?? Promise.resolve()
  }

  private async advanceBitcoinTo(unixSeconds: number): Promise<void> {
    const address = (await this.faucet()).receiveAddress()
    await this.bitcoinRpc.setMockTime(unixSeconds + 1)
    try {
      for (let mined = 0; (await this.bitcoinTime()) <= unixSeconds; mined++) {
        if (mined > MEDIAN_TIME_SPAN * 2) {
          throw new SwarmswapError('INTERNAL', 'median-time-past did not move with the mock time')
        }
        await this.bitcoinRpc.generateToAddress(1, address)
      }
    } finally {
      await this.bitcoinRpc.setMockTime(0)
    }
  }

  /** The tip's median-time-past: the time CLTV timestamp locks compare against. */
  private async bitcoinTime(): Promise<number> {
    return (await this.bitcoinRpc.getBlockchainInfo()).medianTime
  }

  private async evmTime(): Promise<number> {
    const block = await this.evmProvider.getBlock('latest')
    if (block === null) throw new SwarmswapError('BAD_DATA', 'the EVM node has no latest block')
    return block.timestamp
  }

  private async confirmBitcoin(txid: string): Promise<void> {
    const { confirmations } = await this.bitcoinRpc.getRawTransaction(txid)
    if (confirmations === 0) await this.mineBitcoin(1)
  }

  private evmAddress(address: string): string {
    if (!isAddress(address)) {
      throw new SwarmswapError('INVALID_ARGUMENT', `not an EVM address: ${address}`, { details: { address } })
    }
    return getAddress(address)
  }

  private async faucet(): Promise<BitcoinWallet> {
    if (this.closed) throw new SwarmswapError('CLOSED', 'RegtestControl was closed')
    if (this.faucetWallet === null) {
      this.faucetWallet = new BitcoinWallet({
        rpc: this.bitcoinRpc,
        network: 'regtest',
        mnemonic: FAUCET.bitcoinMnemonic,
        birthday: this.endpoints.bitcoin.faucetBirthday,
      })
    }
    await this.faucetWallet.ready()
    return this.faucetWallet
  }
}
