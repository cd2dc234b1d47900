import type { Metadata } from 'next';
import { ChallengePage } from '@/components/challenges/ChallengePage';

export const metadata: Metadata = { title: 'Challenge' };

export default async function ChallengeLinkPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ChallengePage id={decodeURIComponent(id)} />;
}
