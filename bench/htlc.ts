import { RegtestEnv } from '../regtest/env.js'
import { runHtlcRoundTrip } from '../regtest/htlc-round-trip.js'
import { measureEvmGas } from './htlc-evm.js'

export interface BenchReport {
  /** Measured figures, by name; numbers or decimal strings only. */
  figures: Record<string, number | string>
  /** Upper bounds per figure name. */
  goals: Record<string, number>
  withinGoals: boolean
  table: string
}

/** Issue #2's goals: at or near the physical floor of each chain. */
const GOALS: Record<string, number> = {
  ethLockGas: 47_700,
  ethClaimGas: 32_600,
  ethRefundGas: 31_700,
  erc20LockGas: 70_600,
  erc20ClaimGas: 42_200,
  btcClaimVbytes: 136,
  btcRefundVbytes: 128,
}

/**
 * Gas of every EVM HTLC call (on a fresh deployment in the conditions the goals state) and the sizes of the
 * Bitcoin HTLC's lock, claim and refund as mined by the regtest node, all measured in this run.
 */
export async function htlcBenchmark(): Promise<BenchReport> {
  const env = new RegtestEnv({ ports: 'free' })
  try {
    await env.ready()
    const gas = await measureEvmGas(env.endpoints.evm.rpcUrl)
    const roundTrip = await runHtlcRoundTrip(
      env.endpoints,
      env.control,
      { btc: 10_000_000n, eth: 10n ** 18n, token: 10n ** 18n },
      () => {},
    )
    const figures: Record<string, number> = {
      ethLockGas: Number(gas.ethLockGas),
      ethClaimGas: Number(gas.ethClaimGas),
      ethRefundGas: Number(gas.ethRefundGas),
      erc20LockGas: Number(gas.erc20LockGas),
      erc20ClaimGas: Number(gas.erc20ClaimGas),
      erc20RefundGas: Number(gas.erc20RefundGas),
      btcFundVbytes: roundTrip.btcVbytes.lock,
      btcClaimVbytes: roundTrip.btcVbytes.claim,
      btcRefundVbytes: roundTrip.btcVbytes.refund,
    }
    const withinGoals = Object.entries(GOALS).every(([name, goal]) => (figures[name] ?? Infinity) <= goal)
    return { figures, goals: GOALS, withinGoals, table: table(figures) }
  } finally {
    await env.close()
  }
}

function table(figures: Record<string, number>): string {
  const rows = Object.entries(figures).map(([name, value]) => {
    const goal = GOALS[name]
    const verdict = goal === undefined ? '' : value <= goal ? `<= ${goal}  ok` : `> ${goal}  MISSED`
    return `${name.padEnd(16)} ${String(value).padStart(8)}  ${verdict}`
  })
  return ['figure              measured  goal', ...rows].join('\n')
}
