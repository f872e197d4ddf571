import { getAddress, hexlify, ZeroAddress } from 'ethers'
import { type EvmSwapTerms, normalizeTerms } from '../../chains/evm/terms.js'
import { SwarmswapError } from '../../errors.js'
import type { LegTerms } from '../types.js'

const ERC20_ASSET = /^ERC20:(0x[0-9a-f]{40})$/

/** The token address an EVM asset is locked as: `ZeroAddress` for 'ETH', the contract for 'ERC20:0x..'. */
export function evmTokenOf(asset: string): string {
  if (asset === 'ETH') return ZeroAddress
  const match = ERC20_ASSET.exec(asset)
  if (match?.[1] === undefined) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `${asset} is not an EVM asset ('ETH' or 'ERC20:0x' + 40 lower-case hex)`,
      {
        details: { field: 'asset', asset },
      },
    )
  }
  return getAddress(match[1])
}

/**
 * The HTLC terms of an EVM leg, normalized (checksummed addresses, lower-case hashlock). Throws
 * INVALID_ARGUMENT with `details.field` when the leg is not on the EVM chain or cannot be locked as given.
 */
export function evmSwapTerms(leg: LegTerms): EvmSwapTerms {
  if (leg.chain !== 'evm') {
    throw new SwarmswapError('INVALID_ARGUMENT', `a ${leg.chain} leg has no EVM terms`, {
      details: { field: 'chain' },
    })
  }
  if (leg.hashlock.length !== 32) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'the hashlock must be 32 bytes', {
      details: { field: 'hashlock' },
    })
  }
  if (!Number.isSafeInteger(leg.deadline)) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'the deadline must be an integer', {
      details: { field: 'deadline' },
    })
  }
  return normalizeTerms({
    sender: leg.sender.evmAddress,
    recipient: leg.recipient.evmAddress,
    token: evmTokenOf(leg.asset),
    amount: leg.amount,
    hashlock: hexlify(leg.hashlock),
    deadline: BigInt(leg.deadline),
  })
}
