'use client';

/** ◀ ▶ through the moves of a running game, and the "viewing move N — back to live" indicator. */
export function HistoryNav({
  plies,
  viewPly,
  sans,
  onGo,
}: {
  plies: number;
  viewPly: number | null;
  sans: readonly string[];
  onGo: (ply: number | null) => void;
}) {
  const at = viewPly ?? plies;
  return (
    <div className="history-nav" data-testid="history-nav" data-view-ply={viewPly ?? 'live'}>
      <div className="row" role="group" aria-label="Move history">
        <button type="button" className="secondary" aria-label="Previous move" disabled={at <= 0} onClick={() => onGo(at - 1)} data-testid="history-back">
          ◀
        </button>
        <button type="button" className="secondary" aria-label="Next move" disabled={viewPly === null} onClick={() => onGo(at + 1)} data-testid="history-forward">
          ▶
        </button>
      </div>
      {viewPly !== null && (
        <p className="notice viewing" role="status" data-testid="viewing-indicator" data-ply={viewPly}>
          Viewing {viewPly === 0 ? 'the start' : `move ${Math.ceil(viewPly / 2)}${viewPly % 2 ? '.' : '…'} ${sans[viewPly - 1] ?? ''}`} —{' '}
          <button type="button" className="link-button" onClick={() => onGo(null)} data-testid="back-to-live">
            back to live
          </button>
        </p>
      )}
    </div>
  );
}
