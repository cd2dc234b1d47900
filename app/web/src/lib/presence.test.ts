import { describe, expect, it } from 'vitest';
import {
  claimAtOf,
  claimSecondsLeft,
  parseRunningGames,
  runningGameAction,
  spectatorsOf,
  spectatorsText,
  turnText,
} from './presence';

const game = {
  id: 'g_abcd1234',
  white: { name: 'alice', rating: 1500 },
  black: { name: 'bob', rating: 1620, provisional: true },
  tc: '5+3',
  rated: false,
  status: 'started',
  turn: 'black',
  plies: 3,
};

describe('parseRunningGames', () => {
  it('keeps well-formed games and drops the rest', () => {
    const got = parseRunningGames({ games: [game, { id: 'nope' }, { ...game, id: 'g_x' }, { ...game, white: {} }, 7] });
    expect(got).toEqual([
      { id: 'g_abcd1234', white: { name: 'alice', rating: 1500 }, black: { name: 'bob', rating: 1620, provisional: true }, tc: '5+3', rated: false, turn: 'black', plies: 3 },
    ]);
  });
  it('answers an empty list for anything that is not a list of games', () => {
    expect(parseRunningGames(null)).toEqual([]);
    expect(parseRunningGames({ games: 'x' })).toEqual([]);
  });
  it('has no turn when the server sent none (the live list)', () => {
    expect(parseRunningGames({ games: [{ ...game, turn: undefined }] })[0]!.turn).toBeNull();
  });
});

describe('running game links', () => {
  const [g] = parseRunningGames({ games: [game] });
  it('says Play to either player and Watch to everyone else', () => {
    expect(runningGameAction(g!, 'alice')).toBe('Play');
    expect(runningGameAction(g!, 'bob')).toBe('Play');
    expect(runningGameAction(g!, 'carol')).toBe('Watch');
    expect(runningGameAction(g!, null)).toBe('Watch');
  });
  it('says whose turn it is from the viewer’s side', () => {
    expect(turnText(g!, 'bob')).toBe('Your turn');
    expect(turnText(g!, 'alice')).toBe('Their turn');
    expect(turnText(g!, 'carol')).toBe('');
  });
});

describe('spectators', () => {
  it('reads the count of this game only', () => {
    expect(spectatorsOf({ t: 'spectators', d: { game: 'g_abcd1234', n: 3 } }, 'g_abcd1234')).toBe(3);
    expect(spectatorsOf({ t: 'spectators', d: { game: 'g_other123', n: 3 } }, 'g_abcd1234')).toBeNull();
    expect(spectatorsOf({ t: 'spectators', d: { game: 'g_abcd1234', n: -1 } }, 'g_abcd1234')).toBeNull();
    expect(spectatorsOf({ t: 'move', d: { game: 'g_abcd1234', n: 3 } }, 'g_abcd1234')).toBeNull();
  });
  it('words the count', () => {
    expect(spectatorsText(1)).toBe('1 watching');
    expect(spectatorsText(3)).toBe('3 watching');
  });
});

describe('claim countdown', () => {
  const id = 'g_abcd1234';
  it('starts at opponentGone and ends at opponentBack or the end of the game', () => {
    expect(claimAtOf({ t: 'opponentGone', d: { game: id, claimIn: 30000 } }, id, 1000)).toBe(31000);
    expect(claimAtOf({ t: 'opponentGone', d: { game: id, claimIn: 0 } }, id, 1000)).toBe(1000);
    expect(claimAtOf({ t: 'opponentGone', d: { game: id } }, id, 1000)).toBeNaN();
    expect(claimAtOf({ t: 'opponentBack', d: { game: id } }, id, 1000)).toBeNull();
    expect(claimAtOf({ t: 'end', v: 9, d: { game: id, result: '1-0', reason: 'resign' } }, id, 1000)).toBeNull();
    expect(claimAtOf({ t: 'move', d: { game: id } }, id, 1000)).toBeUndefined();
    expect(claimAtOf({ t: 'opponentGone', d: { game: 'g_other123', claimIn: 5 } }, id, 1000)).toBeUndefined();
  });
  it('counts whole seconds down to zero', () => {
    expect(claimSecondsLeft(31000, 1000)).toBe(30);
    expect(claimSecondsLeft(31000, 30500)).toBe(1);
    expect(claimSecondsLeft(31000, 31000)).toBe(0);
    expect(claimSecondsLeft(31000, 40000)).toBe(0);
  });
});
