/**
 * `heapscope view`: the speedscope viewer bundled in the `speedscope`
 * package, served with the converted profile from 127.0.0.1, rendering it in
 * a real headless Chromium without touching the network; and the command
 * itself (`--no-open`) printing its URL and serving until it is stopped.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '@heapscope/parser';
import { serveSpeedscope } from '../src/speedscope-server.js';
import { toSpeedscope } from '../src/render/speedscope.js';
import { HAVE_CHROMIUM, chromiumSkipNote, withPage } from './browser.js';
import { validateSpeedscope } from './speedscope-schema.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';

chromiumSkipNote();

const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);
const JEMALLOC_NAME = basename(JEMALLOC);
const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-view-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function speedscopeJson(): Promise<string> {
  const p = await loadSnapshot(JEMALLOC);
  return JSON.stringify(toSpeedscope(p, { title: JEMALLOC_NAME, exporter: 'heapscope test' }).file);
}

describe('the speedscope viewer server', () => {
  it('serves the viewer and the profile, and nothing else, on 127.0.0.1', async () => {
    const server = await serveSpeedscope(await speedscopeJson());
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/index\.html#profileURL=%2Fprofile\.speedscope\.json&view=left-heavy$/);
      const base = `http://127.0.0.1:${server.port}`;
      const root = await fetch(`${base}/`, { redirect: 'manual' });
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toMatch(/^\/index\.html#profileURL=/);
      const index = await fetch(`${base}/index.html`);
      expect(index.status).toBe(200);
      const html = await index.text();
      const script = /<script src="([^"]+)"/.exec(html)![1];
      expect((await fetch(`${base}/${script}`)).headers.get('content-type')).toMatch(/javascript/);
      const profile = await (await fetch(`${base}/profile.speedscope.json`)).json();
      expect(validateSpeedscope(profile)).toEqual([]);
      expect((await fetch(`${base}/../package.json`)).status).toBe(404);
      expect((await fetch(`${base}/%2e%2e/package.json`)).status).toBe(404);
      expect((await fetch(`${base}/profile.speedscope.json`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!HAVE_CHROMIUM)('speedscope in headless Chromium', () => {
  it('renders the converted profile offline: the flame chart is drawn and the profile is named', async () => {
    const server = await serveSpeedscope(await speedscopeJson());
    try {
      await withPage(async (page, errors) => {
        const outside: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(`http://127.0.0.1:${server.port}/`) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url());
        });
        await page.goto(server.url);
        await page.waitForFunction(() => document.body.innerText.includes('inuse_space (bytes in use)'), null, { timeout: 20_000 });
        await page.waitForTimeout(500);
        // The toolbar names the profile shown first (the default sample type) and its input.
        expect(await page.evaluate(() => document.body.innerText)).toContain(`inuse_space (bytes in use) — ${JEMALLOC_NAME}`);
        // Count coloured pixels of a screenshot (speedscope draws frames in WebGL, in pastel colours).
        const png = await page.screenshot();
        const coloured = await page.evaluate(async (b64) => {
          const img = new Image();
          img.src = `data:image/png;base64,${b64}`;
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.width;
          c.height = img.height;
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          const { data } = ctx.getImageData(0, 40, c.width, c.height - 40); // below the toolbar
          let n = 0;
          for (let i = 0; i < data.length; i += 4) {
            const max = Math.max(data[i], data[i + 1], data[i + 2]);
            const min = Math.min(data[i], data[i + 1], data[i + 2]);
            if (max - min > 25) n++;
          }
          return n;
        }, png.toString('base64'));
        expect(coloured).toBeGreaterThan(20_000);
        expect(outside).toEqual([]);
        expect(errors).toEqual([]);
      });
    } finally {
      await server.close();
    }
  });
});

describe.skipIf(!existsSync(BIN))('heapscope view --no-open', () => {
  it('prints the URL on stdout and serves until stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'view', '--no-open', '--no-symbolize', JEMALLOC], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no URL after 20 s; stderr: ${err}`)), 20_000);
        child.stdout.on('data', (d) => {
          out += String(d);
          const m = /^(http:\/\/127\.0\.0\.1:\d+\/\S+)\n/m.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
      });
      const base = url.slice(0, url.indexOf('/index.html'));
      const profile = await (await fetch(`${base}/profile.speedscope.json`)).json();
      expect(profile.profiles.map((p: { name: string }) => p.name)).toContain(`inuse_space (bytes in use) — ${JEMALLOC_NAME}`);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('with --format json prints {url, port, title} and serves the same', async () => {
    const child = spawn(process.execPath, [BIN, 'view', '--no-open', '--no-symbolize', '--format', 'json', JEMALLOC], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const said = await new Promise<{ url: string; port: number; title: string }>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no JSON after 20 s; stderr: ${err}`)), 20_000);
        child.stdout.on('data', (d) => {
          out += String(d);
          try {
            const json = JSON.parse(out);
            clearTimeout(timer);
            resolve(json);
          } catch {
            // not the whole document yet
          }
        });
        child.stderr.on('data', (d) => (err += String(d)));
        child.on('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
      });
      expect(said.title).toBe(JEMALLOC_NAME);
      expect(said.url).toBe(`http://127.0.0.1:${said.port}/index.html#profileURL=%2Fprofile.speedscope.json&view=left-heavy`);
      expect((await fetch(said.url)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
