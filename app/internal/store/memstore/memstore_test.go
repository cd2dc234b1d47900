package memstore_test

import (
	"sync/atomic"
	"testing"
	"time"

	"chessplatform/app/internal/store"
	"chessplatform/app/internal/store/memstore"
	"chessplatform/app/internal/store/storetest"
)

type clock struct{ ms atomic.Int64 }

func (c *clock) Set(ms int64) { c.ms.Store(ms) }

func TestDurableContract(t *testing.T) {
	storetest.RunDurable(t, func(*testing.T) store.Durable { return memstore.NewDurable() })
}

func TestLiveContract(t *testing.T) {
	storetest.RunLive(t, func(*testing.T) (store.Live, storetest.LiveClock) {
		c := &clock{}
		c.Set(time.Now().UnixMilli())
		return memstore.NewLive(c.ms.Load), c
	})
}

func TestGatewayContract(t *testing.T) {
	storetest.RunGateway(t, func(*testing.T) store.Gateway {
		return memstore.NewGateway(func() int64 { return time.Now().UnixMilli() })
	})
}

func TestRankingContract(t *testing.T) {
	t.Run("durable", func(t *testing.T) {
		storetest.RunRankingDurable(t, func(*testing.T) store.Durable { return memstore.NewDurable() })
	})
	t.Run("live", func(t *testing.T) {
		storetest.RunRankingLive(t, func(*testing.T) store.Live {
			return memstore.NewLive(func() int64 { return time.Now().UnixMilli() })
		})
	})
}
