// Two-way challenges as the browser keeps them (docs/protocol.md: challenge, challengeSent,
// challengeGone, cancelChallenge, rematch): the challenges waiting for this player, the ones it
// sent and what became of them. One ChallengeCenter per connection, shared by every page (the
// banner in the layout, the lobby's form, the challenge link page, the game's rematch box).
import type { SendResult } from './client';
import type { Envelope } from './protocol';

export type GoneReason = 'accepted' | 'declined' | 'cancelled' | 'expired';

export interface ChallengeInfo {
  id: string;
  from: string;
  /** Absent for an open challenge (a link). */
  to?: string;
  tc: string;
  /** The challenger's colour. */
  color: 'white' | 'black' | 'random';
  rated: boolean;
  /** Unix ms; absent from servers that do not send it. */
  expiresAt?: number;
  /** The game this is a rematch of. */
  rematch?: string;
}

export interface ChallengeGone {
  id: string;
  reason: GoneReason;
  game?: string;
  by?: string;
}

export interface Outgoing extends ChallengeInfo {
  /** 'waiting' until a challengeGone (or the expiry time) says otherwise. */
  status: 'waiting' | GoneReason;
  by?: string;
  game?: string;
}

/** An incoming challenge that went away without this player's answer: cancelled or expired. */
export interface Withdrawn {
  id: string;
  from: string;
  reason: 'cancelled' | 'expired';
  rematch?: string;
}

export interface ChallengeSnapshot {
  incoming: readonly ChallengeInfo[];
  outgoing: readonly Outgoing[];
  /** Incoming challenges cancelled by their sender or expired, to tell the player. */
  withdrawn: readonly Withdrawn[];
  /** Why challenges this tab heard of are gone, by id (the link page reads it). */
  gone: Readonly<Record<string, ChallengeGone>>;
}

/** What the center needs of a RealtimeClient. */
export interface ChallengeTransport {
  on(event: 'message', fn: (env: Envelope) => void): () => void;
  send(t: string, d?: unknown): Promise<SendResult>;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

export function parseChallengeInfo(x: unknown): ChallengeInfo | null {
  if (!isObj(x)) return null;
  const id = str(x.id);
  const from = str(x.from);
  const tc = str(x.tc);
  if (!id || !from || !tc) return null;
  const color = x.color === 'white' || x.color === 'black' ? x.color : 'random';
  const info: ChallengeInfo = { id, from, tc, color, rated: x.rated === true };
  const to = str(x.to);
  if (to) info.to = to;
  if (typeof x.expiresAt === 'number' && Number.isFinite(x.expiresAt)) info.expiresAt = x.expiresAt;
  const rematch = str(x.rematch);
  if (rematch) info.rematch = rematch;
  return info;
}

export function parseChallengeGone(x: unknown): ChallengeGone | null {
  if (!isObj(x)) return null;
  const id = str(x.id);
  const reason = x.reason;
  if (!id || (reason !== 'accepted' && reason !== 'declined' && reason !== 'cancelled' && reason !== 'expired')) return null;
  const g: ChallengeGone = { id, reason };
  const game = str(x.game);
  if (game) g.game = game;
  const by = str(x.by);
  if (by) g.by = by;
  return g;
}

/** The colour the challenged player gets, in words. */
export function yourColour(challengerColor: ChallengeInfo['color']): string {
  return challengerColor === 'random' ? 'a random colour' : challengerColor === 'white' ? 'black' : 'white';
}

/** "3+2 rated" / "5+0 casual". */
export function terms(c: Pick<ChallengeInfo, 'tc' | 'rated'>): string {
  return `${c.tc} ${c.rated ? 'rated' : 'casual'}`;
}

/** What became of a challenge this player sent, in words. */
export function outgoingText(o: Outgoing): string {
  const what = o.rematch ? 'Rematch offer' : o.to ? `Challenge to ${o.to}` : 'Open challenge';
  switch (o.status) {
    case 'waiting':
      return o.rematch ? `Rematch offered to ${o.to ?? 'your opponent'}: waiting for an answer.` : `${what} sent (${terms(o)}): waiting for an answer.`;
    case 'accepted':
      return `${what} accepted${o.by ? ` by ${o.by}` : ''}. The game starts.`;
    case 'declined':
      return `${what} declined${o.by ? ` by ${o.by}` : ''}.`;
    case 'cancelled':
      return `${what} cancelled.`;
    case 'expired':
      return `${what} expired: nobody answered within 5 minutes.`;
  }
}

/** What became of an incoming challenge the player did not answer, in words. */
export function withdrawnText(w: Withdrawn): string {
  const what = w.rematch ? 'rematch offer' : 'challenge';
  return w.reason === 'cancelled' ? `${w.from} cancelled the ${what}.` : `The ${what} from ${w.from} expired.`;
}

/** Why an incoming challenge (or a link) is no longer available, in words. */
export function goneText(g: ChallengeGone): string {
  switch (g.reason) {
    case 'accepted':
      return `This challenge was accepted${g.by ? ` by ${g.by}` : ''}.`;
    case 'declined':
      return `This challenge was declined${g.by ? ` by ${g.by}` : ''}.`;
    case 'cancelled':
      return `This challenge was cancelled${g.by ? ` by ${g.by}` : ''}.`;
    case 'expired':
      return 'This challenge expired.';
  }
}

export const EMPTY_CHALLENGES: ChallengeSnapshot = { incoming: [], outgoing: [], withdrawn: [], gone: {} };

/**
 * Keeps this player's challenges from the server's messages. Snapshots are immutable, so React
 * can read them with useSyncExternalStore.
 */
export class ChallengeCenter {
  private snap: ChallengeSnapshot = EMPTY_CHALLENGES;
  private readonly subs = new Set<() => void>();
  private readonly off: () => void;

