// Typed shim for the parts of hypercore-crypto the project uses (ed25519 via sodium; the package ships no types).
declare module 'hypercore-crypto' {
  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }
  const crypto: {
    /** A fresh ed25519 key pair, or the one derived from a 32-byte seed. */
    keyPair(seed?: Uint8Array): KeyPair
    sign(message: Uint8Array, secretKey: Uint8Array): Buffer
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
  }
  export default crypto
}
