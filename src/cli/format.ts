/**
 * Human output of the CLI, as pure functions of API results (no I/O, `now` passed in) so they are tested with
 * fixture tables. Amounts arrive as decimal strings and are only padded, never converted to numbers.
 */

/** Pads decimal strings so their decimal points line up in a right-hand column. */
export function alignDecimals(values: readonly string[]): string[] {
  const parts = values.map((value) => {
    const dot = value.indexOf('.')
    return dot === -1
      ? { whole: value, fraction: '' }
      : { whole: value.slice(0, dot), fraction: value.slice(dot) }
  })
  const wholeWidth = Math.max(0, ...parts.map((part) => part.whole.length))
  const fractionWidth = Math.max(0, ...parts.map((part) => part.fraction.length))
  return parts.map((part) => part.whole.padStart(wholeWidth) + part.fraction.padEnd(fractionWidth))
}

/** 'decimal': decimal points line up, the column starts at the left like its header. */
export type Align = 'left' | 'right' | 'decimal'

/** A plain-text table: a header row, then rows; columns separated by two spaces, trailing spaces trimmed. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  if (rows.length === 0) return headers.join('  ')
  const columns = headers.map((_, column) => {
    const cells = rows.map((row) => row[column] ?? '')
    return align[column] === 'decimal' ? alignDecimals(cells) : cells
  })
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...(columns[column] ?? []).map((cell) => cell.length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0
        return align[column] === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return [line(headers), ...rows.map((_, row) => line(columns.map((cells) => cells[row] ?? '')))].join('\n')
}

/** 'BTC', 'ETH', and ERC-20 tokens shortened for tables: 'ERC20:0x5fbd…0aa3'. */
export function assetLabel(asset: string): string {
  return asset.startsWith('ERC20:0x') ? `ERC20:${asset.slice(6, 12)}…${asset.slice(-4)}` : asset
}

/** Whole seconds as '2d 3h', '1h 05m', '9m 30s', '45s'. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const days = Math.floor(s / 86_400)
  const hours = Math.floor((s % 86_400) / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  if (days > 0) return `${days}d ${hours}h`
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`
  if (minutes > 0) return `${minutes}m ${String(s % 60).padStart(2, '0')}s`
  return `${s}s`
}

/** A unix time in seconds as '2026-11-25 13:20:00Z (in 9m 30s)' or '(5m 00s ago)', relative to `now`. */
export function formatWhen(unixSeconds: number, nowSeconds: number): string {
  const delta = unixSeconds - nowSeconds
  const relative = delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`
  return `${isoSeconds(unixSeconds)} (${relative})`
}

/** '2026-11-25 13:20:00Z'. */
export function isoSeconds(unixSeconds: number): string {
  return new Date(unixSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
}

/** `key  value` lines with the keys padded to one width. */
export function fields(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...entries.map(([key]) => key.length))
  return entries.map(([key, value]) => `${key.padEnd(width)}  ${value}`.trimEnd()).join('\n')
}
