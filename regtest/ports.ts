import { createServer } from 'node:net'

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. The OS picks it, so parallel test files and
 * helpers do not collide on hard-coded ports; the tiny race until the caller binds it is accepted.
 */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not read the bound port'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
