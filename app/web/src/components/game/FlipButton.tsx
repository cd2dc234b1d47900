'use client';

export function FlipButton({ flipped, onFlip }: { flipped: boolean; onFlip: () => void }) {
  return (
    <button
      type="button"
      className="secondary icon-button"
      aria-pressed={flipped}
      aria-keyshortcuts="f"
      onClick={onFlip}
      data-testid="flip-board"
      title="Flip board (f)"
    >
      <span aria-hidden="true">⇅</span> Flip board
    </button>
  );
}
