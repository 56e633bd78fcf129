/**
 * What the flamegraph renderers draw: a flame analysis of the analyzer
 * (`FlameGraph`: tree, widths, colours) with the words around it.
 */
import type { FlameGraph } from '@heapscope/analyzer';

/** Root at the bottom (flame) or at the top (icicle). */
export type Orientation = 'flame' | 'icicle';

/** A flame analysis with its title and the line under it (inputs, sample type, mode). */
export interface FlameData extends FlameGraph {
  title: string;
  subtitle: string;
}
