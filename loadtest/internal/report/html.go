package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"strconv"
	"time"

	"github.com/avatar-fi/avatar/loadtest/internal/latency"
	"github.com/avatar-fi/avatar/protocol/callevent"
)

//go:embed report.html.tmpl
var htmlSource string

// page is what report.html.tmpl renders.
type page struct {
	R         *Report
	Legend    []legendItem
	Histogram chart
	Timeline  chart
	Stages    chart
	// StageNames are the stages any region reported, in contract order.
	StageNames []string
}

type legendItem struct{ Name, Color string }

// chart is an SVG drawn in Go: the template only places its parts.
type chart struct {
	W, H    int
	Rects   []rect
	Dots    []dot
	Lines   []line
	Labels  []label
	Caption string
}

type rect struct {
	X, Y, W, H float64
	Fill       string
	Title      string
}

type dot struct {
	X, Y  float64
	Fill  string
	Title string
}

type line struct{ X1, Y1, X2, Y2 float64 }

type label struct {
	X, Y   float64
	Text   string
	Anchor string
}

// palette colours regions (and stages) in order.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

func color(i int) string { return palette[i%len(palette)] }

// plot geometry shared by the charts.
const (
	chartW, chartH = 760, 260
	padL, padR     = 56, 16
	padT, padB     = 16, 40
)

// WriteHTML writes report.html: the table, and histogram, timeline and
// stage-breakdown charts as inline SVG (no scripts, no external files).
func (r *Report) WriteHTML(w io.Writer) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"f0":       func(v float64) string { return fmt.Sprintf("%.0f", v) },
		"f1":       func(v float64) string { return fmt.Sprintf("%.1f", v) },
		"f2":       func(v float64) string { return fmt.Sprintf("%.2f", v) },
		"f3":       func(v float64) string { return fmt.Sprintf("%.3f", v) },
		"failures": failureList,
	}).Parse(htmlSource)
	if err != nil {
		return fmt.Errorf("parse report template: %w", err)
	}
	p := page{R: r, Histogram: r.histogram(), Timeline: r.timeline(), Stages: r.stageChart()}
	all := map[string]latency.Percentiles{}
	for i, reg := range r.Regions {
		p.Legend = append(p.Legend, legendItem{reg.Region, color(i)})
		maps.Copy(all, reg.Stages)
	}
	p.StageNames = stageOrder(all)
	if err := t.Execute(w, p); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// answeredGaps returns each region's client turn gaps.
func (r *Report) answeredGaps() [][]Turn {
	out := make([][]Turn, len(r.Regions))
	for i, reg := range r.Regions {
		for _, t := range r.turns {
			if t.Region == reg.Region && t.Answered {
				out[i] = append(out[i], t)
			}
		}
	}
	return out
}

// decimals returns how many decimals label a tick step.
func decimals(step float64) int {
	if step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step)))
}

// niceStep returns a round step (1, 2 or 5 × 10^k) that cuts span into
// about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// axes draws the frame with y ticks from 0 to yMax and x ticks over
// [x0, x1] labelled by xFmt.
func axes(c *chart, yMax, minStep float64, x0, x1 float64, xFmt func(float64) string) {
	pw, ph := float64(c.W-padL-padR), float64(c.H-padT-padB)
	c.Lines = append(c.Lines, line{padL, padT, padL, padT + ph}, line{padL, padT + ph, padL + pw, padT + ph})
	step := max(niceStep(yMax, 5), minStep)
	for k := 0.0; k*step <= yMax+1e-9; k++ {
		v := k * step
		y := padT + ph - v/yMax*ph
		c.Lines = append(c.Lines, line{padL - 4, y, padL, y})
		c.Labels = append(c.Labels, label{padL - 6, y + 4, strconv.FormatFloat(v, 'f', decimals(step), 64), "end"})
	}
	if x1 > x0 {
		xs := niceStep(x1-x0, 8)
		for v := math.Ceil(x0/xs) * xs; v <= x1+1e-9; v += xs {
			x := padL + (v-x0)/(x1-x0)*pw
			c.Lines = append(c.Lines, line{x, padT + ph, x, padT + ph + 4})
			c.Labels = append(c.Labels, label{x, padT + ph + 18, xFmt(v), "middle"})
		}
	}
}