  constructor(
    private readonly transport: ChallengeTransport,
    private readonly now: () => number = Date.now,
  ) {
    this.off = transport.on('message', (env) => this.onMessage(env));
  }

  snapshot = (): ChallengeSnapshot => this.snap;

  subscribe = (fn: () => void): (() => void) => {
    this.subs.add(fn);
    return () => {
      this.subs.delete(fn);
    };
  };

  close(): void {
    this.off();
    this.subs.clear();
  }

  /** Sends a challenge; `to` undefined creates an open challenge (a link). */
  challenge(c: { to?: string; tc: string; color: ChallengeInfo['color']; rated: boolean }): Promise<SendResult> {
    const d: Record<string, unknown> = { tc: c.tc, color: c.color, rated: c.rated };
    if (c.to) d.to = c.to;
    return this.transport.send('challenge', d);
  }

  accept(id: string): Promise<SendResult> {
    return this.transport.send('acceptChallenge', { id });
  }

  decline(id: string): Promise<SendResult> {
    return this.answered(id, this.transport.send('declineChallenge', { id }));
  }

  cancel(id: string): Promise<SendResult> {
    return this.transport.send('cancelChallenge', { id });
  }

  rematch(game: string): Promise<SendResult> {
    return this.transport.send('rematch', { game });
  }

  /** Forgets a finished outgoing challenge or a withdrawn notice (the banner's Dismiss). */
  dismiss(id: string): void {
    const outgoing = this.snap.outgoing.filter((o) => o.id !== id);
    const withdrawn = this.snap.withdrawn.filter((w) => w.id !== id);
    if (outgoing.length !== this.snap.outgoing.length || withdrawn.length !== this.snap.withdrawn.length) {
      this.set({ ...this.snap, outgoing, withdrawn });
    }
  }

  /**
   * Applies the expiry times the server gave: the server announces expiries itself, this only
   * covers a tab that missed the announcement (it was offline). Returns whether anything changed.
   */
  expire(): boolean {
    const t = this.now();
    const due = (c: ChallengeInfo) => c.expiresAt !== undefined && c.expiresAt <= t;
    const incoming = this.snap.incoming.filter((c) => !due(c));
    const expired = this.snap.incoming.filter(due).map((c) => withdrawnOf(c, 'expired'));
    let changed = expired.length > 0;
    const outgoing = this.snap.outgoing.map((o) => {
      if (o.status !== 'waiting' || !due(o)) return o;
      changed = true;
      return { ...o, status: 'expired' as const };
    });
    if (changed) this.set({ ...this.snap, incoming, outgoing, withdrawn: [...this.snap.withdrawn, ...expired] });
    return changed;
  }

  private async answered(id: string, r: Promise<SendResult>): Promise<SendResult> {
    const res = await r;
    // A refusal means it is gone already (or was never ours): do not leave it on screen.
    if (!res.ok && res.error?.code === 'not_found') this.drop(id);
    return res;
  }

  private drop(id: string): void {
    const incoming = this.snap.incoming.filter((c) => c.id !== id);
    if (incoming.length !== this.snap.incoming.length) this.set({ ...this.snap, incoming });
  }

  private onMessage(env: Envelope): void {
    switch (env.t) {
      case 'challenge': {
        const c = parseChallengeInfo(env.d);
        if (!c) return;
        this.set({ ...this.snap, incoming: [...this.snap.incoming.filter((x) => x.id !== c.id), c] });
        return;
      }
      case 'challengeSent': {
        const c = parseChallengeInfo(env.d);
        if (!c) return;
        const o: Outgoing = { ...c, status: 'waiting' };
        this.set({ ...this.snap, outgoing: [...this.snap.outgoing.filter((x) => x.id !== c.id), o] });
        return;
      }
      case 'challengeGone': {
        const g = parseChallengeGone(env.d);
        if (!g) return;
        const was = this.snap.incoming.find((x) => x.id === g.id);
        const told = was && (g.reason === 'cancelled' || g.reason === 'expired') ? [withdrawnOf(was, g.reason)] : [];
        this.set({
          incoming: this.snap.incoming.filter((x) => x.id !== g.id),
          withdrawn: [...this.snap.withdrawn.filter((w) => w.id !== g.id), ...told],
          outgoing: this.snap.outgoing.map((o) => (o.id === g.id ? { ...o, status: g.reason, by: g.by, game: g.game } : o)),
          gone: { ...this.snap.gone, [g.id]: g },
        });
        return;
      }
    }
  }

  private set(s: ChallengeSnapshot): void {
    this.snap = s;
    for (const fn of [...this.subs]) fn();
  }
}

function withdrawnOf(c: ChallengeInfo, reason: Withdrawn['reason']): Withdrawn {
  const w: Withdrawn = { id: c.id, from: c.from, reason };
  if (c.rematch) w.rematch = c.rematch;
  return w;
}

const centers = new WeakMap<ChallengeTransport, ChallengeCenter>();

/** The one center of a connection (created on first use). */
export function centerFor(transport: ChallengeTransport): ChallengeCenter {
  let c = centers.get(transport);
  if (!c) {
    c = new ChallengeCenter(transport);
    centers.set(transport, c);
  }
  return c;
}
