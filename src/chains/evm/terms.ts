import { AbiCoder, getAddress, isHexString, keccak256, ZeroAddress } from 'ethers'
import { SwarmswapError } from '../../errors.js'
import { Memo } from '../../memo.js'

/** Everything that identifies one HTLC swap on the EVM; the contract keys its slot by a hash of all of it. */
export interface EvmSwapTerms {
  /** Who locked; the only address a refund pays. */
  sender: string
  /** The only address a claim pays. */
  recipient: string
  /** ERC-20 token address, or `ZeroAddress` for native ETH. */
  token: string
  /** Base units (wei or token units), > 0. */
  amount: bigint
  /** sha256 of the 32-byte preimage, 0x-prefixed 32 bytes. */
  hashlock: string
  /** Unix seconds, < 2^96 (calldata packs it); refund is possible once block.timestamp >= deadline. */
  deadline: bigint
}

const UINT256_LIMIT = 1n << 256n
const DEADLINE_LIMIT = 1n << 96n
const KEY_TYPES = ['bytes32', 'address', 'address', 'address', 'uint256', 'uint256'] as const

function invalid(field: keyof EvmSwapTerms, message: string): SwarmswapError {
  return new SwarmswapError('INVALID_ARGUMENT', `swap terms: ${field} ${message}`, { details: { field } })
}

/**
 * A swap's terms are checked and keyed on every read of its leg, and each address checksum and key costs a
 * keccak: both are remembered.
 */
const checksums = new Memo<string>()
const keys = new Memo<string>()

/** The EIP-55 checksummed form of an address; throws as ethers' getAddress does. */
export function checksummed(value: string): string {
  return checksums.get(value, () => getAddress(value))
}

function address(field: keyof EvmSwapTerms, value: string): string {
  try {
    return checksummed(value)
  } catch (cause) {
    throw new SwarmswapError('INVALID_ARGUMENT', `swap terms: ${field} is not an address`, {
      cause,
      details: { field },
    })
  }
}

/**
 * Checks terms that could be locked at all (deadline freshness is time-dependent and left to the caller)
 * and returns them with checksummed addresses and a lower-case hashlock. Throws INVALID_ARGUMENT naming
 * the field.
 */
export function normalizeTerms(terms: EvmSwapTerms): EvmSwapTerms {
  const recipient = address('recipient', terms.recipient)
  if (recipient === ZeroAddress) throw invalid('recipient', 'is the zero address')
  if (typeof terms.amount !== 'bigint' || terms.amount <= 0n || terms.amount >= UINT256_LIMIT) {
    throw invalid('amount', 'must be a bigint in 1 .. 2^256-1')
  }
  if (!isHexString(terms.hashlock, 32)) throw invalid('hashlock', 'must be 0x and 32 bytes of hex')
  if (typeof terms.deadline !== 'bigint' || terms.deadline < 0n || terms.deadline >= DEADLINE_LIMIT) {
    throw invalid('deadline', 'must be a bigint in 0 .. 2^96-1')
  }
  return {
    sender: address('sender', terms.sender),
    recipient,
    token: address('token', terms.token),
    amount: terms.amount,
    hashlock: terms.hashlock.toLowerCase(),
    deadline: terms.deadline,
  }
}

/** The contract's storage key of a swap: keccak256(abi.encode(hashlock, sender, recipient, token, amount, deadline)). */
export function swapKey(terms: EvmSwapTerms): string {
  const t = normalizeTerms(terms)
  const fields = [t.hashlock, t.sender, t.recipient, t.token, t.amount, t.deadline] as const
  return keys.get(fields.join(' '), () => keccak256(AbiCoder.defaultAbiCoder().encode(KEY_TYPES, fields)))
}

/** The contract's calldata word `deadline << 160 | recipient` (one word instead of two saves ~130 gas). */
export function packRecipientAndDeadline(terms: EvmSwapTerms): bigint {
  const t = normalizeTerms(terms)
  return (t.deadline << 160n) | BigInt(t.recipient)
}
