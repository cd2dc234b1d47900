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
