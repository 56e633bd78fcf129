/**
 * `heapscope view` against hostile requests, as a running process: request
 * targets that do not decode (`/%ff`, `/%`, overlong UTF-8 such as
 * `/%c0%ae%c0%ae/`) answer 400 and the server keeps serving; a Host header
 * that is not the server's own address (DNS rebinding: a web page whose
 * name resolves to 127.0.0.1) answers 403, so no other page can read the
 * profile. Requests are written byte for byte on a socket, as an attacker
 * would send them (fetch would normalize the target and refuses to set Host).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedHost } from '../src/speedscope-server.js';
import { fixtureFile } from '@heapscope/testkit/inputs';

const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const built = existsSync(BIN);
if (!built) console.warn(`[heapscope tests] ${BIN} is missing (run pnpm build): view request tests are skipped`);

/** Sends `request` as it is and returns the status code of the answer. */
function send(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.on('error', reject);
    socket.write(request);
  });
}

const get = (port: number, target: string, host: string | null = `127.0.0.1:${port}`) =>
  send(port, `GET ${target} HTTP/1.1\r\n${host === null ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`);

describe.skipIf(!built)('heapscope view against hostile requests', () => {
  let child: ChildProcess;
  let port = 0;
  let stderr = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [BIN, 'view', '--no-open', '--no-symbolize', fixtureFile('jemalloc/all', /\.f\.heap$/)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d) => (stderr += d));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL after 20 s; stderr: ${stderr}`)), 20_000);
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /^http:\/\/127\.0\.0\.1:(\d+)\//m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('answers 400 to request targets that do not decode, and keeps serving', async () => {
    for (const target of ['/%ff', '/%', '/%c0%ae%c0%ae/package.json', '/%e0%80', '/index.html%', '//']) {
      expect(await get(port, target), target).toBe(400);
      expect(await get(port, '/profile.speedscope.json'), `after ${target}`).toBe(200);
    }
    expect(child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/URIError|Error|\n\s+at /);
  });

  it('serves its own addresses (127.0.0.1, localhost, [::1] with its port) and refuses every other Host (403)', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect(await get(port, '/profile.speedscope.json', host), host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.evil.example:${port}`, `localhost.:${port}`, `[::2]:${port}`, `127.0.0.1:${port}@evil`]) {
      expect(await get(port, '/profile.speedscope.json', host), host).toBe(403);
      expect(await get(port, '/', host), host).toBe(403);
    }
    // No Host at all (HTTP/1.0 style) is not a browser on our address either.
    expect(await send(port, 'GET /profile.speedscope.json HTTP/1.0\r\n\r\n')).toBe(403);
    expect(child.exitCode).toBeNull();
  });
});

describe('the Host check', () => {
  it('takes the port a browser leaves out for the scheme default (80) only when serving on 80', () => {
    expect(allowedHost('127.0.0.1', 80)).toBe(true);
    expect(allowedHost('localhost', 8080)).toBe(false);
    expect(allowedHost('localhost:8080', 8080)).toBe(true);
    expect(allowedHost(undefined, 8080)).toBe(false);
  });
});
