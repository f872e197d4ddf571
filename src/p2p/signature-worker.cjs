// Worker thread of SignatureVerifier (signature-verifier.ts): verifies batches of ed25519 signatures with
// sodium, off the event loop that handles the sockets. Plain CommonJS so it needs no loader.
const { parentPort } = require('node:worker_threads')
const sodium = require('sodium-native')

const view = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

parentPort.on('message', ({ id, checks }) => {
  const results = checks.map(({ message, signature, publicKey }) => {
    try {
      return sodium.crypto_sign_verify_detached(view(signature), view(message), view(publicKey))
    } catch {
      return false
    }
  })
  parentPort.postMessage({ id, results })
})
