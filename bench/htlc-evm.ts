/**
 * Gas of the HTLC contract on a given anvil, in the conditions the product competes on: ETH lock, claim
 * and refund; ERC-20 lock and claim once the contract and the claimer already hold the token (nonzero
 * balances, so no zero-to-nonzero balance writes) and the allowance was set beforehand. Claims and
 * refunds are sent by the party they pay, as the swarmswap client does.
 */
import { randomBytes } from 'node:crypto'
import { JsonRpcProvider, type JsonRpcSigner, sha256, ZeroAddress } from 'ethers'
import { EvmHtlc } from '../src/chains/evm/htlc.js'
import type { EvmSwapTerms } from '../src/chains/evm/terms.js'
import { deployTestToken } from '../src/chains/evm/token.js'

export interface EvmGasFigures {
  ethLockGas: bigint
  ethClaimGas: bigint
  ethRefundGas: bigint
  erc20LockGas: bigint
  erc20ClaimGas: bigint
  erc20RefundGas: bigint
}

function secret(): { preimage: string; hashlock: string } {
  const preimage = `0x${randomBytes(32).toString('hex')}`
  return { preimage, hashlock: sha256(preimage) }
}

async function chainTime(provider: JsonRpcProvider): Promise<bigint> {
  const block = await provider.getBlock('latest')
  if (block === null) throw new Error('no latest block')
  return BigInt(block.timestamp)
}

async function passDeadline(provider: JsonRpcProvider, deadline: bigint): Promise<void> {
  await provider.send('evm_setNextBlockTimestamp', [Number(deadline)])
  await provider.send('evm_mine', [])
}

export async function measureEvmGas(rpcUrl: string): Promise<EvmGasFigures> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
  try {
    const sender: JsonRpcSigner = await provider.getSigner(0)
    const recipient: JsonRpcSigner = await provider.getSigner(1)
    const senderHtlc = await EvmHtlc.deploy(sender)
    const recipientHtlc = new EvmHtlc(senderHtlc.address, recipient)
    const token = await deployTestToken(sender)
    const terms = async (tokenAddress: string, hashlock: string): Promise<EvmSwapTerms> => ({
      sender: sender.address,
      recipient: recipient.address,
      token: tokenAddress,
      amount: 10n ** 18n,
      hashlock,
      deadline: (await chainTime(provider)) + 3600n,
    })

    // ETH: lock + claim, then lock + refund.
    const ethClaimed = secret()
    const ethSwap = await terms(ZeroAddress, ethClaimed.hashlock)
    const ethLockGas = (await senderHtlc.lock(ethSwap)).gasUsed
    const ethClaimGas = (await recipientHtlc.claim(ethSwap, ethClaimed.preimage)).gasUsed
    const ethRefundSwap = await terms(ZeroAddress, secret().hashlock)
    await senderHtlc.lock(ethRefundSwap)
    await passDeadline(provider, ethRefundSwap.deadline)
    const ethRefundGas = (await senderHtlc.refund(ethRefundSwap)).gasUsed

    // ERC-20: warm-up swap so the contract and the recipient hold tokens, then the measured ones.
    await token.mint(sender.address, 10n ** 24n)
    await token.approve(senderHtlc.address, 10n ** 18n)
    const warmup = secret()
    const warmupSwap = await terms(token.address, warmup.hashlock)
    await senderHtlc.lock(warmupSwap)
    await recipientHtlc.claim(warmupSwap, warmup.preimage)
    await token.approve(senderHtlc.address, 2n * 10n ** 18n) // dust stays in the contract via a live swap
    const keeper = await terms(token.address, secret().hashlock)
    await senderHtlc.lock(keeper)

    const tokenClaimed = secret()
    const tokenSwap = await terms(token.address, tokenClaimed.hashlock)
    const erc20LockGas = (await senderHtlc.lock(tokenSwap)).gasUsed
    const erc20ClaimGas = (await recipientHtlc.claim(tokenSwap, tokenClaimed.preimage)).gasUsed
    await token.approve(senderHtlc.address, 10n ** 18n)
    const tokenRefundSwap = await terms(token.address, secret().hashlock)
    await senderHtlc.lock(tokenRefundSwap)
    await passDeadline(provider, tokenRefundSwap.deadline)
    const erc20RefundGas = (await senderHtlc.refund(tokenRefundSwap)).gasUsed

    return { ethLockGas, ethClaimGas, ethRefundGas, erc20LockGas, erc20ClaimGas, erc20RefundGas }
  } finally {
    provider.destroy()
  }
}
