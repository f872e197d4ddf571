import { homedir } from 'node:os'
import { join } from 'node:path'
import type { NetworkName } from '../orderbook/types.js'

export interface PlatformInfo {
  platform: NodeJS.Platform
  env: Record<string, string | undefined>
  home: string
}

const CURRENT: PlatformInfo = { platform: process.platform, env: process.env, home: homedir() }

/**
 * The data directory of a network in the platform's usual place: $XDG_DATA_HOME (or ~/.local/share) on
 * Linux and other Unixes, ~/Library/Application Support on macOS, %APPDATA% on Windows; then
 * swarmswap/<network>. Shared by the daemon, the CLI and the SDK, which find a daemon's api.json and cookie through it.
 */
export function defaultDatadir(network: NetworkName, where: PlatformInfo = CURRENT): string {
  return join(dataRoot(where), 'swarmswap', network)
}

function dataRoot({ platform, env, home }: PlatformInfo): string {
  if (platform === 'win32') return env.APPDATA || join(home, 'AppData', 'Roaming')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support')
  return env.XDG_DATA_HOME || join(home, '.local', 'share')
}

/** Files of a data directory that other programs read or that must not outlive the daemon. */
export const DATADIR_FILES = {
  config: 'config.json',
  seed: 'seed.json',
  lock: 'swarmswapd.lock',
  cookie: '.cookie',
  api: 'api.json',
  markets: 'markets.json',
} as const
