/** Shared setup of the EVM tests: one anvil per test file, snapshots to isolate tests, chain-time helpers. */

import { randomBytes } from 'node:crypto'
import type { TestFn } from 'ava'
import { JsonRpcProvider, type JsonRpcSigner, sha256 } from 'ethers'
import { Anvil } from '../../../regtest/anvil.js'

export interface EvmEnv {
  anvil: Anvil
  provider: JsonRpcProvider
  /** anvil's unlocked default accounts 0..3. */
  accounts: JsonRpcSigner[]
  close(): Promise<void>
}

export async function startEvm(): Promise<EvmEnv> {
  const anvil = new Anvil()
  await anvil.ready()
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
  const accounts = await Promise.all([0, 1, 2, 3].map((i) => provider.getSigner(i)))
  return {
    anvil,
    provider,
    accounts,
    async close() {
      provider.destroy()
      await anvil.close()
    },
  }
}

export function newSecret(): { preimage: string; hashlock: string } {
  const preimage = `0x${randomBytes(32).toString('hex')}`
  return { preimage, hashlock: sha256(preimage) }
}

export async function chainTime(provider: JsonRpcProvider): Promise<bigint> {
  const block = await provider.getBlock('latest')
  if (block === null) throw new Error('no latest block')
  return BigInt(block.timestamp)
}

/** Mines an empty block at `timestamp`; the next transaction's block is at least one second later. */
export async function mineAt(provider: JsonRpcProvider, timestamp: bigint): Promise<void> {
  await provider.send('evm_mine', [Number(timestamp)])
}

/** The next transaction is mined in a block with exactly this timestamp. */
export async function nextBlockAt(provider: JsonRpcProvider, timestamp: bigint): Promise<void> {
  await provider.send('evm_setNextBlockTimestamp', [Number(timestamp)])
}

/**
 * Registers the hooks every EVM test file shares: each test runs on a snapshot of the chain that is
 * reverted afterwards, and the file's anvil is stopped at the end.
 */
export function isolateEachTest<C extends { env: EvmEnv; snapshotId: string }>(test: TestFn<C>): void {
  test.beforeEach(async (t) => {
    t.context.snapshotId = await snapshot(t.context.env.provider)
  })
  test.afterEach.always(async (t) => {
    await revertTo(t.context.env.provider, t.context.snapshotId)
  })
  test.after.always(async (t) => {
    await t.context.env?.close()
  })
}

export async function snapshot(provider: JsonRpcProvider): Promise<string> {
  return String(await provider.send('evm_snapshot', []))
}

export async function revertTo(provider: JsonRpcProvider, id: string): Promise<void> {
  if ((await provider.send('evm_revert', [id])) !== true) throw new Error(`evm_revert ${id} failed`)
}

/** ETH paid for a mined transaction's gas. */
export async function feePaid(provider: JsonRpcProvider, txHash: string): Promise<bigint> {
  const receipt = await provider.getTransactionReceipt(txHash)
  if (receipt === null) throw new Error(`no receipt for ${txHash}`)
  return receipt.gasUsed * receipt.gasPrice
}
