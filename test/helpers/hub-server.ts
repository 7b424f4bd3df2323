/**
 * A local stand-in for the Hugging Face Hub (127.0.0.1 only) that answers the requests the
 * official `@huggingface/hub` client, Python's `huggingface_hub` and tokentag make, with the
 * Hub's URL layout and headers, from repositories the tests build in memory:
 *
 *   GET  /api/{models|datasets}/{repo}[/revision/{rev}]   info: sha, siblings, private, gated
 *   POST /api/{type}s/{repo}/paths-info/{rev}             oid, size, lfs {oid, size} per path
 *   GET  /api/{type}s/{repo}/tree/{rev}[/{dir}]           the file listing (recursive=true)
 *   GET  /api/datasets/{repo}/parquet                     {config: {split: [urls]}} of refs/convert/parquet
 *   HEAD|GET /[datasets/]{repo}/resolve/{rev}/{file}      ETag, X-Repo-Commit; LFS files: 302 to /cdn/{sha256}
 *                                                         with X-Linked-Etag and X-Linked-Size; Range requests
 *   GET  /api/whoami-v2, POST /api/repos/create            push: who the token is, create a repo (409 if it exists)
 *   POST /api/{type}s/{repo}/preupload/{rev}               push: which files go through LFS
 *   POST /[datasets/]{repo}.git/info/lfs/objects/batch     push: LFS batch (basic transfer) → PUT /lfs-upload/{oid}
 *   POST /api/{type}s/{repo}/commit/{rev}                  push: the NDJSON commit
 *
 * Errors carry the Hub's `X-Error-Code` (RepoNotFound, GatedRepo, RevisionNotFound,
 * EntryNotFound). As on the Hub, a repository the caller may not see answers 401 without a token
 * and 404 with one. Every request is logged in `requests`, so tests can say "no request was made".
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RepoType = 'model' | 'dataset';
export type FileContent = string | Uint8Array;

interface StoredFile {
  readonly content: Buffer;
  readonly lfs: boolean;
  /** git blob sha1 (non-LFS) — the ETag of a regular file. */
  readonly gitOid: string;
  /** sha256 of the content — the ETag (X-Linked-Etag) of an LFS file. */
  readonly sha256: string;
}

interface Repo {
  readonly type: RepoType;
  readonly id: string;
  private: boolean;
  gated: boolean;
  readonly commits: Map<string, Map<string, StoredFile>>;
  readonly refs: Map<string, string>;
}

export interface RepoOptions {
  readonly type?: RepoType;
  readonly private?: boolean;
  /** Gated: only the tokens in `FakeHub.grant` may read its files. */
  readonly gated?: boolean;
  /** Branch (default main). */
  readonly branch?: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly range: string | undefined;
}

const LFS_EXTENSIONS = /\.(safetensors|bin|onnx|onnx_data|parquet|h5|msgpack|model)$/;

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const gitBlobSha1 = (b: Uint8Array): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

