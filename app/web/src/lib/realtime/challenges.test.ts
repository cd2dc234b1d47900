import { describe, expect, it } from 'vitest';
import {
  type ChallengeTransport,
  ChallengeCenter,
  centerFor,
  goneText,
  outgoingText,
  parseChallengeGone,
  parseChallengeInfo,
  withdrawnText,
  yourColour,
} from './challenges';
import type { SendResult } from './client';
import type { Envelope } from './protocol';

/** A transport that records what is sent and lets the test deliver server messages. */
class FakeTransport implements ChallengeTransport {
  sent: { t: string; d?: unknown }[] = [];
  answer: SendResult = { ok: true };
  private fns = new Set<(env: Envelope) => void>();
  on(_event: 'message', fn: (env: Envelope) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  send(t: string, d?: unknown): Promise<SendResult> {
    this.sent.push({ t, d });
    return Promise.resolve(this.answer);
  }
  deliver(env: Envelope): void {
    for (const fn of this.fns) fn(env);
  }
}

const challenge = { id: 'c_abcd1234', from: 'alice', to: 'bob', tc: '3+2', color: 'white', rated: true, expiresAt: 1000 };

describe('parsers', () => {
  it('read a challenge and drop what is not one', () => {
    expect(parseChallengeInfo(challenge)).toEqual(challenge);
    expect(parseChallengeInfo({ id: 'c_abcd1234', from: 'alice', tc: '5+0', color: 'pink', rematch: 'g_abcd1234' })).toEqual({
      id: 'c_abcd1234',
      from: 'alice',
      tc: '5+0',
      color: 'random',
      rated: false,
      rematch: 'g_abcd1234',
    });
    expect(parseChallengeInfo({ id: 'c_x', tc: '5+0' })).toBeNull();
    expect(parseChallengeInfo('c_x')).toBeNull();
    expect(parseChallengeGone({ id: 'c_x', reason: 'declined', by: 'bob' })).toEqual({ id: 'c_x', reason: 'declined', by: 'bob' });
    expect(parseChallengeGone({ id: 'c_x', reason: 'eaten' })).toBeNull();
  });

  it('put colours and outcomes in words', () => {
    expect(yourColour('white')).toBe('black');
    expect(yourColour('black')).toBe('white');
    expect(yourColour('random')).toBe('a random colour');
    const o = { ...parseChallengeInfo(challenge)!, status: 'declined' as const, by: 'bob' };
    expect(outgoingText(o)).toBe('Challenge to bob declined by bob.');
    expect(outgoingText({ ...o, status: 'waiting' })).toBe('Challenge to bob sent (3+2 rated): waiting for an answer.');
    expect(outgoingText({ ...o, status: 'cancelled' })).toBe('Challenge to bob cancelled.');
    expect(outgoingText({ ...o, status: 'expired' })).toMatch(/expired/);
    expect(outgoingText({ ...o, to: undefined, status: 'accepted', by: 'carol' })).toBe('Open challenge accepted by carol. The game starts.');
    expect(outgoingText({ ...o, rematch: 'g_abcd1234', status: 'waiting' })).toBe('Rematch offered to bob: waiting for an answer.');
    expect(goneText({ id: 'c_x', reason: 'cancelled', by: 'alice' })).toBe('This challenge was cancelled by alice.');
    expect(goneText({ id: 'c_x', reason: 'expired' })).toBe('This challenge expired.');
  });
});

describe('ChallengeCenter', () => {
  it('keeps incoming challenges until they are gone', () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    let changes = 0;
    c.subscribe(() => changes++);
    tr.deliver({ t: 'challenge', d: challenge });
    tr.deliver({ t: 'challenge', d: challenge }); // a repeat replaces, never duplicates
    expect(c.snapshot().incoming).toHaveLength(1);
    tr.deliver({ t: 'challengeGone', d: { id: challenge.id, reason: 'cancelled', by: 'alice' } });
    expect(c.snapshot().incoming).toHaveLength(0);
    expect(c.snapshot().gone[challenge.id]).toEqual({ id: challenge.id, reason: 'cancelled', by: 'alice' });
    expect(c.snapshot().withdrawn).toEqual([{ id: challenge.id, from: 'alice', reason: 'cancelled' }]);
    expect(withdrawnText(c.snapshot().withdrawn[0]!)).toBe('alice cancelled the challenge.');
    expect(changes).toBe(3);
    c.dismiss(challenge.id);
    expect(c.snapshot().withdrawn).toEqual([]);
  });

  it('does not tell the player of challenges they answered themselves', () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    tr.deliver({ t: 'challenge', d: challenge });
    tr.deliver({ t: 'challengeGone', d: { id: challenge.id, reason: 'declined', by: 'bob' } });
    tr.deliver({ t: 'challenge', d: { ...challenge, id: 'c_other123' } });
    tr.deliver({ t: 'challengeGone', d: { id: 'c_other123', reason: 'accepted', by: 'bob', game: 'g_abcd1234' } });
    expect(c.snapshot().incoming).toEqual([]);
    expect(c.snapshot().withdrawn).toEqual([]);
  });

