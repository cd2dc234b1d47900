package protocol

import (
	"testing"
)

// The frames of the move path: every move is one Decode, one Encode of the move event, one
// AckFrame, and one FrameV per receiving instance (the fan-out reads the version of every
// published game frame).

var (
	benchMoveFrame = []byte(`{"t":"move","d":{"game":"g_7Hk2abCD","u":"e7e8q","ply":31,"l":40},"a":17}`)
	benchPingFrame = []byte(`{"t":"ping"}`)
	benchSeekFrame = []byte(`{"t":"seek","d":{"tc":"5+3","rated":true},"a":2}`)
	benchMoveEvent = MovePayload{Game: "g_7Hk2abCD", UCI: "g1f3", SAN: "Nf3",
		FEN: "rnbqkbnr/pp1ppppp/8/2p5/4P3/5N2/PPPP1PPP/RNBQKB1R b KQkq - 1 2", Ply: 3,
		Clock: Clock{W: 297_000, B: 299_500}}
)

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name  string
		frame []byte
	}{{"move", benchMoveFrame}, {"ping", benchPingFrame}, {"seek", benchSeekFrame}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.frame)))
			for b.Loop() {
				if _, perr := Decode(c.frame); perr != nil {
					b.Fatal(perr)
				}
			}
		})
	}
}

func BenchmarkEncodeMoveEvent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TMoveEvent, 12, benchMoveEvent); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAckFrame(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = AckFrame(12345)
	}
}

// BenchmarkFrameV reads the version of an encoded move event, as the fan-out does for every
// game frame it delivers.
func BenchmarkFrameV(b *testing.B) {
	frame := MustEncode(TMoveEvent, 12, benchMoveEvent)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if FrameV(frame) != 12 {
			b.Fatal("wrong version")
		}
	}
}

// BenchmarkEncodeState encodes a full game state of 60 plies (gameStart, watch replies).
func BenchmarkEncodeState(b *testing.B) {
	moves := make([]string, 60)
	for i := range moves {
		moves[i] = "g1f3"
	}
	st := GameState{Game: "g_7Hk2abCD", V: 61, White: PlayerInfo{Name: "guest-abcd1234", Rating: 1500, Provisional: true, Guest: true},
		Black: PlayerInfo{Name: "guest-efgh5678", Rating: 1500, Provisional: true, Guest: true}, TC: "10+5",
		FEN: benchMoveEvent.FEN, Moves: moves, Clock: Clock{W: 500_000, B: 480_000}, Turn: "white", Status: "started",
		ClockRunning: true, ServerTime: 1_700_000_000_000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TState, 0, st); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIsPing is the check server.Handle makes before Decode: the exact frame clients send,
// and a spaced-out one that takes the token-by-token path.
func BenchmarkIsPing(b *testing.B) {
	for _, c := range []struct {
		name  string
		frame []byte
	}{{"exact", benchPingFrame}, {"spaced", []byte(`{ "t" : "ping", "d" : null }`)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !IsPing(c.frame) {
					b.Fatal("not a ping")
				}
			}
		})
	}
}