function storedFile(path: string, content: FileContent): StoredFile {
  const buf = Buffer.from(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  return { content: buf, lfs: LFS_EXTENSIONS.test(path) || buf.length > 1_000_000, gitOid: gitBlobSha1(buf), sha256: sha256Hex(buf) };
}

export class FakeHub {
  readonly repos = new Map<string, Repo>();
  /** Renamed repositories: old id → new id (as `bert-base-cased` → `google-bert/bert-base-cased`). */
  readonly aliases = new Map<string, string>();
  readonly requests: LoggedRequest[] = [];
  /** token → user name. */
  readonly tokens = new Map<string, string>([['hf_testtoken', 'tester']]);
  /** Tokens allowed into gated repos. */
  readonly grant = new Set<string>(['hf_testtoken']);
  readonly lfsObjects = new Map<string, Buffer>();
  readonly #cuts = new Map<string, { after: number; times: number }>();
  #server: http.Server;
  #commitCounter = 0;
  url = '';
  cdnUrl = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) this.#json(res, 500, { error: String((e as Error).stack ?? e) });
        else res.destroy();
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const port = (this.#server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${port}`;
    this.cdnUrl = `http://localhost:${port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Fault injection: the next `times` downloads of the content with this sha256 drop the connection after `after` bytes of body. */
  interrupt(sha256: string, after: number, times = 1): void {
    this.#cuts.set(sha256, { after, times });
  }

  /** Requests since `from` (an index into `requests`). */
  since(from: number): LoggedRequest[] {
    return this.requests.slice(from);
  }

  #key(type: RepoType, id: string): string {
    return `${type}:${id}`;
  }

  repo(id: string, type: RepoType = 'model'): Repo {
    const r = this.repos.get(this.#key(type, id));
    if (!r) throw new Error(`no fake repo ${type}:${id}`);
    return r;
  }

  /** Creates a repository whose first commit holds `files`; returns the commit sha. */
  addRepo(id: string, files: Readonly<Record<string, FileContent>>, options: RepoOptions = {}): string {
    const type = options.type ?? 'model';
    const repo: Repo = { type, id, private: options.private ?? false, gated: options.gated ?? false, commits: new Map(), refs: new Map() };
    this.repos.set(this.#key(type, id), repo);
    return this.commit(id, files, { type, branch: options.branch ?? 'main' });
  }

  /** A new commit on `branch` (default main) that adds or replaces `files` (and keeps the rest). */
  commit(id: string, files: Readonly<Record<string, FileContent>>, options: { type?: RepoType; branch?: string; deleted?: readonly string[] } = {}): string {
    const repo = this.repo(id, options.type ?? 'model');
    const branch = options.branch ?? 'main';
    // A new branch starts from main, as `create_branch` does; refs/convert/parquet starts empty.
    const parent = repo.refs.get(branch) ?? (branch.startsWith('refs/') ? undefined : repo.refs.get('main'));
    const tree = new Map(parent ? repo.commits.get(parent) : []);
    for (const [path, content] of Object.entries(files)) tree.set(path, storedFile(path, content));
    for (const path of options.deleted ?? []) tree.delete(path);
    const sha = createHash('sha1').update(`${repo.type}:${repo.id}:${branch}:${++this.#commitCounter}:${[...tree.keys()].join(',')}`).digest('hex');
    repo.commits.set(sha, tree);
    repo.refs.set(branch, sha);
    return sha;
  }

  /** The file contents of a revision (tests compare what was pushed). */
  files(id: string, revision = 'main', type: RepoType = 'model'): Map<string, Buffer> {
    const repo = this.repo(id, type);
    const sha = repo.refs.get(revision) ?? revision;
    return new Map([...(repo.commits.get(sha) ?? [])].map(([p, f]) => [p, f.content]));
  }

  // ---- request handling ----------------------------------------------------------------

  #json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  #error(res: http.ServerResponse, status: number, code: string | undefined, message: string): void {
    this.#json(res, status, { error: message }, { ...(code ? { 'X-Error-Code': code } : {}), 'X-Error-Message': message });
  }

  #user(req: http.IncomingMessage): { token?: string; user?: string; invalid: boolean } {
    const auth = req.headers.authorization;
    if (!auth) return { invalid: false };
    const token = auth.replace(/^Bearer\s+/i, '');
    const user = this.tokens.get(token);
    return { token, user, invalid: user === undefined };
  }

  /** The repository if the caller may see it, else an error was sent (401 without a token, 404 with one, as the Hub). */
  #visible(req: http.IncomingMessage, res: http.ServerResponse, type: RepoType, id: string, files: boolean): Repo | undefined {
    const who = this.#user(req);
    if (who.invalid) {
      this.#error(res, 401, undefined, 'Invalid credentials in Authorization header');
      return undefined;
    }
    const repo = this.repos.get(this.#key(type, id));
    if (!repo || (repo.private && who.user === undefined)) {
      this.#error(res, who.user ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    if (files && repo.gated && !(who.token && this.grant.has(who.token))) {
      const status = who.user ? 403 : 401;
      this.#error(res, status, 'GatedRepo', `Access to ${type} ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return undefined;
    }
    return repo;
  }

  #revision(res: http.ServerResponse, repo: Repo, rev: string): { sha: string; tree: Map<string, StoredFile> } | undefined {
    const name = rev === 'HEAD' ? 'main' : rev;
    const sha = repo.refs.get(name) ?? (repo.commits.has(name) ? name : undefined);
    if (!sha) {
      this.#error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return undefined;
    }
    return { sha, tree: repo.commits.get(sha)! };
  }

  /** A renamed repository: 307 to the same URL with the new id, as the Hub does. */
  #redirectAlias(res: http.ServerResponse, url: URL, id: string, prefix: string): boolean {
    const target = this.aliases.get(id);
    if (!target) return false;
    const location = url.pathname.replace(`${prefix}${id}`, `${prefix}${target}`) + url.search;
    res.writeHead(307, { Location: location, 'Content-Length': 0 });
    res.end();
    return true;
  }

  async #body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url!, this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, url: url.pathname + url.search, authorization: req.headers.authorization, range: req.headers.range as string | undefined });
    const p = url.pathname;
    let m: RegExpMatchArray | null;

    if (method === 'GET' && p === '/api/whoami-v2') {
      const who = this.#user(req);
      if (!who.user) return this.#error(res, 401, undefined, 'Invalid credentials in Authorization header');
      return this.#json(res, 200, { type: 'user', name: who.user, fullname: who.user, orgs: [], auth: { type: 'access_token', accessToken: { displayName: 'test', role: 'write' } } });
    }
    if (method === 'POST' && p === '/api/repos/create') return this.#createRepo(req, res);
    if ((m = p.match(/^\/cdn\/([0-9a-f]{64})$/))) return this.#serveBytes(req, res, this.#blobBySha(m[1]!), m[1]!, {});
    if (method === 'PUT' && (m = p.match(/^\/lfs-upload\/([0-9a-f]{64})$/))) {
      const body = await this.#body(req);
      if (sha256Hex(body) !== m[1]) return this.#error(res, 400, undefined, 'uploaded content does not match its oid');
      this.lfsObjects.set(m[1]!, body);
      res.writeHead(200, { 'Content-Length': 0 });
      return void res.end();
    }
    if (method === 'POST' && (m = p.match(/^\/(datasets\/)?(.+)\.git\/info\/lfs\/objects\/batch$/))) return this.#lfsBatch(req, res, m[1] ? 'dataset' : 'model', m[2]!);

    if ((m = p.match(/^\/api\/(models|datasets)\/(.+?)\/(revision|paths-info|tree|preupload|commit)\/([^/]+)(?:\/(.*))?$/))) {
      const type: RepoType = m[1] === 'models' ? 'model' : 'dataset';
      const id = m[2]!;
      if (this.#redirectAlias(res, url, id, `/api/${m[1]}/`)) return;
      const rev = decodeURIComponent(m[4]!);
      const action = m[3]!;
      if (action === 'preupload' || action === 'commit') return this.#writeAction(req, res, type, id, rev, action);
      const repo = this.#visible(req, res, type, id, action !== 'revision');
      if (!repo) return;
      const r = this.#revision(res, repo, rev);
      if (!r) return;
      if (action === 'revision') return this.#json(res, 200, this.#info(repo, r.sha, r.tree));
      if (action === 'paths-info') {
        const body = JSON.parse((await this.#body(req)).toString('utf8')) as { paths: string[] };
        return this.#json(res, 200, body.paths.filter((path) => r.tree.has(path)).map((path) => this.#pathInfo(path, r.tree.get(path)!)));
      }
      const dir = m[5] ? decodeURIComponent(m[5]) : '';
      const recursive = url.searchParams.get('recursive') === 'true' || url.searchParams.get('recursive') === '1';
      return this.#json(res, 200, this.#tree(r.tree, dir, recursive));
    }
    if (method === 'GET' && (m = p.match(/^\/api\/datasets\/(.+?)\/parquet$/))) {
      if (this.#redirectAlias(res, url, m[1]!, '/api/datasets/')) return;
      const repo = this.#visible(req, res, 'dataset', m[1]!, true);
      if (!repo) return;
      const sha = repo.refs.get('refs/convert/parquet');
      if (!sha) return this.#error(res, 404, undefined, 'The dataset has no Parquet conversion');
      const out: Record<string, Record<string, string[]>> = {};
      for (const path of [...repo.commits.get(sha)!.keys()].sort()) {
        const [config, split] = path.split('/');
        if (!path.endsWith('.parquet') || !split) continue;
        ((out[config!] ??= {})[split] ??= []).push(`${this.url}/datasets/${repo.id}/resolve/${encodeURIComponent('refs/convert/parquet')}/${path}`);
      }
      return this.#json(res, 200, out);
    }
    if ((m = p.match(/^\/api\/(models|datasets)\/(.+)$/)) && method === 'GET') {
      const type: RepoType = m[1] === 'models' ? 'model' : 'dataset';
      if (this.#redirectAlias(res, url, m[2]!, `/api/${m[1]}/`)) return;
      const repo = this.#visible(req, res, type, m[2]!, false);
      if (!repo) return;
      const r = this.#revision(res, repo, 'main');
      if (r) this.#json(res, 200, this.#info(repo, r.sha, r.tree));
      return;
    }
    if ((method === 'GET' || method === 'HEAD') && (m = p.match(/^\/(datasets\/)?(.+?)\/resolve\/([^/]+)\/(.+)$/))) {
      const type: RepoType = m[1] ? 'dataset' : 'model';
      const id = m[2]!;
      if (this.#redirectAlias(res, url, id, `/${m[1] ?? ''}`)) return;
      const repo = this.#visible(req, res, type, id, true);
      if (!repo) return;
      const r = this.#revision(res, repo, decodeURIComponent(m[3]!));
      if (!r) return;
      const path = decodeURIComponent(m[4]!);
      const file = r.tree.get(path);
      if (!file) {
        // The Hub names the commit even here; Python records the miss in .no_exist/<commit>/<file>.
        const message = `${path} does not exist on "${decodeURIComponent(m[3]!)}"`;
        return this.#json(res, 404, { error: message }, { 'X-Error-Code': 'EntryNotFound', 'X-Error-Message': message, 'X-Repo-Commit': r.sha });
      }
      if (file.lfs) {
        res.writeHead(302, {
          // Another host name for the same server, as the Hub's CDN is another host: clients must
          // not send the token there, and Python's HEAD stops at this response.
          Location: `${this.cdnUrl}/cdn/${file.sha256}`,
          'X-Repo-Commit': r.sha,
          'X-Linked-Etag': `"${file.sha256}"`,
          'X-Linked-Size': String(file.content.length),
          ETag: `"${file.sha256}"`,
          'Content-Length': 0,
        });
        return void res.end();
      }
      return this.#serveBytes(req, res, file.content, file.sha256, { ETag: `"${file.gitOid}"`, 'X-Repo-Commit': r.sha });
    }
    this.#error(res, 404, undefined, `no route for ${method} ${p}`);
  }

  #blobBySha(sha: string): Buffer | undefined {
    for (const repo of this.repos.values()) for (const tree of repo.commits.values()) for (const f of tree.values()) if (f.sha256 === sha) return f.content;
    return this.lfsObjects.get(sha);
  }

  /** Bytes with Range support (206 + Content-Range), and the fault injection of `cutAfter`. */
  #serveBytes(req: http.IncomingMessage, res: http.ServerResponse, content: Buffer | undefined, sha: string, headers: Record<string, string>): void {
    if (!content) return this.#error(res, 404, undefined, 'no such object');
    const base = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', ...(headers.ETag ? {} : { ETag: `"${sha}"` }), ...headers };
    let start = 0;
    let end = content.length - 1;
    let status = 200;
    const range = req.headers.range;
    if (range) {
      const m = range.match(/^bytes=(\d+)-(\d*)$/);
      if (!m || Number(m[1]) >= content.length) {
        res.writeHead(416, { ...base, 'Content-Range': `bytes */${content.length}` });
        return void res.end();
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), content.length - 1) : content.length - 1;
      status = 206;
    }
    const body = content.subarray(start, end + 1);
    res.writeHead(status, { ...base, 'Content-Length': body.length, ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${content.length}` } : {}) });
    if (req.method === 'HEAD') return void res.end();
    const cut = this.#cuts.get(sha);
    if (cut !== undefined && cut.after < body.length) {
      if (--cut.times === 0) this.#cuts.delete(sha);
      // Send part of the body, then drop the connection: an interrupted download.
      res.write(body.subarray(0, cut.after), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  }

  #pathInfo(path: string, f: StoredFile) {
    return {
      type: 'file',
      path,
      oid: f.gitOid,
      size: f.content.length,
      ...(f.lfs ? { lfs: { oid: f.sha256, size: f.content.length, pointerSize: 134 } } : {}),
    };
  }

  #tree(tree: Map<string, StoredFile>, dir: string, recursive: boolean) {
    const prefix = dir ? `${dir.replace(/\/$/, '')}/` : '';
    const out: unknown[] = [];
    const dirs = new Set<string>();
    for (const [path, f] of [...tree].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const parts = rest.split('/');
      for (let i = 1; i < parts.length && (recursive || i === 1); i++) {
        const d = prefix + parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', path: d, oid: createHash('sha1').update(d).digest('hex'), size: 0 });
        }
      }
      if (parts.length === 1 || recursive) out.push(this.#pathInfo(path, f));
    }
    return out;
  }

  #info(repo: Repo, sha: string, tree: Map<string, StoredFile>) {
    return {
      _id: createHash('sha1').update(repo.id).digest('hex').slice(0, 24),
      id: repo.id,
      private: repo.private,
      gated: repo.gated ? 'auto' : false,
      disabled: false,
      downloads: 0,
      likes: 0,
      lastModified: '2026-12-01T00:00:00.000Z',
      sha,
      tags: [],
      ...(repo.type === 'model' ? { pipeline_tag: 'token-classification' } : {}),
      siblings: [...tree.keys()].sort().map((rfilename) => ({ rfilename })),
    };
  }

  // ---- push ----------------------------------------------------------------------------

  async #createRepo(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const who = this.#user(req);
    if (!who.user) return this.#error(res, 401, undefined, 'You must be authenticated to create a repo');
    const body = JSON.parse((await this.#body(req)).toString('utf8')) as { name: string; organization?: string; type?: RepoType; private?: boolean; visibility?: string };
    const namespace = body.organization ?? who.user;
    if (namespace !== who.user) return this.#error(res, 403, undefined, `You don't have the rights to create a repo under the namespace "${namespace}"`);
    const type = body.type ?? 'model';
    const id = `${namespace}/${body.name}`;
    const url = `${this.url}/${type === 'dataset' ? 'datasets/' : ''}${id}`;
    if (this.repos.has(this.#key(type, id))) return this.#json(res, 409, { error: 'You already created this model repo', url });
    this.addRepo(id, { '.gitattributes': '*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.onnx filter=lfs diff=lfs merge=lfs -text\n' }, { type, private: body.private === true || body.visibility === 'private' });
    this.#json(res, 200, { url, id, name: id });
  }

  async #writeAction(req: http.IncomingMessage, res: http.ServerResponse, type: RepoType, id: string, rev: string, action: string): Promise<void> {
    const who = this.#user(req);
    const repo = this.repos.get(this.#key(type, id));
    if (!who.user || !repo || id.split('/')[0] !== who.user) return this.#error(res, who.user ? 404 : 401, 'RepoNotFound', 'Repository not found');
    const body = await this.#body(req);
    if (action === 'preupload') {
      const { files } = JSON.parse(body.toString('utf8')) as { files: { path: string; size: number }[] };
      return this.#json(res, 200, { files: files.map((f) => ({ path: f.path, uploadMode: LFS_EXTENSIONS.test(f.path) || f.size > 1_000_000 ? 'lfs' : 'regular', shouldIgnore: false })) });
    }
    // commit: NDJSON lines {key: header|file|lfsFile|deletedFile, value}
    const files: Record<string, FileContent> = {};
    const deleted: string[] = [];
    let summary = '';
    for (const line of body.toString('utf8').split('\n').filter((l) => l.trim() !== '')) {
      const { key, value } = JSON.parse(line) as { key: string; value: Record<string, string | number> };
      if (key === 'header') summary = String(value.summary ?? '');
      else if (key === 'file') files[String(value.path)] = Buffer.from(String(value.content), value.encoding === 'base64' ? 'base64' : 'utf8');
      else if (key === 'lfsFile') {
        const obj = this.lfsObjects.get(String(value.oid));
        if (!obj) return this.#error(res, 400, undefined, `LFS object ${value.oid} was not uploaded`);
        files[String(value.path)] = obj;
      } else if (key === 'deletedFile') deleted.push(String(value.path));
    }
    if (!summary) return this.#error(res, 400, undefined, 'a commit needs a summary');
    const sha = this.commit(id, files, { type, branch: rev, deleted });
    this.#json(res, 200, { success: true, commitOid: sha, commitUrl: `${this.url}/${id}/commit/${sha}`, commitMessage: summary });
  }

  async #lfsBatch(req: http.IncomingMessage, res: http.ServerResponse, type: RepoType, id: string): Promise<void> {
    const who = this.#user(req);
    if (!who.user || !this.repos.has(this.#key(type, id))) return this.#error(res, 401, 'RepoNotFound', 'Repository not found');
    const body = JSON.parse((await this.#body(req)).toString('utf8')) as { objects: { oid: string; size: number }[] };
    this.#json(
      res,
      200,
      {
        transfer: 'basic',
        objects: body.objects.map((o) => ({
          oid: o.oid,
          size: o.size,
          authenticated: true,
          // Storage is another host, as S3 is for the Hub: no token may go there.
          ...(this.lfsObjects.has(o.oid) ? {} : { actions: { upload: { href: `${this.cdnUrl}/lfs-upload/${o.oid}` } } }),
        })),
      },
      { 'Content-Type': 'application/vnd.git-lfs+json' },
    );
  }
}

export async function startFakeHub(): Promise<FakeHub> {
  return new FakeHub().listen();
}
