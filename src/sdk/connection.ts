import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { DATADIR_FILES } from '../api/paths.js'
import { SwarmswapApiError } from './errors.js'

/** Where the daemon is and how to prove we may use it. */
export type ConnectionOptions =
  /** `cookie` is the content of the daemon's `.cookie` file (`__cookie__:<hex>`). */
  | { url: string; cookie: string }
  /** The daemon's data dir: the URL comes from its `api.json`, the credential from its `.cookie`. */
  | { datadir: string }

export interface Connection {
  /** The JSON-RPC endpoint (http://127.0.0.1:port/). */
  url: URL
  /** The WebSocket endpoint for notifications (ws://127.0.0.1:port/ws). */
  wsUrl: URL
  /** The value of the Authorization header (HTTP Basic). */
  authorization: string
}

const apiFileSchema = z.object({ url: z.url(), pid: z.number().int().optional() })

/** Resolves the URL and the credential; failures to find them are UNREACHABLE (the daemon is not running). */
export async function resolveConnection(options: ConnectionOptions): Promise<Connection> {
  if ('datadir' in options) {
    const [api, cookie] = await Promise.all([
      readDatadirFile(options.datadir, DATADIR_FILES.api),
      readDatadirFile(options.datadir, DATADIR_FILES.cookie),
    ])
    return connectionOf(parseApiFile(api, join(options.datadir, DATADIR_FILES.api)), cookie)
  }
  return connectionOf(options.url, options.cookie)
}

function connectionOf(url: string, cookie: string): Connection {
  let httpUrl: URL
  try {
    httpUrl = new URL(url)
  } catch (error) {
    throw new SwarmswapApiError('INVALID_ARGUMENT', `not a URL: ${JSON.stringify(url)}`, { cause: error })
  }
  if (httpUrl.protocol !== 'http:') {
    throw new SwarmswapApiError('INVALID_ARGUMENT', `the daemon's API is http://, got ${httpUrl.protocol}//`)
  }
  const credential = cookie.trim()
  if (!/^[^:\s]+:\S+$/.test(credential)) {
    throw new SwarmswapApiError('UNAUTHORIZED', 'the cookie is not in the form <user>:<secret>')
  }
  const wsUrl = new URL('/ws', httpUrl)
  wsUrl.protocol = 'ws:'
  return {
    url: httpUrl,
    wsUrl,
    authorization: `Basic ${Buffer.from(credential, 'utf8').toString('base64')}`,
  }
}

async function readDatadirFile(datadir: string, name: string): Promise<string> {
  const file = join(datadir, name)
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new SwarmswapApiError(
      'UNREACHABLE',
      `cannot read ${file}: is swarmswapd running on this data dir?`,
      {
        cause: error,
        details: { file },
      },
    )
  }
}

function parseApiFile(text: string, file: string): string {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new SwarmswapApiError('BAD_DATA', `${file} is not JSON`, { cause: error })
  }
  const parsed = apiFileSchema.safeParse(json)
  if (!parsed.success) throw new SwarmswapApiError('BAD_DATA', `${file} has no valid "url"`)
  return parsed.data.url
}
