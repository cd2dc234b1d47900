// How a result is shown on every page (game, replay, profile): "1–0", "0–1", "½–½" with an en
// dash, as lichess shows it. The API and the PGN export keep the PGN form ("1/2-1/2"); only the
// display goes through here. A game without a decisive result ("*", aborted) shows none.
const DISPLAY: Record<string, string> = {
  '1-0': '1–0',
  '0-1': '0–1',
  '1/2-1/2': '½–½',
};

/** The display form of a PGN result, or '' when there is no result to show. */
export function resultNotation(result: string | null | undefined): string {
  return (result && DISPLAY[result]) ?? '';
}
