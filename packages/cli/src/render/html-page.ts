/**
 * The frame of every HTML page heapscope writes (the flamegraph, the
 * report): the document head — charset, viewport, generator, title — and
 * the page's one style sheet, around a body.
 */
import { xmlEscape as esc } from './flamegraph-svg.js';

/** A page's parts: its title (plain text), its style sheet and its body's markup. */
export interface HtmlPageParts {
  title: string;
  style: string;
  body: string;
}

/** A whole, self-contained HTML document. */
export function htmlPage(page: HtmlPageParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="heapscope">
<title>${esc(page.title)}</title>
<style>${page.style}</style>
</head>
<body>
${page.body}
</body>
</html>
`;
}
