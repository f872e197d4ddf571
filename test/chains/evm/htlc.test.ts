import anyTest, { type TestFn } from 'ava'
import { Interface, type JsonRpcSigner, sha256, ZeroAddress } from 'ethers'
import { auditEvmLock } from '../../../src/chains/evm/audit.js'
import { EvmHtlc } from '../../../src/chains/evm/htlc.js'
import { type EvmSwapTerms, packRecipientAndDeadline } from '../../../src/chains/evm/terms.js'
import { deployTestToken, Erc20 } from '../../../src/chains/evm/token.js'
import { isSwarmswapError } from '../../../src/errors.js'
import {
  chainTime,
  type EvmEnv,
  feePaid,
  isolateEachTest,
  mineAt,
  newSecret,
  nextBlockAt,
  startEvm,
} from './evm-env.js'

interface Context {
  env: EvmEnv
  sender: JsonRpcSigner
  recipient: JsonRpcSigner
  thirdParty: JsonRpcSigner
  /** The HTLC as seen by each party (same contract, different signer). */
  htlc: { sender: EvmHtlc; recipient: EvmHtlc; thirdParty: EvmHtlc }
  token: Erc20
  snapshotId: string
}

const test = anyTest as TestFn<Context>
const AMOUNT = 10n ** 18n

test.before(async (t) => {
  const env = await startEvm()
  const [sender, recipient, thirdParty] = env.accounts as [JsonRpcSigner, JsonRpcSigner, JsonRpcSigner]
  const htlc = await EvmHtlc.deploy(sender)
  const token = await deployTestToken(sender)
  await token.mint(sender.address, 10n ** 24n)
  t.context = {
    env,
    sender,
    recipient,
    thirdParty,
    htlc: {
      sender: htlc,
      recipient: new EvmHtlc(htlc.address, recipient),
      thirdParty: new EvmHtlc(htlc.address, thirdParty),
    },
    token,
    snapshotId: '',
  }
})

isolateEachTest(test)

type Asset = 'ETH' | 'ERC-20'
const assets: Asset[] = ['ETH', 'ERC-20']

async function newTerms(c: Context, asset: Asset, hashlock: string, ttl = 3600n): Promise<EvmSwapTerms> {
  return {
    sender: c.sender.address,
    recipient: c.recipient.address,
    token: asset === 'ETH' ? ZeroAddress : c.token.address,
    amount: AMOUNT,
    hashlock,
    deadline: (await chainTime(c.env.provider)) + ttl,
  }
}

/** Approves the HTLC for ERC-20 terms, then locks from the sender. */
async function lock(c: Context, terms: EvmSwapTerms): Promise<void> {
  if (terms.token !== ZeroAddress)
    await new Erc20(terms.token, c.sender).approve(c.htlc.sender.address, terms.amount)
  await c.htlc.sender.lock(terms)
}

async function balance(c: Context, terms: EvmSwapTerms, owner: string): Promise<bigint> {
  return terms.token === ZeroAddress ? await c.env.provider.getBalance(owner) : await c.token.balanceOf(owner)
}

async function rejects(
  t: { true(value: boolean, message?: string): void; is(a: unknown, b: unknown): void },
  promise: Promise<unknown>,
  errorName: string,
): Promise<void> {
  try {
    await promise
    t.true(false, `expected a revert with ${errorName}`)
  } catch (error) {
    t.true(isSwarmswapError(error, 'CONTRACT_REVERT'), String(error))
    if (isSwarmswapError(error)) t.is(error.details.errorName, errorName)
  }
}

