import { z } from 'zod'
import { SwarmswapError } from '../errors.js'
import type { NetworkName } from '../orderbook/types.js'

/**
 * Timelock policy (design invariant 3). Deadlines are wall-clock unix seconds fixed by the maker at
 * negotiation: the taker's lock runs `takerLockSeconds`, the maker's `makerLockSeconds` >= 2x that, so after
 * the secret appears (at the latest at the taker's deadline) the taker still has at least a whole taker
 * window to claim the maker's lock. All values are seconds.
 */
export interface TimelockPolicy {
  /** Duration of the taker's (participant's) lock, from negotiation. */
  takerLockSeconds: number
  /** Duration of the maker's (initiator's) lock, from negotiation; 2x to 2.5x takerLockSeconds. */
  makerLockSeconds: number
  /**
   * Neither party locks once less than this remains before the taker's deadline: the taker would not have
   * time for its lock to confirm and for the maker to claim it.
   */
  minTakerWindowSeconds: number
  /**
   * The maker does not reveal the secret (claim) once less than this remains before the taker's deadline,
   * so its claim confirms before the taker could refund and claim both.
   */
  makerClaimMarginSeconds: number
  /** How far offered deadlines may sit from what our own clock would have set (clock skew, latency). */
  clockToleranceSeconds: number
}

export const MAINNET_TIMELOCKS: TimelockPolicy = {
  takerLockSeconds: 12 * 3600,
  makerLockSeconds: 24 * 3600,
  minTakerWindowSeconds: 6 * 3600,
  makerClaimMarginSeconds: 3 * 3600,
  clockToleranceSeconds: 10 * 60,
}

/** Minutes, so a trial on regtest refunds in reasonable time; tests go down to seconds. */
export const REGTEST_TIMELOCKS: TimelockPolicy = {
  takerLockSeconds: 10 * 60,
  makerLockSeconds: 20 * 60,
  minTakerWindowSeconds: 5 * 60,
  makerClaimMarginSeconds: 2 * 60,
  clockToleranceSeconds: 60,
}

export function defaultTimelocks(network: NetworkName): TimelockPolicy {
  return network === 'regtest' ? REGTEST_TIMELOCKS : MAINNET_TIMELOCKS
}

const seconds = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 3600)
const policySchema = z
  .object({
    takerLockSeconds: seconds,
    makerLockSeconds: seconds,
    minTakerWindowSeconds: seconds,
    makerClaimMarginSeconds: seconds,
    clockToleranceSeconds: z.number().int().min(0).max(3600),
  })
  .strict()
  .refine((p) => p.makerLockSeconds >= 2 * p.takerLockSeconds, {
    message: 'makerLockSeconds must be at least 2x takerLockSeconds',
    path: ['makerLockSeconds'],
  })
  .refine((p) => p.minTakerWindowSeconds < p.takerLockSeconds, {
    message: 'minTakerWindowSeconds must be below takerLockSeconds',
    path: ['minTakerWindowSeconds'],
  })
  .refine((p) => p.makerClaimMarginSeconds < p.minTakerWindowSeconds, {
    message: 'makerClaimMarginSeconds must be below minTakerWindowSeconds',
    path: ['makerClaimMarginSeconds'],
  })

/** Returns the policy if it is coherent; INVALID_ARGUMENT naming the first bad field otherwise. */
export function checkTimelockPolicy(policy: TimelockPolicy): TimelockPolicy {
  const parsed = policySchema.safeParse(policy)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `timelock policy: ${issue?.path.join('.')} ${issue?.message}`,
      {
        details: { field: issue?.path.join('.') },
      },
    )
  }
  return parsed.data
}

export interface Deadlines {
  makerDeadline: number
  takerDeadline: number
}

/** The deadlines a maker offers at `now` (unix seconds). */
export function offerDeadlines(policy: TimelockPolicy, now: number): Deadlines {
  return { makerDeadline: now + policy.makerLockSeconds, takerDeadline: now + policy.takerLockSeconds }
}

/**
 * Why a taker refuses offered deadlines at `now`, or null. The taker's window must leave room to lock, not
 * exceed what it agreed to tie its funds up for, and the maker's lock must last at least twice the taker's.
 * Each bound gives clockToleranceSeconds: the maker fixed the deadlines at its own `now`, and a taker whose
 * clock (or chain tip) is a second behind sees a taker window a second longer, so without the tolerance it
 * would find the maker's lock too short for every honest offer.
 */
export function deadlineProblem(policy: TimelockPolicy, offered: Deadlines, now: number): string | null {
  const takerWindow = offered.takerDeadline - now
  const makerWindow = offered.makerDeadline - now
  if (takerWindow < policy.minTakerWindowSeconds + policy.clockToleranceSeconds)
    return 'taker-deadline-too-soon'
  if (takerWindow > policy.takerLockSeconds + policy.clockToleranceSeconds) return 'taker-deadline-too-late'
  if (makerWindow + policy.clockToleranceSeconds < 2 * takerWindow) return 'maker-deadline-too-short'
  if (makerWindow > policy.makerLockSeconds + policy.clockToleranceSeconds) return 'maker-deadline-too-late'
  return null
}

/** Whether a party may still lock at `now`: enough of the taker's window remains for the swap to finish. */
export function mayLock(policy: TimelockPolicy, takerDeadline: number, now: number): boolean {
  return takerDeadline - now >= policy.minTakerWindowSeconds
}

/** Whether the maker may still reveal the secret by claiming the taker's lock at `now`. */
export function makerMayClaim(policy: TimelockPolicy, takerDeadline: number, now: number): boolean {
  return takerDeadline - now >= policy.makerClaimMarginSeconds
}
