import Output from 'bcoin/lib/primitives/output.js'
import TX from 'bcoin/lib/primitives/tx.js'
import Script from 'bcoin/lib/script/script.js'

/**
 * Runs input `inputIndex` of `txHex` through bcoin's consensus script interpreter with Bitcoin Core's standard
 * verification flags, against the output it spends. Returns null when the spend is valid, else the interpreter's
 * error code (e.g. 'EVAL_FALSE', 'UNSATISFIED_LOCKTIME').
 */
export function scriptError(
  txHex: string,
  spent: { scriptPubKey: Uint8Array; value: bigint },
  inputIndex = 0,
): string | null {
  const tx = TX.fromRaw(Buffer.from(txHex, 'hex'))
  const coin = Output.fromScript(Script.fromRaw(Buffer.from(spent.scriptPubKey)), Number(spent.value))
  try {
    tx.checkInput(inputIndex, coin, Script.flags.STANDARD_VERIFY_FLAGS)
    return null
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string') throw error
    return code
  }
}
