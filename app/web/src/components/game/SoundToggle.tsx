'use client';

export function SoundToggle({ muted, onToggle }: { muted: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      className="secondary icon-button"
      aria-pressed={muted}
      onClick={onToggle}
      data-testid="sound-toggle"
      data-muted={muted}
      title={muted ? 'Sound off' : 'Sound on'}
    >
      <span aria-hidden="true">{muted ? '🔇' : '🔊'}</span> {muted ? 'Sound off' : 'Sound on'}
    </button>
  );
}
