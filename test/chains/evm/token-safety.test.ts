import anyTest, { type TestFn } from 'ava'
import { Contract, Interface, type JsonRpcSigner, ZeroAddress } from 'ethers'
import { loadArtifact } from '../../../src/chains/evm/artifacts.js'
import { EvmHtlc } from '../../../src/chains/evm/htlc.js'
import type { EvmSwapTerms } from '../../../src/chains/evm/terms.js'
import { deployContract, Erc20 } from '../../../src/chains/evm/token.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { chainTime, type EvmEnv, isolateEachTest, mineAt, newSecret, startEvm } from './evm-env.js'

interface Context {
  env: EvmEnv
  sender: JsonRpcSigner
  recipient: JsonRpcSigner
  htlc: EvmHtlc
  snapshotId: string
}

const test = anyTest as TestFn<Context>
const AMOUNT = 10n ** 18n

test.before(async (t) => {
  const env = await startEvm()
  const [sender, recipient] = env.accounts as [JsonRpcSigner, JsonRpcSigner]
  t.context = { env, sender, recipient, htlc: await EvmHtlc.deploy(sender), snapshotId: '' }
})

isolateEachTest(test)

async function terms(c: Context, sender: string, recipient: string, token: string, hashlock: string) {
  const deadline = (await chainTime(c.env.provider)) + 3600n
  return { sender, recipient, token, amount: AMOUNT, hashlock, deadline } satisfies EvmSwapTerms
}

/** What a Reentrant helper saw when it tried its prepared call. */
async function attackOutcome(
  helper: Contract,
): Promise<{ attempted: boolean; succeeded: boolean; error?: string }> {
  const attempted = Boolean(await helper.getFunction('attempted').staticCall())
  const succeeded = Boolean(await helper.getFunction('attackSucceeded').staticCall())
  const result = String(await helper.getFunction('attackResult').staticCall())
  const error = new Interface(loadArtifact('HTLC').abi).parseError(result)?.name
  return error === undefined ? { attempted, succeeded } : { attempted, succeeded, error }
}

test.serial('a fee-on-transfer token is rejected and nothing is locked', async (t) => {
  const c = t.context
  const token = new Erc20(await deployContract('FeeOnTransferToken', c.sender), c.sender)
  await token.mint(c.sender.address, 10n * AMOUNT)
  await token.approve(c.htlc.address, AMOUNT)
  const swap = await terms(c, c.sender.address, c.recipient.address, token.address, newSecret().hashlock)
  const error = await c.htlc.lock(swap).catch((e: unknown) => e)
  t.true(isSwarmswapError(error, 'CONTRACT_REVERT'))
  t.is(isSwarmswapError(error) ? error.details.errorName : undefined, 'AmountMismatch')
  t.is(await c.htlc.state(swap), 'empty')
  t.is(await token.balanceOf(c.sender.address), 10n * AMOUNT)
})

test.serial('a token re-entering lockToken from transferFrom is stopped by the guard', async (t) => {
  const c = t.context
  const address = await deployContract('ReentrantToken', c.sender)
  const token = new Erc20(address, c.sender)
  const helper = new Contract(address, loadArtifact('ReentrantToken').abi, c.sender)
  await token.mint(c.sender.address, 10n * AMOUNT)
  await token.approve(c.htlc.address, 10n * AMOUNT)
  // The nested lock would count the outer deposit twice if it could run inside the outer transferFrom.
  const inner = await terms(c, address, c.recipient.address, address, newSecret().hashlock)
  const innerTx = c.htlc.lockTx(inner)
  await (await helper.getFunction('arm').send(c.htlc.address, innerTx.data)).wait()
  const outer = await terms(c, c.sender.address, c.recipient.address, address, newSecret().hashlock)
  await c.htlc.lock(outer)
  t.deepEqual(await attackOutcome(helper), { attempted: true, succeeded: false, error: 'Reentrancy' })
  t.is(await c.htlc.state(outer), 'locked')
  t.is(await c.htlc.state(inner), 'empty')
  t.is(await token.balanceOf(c.htlc.address), AMOUNT)
})

test.serial('a token re-entering claim from transfer finds the swap already closed', async (t) => {
  const c = t.context
  const address = await deployContract('ReentrantToken', c.sender)
  const token = new Erc20(address, c.sender)
  const helper = new Contract(address, loadArtifact('ReentrantToken').abi, c.sender)
  await token.mint(c.sender.address, 10n * AMOUNT)
  await token.approve(c.htlc.address, 10n * AMOUNT)
  const secret = newSecret()
  const swap = await terms(c, c.sender.address, c.recipient.address, address, secret.hashlock)
  await c.htlc.lock(swap)
  // A second live swap keeps tokens in the contract, so a successful re-entry would have funds to take.
  await c.htlc.lock(await terms(c, c.sender.address, c.recipient.address, address, newSecret().hashlock))
  await (
    await helper.getFunction('arm').send(c.htlc.address, c.htlc.claimTx(swap, secret.preimage).data)
  ).wait()
  await c.htlc.claim(swap, secret.preimage)
  t.deepEqual(await attackOutcome(helper), { attempted: true, succeeded: false, error: 'NotLocked' })
  t.is(await token.balanceOf(c.recipient.address), AMOUNT)
  t.is(await token.balanceOf(c.htlc.address), AMOUNT)
})

test.serial('an ETH recipient re-entering claim on receipt is paid once', async (t) => {
  const c = t.context
  const receiver = await deployContract('ReentrantReceiver', c.sender)
  const helper = new Contract(receiver, loadArtifact('ReentrantReceiver').abi, c.sender)
  const secret = newSecret()
  const swap = await terms(c, c.sender.address, receiver, ZeroAddress, secret.hashlock)
  await c.htlc.lock(swap)
  await c.htlc.lock(await terms(c, c.sender.address, receiver, ZeroAddress, newSecret().hashlock))
  await (
    await helper.getFunction('arm').send(c.htlc.address, c.htlc.claimTx(swap, secret.preimage).data)
  ).wait()
  await c.htlc.claim(swap, secret.preimage)
  t.deepEqual(await attackOutcome(helper), { attempted: true, succeeded: false, error: 'NotLocked' })
  t.is(await c.env.provider.getBalance(receiver), AMOUNT)
  t.is(await c.env.provider.getBalance(c.htlc.address), AMOUNT)
})

test.serial('an ETH sender re-entering refund on receipt is refunded once', async (t) => {
  const c = t.context
  const receiver = await deployContract('ReentrantReceiver', c.sender)
  const helper = new Contract(receiver, loadArtifact('ReentrantReceiver').abi, c.sender)
  const swap = await terms(c, receiver, c.recipient.address, ZeroAddress, newSecret().hashlock)
  const twin = { ...swap, hashlock: newSecret().hashlock }
  for (const s of [swap, twin]) {
    const tx = c.htlc.lockTx(s)
    await (await helper.getFunction('execute').send(c.htlc.address, tx.data, { value: tx.value })).wait()
  }
  await (await helper.getFunction('arm').send(c.htlc.address, c.htlc.refundTx(swap).data)).wait()
  await mineAt(c.env.provider, swap.deadline)
  await c.htlc.refund(swap)
  t.deepEqual(await attackOutcome(helper), { attempted: true, succeeded: false, error: 'NotLocked' })
  t.is(await c.env.provider.getBalance(receiver), AMOUNT)
  t.is(await c.htlc.state(twin), 'locked')
})
