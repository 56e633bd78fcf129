/**
 * A progress line on stderr for inputs that take more than a second to
 * read (or a series of inputs to ingest) — only when stderr is a terminal and the report is not JSON, so
 * pipes, logs and scripts never see it. The line is erased when done.
 */
import { plural } from '@heapscope/parser';
import type { Sink } from './io.js';
import { escapeName } from './terminal-text.js';

const DELAY_MS = 1000;
const INTERVAL_MS = 200;

/** Reports progress: the bytes of one input at a time, or a count of inputs. */
export class Progress {
  private started = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stderr: Sink,
    private readonly enabled: boolean,
  ) {}

  /** A callback for `OpenOptions.onProgress` for the input `name`. */
  reporter(name: string): ((bytesRead: number, totalBytes: number | undefined) => void) | undefined {
    if (!this.enabled) return undefined;
    this.started = Date.now();
    return (read, total) => {
      const mib = (read / 1048576).toFixed(0);
      const share = total ? ` of ${(total / 1048576).toFixed(0)} MiB (${Math.floor((100 * read) / total)}%)` : ' MiB';
      this.draw(() => `reading ${escapeName(name)}: ${mib}${total ? ' MiB' : ''}${share}`);
    };
  }

  /**
   * A callback for a count of inputs done (`verb` them, e.g. "ingested"):
   * "ingested 12 of 1,000 dumps (1%)".
   */
  counter(verb: string, word: string): ((done: number, total: number) => void) | undefined {
    if (!this.enabled) return undefined;
    this.started = Date.now();
    return (done, total) => this.draw(() => `${verb} ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${plural(total, word)} (${Math.floor((100 * done) / total)}%)`);
  }

  /** Erases the progress line, if one was drawn. */
  done(): void {
    if (this.drawn) this.stderr.write('\r\u001b[2K');
    this.drawn = false;
  }

  /** Draws the line, past the first second and at most every INTERVAL_MS. */
  private draw(text: () => string): void {
    const now = Date.now();
    if (now - this.started < DELAY_MS || now - this.lastDraw < INTERVAL_MS) return;
    this.lastDraw = now;
    this.stderr.write(`\r\u001b[2Kheapscope: ${text()}`);
    this.drawn = true;
  }
}
