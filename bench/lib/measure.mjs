/**
 * One measured run of a command: wall time and peak memory of its whole
 * process tree.
 *
 * The command runs under GNU time (`/usr/bin/time -f %M`), with stdout and
 * stderr going straight to files (the harness never reads a byte of them
 * while the clock runs).
 *
 * * Wall time: process.hrtime from spawn to exit.  It includes starting
 *   /usr/bin/time itself, about a millisecond.
 * * Memory, two lower bounds of the tree's true peak, combined by taking the
 *   larger:
 *   - `maxRssKb`: GNU time's %M, the kernel's exact high-water mark
 *     (wait4 ru_maxrss) of the largest single process among the command and
 *     the descendants it waited for.  Exact, but a maximum over processes,
 *     not a sum: perl + the nm it is reading from count as the larger one.
 *   - `treeRssKb`: the largest sum of RSS over all live descendants seen by
 *     polling /proc every `pollMs` (shared pages are counted once per
 *     process).  Catches parent and children alive at once, but can miss a
 *     peak shorter than the polling interval.
 *   `peakRssKb` = max(maxRssKb, treeRssKb).
 * * Other activity: the machine's busy CPU time during the run (from
 *   /proc/stat) minus the command's and the harness's own, as
 *   `otherCpuMs`.  Other processes (a parallel build, tests) share the
 *   cores and inflate wall time; this says by how much they were there.
 *   `stealMs` is time the hypervisor gave to other guests.
 * * CPU time: GNU time's %U + %S (user + system seconds of the command and
 *   the descendants it waited for, 10 ms resolution).  Less sensitive than
 *   wall time to other work on the machine, more sensitive to threads.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { executable } from './exec.mjs';

export const GNU_TIME = '/usr/bin/time';

const PAGE_KB = (() => {
  // os has no page size; statm's unit is the page.  4 KiB on x86-64.
  try {
    const vmRssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    const residentPages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    const ratio = vmRssKb / residentPages;
    for (const p of [4, 16, 64]) if (Math.abs(ratio - p) < p / 4) return p;
  } catch {
    // fall through
  }
  return 4;
})();

/**
 * Sum of RSS (KiB) of every process below `rootPid`, excluding rootPid
 * itself (GNU time).  The kernel here has no /proc/<pid>/task/<tid>/children,
 * so the tree is rebuilt from each process's ppid in /proc/<pid>/stat.
 */
function treeRssKb(rootPid) {
  const parent = new Map();
  const rss = new Map();
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ... rss(24) ..."; comm may hold spaces and parens.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    parent.set(pid, Number(fields[1]));
    rss.set(pid, Number(fields[21]) * PAGE_KB);
  }
  let sum = 0;
  for (const [pid, kb] of rss) {
    if (pid === rootPid) continue;
    for (let p = parent.get(pid), hops = 0; p !== undefined && p > 0 && hops < 64; p = parent.get(p), hops++) {
      if (p === rootPid) {
        sum += kb;
        break;
      }
    }
  }
  return sum;
}

/** Busy and steal CPU time of the whole machine so far, in ms (from /proc/stat). */
function machineCpuMs() {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (USER_HZ = 100)
    const busy = f[0] + f[1] + f[2] + f[5] + f[6];
    return { busyMs: busy * 10, stealMs: (f[7] ?? 0) * 10 };
  } catch {
    return { busyMs: NaN, stealMs: NaN };
  }
}

/**
 * Runs argv once (cwd given) and resolves to
 * { wallMs, cpuMs, otherCpuMs, stealMs, maxRssKb, treeRssKb, peakRssKb, status, signal, timeReport }.
 * Never rejects for a failing command: the caller checks `status`.
 */
export function measure(argv, { cwd, stdoutPath, stderrPath, timePath, pollMs }) {
  return new Promise((resolve, reject) => {
    const outFd = openSync(stdoutPath, 'w');
    const errFd = openSync(stderrPath, 'w');
    const cpu0 = machineCpuMs();
    const self0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-f', '%M %U %S', '-o', timePath, '--', executable(argv[0]), ...argv.slice(1)], {
      cwd,
      stdio: ['ignore', outFd, errFd],
    });
    closeSync(outFd);
    closeSync(errFd);
    let treePeak = 0;
    const timer =
      pollMs > 0
        ? setInterval(() => {
            const kb = treeRssKb(child.pid);
            if (kb > treePeak) treePeak = kb;
          }, pollMs)
        : null;
    child.on('error', (e) => {
      if (timer) clearInterval(timer);
      reject(new Error(`cannot run ${GNU_TIME}: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (timer) clearInterval(timer);
      const cpu1 = machineCpuMs();
      const self = process.cpuUsage(self0);
      const selfMs = (self.user + self.system) / 1000;
      let timeReport = '';
      try {
        timeReport = readFileSync(timePath, 'utf8');
      } catch {
        // GNU time could not write it; treated as a failure below
      }
      const lines = timeReport.trimEnd().split('\n');
      const [maxRssKb, userS, sysS] = lines[lines.length - 1].split(' ').map(Number);
      // GNU time exits with the command's status, but reports a signal only
      // in its output ("Command terminated by signal 9") and exits 0.
      const killed = /Command terminated by signal (\d+)/.exec(timeReport);
      resolve({
        wallMs,
        maxRssKb: Number.isFinite(maxRssKb) ? maxRssKb : NaN,
        treeRssKb: treePeak,
        cpuMs: Number.isFinite(userS + sysS) ? Math.round((userS + sysS) * 1000) : NaN,
        // Clamped at 0: jiffy granularity (10 ms) makes small negatives.
        otherCpuMs: Math.max(0, Math.round(cpu1.busyMs - cpu0.busyMs - (userS + sysS) * 1000 - selfMs)),
        stealMs: cpu1.stealMs - cpu0.stealMs,
        peakRssKb: Math.max(Number.isFinite(maxRssKb) ? maxRssKb : 0, treePeak),
        status: killed ? 128 + Number(killed[1]) : code ?? 128,
        signal: killed ? `signal ${killed[1]}` : signal,
        timeReport,
      });
    });
  });
}
