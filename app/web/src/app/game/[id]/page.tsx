import type { Metadata } from 'next';
import { GameView } from '@/components/GameView';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Game ${decodeURIComponent(id)}` };
}

export default async function GamePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <GameView id={decodeURIComponent(id)} />;
}
