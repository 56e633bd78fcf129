/**
 * The speedscope viewer served offline: the files of speedscope's bundled
 * viewer (the `speedscope` npm package's dist/release) and one profile, from
 * a small HTTP server on 127.0.0.1, to requests addressed to this machine
 * only; and the browser opened on it, as speedscope's own command line does
 * it. What `heapscope view` writes to.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { CliIo } from './io.js';

/** The directory of speedscope's bundled viewer (`index.html`, its script and assets). */
export function speedscopeReleaseDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('speedscope/package.json')), 'dist', 'release');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** Path of the profile on the server. */
const PROFILE_PATH = '/profile.speedscope.json';

/** A running viewer server. */
export interface ViewerServer {
  /** The URL that opens the profile in the viewer. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves speedscope's viewer and one profile (speedscope JSON text) on
 * 127.0.0.1. Only the viewer's own files and the profile are served, only
 * to requests whose Host is this server's address (see `allowedHost`); a
 * request target that does not decode is answered 400.
 */
export async function serveSpeedscope(profileJson: string, port = 0): Promise<ViewerServer> {
  const dir = speedscopeReleaseDir();
  const files = new Set(readdirSync(dir));
  const cache = new Map<string, Buffer>();
  const profile = Buffer.from(profileJson);
  // Loaded here: only `view` serves (node:http costs every other run its load time).
  const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');
  let actual = 0;
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: Buffer | string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // DNS rebinding: a page from a name that resolves to 127.0.0.1 would
    // reach this server as same-origin and read the profile. Its requests
    // carry that name in Host; only our own addresses are served.
    if (!allowedHost(req.headers.host, actual)) return send(403, 'text/plain', 'forbidden: this server answers only to 127.0.0.1, localhost and [::1]\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    const path = requestPath(req.url);
    if (path === undefined) return send(400, 'text/plain', 'bad request: malformed URL\n');
    if (path === '/') {
      res.writeHead(302, { location: viewerPath() });
      return res.end();
    }
    if (path === PROFILE_PATH) return send(200, CONTENT_TYPES['.json'], profile);
    const name = path.slice(1);
    if (!files.has(name)) return send(404, 'text/plain', 'not found\n');
    let body = cache.get(name);
    if (!body) {
      try {
        body = readFileSync(join(dir, name));
      } catch {
        // One request fails; the server keeps serving.
        return send(500, 'text/plain', 'cannot read the file\n');
      }
      cache.set(name, body);
    }
    return send(200, CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}${viewerPath()}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The decoded path of a request target, or undefined when it is malformed (`/%ff`, `/%`, `//`). */
function requestPath(target: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(target ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return undefined;
  }
}

/** Whether a request's Host header names this server: 127.0.0.1, localhost or [::1], with its port. */
export function allowedHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const match = /^(127\.0\.0\.1|localhost|\[::1\])(?::(\d+))?$/i.exec(host);
  if (!match) return false;
  // A browser leaves out the scheme's default port.
  return match[2] === undefined ? port === 80 : Number(match[2]) === port;
}

function viewerPath(): string {
  // No `title` parameter: speedscope would give it to every profile, hiding
  // the sample type in each profile's own name. The file's name is the title.
  // Left Heavy: the order of a heap profile's samples means nothing, so the
  // merged view (widest call paths first) is the useful one.
  return `/index.html#profileURL=${encodeURIComponent(PROFILE_PATH)}&view=left-heavy`;
}

/** Opens a URL in the desktop's browser, as speedscope's CLI does (the platform's opener). */
export function openBrowser(url: string, io: CliIo): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', (error) => io.stderr.write(`heapscope: could not open a browser (${command}: ${error.message}); open the URL above yourself\n`));
    child.unref();
  } catch (error) {
    io.stderr.write(`heapscope: could not open a browser (${(error as Error).message}); open the URL above yourself\n`);
  }
}
