import type { Metadata } from 'next';
import { Profile } from '@/components/Profile';

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }): Promise<Metadata> {
  const { name } = await params;
  return { title: decodeURIComponent(name) };
}

export default async function PlayerPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <Profile name={decodeURIComponent(name)} />;
}
