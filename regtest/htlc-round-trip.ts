import { randomBytes } from 'node:crypto'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { hexlify, JsonRpcProvider, NonceManager, Wallet, ZeroAddress } from 'ethers'
import { auditHtlcOutput } from '../src/chains/bitcoin/htlc-audit.js'
import { htlcOutput, htlcScript } from '../src/chains/bitcoin/htlc-script.js'
import { buildClaimTx, buildRefundTx } from '../src/chains/bitcoin/htlc-tx.js'
import { bitcoinNetwork } from '../src/chains/bitcoin/networks.js'
import { extractPreimage, sha256Hashlock } from '../src/chains/bitcoin/preimage.js'
import { parseTransaction } from '../src/chains/bitcoin/transaction.js'
import { BitcoinWallet } from '../src/chains/bitcoin/wallet.js'
import { auditEvmLock } from '../src/chains/evm/audit.js'
import { EvmHtlc } from '../src/chains/evm/htlc.js'
import type { EvmSwapTerms } from '../src/chains/evm/terms.js'
import { Erc20 } from '../src/chains/evm/token.js'
import { SwarmswapError } from '../src/errors.js'
import { DECIMALS, formatAmount } from '../src/money.js'
import type { RegtestControl } from './control.js'
import type { RegtestEndpoints } from './endpoints.js'

/**
 * A scripted HTLC round trip on both regtest chains, driven step by step with the project's primitives
 * (no daemon, no peer): Alice sells BTC for ETH and both claim; then Alice and Bob lock BTC and test
 * tokens, nobody claims, and both refund after their deadlines. Each side audits the other's lock on
 * chain before acting, and Bob learns the secret from the chain, as the swap protocol demands.
 */

const NETWORK = bitcoinNetwork('regtest')
const FEE_RATE = 2n // sat/vB; regtest nodes have no fee estimate
const HOUR = 3600

export interface RoundTripAmounts {
  btc: bigint
  eth: bigint
  token: bigint
}

export interface RoundTripResult {
  swap: {
    hashlock: string
    btcLockTxid: string
    evmLockTxHash: string
    evmClaimTxHash: string
    btcClaimTxid: string
  }
  refund: {
    hashlock: string
    btcLockTxid: string
    evmLockTxHash: string
    evmRefundTxHash: string
    btcRefundTxid: string
  }
  /** Sizes of the Bitcoin transactions of this run, from the chain. */
  btcVbytes: { lock: number; claim: number; refund: number }
  /** Gas of the EVM transactions of this run, from their receipts. */
  evmGas: { ethLock: bigint; ethClaim: bigint; tokenLock: bigint; tokenRefund: bigint }
  /** Balance change per trader and asset over the whole run, as decimal strings. */
  balanceChanges: Record<'alice' | 'bob', { btc: string; eth: string; token: string }>
}

interface Trader {
  name: 'alice' | 'bob'
  btc: BitcoinWallet
  evm: NonceManager
  evmAddress: string
  htlc: EvmHtlc
}

/** Who and what one scripted swap works with. */
interface Scene {
  alice: Trader
  bob: Trader
  amounts: RoundTripAmounts
  endpoints: RegtestEndpoints
  control: RegtestControl
  log: (line: string) => void
}

type Balances = Record<'btc' | 'eth' | 'token', bigint>

