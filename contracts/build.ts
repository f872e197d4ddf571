/**
 * Compiles every contract under contracts/ (and contracts/test/) with solc-js (offline wasm) and writes
 * contracts/build/<Name>.json = { abi, bytecode, deployedBytecode }. Run as a script (`npm run
 * build:contracts`) it exits non-zero on any compile error; `buildContracts()` does the same work for code.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import solc from 'solc'
import { z } from 'zod'

export const CONTRACTS_DIR = dirname(fileURLToPath(import.meta.url))
export const BUILD_DIR = join(CONTRACTS_DIR, 'build')
const SOLC_VERSION = '0.8.37'

const compilerOutput = z.object({
  errors: z
    .array(z.object({ severity: z.string(), formattedMessage: z.string() }))
    .optional()
    .default([]),
  contracts: z
    .record(
      z.string(),
      z.record(
        z.string(),
        z.object({
          abi: z.array(z.unknown()),
          evm: z.object({
            bytecode: z.object({ object: z.string() }),
            deployedBytecode: z.object({ object: z.string() }),
          }),
        }),
      ),
    )
    .optional()
    .default({}),
})

export interface BuildResult {
  /** Names of the contracts written to `outDir`. */
  contracts: string[]
  warnings: string[]
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return entry.name === 'build' || entry.name === 'node_modules' ? [] : solidityFiles(path)
    return entry.name.endsWith('.sol') ? [path] : []
  })
}

export interface BuildOptions {
  /** Where the .sol files are (searched recursively); contracts/ by default. */
  sourceDir?: string
  /** Where the artifacts go; contracts/build by default. */
  outDir?: string
}

/** Compiles all sources; throws an Error listing every compiler error. */
export function buildContracts({
  sourceDir = CONTRACTS_DIR,
  outDir = BUILD_DIR,
}: BuildOptions = {}): BuildResult {
  if (!String(solc.version()).startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(`solc ${SOLC_VERSION} expected, found ${solc.version()}`)
  }
  const sources = Object.fromEntries(
    solidityFiles(sourceDir).map((path) => [
      relative(sourceDir, path),
      { content: readFileSync(path, 'utf8') },
    ]),
  )
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 1_000_000 },
      viaIR: true,
      evmVersion: 'osaka',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const output = compilerOutput.parse(JSON.parse(solc.compile(JSON.stringify(input))))
  const errors = output.errors.filter((e) => e.severity === 'error').map((e) => e.formattedMessage)
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.join('\n')}`)
  mkdirSync(outDir, { recursive: true })
  const entries = Object.values(output.contracts).flatMap((file) => Object.entries(file))
  const compiled = Object.fromEntries(entries)
  if (Object.keys(compiled).length !== entries.length) throw new Error('two contracts share a name')
  const contracts: string[] = []
  for (const [name, contract] of entries) {
    const bytecode = contract.evm.bytecode.object
    if (bytecode === '') continue // abstract contracts and interfaces cannot be deployed
    const artifact = {
      // A contract written in assembly behind its fallback (HTLC) declares its ABI as interface I<Name>.
      abi: compiled[`I${name}`]?.abi ?? contract.abi,
      bytecode: `0x${bytecode}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    }
    writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`)
    contracts.push(name)
  }
  return {
    contracts,
    warnings: output.errors.filter((e) => e.severity !== 'error').map((e) => e.formattedMessage),
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { contracts, warnings } = buildContracts()
    for (const warning of warnings) console.warn(warning)
    console.log(`compiled ${contracts.join(', ')} into ${relative(process.cwd(), BUILD_DIR) || '.'}`)
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
}
