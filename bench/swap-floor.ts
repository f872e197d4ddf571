import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { hexlify, JsonRpcProvider, type TransactionRequest, Wallet, ZeroAddress } from 'ethers'
import { z } from 'zod'
import { htlcOutput, htlcScript } from '../src/chains/bitcoin/htlc-script.js'
import { buildClaimTx } from '../src/chains/bitcoin/htlc-tx.js'
import { bitcoinNetwork } from '../src/chains/bitcoin/networks.js'
import { sha256Hashlock } from '../src/chains/bitcoin/preimage.js'
import type { BitcoinRpc } from '../src/chains/bitcoin/rpc.js'
import { parseTransaction } from '../src/chains/bitcoin/transaction.js'
import { BitcoinWallet } from '../src/chains/bitcoin/wallet.js'
import { EvmHtlc } from '../src/chains/evm/htlc.js'
import type { EvmSwapTerms } from '../src/chains/evm/terms.js'
import { SwarmswapError } from '../src/errors.js'
import type { RegtestChains } from './swap-traders.js'

const NETWORK = bitcoinNetwork('regtest')
const FEE_RATE = 2n
const BTC_AMOUNT = 100_000n
const ETH_AMOUNT = 10n ** 15n
/** How long a confirmation may take before the floor run gives up, ms. */
const CONFIRM_TIMEOUT_MS = 10_000
/** Above what an HTLC lock or claim of native ETH uses; the floor signs without estimating. */
const EVM_GAS_LIMIT = 100_000n

/** One repetition of the floor: each step's duration, ms, and their sum. */
export interface FloorSample {
  btcLockMs: number
  evmLockMs: number
  evmClaimMs: number
  btcClaimMs: number
  totalMs: number
}

/**
 * The chain work one swap waits for, done directly through the chains' RPC with no engine, store or peer:
 * a Bitcoin payment to an HTLC's P2WSH output, an EVM HTLC lock, the EVM claim, and the Bitcoin spend of the
 * P2WSH output with the secret; each sent, mined and seen confirmed before the next is sent. All four are
 * signed beforehand, so only sending, mining and confirming is timed.
 */
export async function measureFloor(env: RegtestChains, repetitions: number): Promise<FloorSample[]> {
  const rpc = env.control.bitcoinRpc
  const endpoints = env.endpoints
  const provider = new JsonRpcProvider(endpoints.evm.rpcUrl, endpoints.evm.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    // Each request goes out at once: ethers' default batching waits 10 ms for companions.
    batchMaxCount: 1,
  })
  const wallet = new BitcoinWallet({
    rpc,
    network: 'regtest',
    mnemonic: generateMnemonic(wordlist),
    birthday: await rpc.getBlockCount(),
  })
  const evm = Wallet.createRandom(provider)
  const htlc = new EvmHtlc(endpoints.evm.htlcAddress, evm)
  try {
    await env.control.fundBitcoin(wallet.receiveAddress(), BTC_AMOUNT * 4n)
    await env.control.fundEth(evm.address, ETH_AMOUNT * BigInt(repetitions) + 10n ** 18n)
    await wallet.ready()
    const now = await env.control.now()
    const fees = await provider.getFeeData()
    let nonce = await provider.getTransactionCount(evm.address, 'pending')
    const signEvm = (request: TransactionRequest) =>
      evm.signTransaction({
        ...request,
        chainId: endpoints.evm.chainId,
        nonce: nonce++,
        gasLimit: EVM_GAS_LIMIT,
        maxFeePerGas: (fees.maxFeePerGas ?? 10n ** 10n) * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? 10n ** 9n,
      })
    const samples: FloorSample[] = []
    for (let i = 0; i < repetitions; i++) {
      // Everything is signed first: the floor is the chains' work, not the signing.
      const secret = Uint8Array.from(randomBytes(32))
      const hashlock = sha256Hashlock(secret)
      const claimKey = wallet.swapKey(2 * i)
      const witnessScript = htlcScript({
        sha256Hashlock: hashlock,
        claimPubkey: claimKey.publicKey,
        refundPubkey: wallet.swapKey(2 * i + 1).publicKey,
        deadline: now + 7200,
      })
      const output = htlcOutput(witnessScript, NETWORK)
      const btcLock = await wallet.send({
        outputs: [{ scriptPubKey: output.scriptPubKey, amount: BTC_AMOUNT }],
      })
      const vout = parseTransaction(btcLock.hex).outs.findIndex((out) =>
        Buffer.from(out.script).equals(output.scriptPubKey),
      )
      const btcClaim = buildClaimTx({
        htlcOutpoint: { txid: btcLock.txid, vout, value: BTC_AMOUNT },
        witnessScript,
        preimage: secret,
        claimKey: claimKey.signer,
        destination: wallet.receiveAddress(),
        feeRate: FEE_RATE,
        network: NETWORK,
      })
      const terms: EvmSwapTerms = {
        sender: evm.address,
        recipient: evm.address,
        token: ZeroAddress,
        amount: ETH_AMOUNT,
        hashlock: hexlify(hashlock),
        deadline: BigInt(now + 3600),
      }
      const evmLock = await signEvm(htlc.lockTx(terms))
      const evmClaim = await signEvm(htlc.claimTx(terms, hexlify(secret)))

      const t0 = performance.now()
      await wallet.broadcast(btcLock.hex)
      await bitcoinConfirmed(rpc, btcLock.txid)
      const t1 = performance.now()
      await evmMined(provider, evmLock)
      const t2 = performance.now()
      await evmMined(provider, evmClaim)
      const t3 = performance.now()
      await rpc.sendRawTransaction(btcClaim.hex)
      await bitcoinConfirmed(rpc, btcClaim.txid)
      const t4 = performance.now()
      samples.push({
        btcLockMs: t1 - t0,
        evmLockMs: t2 - t1,
        evmClaimMs: t3 - t2,
        btcClaimMs: t4 - t3,
        totalMs: t4 - t0,
      })
    }
    return samples
  } finally {
    await wallet.close()
    provider.destroy()
  }
}

/** Polls the node back to back until the transaction has a confirmation. */
async function bitcoinConfirmed(rpc: BitcoinRpc, txid: string): Promise<void> {
  const deadline = performance.now() + CONFIRM_TIMEOUT_MS
  while ((await rpc.getRawTransaction(txid)).confirmations < 1) {
    if (performance.now() > deadline) {
      throw new SwarmswapError('TIMEOUT', `transaction ${txid} not confirmed in ${CONFIRM_TIMEOUT_MS} ms`)
    }
  }
}

const receiptSchema = z.object({ status: z.string() }).nullable()

/** Sends a signed EVM transaction and polls back to back for its receipt; it must have succeeded. */
async function evmMined(provider: JsonRpcProvider, raw: string): Promise<void> {
  const hash = z.string().parse(await provider.send('eth_sendRawTransaction', [raw]))
  const deadline = performance.now() + CONFIRM_TIMEOUT_MS
  for (;;) {
    const receipt = receiptSchema.parse(await provider.send('eth_getTransactionReceipt', [hash]))
    if (receipt !== null) {
      if (receipt.status !== '0x1')
        throw new SwarmswapError('CONTRACT_REVERT', `floor transaction ${hash} reverted`)
      return
    }
    if (performance.now() > deadline) {
      throw new SwarmswapError('TIMEOUT', `transaction ${hash} not mined in ${CONFIRM_TIMEOUT_MS} ms`)
    }
  }
}
