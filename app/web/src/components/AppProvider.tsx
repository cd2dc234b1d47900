'use client';

// App-wide state that must outlive page navigation: the session, the runtime config, and the
// one real-time connection per tab (lobby -> game must not reconnect), plus lobby state that
// arrives over it (seeking, incoming challenges) and navigation on `gameStart`.
import { usePathname, useRouter } from 'next/navigation';
import {
  type ReactNode,
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  useSyncExternalStore,
} from 'react';
import { type ClientConfig, apiJson, fetchConfig, parseSessionResponse, sessionStatus } from '@/lib/api';
import { type ConnectionStatus, RealtimeClient } from '@/lib/realtime/client';
import { type ChallengeEvent, type ServerError, parseChallenge, parseError } from '@/lib/realtime/protocol';
import { type Session, clearSession, loadSession, saveSession, subscribeSession } from '@/lib/session';

export interface Seeking {
  tc: string;
  rated: boolean;
}

export interface AppState {
  /** undefined until the browser's storage has been read (first client render). */
  session: Session | null | undefined;
  config: ClientConfig | null;
  configError: string | null;
  client: RealtimeClient | null;
  status: ConnectionStatus | 'offline';
  lagMs: number;
  seeking: Seeking | null;
  challenges: ChallengeEvent[];
  lastError: ServerError | null;
  loginAsGuest(): Promise<Session>;
  login(username: string, password: string): Promise<Session>;
  register(username: string, password: string): Promise<Session>;
  logout(): void;
  seek(tc: string, rated: boolean): void;
  cancelSeek(): void;
  answerChallenge(id: string, accept: boolean): void;
  dismissError(): void;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useApp outside AppProvider');
  return v;
}

function toSession(x: unknown): Session {
  const r = parseSessionResponse(x);
  return { token: r.token, name: r.player.name, guest: r.player.guest === true, expiresAt: r.expiresAt ?? null };
}

export function AppProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const pathname = usePathname();
  const session = useSyncExternalStore(
    subscribeSession,
    () => loadSession(),
    () => undefined,
  );
  const [config, setConfig] = useState<ClientConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  const [client, setClient] = useState<RealtimeClient | null>(null);
  const [status, setStatus] = useState<ConnectionStatus | 'offline'>('offline');
  const [lagMs, setLagMs] = useState(0);
  const [seeking, setSeeking] = useState<Seeking | null>(null);
  const [challenges, setChallenges] = useState<ChallengeEvent[]>([]);
  const [lastError, setLastError] = useState<ServerError | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    fetchConfig(ac.signal).then(setConfig, (err: unknown) => {
      if (!ac.signal.aborted) setConfigError(err instanceof Error ? err.message : String(err));
    });
    return () => ac.abort();
  }, []);

  // One connection per (token, URL). It is created here and torn down when either changes.
  useEffect(() => {
    if (!session || !config) return;
    const c = new RealtimeClient({
      url: config.wsUrl,
      token: session.token,
      loadState: (game) => apiJson(`/api/games/${encodeURIComponent(game)}`, { token: session.token }),
      // A refused upgrade looks like a network failure to a browser: ask the HTTP API.
      checkSession: () => sessionStatus(session.token),
    });
    const offs = [
      c.on('status', setStatus),
      c.on('lag', setLagMs),
      c.on('message', (env) => {
        switch (env.t) {
          case 'seeking': {
            const d = env.d as { tc?: unknown; rated?: unknown } | undefined;
            if (typeof d?.tc === 'string') setSeeking({ tc: d.tc, rated: d.rated === true });
            break;
          }
          case 'challenge': {
            const ch = parseChallenge(env.d);
            if (ch) setChallenges((list) => [...list.filter((x) => x.id !== ch.id), ch]);
            break;
          }
          case 'gameStart': {
            setSeeking(null);
            const game = (env.d as { game?: unknown } | undefined)?.game;
            if (typeof game === 'string') router.push(`/game/${encodeURIComponent(game)}`);
            break;
          }
          case 'error': {
            const e = parseError(env.d);
            if (e.code === 'unauthorized') clearSession();
            setLastError(e);
            break;
          }
        }
      }),
    ];
    c.connect();
    // Publishing the new client to the tree is the point of this effect.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setClient(c);
    return () => {
      for (const off of offs) off();
      c.close();
      setClient(null);
      setStatus('offline');
      setSeeking(null);
      setChallenges([]);
    };
  }, [session, config, router]);

  const startSession = useCallback(async (body: object): Promise<Session> => {
    const s = toSession(await apiJson('/api/sessions', { body }));
    saveSession(s);
    return s;
  }, []);

  const value = useMemo<AppState>(
    () => ({
      session,
      config,
      configError,
      client,
      status,
      lagMs,
      seeking,
      challenges,
      lastError,
      loginAsGuest: () => startSession({ guest: true }),
      login: (username, password) => startSession({ username, password }),
      register: async (username, password) => {
        await apiJson('/api/accounts', { body: { username, password } });
        return startSession({ username, password });
      },
      logout: () => {
        clearSession();
        if (pathname !== '/') router.push('/');
      },
      seek: (tc, rated) => {
        if (!client) return;
        setSeeking({ tc, rated });
        void client.send('seek', { tc, rated }).then((r) => {
          if (!r.ok) setSeeking(null);
        });
      },
      cancelSeek: () => {
        setSeeking(null);
        void client?.send('cancelSeek');
      },
      answerChallenge: (id, accept) => {
        setChallenges((list) => list.filter((x) => x.id !== id));
        void client?.send(accept ? 'acceptChallenge' : 'declineChallenge', { id });
      },
      dismissError: () => setLastError(null),
    }),
    [session, config, configError, client, status, lagMs, seeking, challenges, lastError, startSession, pathname, router],
  );

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
