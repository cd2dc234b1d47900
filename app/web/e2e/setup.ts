// Per-file setup of the browser tests: when a test fails, every page still open is saved as a
// screenshot next to the others (artifacts/e2e/failed-<test>-<n>.png) for CI to upload.
import { afterEach } from 'vitest';
import { screenshotOpenPages } from './helpers';

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  const name = ctx.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60).replace(/-+$/, '');
  const files = await screenshotOpenPages(`failed-${name}`);
  if (files.length) console.error(`screenshots of the failed test: ${files.join(', ')}`);
});

// The runner's main process owns the platform (devrun stops when that process's pipe closes).
// A worker orphaned by a killed runner must not keep driving a browser against nothing: it
// ends itself when its parent is gone. Hard: vitest intercepts process.exit() in a worker and
// then spins trying to report it to the dead parent.
const parent = process.ppid;
const parentAlive = () => {
  try {
    process.kill(parent, 0);
    return true;
  } catch {
    return false;
  }
};
setInterval(() => {
  if (!parentAlive()) process.kill(process.pid, 'SIGKILL');
}, 1000).unref();
