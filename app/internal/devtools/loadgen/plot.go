package loadgen

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
)

// WritePlots writes latency.svg (move→opponent percentiles per rung) and memory.svg (backend
// RSS against connections held) into dir.
func WritePlots(dir string, res *BenchResult) error {
	lat := latencyPlot(res)
	if err := os.WriteFile(filepath.Join(dir, "latency.svg"), []byte(lat), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "memory.svg"), []byte(memoryPlot(res)), 0o644)
}

type series struct {
	name  string
	color string
	pts   [][2]float64 // x, y
}

// svgPlot draws series on linear x and linear or log10 y axes. xLabels, when set, replace
// numeric x ticks (categorical x at 0..n-1).
type svgPlot struct {
	title, xTitle, yTitle string
	logY                  bool
	xLabels               []string
	series                []series
	hline                 *struct {
		y     float64
		label string
	}
	notes []string
}

const (
	plotW, plotH                  = 800, 480
	marginL, marginR, marginT, mB = 70, 190, 40, 100
)

func (p *svgPlot) render() string {
	var xs, ys []float64
	for _, s := range p.series {
		for _, pt := range s.pts {
			xs, ys = append(xs, pt[0]), append(ys, pt[1])
		}
	}
	if p.hline != nil {
		ys = append(ys, p.hline.y)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, html.EscapeString(p.title))
	if len(xs) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d">no data</text></svg>`+"\n", marginL, plotH/2)
		return b.String()
	}
	x0, x1 := minMax(xs)
	y0, y1 := minMax(ys)
	if p.xLabels != nil {
		x0, x1 = -0.5, float64(len(p.xLabels))-0.5
	} else {
		x0, x1 = niceRange(0, x1)
	}
	var yTicks []float64
	if p.logY {
		y0 = math.Pow(10, math.Floor(math.Log10(math.Max(y0, 0.01))))
		y1 = math.Pow(10, math.Ceil(math.Log10(math.Max(y1, y0*10))))
		for v := y0; v <= y1*1.0001; v *= 10 {
			yTicks = append(yTicks, v)
		}
	} else {
		y0, y1 = niceRange(0, y1)
		for i := 0; i <= 5; i++ {
			yTicks = append(yTicks, y0+(y1-y0)*float64(i)/5)
		}
	}
	iw, ih := float64(plotW-marginL-marginR), float64(plotH-marginT-mB)
	px := func(x float64) float64 { return float64(marginL) + (x-x0)/(x1-x0)*iw }
	py := func(y float64) float64 {
		if p.logY {
			y = math.Max(y, y0)
			return float64(marginT) + ih - (math.Log10(y)-math.Log10(y0))/(math.Log10(y1)-math.Log10(y0))*ih
		}
		return float64(marginT) + ih - (y-y0)/(y1-y0)*ih
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", marginL, marginT, iw, ih)
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, marginL, float64(marginL)+iw, py(t), py(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginL-6, py(t)+4, fmtNum(t))
	}
	if p.xLabels != nil {
		for i, l := range p.xLabels {
			// Slanted, so that many rungs do not overlap.
			fmt.Fprintf(&b, `<text transform="translate(%.1f %d) rotate(-30)" text-anchor="end" font-size="11">%s</text>`+"\n",
				px(float64(i))+4, marginT+int(ih)+14, html.EscapeString(l))
		}
	} else {
		for i := 0; i <= 5; i++ {
			t := x0 + (x1-x0)*float64(i)/5
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(t), marginT+int(ih)+18, fmtNum(t))
		}
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(marginL)+iw/2, plotH-8, html.EscapeString(p.xTitle))
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", float64(marginT)+ih/2, html.EscapeString(p.yTitle))
	if p.hline != nil {
		y := py(p.hline.y)
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#c00" stroke-dasharray="6 4"/>`, marginL, float64(marginL)+iw, y, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#c00" text-anchor="end">%s</text>`+"\n", float64(marginL)+iw-4, y-4, html.EscapeString(p.hline.label))
	}
	for i, s := range p.series {
		var pts []string
		for _, pt := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(pt[0]), py(pt[1])))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
		}
		for _, pt := range s.pts {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s: %s</title></circle>`+"\n",
				px(pt[0]), py(pt[1]), s.color, html.EscapeString(s.name), fmtNum(pt[1]))
		}
		ly := marginT + 10 + i*20
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="14" height="4" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			plotW-marginR+14, ly, s.color, plotW-marginR+34, ly+6, html.EscapeString(s.name))
	}
	for i, n := range p.notes {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#444">%s</text>`+"\n", plotW-marginR+14, marginT+10+(len(p.series)+1)*20+i*16, html.EscapeString(n))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func minMax(v []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}

