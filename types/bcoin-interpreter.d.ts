/**
 * bcoin 1.0.2's consensus script interpreter, imported by deep path so tests can run real Bitcoin script
 * verification without a node. (The node wrapper's shim is types/bcoin.d.ts.)
 */
declare module 'bcoin/lib/script/script.js' {
  interface Script {
    toASM(): string
  }
  const Script: {
    fromRaw(data: Buffer): Script
    flags: { STANDARD_VERIFY_FLAGS: number }
  }
  export default Script
}

declare module 'bcoin/lib/primitives/output.js' {
  import type Script from 'bcoin/lib/script/script.js'

  interface Output {
    value: number
    script: Script
  }
  const Output: {
    fromScript(script: Script, value: number): Output
  }
  export default Output
}

declare module 'bcoin/lib/primitives/tx.js' {
  import type Output from 'bcoin/lib/primitives/output.js'

  interface TX {
    /** Runs the input's scripts against the coin it spends; throws a ScriptError (`code`) when invalid. */
    checkInput(index: number, coin: Output, flags?: number): void
  }
  const TX: {
    fromRaw(data: Buffer): TX
  }
  export default TX
}
