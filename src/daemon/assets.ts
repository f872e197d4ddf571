import { Contract, type Provider } from 'ethers'
import { z } from 'zod'
import { SwarmswapError } from '../errors.js'
import { DECIMALS } from '../money.js'
import { evmTokenOf } from '../swap/adapters/evm-terms.js'
import { amountView } from './units.js'

const ERC20_DECIMALS_ABI = ['function decimals() view returns (uint8)']

/** Decimals of each asset: BTC 8, ETH 18, an ERC-20 what its decimals() says (read once, then cached). */
export class AssetDecimals {
  readonly #provider: Provider
  readonly #known = new Map<string, number>([
    ['BTC', DECIMALS.BTC],
    ['ETH', DECIMALS.ETH],
  ])

  constructor(provider: Provider) {
    this.#provider = provider
  }

  async of(asset: string): Promise<number> {
    const known = this.#known.get(asset)
    if (known !== undefined) return known
    const token = new Contract(evmTokenOf(asset), ERC20_DECIMALS_ABI, this.#provider)
    let decimals: number
    try {
      decimals = z.coerce
        .number()
        .int()
        .min(0)
        .max(77)
        .parse(await token.getFunction('decimals').staticCall())
    } catch (cause) {
      throw new SwarmswapError('NOT_FOUND', `cannot read decimals() of the token ${asset}`, {
        cause,
        details: { asset },
      })
    }
    this.#known.set(asset, decimals)
    return decimals
  }

  async view(asset: string, units: bigint) {
    return amountView(asset, units, await this.of(asset))
  }
}
