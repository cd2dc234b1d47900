import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GET as healthGET } from '@/app/api/health/route';
import { GET as servicesGET } from '@/app/api/services/route';
import { resetOperatorLimiter } from './operator';
import { DEFAULT_REPORTS_DIR, reportsDir } from './reports';

// The utilities' own fixtures (scripts/fixtures, written with the scripts) when present, and the
// shapes from docs/design/backend.md kept here.
const repoFixtures = path.resolve(__dirname, '../../../../../scripts/fixtures');
const localFixtures = path.resolve(__dirname, '../../test/fixtures');
const fixtureDirs = [localFixtures, ...(existsSync(path.join(repoFixtures, 'health.json')) ? [repoFixtures] : [])];

let dir: string;
const saved = { REPORTS_DIR: process.env.REPORTS_DIR, OPERATOR_SECRET: process.env.OPERATOR_SECRET };
const SECRET = 'reports-test-operator-secret-0123456789abcdef';

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'reports-'));
  process.env.REPORTS_DIR = dir;
  process.env.OPERATOR_SECRET = SECRET;
  resetOperatorLimiter();
});

afterEach(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await rm(dir, { recursive: true, force: true });
});

// The full reports as the operator reads them (operator.test.ts covers who else may).
const asOperator = (GET: (r: Request) => Promise<Response>) => () =>
  GET(new Request('http://web.test/api/x?detail=full', { headers: { Authorization: `Bearer ${SECRET}` } }));
const handlers = [
  ['health', asOperator(healthGET)],
  ['services', asOperator(servicesGET)],
] as const;

describe.each(handlers)('/api/%s', (name, GET) => {
  it.each(fixtureDirs)(`serves ${name}.json from REPORTS_DIR unchanged (fixtures in %s)`, async (fixtures) => {
    await copyFile(path.join(fixtures, `${name}.json`), path.join(dir, `${name}.json`));
    const res = await GET();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const body = (await res.json()) as { schema: string };
    expect(body.schema).toBe(`chess.${name}/v1`);
    const { readFile } = await import('node:fs/promises');
    expect(body).toEqual(JSON.parse(await readFile(path.join(fixtures, `${name}.json`), 'utf8')));
  });

  it('answers 503 "no report yet" when the file is missing', async () => {
    const res = await GET();
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(await res.json()).toMatchObject({ error: 'no report yet', report: name });
  });

  it('answers 503 when REPORTS_DIR itself does not exist', async () => {
    process.env.REPORTS_DIR = path.join(dir, 'nope');
    expect((await GET()).status).toBe(503);
  });

  it('answers 500 with a clear message when the file is not valid JSON', async () => {
    await writeFile(path.join(dir, `${name}.json`), '{"schema": "chess.');
    const res = await GET();
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; detail: string };
    expect(body.error).toBe('report unreadable');
    expect(body.detail).toContain(`${name}.json is not valid JSON`);
  });

  it('answers 500 when the JSON is not an object', async () => {
    await writeFile(path.join(dir, `${name}.json`), '[1,2]');
    const res = await GET();
    expect(res.status).toBe(500);
    expect(((await res.json()) as { detail: string }).detail).toContain('not a JSON object');
  });

  it('reads the file again on every request (no caching)', async () => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ schema: `chess.${name}/v1`, generatedAt: 'one' }));
    expect(((await (await GET()).json()) as { generatedAt: string }).generatedAt).toBe('one');
    await writeFile(file, JSON.stringify({ schema: `chess.${name}/v1`, generatedAt: 'two' }));
    expect(((await (await GET()).json()) as { generatedAt: string }).generatedAt).toBe('two');
  });
});

describe('reportsDir', () => {
  it('defaults to the shared volume path', () => {
    expect(reportsDir({} as NodeJS.ProcessEnv)).toBe(DEFAULT_REPORTS_DIR);
    expect(reportsDir({ REPORTS_DIR: ' ' } as unknown as NodeJS.ProcessEnv)).toBe(DEFAULT_REPORTS_DIR);
    expect(reportsDir({ REPORTS_DIR: '/x' } as unknown as NodeJS.ProcessEnv)).toBe('/x');
  });
});
