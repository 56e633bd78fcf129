/**
 * What the main thread and the reading workers (read-pool.ts,
 * read-worker.ts) say to each other, and how an error crosses between them:
 * a worker's error is rebuilt on the main thread as the same kind of error
 * (a `ParseError` stays one, a file-system error keeps its code and path),
 * so that the CLI prints the same one-line message as when the input is
 * read on the main thread.
 */
import { ParseError } from '@heapscope/parser';
import type { PackedInput } from './packed-input.js';
import type { ReadOptions } from './read-input.js';

/** Given to every worker when it starts: the reading options that can cross threads (no callbacks, no stdin). */
export interface ReadWorkerSetup {
  options: ReadOptions;
  /** Whether to send the reading progress of each input. */
  progress: boolean;
}

/** One input to read. */
export interface ReadTask {
  task: number;
  path: string;
}

/** An error, as it crosses threads. */
export type ErrorData =
  | { kind: 'parse'; file: string; line: number; reason: string; format?: string; text?: string; stack?: string }
  | { kind: 'system'; message: string; code: string; syscall: string; path?: string; errno?: number; stack?: string }
  | { kind: 'other'; name: string; message: string; stack?: string };

/** A worker's message about a task. */
export type ReadReply =
  | { task: number; kind: 'progress'; bytesRead: number; totalBytes: number | undefined }
  | { task: number; kind: 'done'; input: PackedInput }
  | { task: number; kind: 'failed'; error: ErrorData };

/** `error` in the form that crosses threads. */
export function errorData(error: unknown): ErrorData {
  if (error instanceof ParseError) {
    return { kind: 'parse', file: error.file, line: error.line, reason: error.reason, format: error.format, text: error.text, stack: error.stack };
  }
  const e = error as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return { kind: 'system', message: e.message, code: e.code, syscall: e.syscall, path: e.path, errno: e.errno, stack: e.stack };
  }
  if (e instanceof Error) return { kind: 'other', name: e.name, message: e.message, stack: e.stack };
  return { kind: 'other', name: 'Error', message: String(error) };
}

/** The error that {@link errorData} describes, rebuilt. */
export function rebuildError(data: ErrorData): Error {
  let error: Error;
  if (data.kind === 'parse') error = new ParseError(data.file, data.line, data.reason, data.format, data.text);
  else if (data.kind === 'system') error = Object.assign(new Error(data.message), { code: data.code, syscall: data.syscall, path: data.path, errno: data.errno });
  else {
    error = new Error(data.message);
    error.name = data.name;
  }
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
