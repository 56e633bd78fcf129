/**
 * What the numbers were measured on: CPU, cores, memory, OS, Node, the
 * heapscope commit and the versions of the tools the selected cases and
 * generators declare.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { GNU_TIME } from './measure.mjs';
import { run, versionLine, which } from './exec.mjs';

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function osName() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return `${m[1]}, ${os.type()} ${os.release()}`;
  } catch {
    // no os-release
  }
  return `${os.type()} ${os.release()}`;
}

async function gitState() {
  try {
    const head = (await run(['git', 'rev-parse', '--short=12', 'HEAD'])).stdout.trim();
    // What was measured is packages/*/dist, built from the working tree.
    const dirty = (await run(['git', 'status', '--porcelain', '--', 'packages'])).stdout.trim();
    return dirty ? `${head} + uncommitted changes in packages/ (working tree)` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * The machine record.  `tools` maps a tool name to the argv that prints its
 * version; the first line of output is kept.
 */
export async function describeMachine(tools) {
  const versions = { node: process.version };
  const all = { 'GNU time': [GNU_TIME, '--version'], ...tools };
  for (const [name, argv] of Object.entries(all)) versions[name] = await versionLine(argv);
  // Debian's GNU time says "time (GNU Time) UNKNOWN"; the package knows better.
  if (/UNKNOWN/.test(versions['GNU time']) && which('dpkg-query')) {
    versions['GNU time'] = await versionLine(['dpkg-query', '-W', '-f', 'GNU time ${Version} (Debian package time)\n', 'time']);
  }
  return {
    cpu: cpuModel(),
    logicalCores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    heapscopeCommit: await gitState(),
    tools: versions,
  };
}
