export { type ContractArtifact, type ContractName, loadArtifact } from './artifacts.js'
export { auditEvmLock, type EvmAuditField, type EvmAuditOptions, type EvmAuditResult } from './audit.js'
export {
  type EvmClaimFound,
  EvmHtlc,
  type EvmLockFound,
  type EvmRefundFound,
  type EvmSwapState,
  type EvmTxResult,
} from './htlc.js'
export { decodeRevert } from './revert.js'
export { type EvmSwapTerms, normalizeTerms, packRecipientAndDeadline, swapKey } from './terms.js'
export { deployContract, deployTestToken, Erc20 } from './token.js'
