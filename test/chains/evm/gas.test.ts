import test from 'ava'
import { measureEvmGas } from '../../../bench/htlc-evm.js'
import { Anvil } from '../../../regtest/anvil.js'

// The product competes on gas: these are the ceilings, measured as bench/htlc-evm.ts does.
const CEILINGS = {
  ethLockGas: 47_700n,
  ethClaimGas: 32_600n,
  ethRefundGas: 31_700n,
  erc20LockGas: 70_600n,
  erc20ClaimGas: 42_200n,
} as const

test('HTLC gas stays under the ceilings', async (t) => {
  const anvil = new Anvil()
  t.teardown(() => anvil.close())
  await anvil.ready()
  const gas = await measureEvmGas(anvil.rpcUrl)
  t.log(
    Object.entries(gas)
      .map(([name, value]) => `${name} ${value}`)
      .join(', '),
  )
  for (const [name, ceiling] of Object.entries(CEILINGS)) {
    const measured = gas[name as keyof typeof CEILINGS]
    t.true(measured <= ceiling, `${name} ${measured} > ${ceiling}`)
  }
})