// niceRange rounds hi up to 1, 2 or 5 times a power of ten.
func niceRange(lo, hi float64) (float64, float64) {
	if hi <= lo {
		return lo, lo + 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(hi-lo)))
	for _, m := range []float64{1, 2, 5, 10} {
		if lo+m*mag >= hi {
			return lo, lo + m*mag
		}
	}
	return lo, lo + 10*mag
}

func fmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

// rungOrder sorts rungs by offered rate, then games.
func rungOrder(rungs []RungResult) []RungResult {
	out := append([]RungResult(nil), rungs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rate != out[j].Rate {
			return out[i].Rate < out[j].Rate
		}
		return out[i].Games < out[j].Games
	})
	return out
}

func latencyPlot(res *BenchResult) string {
	p := &svgPlot{title: "Move → opponent push latency by offered load (open loop)", xTitle: "rung: games @ offered moves/s",
		yTitle: "latency (ms, log scale)", logY: true}
	p.hline = &struct {
		y     float64
		label string
	}{50, "target p99 50 ms"}
	names := []string{"p50", "p90", "p99", "p99.9"}
	colors := []string{"#1b9e77", "#7570b3", "#d95f02", "#e7298a"}
	ss := make([]series, len(names))
	for i := range ss {
		ss[i] = series{name: names[i], color: colors[i]}
	}
	for i, rr := range rungOrder(res.Rungs) {
		p.xLabels = append(p.xLabels, fmt.Sprintf("%dg@%s", rr.Games, fmtNum(rr.Rate)))
		if rr.Result == nil || len(rr.Result.Steps) == 0 || rr.Result.Steps[0].Push.Count == 0 {
			continue // nothing measured (an overload left no move of the step answered)
		}
		s := rr.Result.Steps[0]
		for j, v := range []float64{s.Push.P50Ms, s.Push.P90Ms, s.Push.P99Ms, s.Push.P999Ms} {
			ss[j].pts = append(ss[j].pts, [2]float64{float64(i), math.Max(v, 0.01)})
		}
	}
	p.series = ss
	for _, rr := range rungOrder(res.Rungs) {
		if rr.Result != nil && len(rr.Result.Steps) > 0 {
			s := rr.Result.Steps[0]
			p.notes = append(p.notes, fmt.Sprintf("%dg@%s: %.0f/s done", rr.Games, fmtNum(rr.Rate), s.AchievedMovesPerSec))
		}
	}
	return p.render()
}

func memoryPlot(res *BenchResult) string {
	p := &svgPlot{title: "Backend RSS against WebSocket connections held", xTitle: "connections held", yTitle: "RSS (MiB)"}
	playing := series{name: "playing (rungs)", color: "#d95f02"}
	for _, rr := range append(rungOrder(res.Rungs), derefRung(res.Saturated)...) {
		if rr.Result == nil || len(rr.Result.Steps) == 0 {
			continue
		}
		s := rr.Result.Steps[0]
		playing.pts = append(playing.pts, [2]float64{float64(s.ConnectionsHeld), float64(s.Server.RSSBytes) / (1 << 20)})
	}
	sort.Slice(playing.pts, func(i, j int) bool { return playing.pts[i][0] < playing.pts[j][0] })
	p.series = append(p.series, playing)
	if id := res.Idle; id != nil {
		idle := series{name: "idle", color: "#1b9e77", pts: [][2]float64{
			{0, float64(id.RSSBefore) / (1 << 20)}, {float64(id.Conns), float64(id.RSSAfter) / (1 << 20)}}}
		p.series = append(p.series, idle)
		p.notes = append(p.notes, fmt.Sprintf("idle: %.1f KiB/conn RSS", id.RSSPerConn/1024))
		if id.MemAfter != nil {
			p.notes = append(p.notes, fmt.Sprintf("heap %.1f KiB, stack %.1f KiB", id.HeapPerConn/1024, id.StackPerConn/1024))
		}
	}
	return p.render()
}

