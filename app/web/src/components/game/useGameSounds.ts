'use client';

// Plays the game's sounds: one per new move (move, capture or check, from its SAN; none for
// the moves already there when the page loads; the player's own move as it is made) and the low-time warning once per game when
// the player's own clock drops under 10 s.
import { useEffect, useRef, useState } from 'react';
import type { GameModel } from '@/lib/game/model';
import { SoundPlayer, isMuted, msUntilLowTime, setMuted, soundForSan } from '@/lib/game/sounds';
import type { Color } from '@/lib/realtime/protocol';
import { monoNow } from '../ClockView';

/** The remembered mute switch (localStorage, read after hydration). */
export function useMute() {
  const [muted, setState] = useState(false);
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- storage is read after hydration
    setState(isMuted(globalThis.localStorage ?? null));
  }, []);
  const toggle = () => {
    setMuted(globalThis.localStorage ?? null, !muted);
    setState(!muted);
  };
  return { muted, toggle };
}

/** The moves as the player sees them: the server's, plus the player's own move on its way. */
export interface LiveLine {
  plies: number;
  lastSan: string | undefined;
}

export function useGameSounds(model: GameModel | null, line: LiveLine, seat: Color | null, muted: boolean) {
  const mutedRef = useRef(muted);
  useEffect(() => {
    mutedRef.current = muted;
  }, [muted]);
  const player = useRef<SoundPlayer | null>(null);
  useEffect(() => {
    const p = new SoundPlayer(() => mutedRef.current);
    player.current = p;
    return () => p.close();
  }, []);

  const sounded = useRef<{ game: string; plies: number } | null>(null);
  // The player's own move sounds when it is made, not when the server confirms it; moves that
  // arrive together (a catch-up) make one sound, that of the last.
  const { plies, lastSan } = line;
  const game = model?.id;
  useEffect(() => {
    if (!game) return;
    const s = sounded.current;
    if (s && s.game === game && plies > s.plies && lastSan) player.current?.play(soundForSan(lastSan));
    sounded.current = { game, plies };
  }, [game, plies, lastSan]);

  const lowFired = useRef<string | null>(null);
  const clock = model?.clock;
  const started = model?.status === 'started';
  useEffect(() => {
    if (!game || !clock || !seat || !started || lowFired.current === game) return;
    const wait = msUntilLowTime(clock, seat, monoNow());
    if (wait === null) return;
    const t = setTimeout(() => {
      lowFired.current = game;
      player.current?.play('lowTime');
    }, wait);
    return () => clearTimeout(t);
  }, [game, clock, seat, started]);
}
