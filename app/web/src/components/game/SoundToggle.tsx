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
      <SpeakerIcon muted={muted} /> {muted ? 'Sound off' : 'Sound on'}
    </button>
  );
}

/** A speaker drawn inline: emoji glyphs are missing from many fonts (and headless Chromium). */
function SpeakerIcon({ muted }: { muted: boolean }) {
  return (
    <svg aria-hidden="true" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" style={{ verticalAlign: '-2px' }}>
      <path d="M2 6h3l4-3v10l-4-3H2z" fill="currentColor" />
      {muted ? <path d="M11 6l4 4M15 6l-4 4" /> : <path d="M11 5.5c1.2 1.3 1.2 3.7 0 5M13 3.5c2.2 2.4 2.2 6.6 0 9" />}
    </svg>
  );
}
