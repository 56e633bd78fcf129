/**
 * Byte amounts on the command line: `1048576`, `512k`, `1MiB`, `1.5G`
 * (binary units; B, K/KiB/KB, M/MiB/MB, G/GiB/GB).
 */
import { UsageError } from './io.js';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Parses a byte amount; a UsageError names the flag when it cannot. */
export function parseBytes(flag: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`${flag} expects a byte amount such as 1048576, 512KiB or 1MiB, got "${value}"`);
  return Number(m[1]) * unit;
}
