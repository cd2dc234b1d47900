package hist

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exactQuantile is the sample of rank ceil(q·n), the definition Quantile approximates.
func exactQuantile(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestIndexAndBoundsAgree(t *testing.T) {
	prev := -1
	for _, v := range []int64{0, 1, 127, 128, 255, 256, 257, 511, 512, 1000, 1 << 20, (1 << 20) + 12345, int64(time.Second), maxValue} {
		i := index(v)
		low, width := bounds(i)
		assert.LessOrEqual(t, low, v, "v=%d", v)
		assert.Less(t, v, low+width, "v=%d", v)
		assert.GreaterOrEqual(t, i, prev, "indexes never fall as the value grows")
		prev = i
	}
	// Every bucket's bounds map back to it, and the buckets tile the range without gaps.
	var next int64
	for i := 0; i < nBuckets; i++ {
		low, width := bounds(i)
		require.Equal(t, next, low, "bucket %d", i)
		require.Equal(t, i, index(low))
		require.Equal(t, i, index(low+width-1))
		next = low + width
	}
}

func TestQuantilesMatchKnownDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform 0-10ms":       func() int64 { return rng.Int64N(int64(10 * time.Millisecond)) },
		"exponential mean 2ms": func() int64 { return int64(rng.ExpFloat64() * float64(2*time.Millisecond)) },
		"lognormal median 1ms": func() int64 {
			return int64(math.Exp(rng.NormFloat64()*1.2) * float64(time.Millisecond))
		},
		"small exact values": func() int64 { return rng.Int64N(200) },
	}
	for name, draw := range dists {
		t.Run(name, func(t *testing.T) {
			h := New()
			vals := make([]int64, 100_000)
			var sum int64
			for i := range vals {
				vals[i] = draw()
				sum += vals[i]
				h.Record(time.Duration(vals[i]))
			}
			slices.Sort(vals)
			require.Equal(t, uint64(len(vals)), h.Count())
			assert.Equal(t, vals[0], int64(h.Min()))
			assert.Equal(t, vals[len(vals)-1], int64(h.Max()))
			assert.Equal(t, sum/int64(len(vals)), int64(h.Mean()))
			for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
				want := float64(exactQuantile(vals, q))
				got := float64(h.Quantile(q))
				// Half a bucket of 1/128 relative width, plus one for integer rounding.
				assert.InDelta(t, want, got, want/256+1, "q=%v", q)
			}
		})
	}
}

func TestAnalyticQuantilesOfUniform(t *testing.T) {
	// 1..1,000,000 µs once each: the p-quantile is p·10^6 µs.
	h := New()
	for v := 1; v <= 1_000_000; v++ {
		h.Record(time.Duration(v) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := q * 1e6 * 1e3
		assert.InEpsilon(t, want, float64(h.Quantile(q)), 0.005, "q=%v", q)
	}
}

func TestEmptyNegativeHugeAndMerge(t *testing.T) {
	h := New()
	assert.Zero(t, h.Quantile(0.5))
	assert.Zero(t, h.Max())
	assert.Zero(t, h.Min())
	assert.Zero(t, h.Mean())
	assert.Equal(t, Summary{}, h.Summarize())

	h.Record(-5)
	h.Record(3 * time.Hour) // beyond the cap: counted in the top bucket, max stays exact
	assert.Equal(t, time.Duration(0), h.Quantile(0.5))
	assert.Equal(t, 3*time.Hour, h.Max())
	assert.Equal(t, 3*time.Hour, h.Quantile(1))

	a, b := New(), New()
	for i := 1; i <= 100; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
		b.Record(time.Duration(100+i) * time.Millisecond)
	}
	a.Merge(b)
	assert.Equal(t, uint64(200), a.Count())
	assert.Equal(t, time.Millisecond, a.Min())
	assert.Equal(t, 200*time.Millisecond, a.Max())
	assert.InEpsilon(t, float64(100*time.Millisecond), float64(a.Quantile(0.5)), 0.005)
	s := a.Summarize()
	assert.InDelta(t, 100.5, s.MeanMs, 0.001)
	assert.InDelta(t, 200, s.MaxMs, 0.001)
}

func TestConcurrentRecord(t *testing.T) {
	h := New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10_000 {
				h.Record(time.Duration(g*10_000+i) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, uint64(80_000), h.Count())
	assert.Equal(t, time.Duration(0), h.Min())
	assert.Equal(t, 79_999*time.Microsecond, h.Max())
	assert.InEpsilon(t, float64(40_000*time.Microsecond), float64(h.Quantile(0.5)), 0.005)
}

func BenchmarkRecord(b *testing.B) {
	h := New()
	b.RunParallel(func(pb *testing.PB) {
		v := time.Duration(12345)
		for pb.Next() {
			h.Record(v)
			v = v*7%time.Second + 1
		}
	})
}
