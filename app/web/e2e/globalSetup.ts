// Vitest global setup for the browser tests: one platform for every e2e file, stopped at the
// end even when tests fail (vitest runs the returned teardown in every case).
import type { TestProject } from 'vitest/node';
import { type Platform, startPlatform } from './platform';

declare module 'vitest' {
  export interface ProvidedContext {
    platform: Platform;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const { platform, stop } = await startPlatform();
  console.log(`e2e platform ready in ${Date.now() - started} ms: web ${platform.web}, backend ${platform.backend} (${platform.storage})`);
  project.provide('platform', platform);
  return async () => {
    const t = Date.now();
    await stop();
    console.log(`e2e platform stopped in ${Date.now() - t} ms`);
  };
}
