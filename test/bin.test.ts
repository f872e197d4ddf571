import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import test from 'ava'

const run = promisify(execFile)
const root = new URL('..', import.meta.url).pathname

for (const bin of ['swarmswapd', 'swarmswap']) {
  test(`${bin} --help describes the program and exits 0`, async (t) => {
    const { stdout } = await run(process.execPath, [`bin/${bin}.js`, '--help'], { cwd: root })
    t.regex(stdout, new RegExp(`Usage: ${bin}`))
    t.regex(stdout, /--version/)
  })
}

test('swarmswapd without a password source refuses to create a seed, in one line, and writes nothing', async (t) => {
  const datadir = await mkdtemp(join(tmpdir(), 'swarmswap-bin-'))
  try {
    const error = await t.throwsAsync(
      run(process.execPath, ['bin/swarmswapd.js', '--datadir', datadir], {
        cwd: root,
        env: withoutPassword(),
      }),
    )
    t.is((error as { code?: number }).code, 1)
    t.regex((error as { stderr?: string }).stderr ?? '', /^swarmswapd: no seed password: .*\n$/)
    t.deepEqual(await readdir(datadir), [])
  } finally {
    await rm(datadir, { recursive: true, force: true })
  }
})

test('swarmswap without a command says how to get help and exits non-zero', async (t) => {
  const error = await t.throwsAsync(run(process.execPath, ['bin/swarmswap.js'], { cwd: root }))
  t.not((error as { code?: number }).code, 0)
  t.regex(
    (error as { stderr?: string }).stderr ?? '',
    /^swarmswap: missing command: see 'swarmswap --help'\n$/,
  )
})

function withoutPassword(): NodeJS.ProcessEnv {
  const { SWARMSWAP_PASSWORD: _omitted, ...env } = process.env
  return env
}
