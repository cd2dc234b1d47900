import type { Metadata } from 'next';
import { Leaderboard } from '@/components/Leaderboard';
import { SPEEDS, type Speed } from '@/lib/playerData';

export const metadata: Metadata = { title: 'Leaderboard' };

export default async function LeaderboardPage({
  searchParams,
}: {
  searchParams: Promise<{ speed?: string | string[] }>;
}) {
  const { speed } = await searchParams;
  const s = typeof speed === 'string' && (SPEEDS as readonly string[]).includes(speed) ? (speed as Speed) : 'blitz';
  return <Leaderboard speed={s} />;
}
