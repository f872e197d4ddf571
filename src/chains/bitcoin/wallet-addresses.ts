/**
 * The wallet's watched P2WPKH scripts. For each branch (receive, change) it derives every index below
 * `max(highest used + 1, next to hand out) + gapLimit`, so a restore from the seed finds every coin as
 * long as no more than `gapLimit` consecutive addresses were handed out and left unused (BIP44's rule).
 */
import { type AddressBranch, type Bip84Account, CHANGE_BRANCH, RECEIVE_BRANCH } from './wallet-keys.js'

export interface OwnedScript {
  branch: AddressBranch
  index: number
  address: string
  script: Uint8Array
}

interface BranchState {
  /** Indexes below this are derived and watched. */
  derived: number
  /** Next index `next()` hands out. */
  nextFresh: number
}

export class AddressBook {
  private readonly byScript = new Map<string, OwnedScript>()
  private readonly branches: Record<AddressBranch, BranchState> = {
    [RECEIVE_BRANCH]: { derived: 0, nextFresh: 0 },
    [CHANGE_BRANCH]: { derived: 0, nextFresh: 0 },
  }

  constructor(
    private readonly account: Bip84Account,
    private readonly gapLimit: number,
  ) {
    this.extend(RECEIVE_BRANCH)
    this.extend(CHANGE_BRANCH)
  }

  /** The wallet key behind a scriptPubKey, if it is one of the watched scripts. */
  lookup(script: Uint8Array): OwnedScript | undefined {
    return this.byScript.get(Buffer.from(script).toString('hex'))
  }

  /** Records that an address received coins, so no later `next()` returns it and the window moves on. */
  markUsed(owned: OwnedScript): void {
    const state = this.branches[owned.branch]
    state.nextFresh = Math.max(state.nextFresh, owned.index + 1)
    this.extend(owned.branch)
  }

  /** A fresh address of the branch: never handed out before by this instance and never seen on chain. */
  next(branch: AddressBranch): OwnedScript {
    const fresh = this.peek(branch)
    this.markUsed(fresh)
    return fresh
  }

  /** The address `next()` would return, without handing it out. */
  peek(branch: AddressBranch): OwnedScript {
    return this.get(branch, this.branches[branch].nextFresh)
  }

  /** The watched entry for a derived index (deriving it, without watching, if beyond the window). */
  get(branch: AddressBranch, index: number): OwnedScript {
    const script = this.account.script(branch, index)
    return (
      this.byScript.get(Buffer.from(script).toString('hex')) ?? {
        branch,
        index,
        script,
        address: this.account.address(branch, index),
      }
    )
  }

  private extend(branch: AddressBranch): void {
    const state = this.branches[branch]
    for (; state.derived < state.nextFresh + this.gapLimit; state.derived++) {
      const index = state.derived
      const script = this.account.script(branch, index)
      this.byScript.set(Buffer.from(script).toString('hex'), {
        branch,
        index,
        script,
        address: this.account.address(branch, index),
      })
    }
  }
}
