import bcoin, { type Chain, type Coin, type Mempool, type TX } from 'bcoin'

/** Bitcoin Core's ScriptErrorString texts (src/script/script_error.cpp), keyed by bcoin's ScriptError codes. */
const CORE_SCRIPT_ERRORS: Readonly<Record<string, string>> = {
  EVAL_FALSE: 'Script evaluated without error but finished with a false/empty top stack element',
  VERIFY: 'Script failed an OP_VERIFY operation',
  EQUALVERIFY: 'Script failed an OP_EQUALVERIFY operation',
  CHECKMULTISIGVERIFY: 'Script failed an OP_CHECKMULTISIGVERIFY operation',
  CHECKSIGVERIFY: 'Script failed an OP_CHECKSIGVERIFY operation',
  NUMEQUALVERIFY: 'Script failed an OP_NUMEQUALVERIFY operation',
  SCRIPT_SIZE: 'Script is too big',
  PUSH_SIZE: 'Push value size limit exceeded',
  OP_COUNT: 'Operation limit exceeded',
  STACK_SIZE: 'Stack size limit exceeded',
  SIG_COUNT: 'Signature count negative or greater than pubkey count',
  PUBKEY_COUNT: 'Pubkey count negative or limit exceeded',
  BAD_OPCODE: 'Opcode missing or not understood',
  DISABLED_OPCODE: 'Attempted to use a disabled opcode',
  INVALID_STACK_OPERATION: 'Operation not valid with the current stack size',
  INVALID_ALTSTACK_OPERATION: 'Operation not valid with the current altstack size',
  OP_RETURN: 'OP_RETURN was encountered',
  UNBALANCED_CONDITIONAL: 'Invalid OP_IF construction',
  NEGATIVE_LOCKTIME: 'Negative locktime',
  UNSATISFIED_LOCKTIME: 'Locktime requirement not satisfied',
  SIG_HASHTYPE: 'Signature hash type missing or not understood',
  SIG_DER: 'Non-canonical DER signature',
  MINIMALDATA: 'Data push larger than necessary',
  SIG_PUSHONLY: 'Only push operators allowed in signatures',
  SIG_HIGH_S: 'Non-canonical signature: S value is unnecessarily high',
  SIG_NULLDUMMY: 'Dummy CHECKMULTISIG argument must be zero',
  MINIMALIF: 'OP_IF/NOTIF argument must be minimal',
  NULLFAIL: 'Signature must be zero for failed CHECK(MULTI)SIG operation',
  DISCOURAGE_UPGRADABLE_NOPS: 'NOPx reserved for soft-fork upgrades',
  DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM: 'Witness version reserved for soft-fork upgrades',
  PUBKEYTYPE: 'Public key is neither compressed or uncompressed',
  CLEANSTACK: 'Stack size must be exactly one after execution',
  WITNESS_PROGRAM_WRONG_LENGTH: 'Witness program has incorrect length',
  WITNESS_PROGRAM_WITNESS_EMPTY: 'Witness program was passed an empty witness',
  WITNESS_PROGRAM_MISMATCH: 'Witness program hash mismatch',
  WITNESS_MALLEATED: 'Witness requires empty scriptSig',
  WITNESS_UNEXPECTED: 'Witness provided for non-witness script',
  WITNESS_PUBKEYTYPE: 'Using non-compressed keys in segwit',
}

/**
 * Core's reject reason for a script failure, e.g. "mandatory-script-verify-flag-failed (Script failed an
 * OP_EQUALVERIFY operation)". bcoin only says "mandatory-script-verify-flag" and classifies by its own
 * mandatory set (P2SH only), so the failing input is re-run here against Core's sets: consensus flags
 * (P2SH, DERSIG, NULLDUMMY, CLTV, CSV, WITNESS) first, then bcoin's standard flags. Null when no input fails
 * (the caller keeps bcoin's reason).
 */
export async function coreScriptRejectReason(tx: TX, mempool: Mempool, chain: Chain): Promise<string | null> {
  const { flags } = bcoin.Script
  const mandatory =
    flags.VERIFY_P2SH |
    flags.VERIFY_DERSIG |
    flags.VERIFY_NULLDUMMY |
    flags.VERIFY_CHECKLOCKTIMEVERIFY |
    flags.VERIFY_CHECKSEQUENCEVERIFY |
    flags.VERIFY_WITNESS
  for (const [index, input] of tx.inputs.entries()) {
    const { hash, index: vout } = input.prevout
    const coin = mempool.getCoin(hash, vout) ?? (await chain.getCoin(hash, vout))
    if (coin === null) continue
    const mandatoryError = scriptError(tx, index, coin, mandatory)
    if (mandatoryError !== null) return `mandatory-script-verify-flag-failed (${mandatoryError})`
    const standardError = scriptError(tx, index, coin, flags.STANDARD_VERIFY_FLAGS)
    if (standardError !== null) return `non-mandatory-script-verify-flag (${standardError})`
  }
  return null
}

function scriptError(tx: TX, index: number, coin: Coin, verifyFlags: number): string | null {
  try {
    tx.checkInput(index, coin, verifyFlags)
    return null
  } catch (error) {
    const { type, code, message } = error as { type?: unknown; code?: unknown; message?: unknown }
    if (type !== 'ScriptError') throw error
    return CORE_SCRIPT_ERRORS[String(code)] ?? String(message)
  }
}
