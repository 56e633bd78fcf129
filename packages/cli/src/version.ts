/**
 * heapscope's version, as `--version`, pprof comments and speedscope's
 * `exporter` field give it. A module of its own so that the commands that
 * print it need not import the program that registers them.
 */
export const VERSION = '0.1.0';
