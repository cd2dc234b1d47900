// Package hist is a log-linear latency histogram in the style of HdrHistogram: values (in
// nanoseconds) below 256 are counted exactly, larger ones in 128 linear sub-buckets per power of
// two, so any reported quantile is within 0.4 % of a recorded value. Record is lock-free and safe
// for concurrent use; the memory is fixed (about 36 KiB) whatever the number of samples.
package hist

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

const (
	subBits  = 7
	subCount = 1 << subBits // sub-buckets per power of two
	// maxValue caps recorded values (one hour); larger ones are counted as maxValue and the
	// exact maximum is still kept.
	maxValue = int64(time.Hour)
)

// nBuckets is the index of maxValue plus one.
var nBuckets = index(maxValue) + 1

// H is a histogram of durations. The zero value is not usable; call New.
type H struct {
	counts []atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64 // nanoseconds; overflows after ~292 years of latency
	min    atomic.Int64
	max    atomic.Int64
}

// New returns an empty histogram.
func New() *H {
	h := &H{counts: make([]atomic.Uint64, nBuckets)}
	h.min.Store(math.MaxInt64)
	return h
}

// index maps a non-negative value to its bucket.
func index(v int64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1)
	return (shift+1)*subCount + int(v>>shift) - subCount
}

// bounds returns the lowest value of bucket i and the bucket's width.
func bounds(i int) (low, width int64) {
	if i < 2*subCount {
		return int64(i), 1
	}
	shift := i/subCount - 1
	mantissa := int64(i%subCount + subCount)
	return mantissa << shift, int64(1) << shift
}

// Record adds one value; negative values count as 0.
func (h *H) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	c := min(v, maxValue)
	h.counts[index(c)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		old := h.max.Load()
		if v <= old || h.max.CompareAndSwap(old, v) {
			break
		}
	}
	for {
		old := h.min.Load()
		if v >= old || h.min.CompareAndSwap(old, v) {
			break
		}
	}
}

// Merge adds every sample of o to h (o should not be recorded into meanwhile).
func (h *H) Merge(o *H) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sum.Add(o.sum.Load())
	for {
		old, v := h.max.Load(), o.max.Load()
		if v <= old || h.max.CompareAndSwap(old, v) {
			break
		}
	}
	for {
		old, v := h.min.Load(), o.min.Load()
		if v >= old || h.min.CompareAndSwap(old, v) {
			break
		}
	}
}

// Count is the number of recorded values.
func (h *H) Count() uint64 { return h.n.Load() }

// Max is the largest recorded value (exact), 0 when empty.
func (h *H) Max() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.max.Load())
}

// Min is the smallest recorded value (exact), 0 when empty.
func (h *H) Min() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.min.Load())
}

// Mean is the exact arithmetic mean, 0 when empty.
func (h *H) Mean() time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / int64(n))
}

// Quantile returns the value at quantile q (0 < q <= 1): the midpoint of the bucket holding the
// sample of rank ceil(q·n), clamped to the exact min and max (the top rank is the exact max).
// 0 when empty.
func (h *H) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(1, min(rank, n))
	if rank == n {
		return h.Max() // the top sample is known exactly
	}
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			low, width := bounds(i)
			v := low + (width-1)/2
			return time.Duration(max(h.min.Load(), min(v, h.max.Load())))
		}
	}
	return h.Max()
}

// Summary is a histogram's digest in milliseconds, for JSON results.
type Summary struct {
	Count  uint64  `json:"count"`
	MinMs  float64 `json:"minMs"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// Summarize digests the histogram.
func (h *H) Summarize() Summary {
	return Summary{
		Count: h.Count(), MinMs: ms(h.Min()), MeanMs: ms(h.Mean()),
		P50Ms: ms(h.Quantile(0.50)), P90Ms: ms(h.Quantile(0.90)), P99Ms: ms(h.Quantile(0.99)),
		P999Ms: ms(h.Quantile(0.999)), MaxMs: ms(h.Max()),
	}
}
