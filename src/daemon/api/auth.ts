import { randomBytes, timingSafeEqual } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'

/** The user name of the cookie credential, as bitcoind writes it. */
export const COOKIE_USER = '__cookie__'

/**
 * bitcoind-style cookie authentication: a random secret per daemon run, written to a file only the user
 * can read, sent back as HTTP Basic `__cookie__:<secret>`. Removed when the daemon stops.
 */
export class Cookie {
  readonly path: string
  readonly secret = randomBytes(32).toString('hex')
  readonly #expected: Buffer
  #written = false

  constructor(path: string) {
    this.path = path
    this.#expected = Buffer.from(`Basic ${Buffer.from(`${COOKIE_USER}:${this.secret}`).toString('base64')}`)
  }

  async write(): Promise<void> {
    // Removed first: writeFile keeps the mode of an existing file, and an old one may be readable by others.
    await rm(this.path, { force: true })
    await writeFile(this.path, `${COOKIE_USER}:${this.secret}`, { mode: 0o600, flag: 'wx' })
    this.#written = true
  }

  /** Removes the file if this instance wrote it (never another daemon's). */
  async remove(): Promise<void> {
    if (!this.#written) return
    this.#written = false
    await rm(this.path, { force: true })
  }

  /** Whether the request carries the cookie (constant time). */
  accepts(request: IncomingMessage): boolean {
    const given = Buffer.from(request.headers.authorization ?? '')
    return given.length === this.#expected.length && timingSafeEqual(given, this.#expected)
  }
}

/**
 * Why a request must be refused before anything else (DNS rebinding, browsers), or null: the Host header
 * must name this loopback port, and no Origin header may be present (no web page may call the API).
 */
export function originProblem(request: IncomingMessage, port: number): string | null {
  if (request.headers.origin !== undefined) return 'requests from web pages (an Origin header) are refused'
  const host = request.headers.host
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return `Host must be 127.0.0.1:${port} or localhost:${port}`
  }
  return null
}
