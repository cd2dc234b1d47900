import { Lobby } from '@/components/Lobby';

export default function HomePage() {
  return <Lobby />;
}
