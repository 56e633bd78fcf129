/**
 * Readers of the reference tools' text reports, for the cases' checks.
 */

/**
 * "Total: N B" and the flat column of `jeprof --text --show_bytes` or
 * `google-pprof --text --show_bytes` (jeprof is google-pprof's perl, renamed:
 * the same report). `tool` names it in errors.
 */
export function parsePprofText(text, tool = 'jeprof') {
  const total = /^Total: ([\d.]+) B$/m.exec(text);
  if (!total) throw new Error(`no "Total: N B" line in ${tool} --text --show_bytes output:\n${text.slice(0, 300)}`);
  const flats = [...text.matchAll(/^\s*(\d+)\s+[\d.]+%\s+[\d.]+%\s+\d+\s+[\d.]+%\s+\S/gm)].map((m) => Number(m[1]));
  return { total: Number(total[1]), flats };
}

/** "… of N total" and the rows (flat, name) of `go tool pprof -top -unit=B`. */
export function parseGoTop(text) {
  const total = /of (\d+)B total/.exec(text);
  if (!total) throw new Error(`no "of NB total" in go tool pprof -top output:\n${text.slice(0, 300)}`);
  const rows = [...text.matchAll(/^\s*(\d+)B\s+[\d.]+%\s+[\d.]+%\s+\d+B\s+[\d.]+%\s+(\S+)/gm)].map((m) => ({ flat: Number(m[1]), name: m[2] }));
  return { total: Number(total[1]), rows };
}
