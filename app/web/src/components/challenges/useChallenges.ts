'use client';

import { useSyncExternalStore } from 'react';
import { type ChallengeCenter, type ChallengeSnapshot, EMPTY_CHALLENGES, centerFor } from '@/lib/realtime/challenges';
import { useApp } from '../AppProvider';

const noSubscribe = () => () => {};
const emptySnapshot = (): ChallengeSnapshot => EMPTY_CHALLENGES;

/** The challenge center of this tab's connection (null before it exists) and its snapshot. */
export function useChallenges(): { center: ChallengeCenter | null; snap: ChallengeSnapshot } {
  const { client } = useApp();
  const center = client ? centerFor(client) : null;
  const snap = useSyncExternalStore(center?.subscribe ?? noSubscribe, center?.snapshot ?? emptySnapshot, emptySnapshot);
  return { center, snap };
}
