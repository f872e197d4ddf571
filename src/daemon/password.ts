import { readFile } from 'node:fs/promises'
import { SwarmswapError } from '../errors.js'

export interface PasswordSources {
  /** A file whose first line is the password. */
  file?: string
  /** SWARMSWAP_PASSWORD. */
  env?: string
  /** Where to prompt when neither is given; a prompt needs a terminal. */
  terminal: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }
}

/**
 * The seed password, from the first source given: --password-file, SWARMSWAP_PASSWORD, or a prompt on
 * the terminal without echo (asked twice when a new seed is created).
 */
export async function readPassword(sources: PasswordSources, creating: boolean): Promise<string> {
  if (sources.file !== undefined) {
    let text: string
    try {
      text = await readFile(sources.file, 'utf8')
    } catch (error) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        `cannot read the password file: ${(error as Error).message}`,
      )
    }
    return text.split(/\r?\n/)[0] ?? ''
  }
  if (sources.env !== undefined) return sources.env
  const { input, output } = sources.terminal
  if (!input.isTTY) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      'no seed password: use --password-file, SWARMSWAP_PASSWORD, or run in a terminal to be asked',
    )
  }
  const first = await prompt(input, output, creating ? 'New seed password: ' : 'Seed password: ')
  if (!creating) return first
  const again = await prompt(input, output, 'Repeat the password: ')
  if (again !== first) throw new SwarmswapError('INVALID_ARGUMENT', 'the two passwords differ')
  return first
}

/** Reads one line in raw mode, echoing nothing. */
function prompt(input: NodeJS.ReadStream, output: NodeJS.WriteStream, question: string): Promise<string> {
  output.write(question)
  input.setRawMode(true)
  input.resume()
  input.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let line = ''
    const finish = (error?: Error) => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      output.write('\n')
      if (error) reject(error)
      else resolve(line)
    }
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish()
        if (char === '\u0003')
          return finish(new SwarmswapError('INVALID_ARGUMENT', 'password prompt interrupted'))
        if (char === '\u007f' || char === '\b') line = line.slice(0, -1)
        else line += char
      }
    }
    input.on('data', onData)
  })
}
