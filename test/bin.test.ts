import { execFile } from 'node:child_process'
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

  test(`${bin} without a command says it is not available yet and exits non-zero`, async (t) => {
    const error = await t.throwsAsync(run(process.execPath, [`bin/${bin}.js`], { cwd: root }))
    t.is((error as { code?: number }).code, 2)
    t.regex((error as { stderr?: string }).stderr ?? '', /not available in this release/)
  })
}
