import { RegtestEnv } from '../regtest/env.js'

/**
 * Runs a RegtestEnv on free ports in its own process, as a real trader's chains run apart from its daemon:
 * prints the endpoints as one JSON line once ready, and closes everything when stdin ends (the parent is done
 * or gone).
 */
const env = new RegtestEnv({ ports: 'free' })
process.stdin.resume()
process.stdin.on('end', () => {
  void env.close().finally(() => process.exit(0))
})
await env.ready()
process.stdout.write(`${JSON.stringify(env.endpoints)}\n`)