export async function runHtlcRoundTrip(
  endpoints: RegtestEndpoints,
  control: RegtestControl,
  amounts: RoundTripAmounts,
  log: (line: string) => void,
): Promise<RoundTripResult> {
  const provider = new JsonRpcProvider(endpoints.evm.rpcUrl, endpoints.evm.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  const rpc = control.bitcoinRpc
  const token = new Erc20(endpoints.evm.tokenAddress, provider)
  const trader = async (name: 'alice' | 'bob'): Promise<Trader> => {
    const birthday = (await rpc.getBlockchainInfo()).blocks
    const btc = new BitcoinWallet({ rpc, network: 'regtest', mnemonic: generateMnemonic(wordlist), birthday })
    await btc.ready()
    const key = Wallet.createRandom()
    const evm = new NonceManager(new Wallet(key.privateKey, provider))
    return { name, btc, evm, evmAddress: key.address, htlc: new EvmHtlc(endpoints.evm.htlcAddress, evm) }
  }
  const alice = await trader('alice')
  const bob = await trader('bob')
  try {
    // balance() syncs the wallet with the chain first.
    const balances = async (t: Trader): Promise<Balances> => {
      return {
        btc: (await t.btc.balance()).confirmed,
        eth: await provider.getBalance(t.evmAddress),
        token: await token.balanceOf(t.evmAddress),
      }
    }

    log('Funding: Alice gets BTC and a little ETH for gas; Bob gets ETH and test tokens')
    await control.fundBitcoin(alice.btc.receiveAddress(), amounts.btc * 2n + 100_000n)
    await control.fundEth(alice.evmAddress, 10n ** 17n)
    await control.fundEth(bob.evmAddress, amounts.eth + 10n ** 18n)
    await control.mintToken(bob.evmAddress, amounts.token)
    const start = { alice: await balances(alice), bob: await balances(bob) }

    const scene: Scene = { alice, bob, amounts, endpoints, control, log }
    const swap = await swapWithClaims(scene)
    const refund = await swapWithRefunds(scene)

    const end = { alice: await balances(alice), bob: await balances(bob) }
    const change = (who: 'alice' | 'bob') => ({
      btc: formatAmount(end[who].btc - start[who].btc, DECIMALS.BTC),
      eth: formatAmount(end[who].eth - start[who].eth, DECIMALS.ETH),
      token: formatAmount(end[who].token - start[who].token, DECIMALS.ETH),
    })
    return {
      swap: swap.txs,
      refund: refund.txs,
      btcVbytes: { lock: swap.btcLockVbytes, claim: swap.btcClaimVbytes, refund: refund.btcRefundVbytes },
      evmGas: { ...swap.gas, ...refund.gas },
      balanceChanges: { alice: change('alice'), bob: change('bob') },
    }
  } finally {
    await Promise.all([alice.btc.close(), bob.btc.close()])
    provider.destroy()
  }
}

/** Deadlines from the chains' own clocks: the initiator's (Alice's, on Bitcoin) is twice the participant's. */
async function deadlines(control: RegtestControl): Promise<{ btc: number; evm: number }> {
  const now = await control.now()
  return { btc: now + 2 * HOUR, evm: now + HOUR }
}

interface BitcoinLock {
  txid: string
  vout: number
  value: bigint
  witnessScript: Uint8Array
  vsize: number
}

/** Alice locks `amount` sats claimable by Bob's swap key with the secret, refundable by her after `deadline`. */
async function lockBitcoin(
  alice: Trader,
  bob: Trader,
  hashlock: Uint8Array,
  deadline: number,
  amount: bigint,
  control: RegtestControl,
): Promise<BitcoinLock> {
  const witnessScript = htlcScript({
    sha256Hashlock: hashlock,
    claimPubkey: bob.btc.swapKey(0).publicKey,
    refundPubkey: alice.btc.swapKey(0).publicKey,
    deadline,
  })
  const { address } = htlcOutput(witnessScript, NETWORK)
  const sent = await alice.btc.sendTo(address, amount, FEE_RATE)
  await confirmBitcoin(control, sent.txid)
  // Bob audits the lock on chain, field by field, before he locks anything.
  const onChain = await control.bitcoinRpc.getRawTransaction(sent.txid)
  const audited = auditHtlcOutput(
    { txHex: onChain.hex, confirmations: onChain.confirmations },
    {
      hashlock,
      claimPubkey: bob.btc.swapKey(0).publicKey,
      refundPubkey: alice.btc.swapKey(0).publicKey,
      deadline,
      amount,
      minConfirmations: 1,
      network: NETWORK,
    },
  )
  return { txid: sent.txid, vout: audited.vout, value: audited.value, witnessScript, vsize: sent.vsize }
}

/** Locks on the EVM side, then has the other party find and audit the lock from the chain's events. */
async function lockEvm(locker: Trader, terms: EvmSwapTerms, provider: JsonRpcProvider, contract: string) {
  const locked = await locker.htlc.lock(terms)
  const found = (await locker.htlc.findLocked(terms.hashlock, locked.blockNumber)).at(-1)
  if (found === undefined) throw new SwarmswapError('NOT_FOUND', 'the EVM lock is not on chain')
  auditEvmLock(found, terms, {
    contractAddress: contract,
    minConfirmations: 1,
    currentBlock: await provider.getBlockNumber(),
  })
  return locked
}

async function swapWithClaims({ alice, bob, amounts, endpoints, control, log }: Scene) {
  const provider = control.evmProvider
  const secret = Uint8Array.from(randomBytes(32))
  const hashlock = sha256Hashlock(secret)
  const deadline = await deadlines(control)
  log(`Swap 1: Alice sells ${formatAmount(amounts.btc, 8)} BTC for ${formatAmount(amounts.eth, 18)} ETH`)
  log(
    `  hashlock sha256 ${hexlify(hashlock)}; Alice refunds after ${iso(deadline.btc)}, Bob after ${iso(deadline.evm)}`,
  )

  const btcLock = await lockBitcoin(alice, bob, hashlock, deadline.btc, amounts.btc, control)
  log(`  1. Alice locks BTC in a P2WSH HTLC: ${btcLock.txid} (${btcLock.vsize} vB); Bob audits it on chain`)

  const terms: EvmSwapTerms = {
    sender: bob.evmAddress,
    recipient: alice.evmAddress,
    token: ZeroAddress,
    amount: amounts.eth,
    hashlock: hexlify(hashlock),
    deadline: BigInt(deadline.evm),
  }
  const evmLock = await lockEvm(bob, terms, provider, endpoints.evm.htlcAddress)
  log(`  2. Bob locks ETH in the HTLC contract: ${evmLock.txHash} (${evmLock.gasUsed} gas); Alice audits it`)

  const evmClaim = await alice.htlc.claim(terms, hexlify(secret))
  log(`  3. Alice claims the ETH, revealing the secret: ${evmClaim.txHash} (${evmClaim.gasUsed} gas)`)

  // Bob learns the secret from the chain (the Claimed event), never from a message.
  const claimed = (await bob.htlc.findClaimed(terms.hashlock, evmLock.blockNumber)).at(-1)
  if (claimed === undefined) throw new SwarmswapError('NOT_FOUND', 'no Claimed event for the hashlock')
  const claim = buildClaimTx({
    htlcOutpoint: { txid: btcLock.txid, vout: btcLock.vout, value: btcLock.value },
    witnessScript: btcLock.witnessScript,
    preimage: Uint8Array.from(Buffer.from(claimed.preimage.slice(2), 'hex')),
    claimKey: bob.btc.swapKey(0).signer,
    destination: bob.btc.receiveAddress(),
    feeRate: FEE_RATE,
    network: NETWORK,
  })
  await control.bitcoinRpc.sendRawTransaction(claim.hex)
  await confirmBitcoin(control, claim.txid)
  const onChain = await control.bitcoinRpc.getRawTransaction(claim.txid)
  if (extractPreimage({ spendingTxHex: onChain.hex, hashlock }) === null) {
    throw new SwarmswapError('INTERNAL', 'the Bitcoin claim does not reveal the secret')
  }
  log(`  4. Bob claims the BTC with the secret from the Claimed event: ${claim.txid} (${claim.vsize} vB)`)
  return {
    txs: {
      hashlock: hexlify(hashlock),
      btcLockTxid: btcLock.txid,
      evmLockTxHash: evmLock.txHash,
      evmClaimTxHash: evmClaim.txHash,
      btcClaimTxid: claim.txid,
    },
    btcLockVbytes: vsizeOf((await control.bitcoinRpc.getRawTransaction(btcLock.txid)).hex),
    btcClaimVbytes: vsizeOf(onChain.hex),
    gas: { ethLock: evmLock.gasUsed, ethClaim: evmClaim.gasUsed },
  }
}

async function swapWithRefunds({ alice, bob, amounts, endpoints, control, log }: Scene) {
  const provider = control.evmProvider
  const hashlock = sha256Hashlock(Uint8Array.from(randomBytes(32)))
  const deadline = await deadlines(control)
  log(`Swap 2: Alice offers BTC for test tokens; nobody claims, both refund after their deadlines`)

  const btcLock = await lockBitcoin(alice, bob, hashlock, deadline.btc, amounts.btc, control)
  log(`  1. Alice locks BTC: ${btcLock.txid}`)

  const terms: EvmSwapTerms = {
    sender: bob.evmAddress,
    recipient: alice.evmAddress,
    token: endpoints.evm.tokenAddress,
    amount: amounts.token,
    hashlock: hexlify(hashlock),
    deadline: BigInt(deadline.evm),
  }
  await new Erc20(endpoints.evm.tokenAddress, bob.evm).approve(endpoints.evm.htlcAddress, amounts.token)
  const evmLock = await lockEvm(bob, terms, provider, endpoints.evm.htlcAddress)
  log(`  2. Bob locks test tokens: ${evmLock.txHash} (${evmLock.gasUsed} gas)`)

  await control.advanceTimeTo(deadline.evm)
  const evmRefund = await bob.htlc.refund(terms)
  log(
    `  3. Time passes Bob's deadline; Bob refunds his tokens: ${evmRefund.txHash} (${evmRefund.gasUsed} gas)`,
  )

  await control.advanceTimeTo(deadline.btc)
  const refund = buildRefundTx({
    htlcOutpoint: { txid: btcLock.txid, vout: btcLock.vout, value: btcLock.value },
    witnessScript: btcLock.witnessScript,
    refundKey: alice.btc.swapKey(0).signer,
    destination: alice.btc.receiveAddress(),
    feeRate: FEE_RATE,
    network: NETWORK,
  })
  await control.bitcoinRpc.sendRawTransaction(refund.hex)
  await confirmBitcoin(control, refund.txid)
  log(`  4. Time passes Alice's deadline; Alice refunds her BTC: ${refund.txid} (${refund.vsize} vB)`)
  return {
    txs: {
      hashlock: hexlify(hashlock),
      btcLockTxid: btcLock.txid,
      evmLockTxHash: evmLock.txHash,
      evmRefundTxHash: evmRefund.txHash,
      btcRefundTxid: refund.txid,
    },
    btcRefundVbytes: vsizeOf((await control.bitcoinRpc.getRawTransaction(refund.txid)).hex),
    gas: { tokenLock: evmLock.gasUsed, tokenRefund: evmRefund.gasUsed },
  }
}

function vsizeOf(hex: string): number {
  return parseTransaction(hex).virtualSize()
}

/** Mines a block when the node does not automine, so each step starts from a confirmed state. */
async function confirmBitcoin(control: RegtestControl, txid: string): Promise<void> {
  if ((await control.bitcoinRpc.getRawTransaction(txid)).confirmations === 0) await control.mineBitcoin(1)
}

function iso(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString()
}
