import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { spawnTs } from '../../regtest/child-process.js'

export { spawnTs, stopChild } from '../../regtest/child-process.js'

/** Resolves with the first stdout line of `child`, or rejects if it exits first or `timeoutMs` passes. */
export async function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no output within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    )
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before printing: ${stderr}`))
    })
  })
}

/** Runs `script` to completion; resolves with its exit code and output. */
export async function runTs(
  script: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTs(script, args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
