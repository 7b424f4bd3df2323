/**
 * `npm run web`: builds the page (web/build.ts) and serves the folder on http://localhost:8080
 * with the headers cross-origin isolation needs (Cross-Origin-Opener-Policy: same-origin,
 * Cross-Origin-Embedder-Policy: require-corp), so WebAssembly runs on several threads.
 *
 *   npm run web [-- --port 8080] [--no-build] [--no-isolation] [--dir web/dist]
 *
 * `--no-isolation` leaves the headers out (the page then trains on one thread), to see the
 * fallback. Any static host works the same way once it sends those two headers.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_OUT, buildWeb } from './build.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
};

export interface WebServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves `dir` on `port` (0: any free port) on the loopback interface. */
export function serveStatic(dir: string, opts: { port?: number; isolated?: boolean } = {}): Promise<WebServer> {
  const root = resolve(dir);
  const isolated = opts.isolated ?? true;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let file = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!file.startsWith(root)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      resolvePromise({
        url: `http://127.0.0.1:${port}/`,
        server,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const dir = resolve(arg('--dir') ?? DEFAULT_OUT);
  if (!process.argv.includes('--no-build')) {
    const r = await buildWeb(dir);
    console.log(`built ${r.outDir} (${Object.entries(r.bytes).map(([f, n]) => `${f} ${(n / 1024).toFixed(0)} KiB`).join(', ')})`);
  }
  const isolated = !process.argv.includes('--no-isolation');
  const s = await serveStatic(dir, { port: Number(arg('--port') ?? 8080), isolated });
  console.log(`tokentag in the browser: ${s.url}${isolated ? '' : ' (no cross-origin isolation: one thread)'}`);
}
