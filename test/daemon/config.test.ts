import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { defaultDatadir } from '../../src/api/paths.js'
import { loadConfig } from '../../src/daemon/config.js'
import { isSwarmswapError } from '../../src/errors.js'
import { DaemonProcess } from './daemon-process.js'
import { CONFIG_INVALID, CONFIG_VALID, type ConfigCase } from './fixtures/config.js'

let root = ''
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmswap-config-'))
})
test.after.always(async () => {
  DaemonProcess.killAll()
  if (root) await rm(root, { recursive: true, force: true })
})

async function load(c: ConfigCase, index: number) {
  const datadir = join(root, `case-${index}`)
  await mkdir(datadir, { recursive: true })
  if (c.file !== undefined) {
    await writeFile(
      join(datadir, 'config.json'),
      typeof c.file === 'string' ? c.file : JSON.stringify(c.file),
    )
  }
  return await loadConfig({ flags: { datadir, ...c.flags }, env: c.env ?? {} })
}

CONFIG_VALID.forEach((c, i) => {
  test(`config: ${c.name}`, async (t) => {
    const config = await load(c, i)
    t.like(config, c.expect)
  })
})

CONFIG_INVALID.forEach((c, i) => {
  test(`config refused: ${c.name}`, async (t) => {
    const error = await t.throwsAsync(load(c, 1000 + i))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
    t.regex(error?.message ?? '', c.error)
  })
})

test('the default data dir follows the platform', (t) => {
  const home = '/home/u'
  t.is(
    defaultDatadir('regtest', { platform: 'linux', env: {}, home }),
    '/home/u/.local/share/swarmswap/regtest',
  )
  t.is(
    defaultDatadir('mainnet', { platform: 'linux', env: { XDG_DATA_HOME: '/data' }, home }),
    '/data/swarmswap/mainnet',
  )
  t.is(
    defaultDatadir('testnet', { platform: 'darwin', env: {}, home: '/Users/u' }),
    '/Users/u/Library/Application Support/swarmswap/testnet',
  )
  t.regex(
    defaultDatadir('mainnet', {
      platform: 'win32',
      env: { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' },
      home,
    }),
    /swarmswap.mainnet$/,
  )
})

test('without --datadir the network picks the default data dir', async (t) => {
  const config = await loadConfig({
    flags: { network: 'testnet' },
    env: {},
    platform: { platform: 'linux', env: { XDG_DATA_HOME: join(root, 'xdg') }, home: root },
  }).catch((error: Error) => error)
  // testnet needs chain settings; the error names the default data dir's config.json.
  t.regex(String(config), new RegExp(`${join(root, 'xdg', 'swarmswap', 'testnet', 'config.json')}`))
})

/** The binary turns each refusal into one line on stderr and exit code 1, before touching any chain. */
const BINARY_CASES: [string, string[], Record<string, string>, string?, RegExp?][] = [
  ['a bad flag', ['--api-port', '99999'], {}, undefined, /--api-port/],
  ['a bad env variable', [], { SWARMSWAP_EVM_CHAIN_ID: 'x' }, undefined, /SWARMSWAP_EVM_CHAIN_ID/],
  ['a bad config.json value', [], {}, '{"logLevel": "loud"}', /"logLevel" in/],
  ['a flag that does not exist', ['--api-prot', '1'], {}, undefined, /unknown option '--api-prot'/],
]
for (const [name, args, env, file, pattern] of BINARY_CASES) {
  test(`swarmswapd exits 1 with one clear line for ${name}`, async (t) => {
    const datadir = await mkdtemp(join(root, 'bin-'))
    if (file !== undefined) await writeFile(join(datadir, 'config.json'), file)
    const { code, stderr } = await DaemonProcess.run(['--datadir', datadir, ...args], env)
    t.is(code, 1)
    t.is(stderr.trimEnd().split('\n').length, 1, stderr)
    t.regex(stderr, pattern ?? /./)
  })
}