func derefRung(r *RungResult) []RungResult {
	if r == nil {
		return nil
	}
	return []RungResult{*r}
}

// MergeResults combines the rungs of several bench results (e.g. a main ladder and extra low
// rungs) for one set of plots; the saturated run and idle figures come from the first that has
// them.
func MergeResults(rs []*BenchResult) *BenchResult {
	out := &BenchResult{}
	for _, r := range rs {
		out.Rungs = append(out.Rungs, r.Rungs...)
		if out.Saturated == nil {
			out.Saturated = r.Saturated
		}
		if out.Idle == nil {
			out.Idle = r.Idle
		}
	}
	out.Best = best(out.Rungs)
	return out
}

// WriteBenchTable prints the ladder, the saturated run and the idle figures.
func WriteBenchTable(w io.Writer, res *BenchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tgames\tconns\toffered/s\tacked/s\tacks in step/s\tpush p50\tp90\tp99\tp99.9\tmax\tack p99\tsrv cores\tµs/move\tpg cores\tredis cores\tlg cores\tRSS MiB\terrors\tlost\tload1\t")
	all := append(rungOrder(res.Rungs), derefRung(res.Saturated)...)
	for _, rr := range all {
		if rr.Result == nil || len(rr.Result.Steps) == 0 {
			fmt.Fprintf(tw, "%s\t%d\t\t%s\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", rr.Mode, rr.Games, fmtNum(rr.Rate))
			continue
		}
		s := rr.Result.Steps[0]
		offered := "closed"
		if rr.Mode == ModeOpen {
			offered = fmtNum(rr.Rate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f\t%.0f\t%d\t%d\t%.2f\t\n",
			rr.Mode, rr.Games, s.ConnectionsHeld, offered, s.AchievedMovesPerSec, s.AcksPerSec, s.Push.P50Ms, s.Push.P90Ms, s.Push.P99Ms,
			s.Push.P999Ms, s.Push.MaxMs, s.Ack.P99Ms, s.Server.CPUCores, s.Server.CPUMicrosPerMove, s.Postgres.CPUCores,
			s.Redis.CPUCores, s.Loadgen.CPUCores, float64(s.Server.RSSBytes)/(1<<20), sum(s.Errors), rr.Result.Integrity.Lost, rr.LoadBefore[0])
	}
	tw.Flush()
	for _, rr := range all {
		if rr.Error != "" {
			fmt.Fprintf(w, "%s %d games @ %s: %s\n", rr.Mode, rr.Games, fmtNum(rr.Rate), rr.Error)
		}
	}
	if b := res.Best; b != nil {
		fmt.Fprintf(w, "best sustained: %.0f moves/s (%d games, offered %s) with p99 push %.2f ms, no lost moves\n",
			b.AchievedPerSec, b.Games, fmtNum(b.OfferedPerSec), b.PushP99Ms)
	} else {
		fmt.Fprintln(w, "best sustained: no rung met p99 < 50 ms, >= 95 % of the offered rate and zero lost moves")
	}
	if id := res.Idle; id != nil {
		fmt.Fprintf(w, "idle: %d/%d connections held; %.0f bytes RSS/conn (heap %.0f, stacks %.0f, %.2f goroutines/conn)\n",
			id.Held, id.Conns, id.RSSPerConn, id.HeapPerConn, id.StackPerConn, id.GoroutinesPer)
	}
}