  it('follows a sent challenge from waiting to its answer', () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    tr.deliver({ t: 'challengeSent', d: challenge });
    expect(c.snapshot().outgoing.map((o) => o.status)).toEqual(['waiting']);
    tr.deliver({ t: 'challengeGone', d: { id: challenge.id, reason: 'accepted', by: 'bob', game: 'g_abcd1234' } });
    expect(c.snapshot().outgoing[0]).toMatchObject({ status: 'accepted', by: 'bob', game: 'g_abcd1234' });
    c.dismiss(challenge.id);
    expect(c.snapshot().outgoing).toHaveLength(0);
  });

  it('ignores other and malformed messages without changing its snapshot', () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    const before = c.snapshot();
    for (const env of [
      { t: 'move', d: {} },
      { t: 'challenge', d: 5 },
      { t: 'challengeGone', d: { id: 'c_x' } },
      { t: 'someFutureType', d: {} },
    ]) {
      tr.deliver(env);
    }
    expect(c.snapshot()).toBe(before);
  });

  it('sends the protocol messages, leaving out "to" for an open challenge', async () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    await c.challenge({ tc: '5+0', color: 'random', rated: false });
    await c.challenge({ to: 'bob', tc: '3+2', color: 'black', rated: true });
    await c.accept('c_1111');
    await c.decline('c_2222');
    await c.cancel('c_3333');
    await c.rematch('g_4444');
    expect(tr.sent).toEqual([
      { t: 'challenge', d: { tc: '5+0', color: 'random', rated: false } },
      { t: 'challenge', d: { to: 'bob', tc: '3+2', color: 'black', rated: true } },
      { t: 'acceptChallenge', d: { id: 'c_1111' } },
      { t: 'declineChallenge', d: { id: 'c_2222' } },
      { t: 'cancelChallenge', d: { id: 'c_3333' } },
      { t: 'rematch', d: { game: 'g_4444' } },
    ]);
  });

  it('drops an incoming challenge the server no longer knows when declining it', async () => {
    const tr = new FakeTransport();
    const c = new ChallengeCenter(tr, () => 0);
    tr.deliver({ t: 'challenge', d: challenge });
    tr.answer = { ok: false, error: { code: 'not_found', msg: 'gone', ref: 1 } };
    await c.decline(challenge.id);
    expect(c.snapshot().incoming).toHaveLength(0);
  });

  it('applies expiry times a tab missed the announcement of', () => {
    const tr = new FakeTransport();
    let now = 0;
    const c = new ChallengeCenter(tr, () => now);
    tr.deliver({ t: 'challenge', d: challenge });
    tr.deliver({ t: 'challengeSent', d: { ...challenge, id: 'c_mine1234' } });
    expect(c.expire()).toBe(false);
    now = 1000;
    expect(c.expire()).toBe(true);
    expect(c.snapshot().incoming).toHaveLength(0);
    expect(c.snapshot().withdrawn).toEqual([{ id: challenge.id, from: 'alice', reason: 'expired' }]);
    expect(c.snapshot().outgoing[0]?.status).toBe('expired');
  });

  it('is one per connection and stops listening when closed', () => {
    const tr = new FakeTransport();
    expect(centerFor(tr)).toBe(centerFor(tr));
    const c = centerFor(tr);
    c.close();
    tr.deliver({ t: 'challenge', d: challenge });
    expect(c.snapshot().incoming).toHaveLength(0);
  });
});
