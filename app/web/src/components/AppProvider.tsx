'use client';

// App-wide state that must outlive page navigation: the session (one per browser, shared by
// every tab: lib/session.ts), the runtime config, and the one real-time connection per tab
// (lobby -> game must not reconnect), plus lobby state that arrives over it (seeking) and navigation on
// `gameStart`. Challenges have their own store (lib/realtime/challenges.ts).
import { usePathname, useRouter } from 'next/navigation';
import {
  type ReactNode,
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { type ClientConfig, apiJson, fetchConfig, parseSessionResponse, sessionStatus } from '@/lib/api';
import { sessionFrom, startBrowserRenewal } from '@/lib/sessionRenewal';
import { type ConnectionStatus, RealtimeClient } from '@/lib/realtime/client';
import { type ServerError, parseError } from '@/lib/realtime/protocol';
import { type Session, clearSession, loadSession, replaceSession, saveSession, subscribeSession } from '@/lib/session';

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
  lastError: ServerError | null;
  loginAsGuest(): Promise<Session>;
  login(username: string, password: string): Promise<Session>;
  register(username: string, password: string): Promise<Session>;
  logout(): void;
  seek(tc: string, rated: boolean): void;
  cancelSeek(): void;
  dismissError(): void;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useApp outside AppProvider');
  return v;
}

function toSession(x: unknown): Session {
  return sessionFrom(parseSessionResponse(x), Date.now());
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
  const [lastError, setLastError] = useState<ServerError | null>(null);

  useEffect(() => {
    const ac = new AbortController();
    fetchConfig(ac.signal).then(setConfig, (err: unknown) => {
      if (!ac.signal.aborted) setConfigError(err instanceof Error ? err.message : String(err));
    });
    return () => ac.abort();
  }, []);

  // One tab at a time renews the browser's token ahead of its expiry; every tab runs the loop.
  useEffect(() => startBrowserRenewal(), []);

  // A logout (here, in another tab, or a token the server refused) leaves pages that need a
  // player for the lobby, in every tab.
  const hadSession = useRef(false);
  useEffect(() => {
    if (session) hadSession.current = true;
    else if (session === null && hadSession.current) {
      hadSession.current = false;
      if (pathname !== '/') router.push('/');
    }
  }, [session, pathname, router]);

  // One connection per (player, URL). It is created here and torn down when either changes; a
  // renewed token of the same player moves the connection over without a gap (setToken below).
  const player = session ? `${session.guest ? 'guest' : 'account'}:${session.name}` : null;
  useEffect(() => {
    const first = loadSession();
    if (!player || !first || !config) return;
    // Always the current token: it changes when the session is renewed.
    const token = () => loadSession()?.token ?? first.token;
    const c = new RealtimeClient({
      url: config.wsUrl,
      token: first.token,
      loadState: (game) => apiJson(`/api/games/${encodeURIComponent(game)}`, { token: token() }),
      // A refused upgrade looks like a network failure to a browser: ask the HTTP API.
      checkSession: () => sessionStatus(token()),
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
          case 'gameStart': {
            setSeeking(null);
            const game = (env.d as { game?: unknown } | undefined)?.game;
            if (typeof game === 'string') router.push(`/game/${encodeURIComponent(game)}`);
            break;
          }
          case 'error': {
            const e = parseError(env.d);
            if (e.code !== 'unauthorized') {
              setLastError(e);
              break;
            }
            // The server cut a connection whose token expired. The browser may already hold a
            // renewed token (the client then reconnects with it): only a stored token that the
            // server refuses too ends the session, in every tab.
            const stored = token();
            void sessionStatus(stored).then((r) => {
              if (r !== 'invalid') return;
              replaceSession(stored, null);
              if (!loadSession()) setLastError(e);
            });
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
    };
  }, [player, config, router]);

  const token = session?.token;
  useEffect(() => {
    if (client && token) client.setToken(token);
  }, [client, token]);

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
      lastError,
      loginAsGuest: () => startSession({ guest: true }),
      login: (username, password) => startSession({ username, password }),
      register: async (username, password) => {
        await apiJson('/api/accounts', { body: { username, password } });
        return startSession({ username, password });
      },
      // Every tab leaves for the lobby through the session effect above.
      logout: () => clearSession(),
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
      dismissError: () => setLastError(null),
    }),
    [session, config, configError, client, status, lagMs, seeking, lastError, startSession],
  );

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
