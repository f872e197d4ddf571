import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { buildContracts } from '../../../contracts/build.js'

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarmswap-build-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('the build writes abi, bytecode and deployedBytecode; HTLC takes the IHTLC ABI', (t) => {
  const outDir = tempDir(t)
  const { contracts } = buildContracts({ outDir })
  t.true(contracts.includes('HTLC') && contracts.includes('TestToken'))
  t.false(contracts.includes('IHTLC'))
  const htlc = JSON.parse(readFileSync(join(outDir, 'HTLC.json'), 'utf8'))
  t.regex(htlc.bytecode, /^0x[0-9a-f]+$/)
  t.regex(htlc.deployedBytecode, /^0x[0-9a-f]+$/)
  const names = (htlc.abi as { name?: string }[]).map((entry) => entry.name)
  for (const name of ['lock', 'lockToken', 'claim', 'refund', 'lockedAt', 'Locked', 'Claimed', 'NotLocked']) {
    t.true(names.includes(name), name)
  }
})

test('a compile error throws with the compiler message', (t) => {
  const sourceDir = tempDir(t)
  writeFileSync(join(sourceDir, 'Broken.sol'), 'pragma solidity 0.8.37; contract Broken { function f( }')
  t.throws(() => buildContracts({ sourceDir, outDir: join(sourceDir, 'out') }), {
    message: /solc failed.*\n.*Broken\.sol/s,
  })
})