for (const asset of assets) {
  test.serial(`${asset}: a claim with the right preimage pays the recipient exactly`, async (t) => {
    const c = t.context
    const secret = newSecret()
    const terms = await newTerms(c, asset, secret.hashlock)
    await lock(c, terms)
    t.is(await c.htlc.sender.state(terms), 'locked')
    const before = await balance(c, terms, c.recipient.address)
    const htlcBefore = await balance(c, terms, c.htlc.sender.address)
    const result = await c.htlc.recipient.claim(terms, secret.preimage)
    const gas = asset === 'ETH' ? await feePaid(c.env.provider, result.txHash) : 0n
    t.is(await balance(c, terms, c.recipient.address), before + AMOUNT - gas)
    t.is(await balance(c, terms, c.htlc.sender.address), htlcBefore - AMOUNT)
    t.is(await c.htlc.sender.state(terms), 'claimed')
    const [claim, ...more] = await c.htlc.sender.findClaimed(secret.hashlock)
    t.is(more.length, 0)
    t.is(claim?.preimage, secret.preimage)
    t.is(claim?.txHash, result.txHash)
  })

  test.serial(`${asset}: a claim by a third party pays the recipient, not the caller`, async (t) => {
    const c = t.context
    const secret = newSecret()
    const terms = await newTerms(c, asset, secret.hashlock)
    await lock(c, terms)
    const recipientBefore = await balance(c, terms, c.recipient.address)
    const callerBefore = await c.env.provider.getBalance(c.thirdParty.address)
    const callerTokensBefore = await c.token.balanceOf(c.thirdParty.address)
    const result = await c.htlc.thirdParty.claim(terms, secret.preimage)
    t.is(await balance(c, terms, c.recipient.address), recipientBefore + AMOUNT)
    const fee = await feePaid(c.env.provider, result.txHash)
    t.is(await c.env.provider.getBalance(c.thirdParty.address), callerBefore - fee)
    t.is(await c.token.balanceOf(c.thirdParty.address), callerTokensBefore)
  })

  test.serial(`${asset}: a wrong preimage is rejected`, async (t) => {
    const c = t.context
    const terms = await newTerms(c, asset, newSecret().hashlock)
    await lock(c, terms)
    await rejects(t, c.htlc.recipient.claim(terms, newSecret().preimage), 'NotLocked')
    t.is(await c.htlc.sender.state(terms), 'locked')
  })

  test.serial(
    `${asset}: refund before the deadline is rejected, at the deadline it pays the sender`,
    async (t) => {
      const c = t.context
      const terms = await newTerms(c, asset, newSecret().hashlock)
      await lock(c, terms)
      await nextBlockAt(c.env.provider, terms.deadline - 1n)
      await rejects(t, c.htlc.sender.refund(terms), 'DeadlineNotReached')
      const before = await balance(c, terms, c.sender.address)
      await nextBlockAt(c.env.provider, terms.deadline)
      const result = await c.htlc.sender.refund(terms)
      const gas = asset === 'ETH' ? await feePaid(c.env.provider, result.txHash) : 0n
      t.is(await balance(c, terms, c.sender.address), before + AMOUNT - gas)
      t.is(await c.htlc.sender.state(terms), 'refunded')
      t.deepEqual(
        (await c.htlc.sender.findRefunded(terms.hashlock)).map((r) => r.txHash),
        [result.txHash],
      )
    },
  )

  test.serial(`${asset}: a refund sent by a third party pays the sender`, async (t) => {
    const c = t.context
    const terms = await newTerms(c, asset, newSecret().hashlock)
    await lock(c, terms)
    await mineAt(c.env.provider, terms.deadline)
    const before = await balance(c, terms, c.sender.address)
    await c.htlc.thirdParty.refund(terms)
    t.is(await balance(c, terms, c.sender.address), before + AMOUNT)
  })

  test.serial(`${asset}: double claim, claim after refund and refund after claim are rejected`, async (t) => {
    const c = t.context
    const claimed = newSecret()
    const claimedTerms = await newTerms(c, asset, claimed.hashlock)
    await lock(c, claimedTerms)
    await c.htlc.recipient.claim(claimedTerms, claimed.preimage)
    await rejects(t, c.htlc.recipient.claim(claimedTerms, claimed.preimage), 'NotLocked')
    await mineAt(c.env.provider, claimedTerms.deadline)
    await rejects(t, c.htlc.sender.refund(claimedTerms), 'NotLocked')

    const refunded = newSecret()
    const refundedTerms = await newTerms(c, asset, refunded.hashlock)
    await lock(c, refundedTerms)
    await mineAt(c.env.provider, refundedTerms.deadline)
    await c.htlc.sender.refund(refundedTerms)
    await rejects(t, c.htlc.recipient.claim(refundedTerms, refunded.preimage), 'NotLocked')
    await rejects(t, c.htlc.sender.refund(refundedTerms), 'NotLocked')
  })

  test.serial(`${asset}: a claim after the deadline still works until the swap is refunded`, async (t) => {
    const c = t.context
    const secret = newSecret()
    const terms = await newTerms(c, asset, secret.hashlock)
    await lock(c, terms)
    await mineAt(c.env.provider, terms.deadline + 60n)
    await c.htlc.recipient.claim(terms, secret.preimage)
    t.is(await c.htlc.sender.state(terms), 'claimed')
  })

  test.serial(`${asset}: re-locking identical live terms is rejected`, async (t) => {
    const c = t.context
    const terms = await newTerms(c, asset, newSecret().hashlock)
    await lock(c, terms)
    await rejects(t, lock(c, terms), 'AlreadyLocked')
  })

  test.serial(
    `${asset}: locks with a zero amount, a zero recipient or a deadline not in the future are rejected`,
    async (t) => {
      const c = t.context
      const iface = c.htlc.sender.interface
      if (asset === 'ERC-20') await c.token.approve(c.htlc.sender.address, 10n ** 20n)
      const at = (await chainTime(c.env.provider)) + 100n
      // Raw calldata, because the wrapper itself refuses zero amounts and recipients before sending.
      const lockAt = async (patch: Partial<EvmSwapTerms>): Promise<string | undefined> => {
        const bad = { ...(await newTerms(c, asset, newSecret().hashlock)), ...patch }
        const word = (bad.deadline << 160n) | BigInt(bad.recipient)
        const tx =
          bad.token === ZeroAddress
            ? { data: iface.encodeFunctionData('lock', [word, bad.hashlock]), value: bad.amount }
            : { data: iface.encodeFunctionData('lockToken', [word, bad.token, bad.amount, bad.hashlock]) }
        await nextBlockAt(c.env.provider, at)
        try {
          await (await c.sender.sendTransaction({ to: c.htlc.sender.address, ...tx })).wait()
          return undefined
        } catch (error) {
          return iface.parseError((error as { data: string }).data)?.name ?? String(error)
        }
      }
      t.is(await lockAt({ amount: 0n }), 'ZeroAmount')
      t.is(await lockAt({ recipient: ZeroAddress }), 'ZeroRecipient')
      t.is(await lockAt({ deadline: at }), 'DeadlineInPast')
      t.is(await lockAt({ deadline: at - 1000n }), 'DeadlineInPast')
      t.is(await lockAt({ deadline: at + 1n }), undefined) // the same call with a future deadline succeeds
    },
  )

  test.serial(`${asset}: findLocked returns every term and the audit accepts it`, async (t) => {
    const c = t.context
    const terms = await newTerms(c, asset, newSecret().hashlock)
    await lock(c, terms)
    const [found, ...more] = await c.htlc.recipient.findLocked(terms.hashlock)
    t.is(more.length, 0)
    if (found === undefined) return t.fail('lock not found')
    t.deepEqual(found.terms, { ...terms, hashlock: terms.hashlock.toLowerCase() })
    t.is(found.lockedAt, BigInt(found.blockNumber))
    const currentBlock = await c.env.provider.getBlockNumber()
    const audit = auditEvmLock(found, terms, {
      contractAddress: c.htlc.sender.address,
      minConfirmations: 1,
      currentBlock,
    })
    t.deepEqual(audit, { confirmations: 1 })
    const deeper = t.throws(() =>
      auditEvmLock(found, terms, {
        contractAddress: c.htlc.sender.address,
        minConfirmations: 2,
        currentBlock,
      }),
    )
    t.is(isSwarmswapError(deeper, 'AUDIT_FAILED') ? deeper.details.field : undefined, 'confirmations')
  })
}

