package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"
)

// bucket is one interval of a usage series, counts keyed by outcome (or
// whatever the series is grouped by).
type bucket struct {
	Start  time.Time        `json:"start"`
	Counts map[string]int64 `json:"counts"`
}

// series is what an analytics query answered, with every interval of the
// range present.
type series struct {
	Step    time.Duration
	Buckets []bucket
	Groups  []string // the group values, most frequent first (VALID, APPROVED, sent first)
	Totals  map[string]int64
	Total   int64
}

// successOutcomes are drawn first, in the first colour.
var successOutcomes = []string{"VALID", "APPROVED", "sent"}

// fill lays the buckets the API returned over every interval from from to
// to, so that a quiet hour is drawn as an empty bar.
func fill(got []bucket, from, to time.Time, step time.Duration) series {
	s := series{Step: step, Totals: map[string]int64{}}
	at := map[int64]map[string]int64{}
	for _, b := range got {
		k := b.Start.Truncate(step).Unix()
		if at[k] == nil {
			at[k] = map[string]int64{}
		}
		for g, n := range b.Counts {
			at[k][g] += n
			s.Totals[g] += n
			s.Total += n
		}
	}
	for t := from.Truncate(step); t.Before(to); t = t.Add(step) {
		s.Buckets = append(s.Buckets, bucket{Start: t, Counts: at[t.Unix()]})
	}
	for g := range s.Totals {
		s.Groups = append(s.Groups, g)
	}
	slices.SortFunc(s.Groups, func(a, b string) int {
		ia, ib := slices.Index(successOutcomes, a), slices.Index(successOutcomes, b)
		switch {
		case ia >= 0 && ib < 0:
			return -1
		case ib >= 0 && ia < 0:
			return 1
		case s.Totals[a] != s.Totals[b]:
			if s.Totals[a] > s.Totals[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return s
}

// groupClass is the CSS class of the i-th group's colour; the stylesheet
// has eight, for the light and the dark theme.
func groupClass(s series, g string) string {
	i := slices.Index(s.Groups, g)
	if i < 0 || i > 7 {
		i = 7
	}
	return fmt.Sprintf("c%d", i)
}

// niceMax is the top of the chart's scale for a peak of n: four times a
// round step (1, 2, 2.5 or 5 times a power of ten, whole), so that each of
// the four grid lines has a round label.
func niceMax(n int64) int64 {
	need := max((n+3)/4, 1)
	for p := int64(1); ; p *= 10 {
		steps := []int64{p, 2 * p, 5 * p}
		if p >= 10 {
			steps = []int64{p, 2 * p, 5 * p / 2, 5 * p}
		}
		for _, step := range steps {
			if step >= need {
				return 4 * step
			}
		}
	}
}

// chartSVG draws s as stacked bars, an SVG that needs no script: a title
// per bar for pointer users, and a label that sums it up for screen
// readers (the page also has the numbers as a table).
func chartSVG(s series, title string) template.HTML {
	const w, h, left, right, top, bottom = 720.0, 220.0, 44.0, 8.0, 10.0, 26.0
	plotW, plotH := w-left-right, h-top-bottom
	var peak int64
	for _, b := range s.Buckets {
		var sum int64
		for _, n := range b.Counts {
			sum += n
		}
		peak = max(peak, sum)
	}
	ymax := niceMax(peak)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="%s: %d in all" xmlns="http://www.w3.org/2000/svg">`,
		w, h, html.EscapeString(title), s.Total)
	for i := 0; i <= 4; i++ {
		v := ymax * int64(i) / 4
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&sb, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/><text class="axis" x="%g" y="%.1f" text-anchor="end">%d</text>`,
			left, y, w-right, y, left-6, y+4, v)
	}
	n := len(s.Buckets)
	if n == 0 {
		sb.WriteString(`</svg>`)
		return template.HTML(sb.String())
	}
	bw := plotW / float64(n)
	layout := "15:04"
	if s.Step >= 24*time.Hour {
		layout = "Jan 2"
	} else if n > 48 {
		layout = "Jan 2 15h"
	}
	every := max(1, n/6)
	for i, b := range s.Buckets {
		x := left + bw*float64(i)
		y := top + plotH
		var parts []string
		for _, g := range s.Groups {
			c := b.Counts[g]
			if c == 0 {
				continue
			}
			bh := plotH * float64(c) / float64(ymax)
			y -= bh
			fmt.Fprintf(&sb, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"/>`, groupClass(s, g), x+bw*0.1, y, bw*0.8, bh)
			parts = append(parts, fmt.Sprintf("%s %d", g, c))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&sb, `<rect class="hit" x="%.2f" y="%g" width="%.2f" height="%g"><title>%s: %s</title></rect>`,
				x, top, bw, plotH, html.EscapeString(b.Start.UTC().Format("Jan 2 15:04")), html.EscapeString(strings.Join(parts, ", ")))
		}
		if i%every == 0 {
			fmt.Fprintf(&sb, `<text class="axis" x="%.1f" y="%g" text-anchor="start">%s</text>`, x, h-8, b.Start.UTC().Format(layout))
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}
