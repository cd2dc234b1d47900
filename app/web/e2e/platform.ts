// Starts and stops the system under test through devrun (app/cmd/devrun, the program behind
// `make dev`): a private PostgreSQL and redis-server when installed (else the backend's memory
// mode), the real backend and the production web build, on free ports, with a reports directory
// seeded from scripts/fixtures. devrun prints one `DEVRUN_READY {json}` line when all answer.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Platform {
  web: string;
  backend: string;
  ws: string;
  storage: string;
  reports: string;
  state: string;
  pid: number;
  /** The operator secret of this run (devrun writes it, mode 0600). */
  operatorSecretFile: string;
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const artifactsDir = process.env.E2E_ARTIFACTS
  ? path.resolve(process.env.E2E_ARTIFACTS)
  : path.join(repoRoot, 'artifacts', 'e2e');

const READY = 'DEVRUN_READY ';

export interface Running {
  platform: Platform;
  stop(): Promise<void>;
}

function devrunBinary(tmp: string): string {
  const given = process.env.DEVRUN_BIN;
  if (given) return path.resolve(given);
  const out = path.join(tmp, 'devrun');
  execFileSync('go', ['build', '-o', out, './app/cmd/devrun'], {
    cwd: repoRoot,
    stdio: 'inherit',
    env: { ...process.env, GOFLAGS: process.env.GOFLAGS ?? '-mod=mod' },
  });
  return out;
}

/** Sends sig to the process group of a detached child (or the child alone if that fails). */
function signalGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  }
}

/** Resolves when the child has exited and its output streams are drained. */
function closed(child: ChildProcess): Promise<void> {
  if ((child.exitCode !== null || child.signalCode !== null) && child.stdout?.readableEnded !== false) {
    return Promise.resolve();
  }
  return new Promise((resolve) => child.once('close', () => resolve()));
}

export async function startPlatform(): Promise<Running> {
  // Screenshots and logs of an earlier run must not pass for this run's.
  rmSync(artifactsDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'chess-e2e-'));
  const reports = path.join(tmp, 'reports');
  const state = path.join(tmp, 'state');
  mkdirSync(reports, { recursive: true });
  for (const f of ['health.json', 'services.json']) {
    copyFileSync(path.join(repoRoot, 'scripts', 'fixtures', f), path.join(reports, f));
  }
  const bin = devrunBinary(tmp);
  const args = [
    '-root', repoRoot,
    '-state', state,
    '-backend-port', '0',
    '-web-port', '0',
    '-web', 'prod',
    '-web-build', 'auto',
    '-reports', reports,
    // The seeded health.json stays as it is: the utility has its own tests (scripts/tests).
    '-health-check=false',
    '-stop-on-stdin-eof',
  ];
  if (process.env.E2E_MEMORY === '1') args.push('-memory');
  if (process.env.CHESS_SERVER_BIN) args.push('-backend-bin', path.resolve(process.env.CHESS_SERVER_BIN));

  const log = createWriteStream(path.join(artifactsDir, 'devrun.log'));
  // detached: its own process group, so the teardown can signal everything devrun started even
  // if devrun itself is stuck. stdin stays a pipe: when this process dies, devrun sees EOF.
  // ABANDON_TIMEOUT: a short abandon timeout (the backend's default is 30 s), so the claim of a
  // game whose opponent left can be tested without a long wait (e2e/presence.e2e.ts).
  const env = { ...process.env, ABANDON_TIMEOUT: process.env.ABANDON_TIMEOUT ?? '5s' };
  const child = spawn(bin, args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stderr!.pipe(log, { end: false });
  const onExit = () => signalGroup(child, 'SIGKILL');
  process.once('exit', onExit);

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 45_000);
      await closed(child);
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      log.end();
      // Logs of the run for CI (the state dir is deleted with the temp dir).
      for (const f of ['backend.log', 'web.log']) {
        const p = path.join(state, f);
        if (existsSync(p)) copyFileSync(p, path.join(artifactsDir, f));
      }
      rmSync(tmp, { recursive: true, force: true });
    })();
    return stopping;
  };

  const timeoutMs = Number(process.env.E2E_START_TIMEOUT_MS ?? 300_000);
  try {
    const platform = await new Promise<Platform>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(
        () => reject(new Error(`devrun not ready within ${timeoutMs} ms (see ${artifactsDir}/devrun.log)`)),
        timeoutMs,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        log.write(chunk);
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith(READY)) {
            clearTimeout(timer);
            resolve(JSON.parse(line.slice(READY.length)) as Platform);
          }
        }
      });
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`devrun exited before it was ready (code ${code}, signal ${sig}; see ${artifactsDir}/devrun.log)`));
      });
    });
    return { platform, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
