/**
 * The command table: every command of the command line, in the order
 * `heapscope --help` lists them. A command is one entry here (its module
 * declares its options, its analysis and its output; command.ts); the runner
 * (runner.ts) does the rest the same way for all of them.
 */
import type { CommandSpec } from '../command.js';
import { infoCommand } from './info.js';
import { topCommand } from './top.js';
import { sizesCommand } from './sizes.js';
import { growthCommand } from './growth.js';
import { churnCommand } from './churn.js';
import { diffCommand } from './diff.js';
import { wasteCommand } from './waste.js';
import { peakCommand } from './peak.js';
import { diagnoseCommand } from './diagnose.js';
import { mergeCommand } from './merge.js';
import { convertCommand } from './convert.js';
import { flamegraphCommand } from './flamegraph.js';
import { viewCommand } from './view.js';
import { replayCommand } from './replay.js';
import { trialCommand } from './trial.js';
import { reportCommand } from './report.js';
import { ingestCommand } from './ingest.js';
import { sqlCommand } from './sql.js';

/** Every command, in `--help` order. */
export const COMMANDS: readonly CommandSpec[] = [
  infoCommand,
  topCommand,
  sizesCommand,
  growthCommand,
  churnCommand,
  diffCommand,
  wasteCommand,
  peakCommand,
  diagnoseCommand,
  mergeCommand,
  convertCommand,
  flamegraphCommand,
  viewCommand,
  replayCommand,
  trialCommand,
  reportCommand,
  ingestCommand,
  sqlCommand,
];