test.serial('state is empty before the lock; an audit of a claimed lock fails on state', async (t) => {
  const c = t.context
  const secret = newSecret()
  const terms = await newTerms(c, 'ETH', secret.hashlock)
  t.is(await c.htlc.sender.state(terms), 'empty')
  t.deepEqual(await c.htlc.sender.findLocked(terms.hashlock), [])
  await lock(c, terms)
  await c.htlc.recipient.claim(terms, secret.preimage)
  const [found] = await c.htlc.sender.findLocked(terms.hashlock)
  if (found === undefined) return t.fail('lock not found')
  const currentBlock = await c.env.provider.getBlockNumber()
  const error = t.throws(() =>
    auditEvmLock(found, terms, { contractAddress: c.htlc.sender.address, minConfirmations: 1, currentBlock }),
  )
  t.is(isSwarmswapError(error, 'AUDIT_FAILED') ? error.details.field : undefined, 'state')
})

test.serial(
  'identical terms can be locked again after a claim, and claimed only to the recipient',
  async (t) => {
    const c = t.context
    const secret = newSecret()
    const terms = await newTerms(c, 'ETH', secret.hashlock)
    await lock(c, terms)
    await c.htlc.recipient.claim(terms, secret.preimage)
    await lock(c, terms)
    const before = await c.env.provider.getBalance(c.recipient.address)
    await c.htlc.thirdParty.claim(terms, secret.preimage)
    t.is(await c.env.provider.getBalance(c.recipient.address), before + AMOUNT)
  },
)