// histogram draws each region's turn gaps in shared bins, side by side.
func (r *Report) histogram() chart {
	c := chart{W: chartW, H: chartH, Caption: "client turn gap (ms): turns per bin"}
	gaps := r.answeredGaps()
	hi := 0.0
	for _, g := range gaps {
		for _, t := range g {
			hi = max(hi, t.GapMs)
		}
	}
	if hi == 0 {
		c.Labels = append(c.Labels, label{float64(c.W) / 2, float64(c.H) / 2, "no turn answered", "middle"})
		return c
	}
	width := niceStep(hi, 20)
	nbins := int(hi/width) + 1
	counts := make([][]int, len(gaps))
	top := 1
	for i, g := range gaps {
		counts[i] = make([]int, nbins)
		for _, t := range g {
			b := min(int(t.GapMs/width), nbins-1)
			counts[i][b]++
			top = max(top, counts[i][b])
		}
	}
	x1 := float64(nbins) * width
	axes(&c, float64(top), 1, 0, x1, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	pw, ph := float64(c.W-padL-padR), float64(c.H-padT-padB)
	bw := pw / float64(nbins) / float64(max(1, len(gaps)))
	for i := range counts {
		for b, n := range counts[i] {
			if n == 0 {
				continue
			}
			h := float64(n) / float64(top) * ph
			x := padL + float64(b)*width/x1*pw + float64(i)*bw
			c.Rects = append(c.Rects, rect{x, padT + ph - h, bw * 0.9, h, color(i),
				fmt.Sprintf("%s: %d turns %.0f–%.0f ms", r.Regions[i].Region, n, float64(b)*width, float64(b+1)*width)})
		}
	}
	return c
}

// timeline draws every answered turn's gap against the time into the run.
func (r *Report) timeline() chart {
	c := chart{W: chartW, H: chartH, Caption: "client turn gap (ms) over the run (s)"}
	gaps := r.answeredGaps()
	hi, end := 0.0, max(1, r.DurationS)
	for _, g := range gaps {
		for _, t := range g {
			hi = max(hi, t.GapMs)
			end = max(end, t.At.Sub(r.Started).Seconds())
		}
	}
	if hi == 0 {
		c.Labels = append(c.Labels, label{float64(c.W) / 2, float64(c.H) / 2, "no turn answered", "middle"})
		return c
	}
	yMax := niceStep(hi, 5) * math.Ceil(hi/niceStep(hi, 5))
	axes(&c, yMax, 0, 0, end, func(v float64) string { return fmt.Sprintf("%.0f", v) })
	pw, ph := float64(c.W-padL-padR), float64(c.H-padT-padB)
	for i, g := range gaps {
		for _, t := range g {
			s := t.At.Sub(r.Started).Seconds()
			c.Dots = append(c.Dots, dot{padL + s/end*pw, padT + ph - t.GapMs/yMax*ph, color(i),
				fmt.Sprintf("%s call %d, %s: %.0f ms at %s", t.Region, t.Call, t.Clip, t.GapMs, (time.Duration(s) * time.Second).String())})
		}
	}
	return c
}

// stageChart draws each region's p50 stages stacked, and beside the
// edge's stages what the network and client added (client gap p50 less
// the edge's turn_gap p50).
func (r *Report) stageChart() chart {
	c := chart{W: chartW, H: 60 + 34*len(r.Regions), Caption: "p50 per stage (ms): the edge's stages, then network and client"}
	parts := []string{callevent.StageEndpoint, callevent.StageSTTFinal, callevent.StageFirstText, callevent.StageFirstAudio, callevent.StageFirstPacket, "network+client"}
	totals := make([][]float64, len(r.Regions))
	hi := 1.0
	for i, reg := range r.Regions {
		v := make([]float64, len(parts))
		for k, st := range parts[:len(parts)-1] {
			v[k] = reg.Stages[st].P50
		}
		v[len(parts)-1] = max(0, reg.TurnGapMs.P50-reg.Stages[callevent.StageTurnGap].P50)
		totals[i] = v
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		hi = max(hi, sum)
	}
	left, pw := 110.0, float64(c.W)-110-70 // room for the total on the right
	for i, reg := range r.Regions {
		y := 10 + float64(i)*34
		c.Labels = append(c.Labels, label{left - 8, y + 18, reg.Region, "end"})
		x := left
		for k, v := range totals[i] {
			w := v / hi * pw
			if w > 0 {
				c.Rects = append(c.Rects, rect{x, y, w, 26, color(k + 2), fmt.Sprintf("%s %s: %.0f ms", reg.Region, parts[k], v)})
			}
			x += w
		}
		c.Labels = append(c.Labels, label{x + 4, y + 18, fmt.Sprintf("%.0f ms", reg.TurnGapMs.P50), "start"})
	}
	ly := float64(c.H) - 14
	for k, name := range parts {
		x := left + float64(k)*105
		c.Rects = append(c.Rects, rect{x, ly - 10, 10, 10, color(k + 2), name})
		c.Labels = append(c.Labels, label{x + 14, ly, name, "start"})
	}
	return c
}
