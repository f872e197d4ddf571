import { z } from 'zod'
import type { TradingNodeOptions } from '../../src/daemon/trading-node.js'
import { SWAP_STATUSES } from '../../src/swap/types.js'

/**
 * What the crash tests and test/helpers/trader-child.ts say to each other: the child's configuration (one JSON
 * argument), commands (JSON lines on its stdin) and reports (JSON lines on its stdout). Amounts are decimal
 * strings, as in every JSON of the project.
 */

const role = z.enum(['maker', 'taker'])
const status = z.enum(SWAP_STATUSES)
const point = z.enum(['stored', 'broadcast'])
const units = z.string().regex(/^\d+$/)

/** The child SIGKILLs itself when a swap of `role` is persisted with `status` at `point`. */
export const crashPointSchema = z.object({ role, status, point })
export type CrashPoint = z.infer<typeof crashPointSchema>

export interface ChildConfig {
  /** JSON-safe TradingNode options (no onPersisted: the child sets its own). */
  options: Omit<TradingNodeOptions, 'onPersisted'>
  crash?: CrashPoint
}

const market = z.object({
  network: z.enum(['regtest', 'testnet', 'mainnet']),
  base: z.string(),
  quote: z.string(),
})

export const childCommandSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('join'), market }),
  z.object({
    op: z.literal('place'),
    market,
    side: z.enum(['sell', 'buy']),
    amount: units,
    minFill: units,
    priceNum: units,
    priceDen: units,
    expiry: z.number().int(),
  }),
  /** Waits until the order is in the child's book, then takes `amount` base units of it. */
  z.object({ op: z.literal('take'), orderId: z.string().regex(/^[0-9a-f]{64}$/), amount: units }),
])
export type ChildCommand = z.infer<typeof childCommandSchema>

export const childReportSchema = z.discriminatedUnion('event', [
  /** The TradingNode is open; where to fund it. */
  z.object({ event: z.literal('ready'), btcAddress: z.string(), evmAddress: z.string() }),
  /** A command finished; `result`: the order id (place) or the swap id (take). */
  z.object({ event: z.literal('reply'), op: z.string(), result: z.string().optional() }),
  z.object({ event: z.literal('failed'), op: z.string(), code: z.string().optional(), message: z.string() }),
  /** A swap's stored record changed. */
  z.object({ event: z.literal('update'), id: z.string(), status }),
  /** Written just before the child SIGKILLs itself. */
  z.object({ event: z.literal('crash'), id: z.string(), status, point }),
])
export type ChildReport = z.infer<typeof childReportSchema>
