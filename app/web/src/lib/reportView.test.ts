import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthView, percent, servicesView } from './reportView';

const local = path.resolve(__dirname, '../test/fixtures');
const repo = path.resolve(__dirname, '../../../../scripts/fixtures');
const dirs = [local, ...(existsSync(path.join(repo, 'health.json')) ? [repo] : [])];
const read = (dir: string, f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;

describe.each(dirs)('report views of the fixtures in %s', (dir) => {
  it('reads every health target', () => {
    const raw = read(dir, 'health.json');
    const v = healthView(raw);
    expect(v.status).toBe(raw.status);
    expect(v.targets).toHaveLength((raw.targets as unknown[]).length);
    for (const t of v.targets) {
      expect(t.url).not.toBe('(no url)');
      expect(['ok', 'degraded', 'down']).toContain(t.status);
    }
  });
  it('reads resources, summaries and errors of the service listing', () => {
    const raw = read(dir, 'services.json');
    const v = servicesView(raw);
    expect(v.resources).toHaveLength((raw.resources as unknown[]).length);
    expect(v.counts.reduce((n, [, c]) => n + c, 0)).toBe(v.resources.length);
    expect(v.summaries.map(([k]) => k).sort()).toEqual(Object.keys(raw.summaries as object).sort());
    expect(v.errors).toHaveLength((raw.errors as unknown[]).length);
    if (typeof raw.complete === 'boolean') expect(v.complete).toBe(raw.complete);
    for (const e of v.errors) expect(e.message).not.toBe('');
  });
});

describe('defensive reading', () => {
  it('survives an empty report', () => {
    expect(healthView({})).toEqual({
      status: 'unknown',
      generatedAt: null,
      threshold: null,
      window: null,
      timeoutMs: null,
      targets: [],
    });
    expect(servicesView({ resources: 'x', errors: [1] }).resources).toEqual([]);
  });
  it('formats ratios', () => {
    expect(percent(1)).toBe('100 %');
    expect(percent(0.85)).toBe('85.0 %');
    expect(percent(null)).toBe('–');
  });
});
