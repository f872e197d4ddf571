import test from 'ava'
import { Contract, toBeHex, ZeroAddress } from 'ethers'
import { loadArtifact } from '../../../src/chains/evm/artifacts.js'
import { EvmHtlc } from '../../../src/chains/evm/htlc.js'
import { type EvmSwapTerms, swapKey } from '../../../src/chains/evm/terms.js'
import { Erc20 } from '../../../src/chains/evm/token.js'
import { isSwarmswapError } from '../../../src/errors.js'
import fixtures from '../../fixtures/evm/swap-key.json' with { type: 'json' }
import { revertTo, snapshot, startEvm } from './evm-env.js'

interface FixtureTerms {
  sender: string
  recipient: string
  token: string
  amount: string
  hashlock: string
  deadline: string
}

function toTerms(terms: FixtureTerms): EvmSwapTerms {
  return { ...terms, amount: BigInt(terms.amount), deadline: BigInt(terms.deadline) }
}

for (const fixture of fixtures.valid) {
  test(`swapKey: ${fixture.description}`, (t) => {
    t.is(swapKey(toTerms(fixture.terms)), fixture.key)
  })
}

for (const fixture of fixtures.invalid) {
  test(`swapKey rejects: ${fixture.description}`, (t) => {
    const error = t.throws(() => swapKey(toTerms(fixture.terms)))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
    t.is(isSwarmswapError(error) ? error.details.field : undefined, fixture.field)
  })
}

// The contract's own key: lock every valid fixture for real (impersonating its sender, with TestToken code
// placed at its token address) and read the slot the fixture's key names.
test('the contract stores each valid fixture under the fixture key', async (t) => {
  const env = await startEvm()
  t.teardown(() => env.close())
  const { provider } = env
  const [deployer] = env.accounts
  if (deployer === undefined) return t.fail('no account')
  const htlc = await EvmHtlc.deploy(deployer)
  const reader = new Contract(htlc.address, loadArtifact('HTLC').abi, provider)
  for (const fixture of fixtures.valid) {
    const terms = toTerms(fixture.terms)
    const id = await snapshot(provider)
    await provider.send('anvil_impersonateAccount', [terms.sender])
    await provider.send('anvil_setBalance', [terms.sender, toBeHex(terms.amount + 10n ** 18n)])
    const sender = await provider.getSigner(terms.sender)
    if (terms.token !== ZeroAddress) {
      await provider.send('anvil_setCode', [terms.token, loadArtifact('TestToken').deployedBytecode])
      await new Erc20(terms.token, deployer).mint(terms.sender, terms.amount)
      await new Erc20(terms.token, sender).approve(htlc.address, terms.amount)
    }
    const { blockNumber } = await new EvmHtlc(htlc.address, sender).lock(terms)
    t.is(
      await reader.getFunction('lockedAt').staticCall(fixture.key),
      BigInt(blockNumber),
      fixture.description,
    )
    await revertTo(provider, id)
  }
})
