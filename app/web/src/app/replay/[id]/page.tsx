import type { Metadata } from 'next';
import { Replay } from '@/components/Replay';

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  return { title: `Replay ${decodeURIComponent(id)}` };
}

export default async function ReplayPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <Replay id={decodeURIComponent(id)} />;
}