test.serial('only an exact 32-byte preimage whose sha256 is the hashlock can claim', async (t) => {
  const c = t.context
  const iface = c.htlc.sender.interface
  for (const size of [31, 33]) {
    const odd = `0x${'ab'.repeat(size)}`
    const terms = await newTerms(c, 'ETH', sha256(odd))
    await lock(c, terms)
    const { data } = c.htlc.sender.claimTx(terms, `0x${'00'.repeat(32)}`)
    if (typeof data !== 'string') return t.fail('no calldata')
    const head = data.slice(0, -64) // everything but the bytes32 preimage word
    const attempts = [
      `${head}${odd.slice(2)}`, // the raw 31/33-byte value where the ABI carries bytes32
      `${head}${odd.slice(2).padEnd(64, '0').slice(0, 64)}`, // right-padded or cut to 32 bytes
      `${head}${odd.slice(2).padStart(64, '0').slice(-64)}`, // left-padded or cut to 32 bytes
    ]
    for (const attempt of attempts) {
      const error = await c.recipient.sendTransaction({ to: c.htlc.sender.address, data: attempt }).then(
        () => undefined,
        (e: unknown) => e,
      )
      t.truthy(error, `${size}-byte preimage attempt was accepted`)
    }
    t.is(await c.htlc.sender.state(terms), 'locked')
    t.throws(() => c.htlc.sender.claimTx(terms, odd), { message: /exactly 32 bytes/ })
    // The decoded error of the padded attempts is NotLocked: the hash of 32 bytes does not match.
    const padded = attempts[1] ?? ''
    const reverted = await c.env.provider
      .call({ to: c.htlc.sender.address, data: padded })
      .catch((e: unknown) => e)
    t.is(iface.parseError((reverted as { data: string }).data)?.name, 'NotLocked')
  }
})

test.serial('claim and refund refuse ETH sent along; unknown selectors revert', async (t) => {
  const c = t.context
  const secret = newSecret()
  const terms = await newTerms(c, 'ETH', secret.hashlock)
  await lock(c, terms)
  const claim = c.htlc.sender.claimTx(terms, secret.preimage)
  await t.throwsAsync(c.recipient.sendTransaction({ ...claim, value: 1n }))
  await t.throwsAsync(c.recipient.sendTransaction({ to: c.htlc.sender.address, value: 1n }))
  await t.throwsAsync(c.recipient.sendTransaction({ to: c.htlc.sender.address, data: '0xdeadbeef' }))
  t.is(await c.htlc.sender.state(terms), 'locked')
})

test.serial('lock refuses a signer that is not the sender of the terms', async (t) => {
  const c = t.context
  const terms = await newTerms(c, 'ETH', newSecret().hashlock)
  await t.throwsAsync(c.htlc.recipient.lock(terms), { message: /is not the signer/ })
})

test.serial('ERC-20: a lock without allowance or with a token address without code fails', async (t) => {
  const c = t.context
  const terms = await newTerms(c, 'ERC-20', newSecret().hashlock)
  await rejects(t, c.htlc.sender.lock(terms), 'TransferFailed')
  await rejects(t, c.htlc.sender.lock({ ...terms, token: c.thirdParty.address }), 'TransferFailed')
  t.is(await c.htlc.sender.state(terms), 'empty')
})

test.serial('lockTx packs recipient and deadline into one word', (t) => {
  const terms = {
    sender: ZeroAddress,
    recipient: '0x00000000000000000000000000000000000000aa',
    token: ZeroAddress,
    amount: 1n,
    hashlock: `0x${'11'.repeat(32)}`,
    deadline: 0x1234n,
  }
  t.is(packRecipientAndDeadline(terms), (0x1234n << 160n) | 0xaan)
  const htlc = new EvmHtlc(ZeroAddress, t.context.env.provider)
  const decoded = new Interface(htlc.interface.fragments).decodeFunctionData(
    'lock',
    String(htlc.lockTx(terms).data),
  )
  t.is(decoded[0], (0x1234n << 160n) | 0xaan)
})
