package soak

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Series is one measured quantity over the samples.
type Series struct {
	Name, Unit string
	Instance   int // -1 for the database and the latencies
	T, V       []float64
}

// AllSeries splits the samples into series, from warm-up (in seconds) on
// if from > 0.
func AllSeries(samples []Sample, from float64) []Series {
	if len(samples) == 0 {
		return nil
	}
	n := len(samples[0].RSS)
	var out []Series
	add := func(name, unit string, inst int, f func(s Sample) float64) {
		se := Series{Name: name, Unit: unit, Instance: inst}
		for _, s := range samples {
			if s.T >= from {
				se.T = append(se.T, s.T)
				se.V = append(se.V, f(s))
			}
		}
		out = append(out, se)
	}
	for i := range n {
		add("RSS", "MB", i, func(s Sample) float64 { return s.RSS[i] / 1e6 })
		add("goroutines", "", i, func(s Sample) float64 { return s.Goroutines[i] })
		add("open files", "", i, func(s Sample) float64 { return s.OpenFiles[i] })
	}
	add("database size", "MB", -1, func(s Sample) float64 { return s.DBBytes / 1e6 })
	add("database bytes per record", "B", -1, func(s Sample) float64 {
		if s.Records == 0 {
			return 0
		}
		return s.DBBytes / s.Records
	})
	add("p50 latency", "ms", -1, func(s Sample) float64 { return s.P50 })
	add("p99 latency", "ms", -1, func(s Sample) float64 { return s.P99 })
	return out
}

// Fit is the least-squares line through a series: v = A + B·t.
func Fit(t, v []float64) (a, b float64) {
	n := float64(len(t))
	if n < 2 {
		return 0, 0
	}
	var st, sv, stt, stv float64
	for i := range t {
		st += t[i]
		sv += v[i]
		stt += t[i] * t[i]
		stv += t[i] * v[i]
	}
	d := n*stt - st*st
	if d == 0 {
		return sv / n, 0
	}
	b = (n*stv - st*sv) / d
	return (sv - b*st) / n, b
}

// Growth is the fitted change of a series over per seconds, relative to
// the fitted value at its first sample: 0.05 is 5% more per that time.
func Growth(s Series, per float64) float64 {
	if len(s.T) < 2 {
		return 0
	}
	a, b := Fit(s.T, s.V)
	base := a + b*s.T[0]
	if base <= 0 {
		return 0
	}
	return b * per / base
}

// GrowthStdErr is the standard error of Growth: that of the fitted slope,
// over per seconds, relative to the same fitted value. A growth within two
// of them of zero does not tell a trend from the series' own scatter.
func GrowthStdErr(s Series, per float64) float64 {
	n := len(s.T)
	if n < 3 {
		return 0
	}
	a, b := Fit(s.T, s.V)
	base := a + b*s.T[0]
	if base <= 0 {
		return 0
	}
	var mt float64
	for _, t := range s.T {
		mt += t
	}
	mt /= float64(n)
	var rss, stt float64
	for i, t := range s.T {
		r := s.V[i] - (a + b*t)
		rss += r * r
		stt += (t - mt) * (t - mt)
	}
	if stt == 0 {
		return 0
	}
	return math.Sqrt(rss/float64(n-2)/stt) * per / base
}

// ReadSamples reads the samples of a run from the STORE.json or STORE.csv
// that Write wrote.
func ReadSamples(path string) ([]Sample, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var samples []Sample
	if strings.HasSuffix(path, ".csv") {
		samples, err = samplesFromCSV(data)
	} else {
		var v struct {
			Samples []Sample `json:"samples"`
		}
		err = json.Unmarshal(data, &v)
		samples = v.Samples
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: no samples", path)
	}
	return samples, nil
}

// samplesFromCSV reads the columns Write writes: t_s, three for each
// instance, then seven for the database, the latencies and the counts.
func samplesFromCSV(data []byte) ([]Sample, error) {
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || len(rows[0]) < 8 || (len(rows[0])-8)%3 != 0 || rows[0][0] != "t_s" {
		return nil, errors.New("not the samples of a soak run (the header should be t_s, rss_bytes_0, …)")
	}
	n := (len(rows[0]) - 8) / 3
	var out []Sample
	for i, row := range rows[1:] {
		v := make([]float64, len(row))
		for j, f := range row {
			if v[j], err = strconv.ParseFloat(f, 64); err != nil {
				return nil, fmt.Errorf("line %d, column %d: %q is not a number", i+2, j+1, f)
			}
		}
		s := Sample{T: v[0]}
		for k := range n {
			s.RSS = append(s.RSS, v[1+3*k])
			s.Goroutines = append(s.Goroutines, v[2+3*k])
			s.OpenFiles = append(s.OpenFiles, v[3+3*k])
		}
		rest := v[1+3*n:]
		s.DBBytes, s.Records, s.P50, s.P99 = rest[0], rest[1], rest[2], rest[3]
		s.Requests, s.Refused, s.Failed = int(rest[4]), int(rest[5]), int(rest[6])
		out = append(out, s)
	}
	return out, nil
}

// Write writes the samples as samples.csv and samples.json, and the plot
// as soak.svg, into dir, named with prefix.
func Write(dir, prefix string, res *Result, title string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var csv strings.Builder
	n := 0
	if len(res.Samples) > 0 {
		n = len(res.Samples[0].RSS)
	}
	csv.WriteString("t_s")
	for i := range n {
		fmt.Fprintf(&csv, ",rss_bytes_%d,goroutines_%d,open_files_%d", i, i, i)
	}
	csv.WriteString(",db_bytes,records,p50_ms,p99_ms,requests,refused,failed\n")
	for _, s := range res.Samples {
		fmt.Fprintf(&csv, "%.1f", s.T)
		for i := range n {
			fmt.Fprintf(&csv, ",%.0f,%.0f,%.0f", s.RSS[i], s.Goroutines[i], s.OpenFiles[i])
		}
		fmt.Fprintf(&csv, ",%.0f,%.0f,%.3f,%.3f,%d,%d,%d\n", s.DBBytes, s.Records, s.P50, s.P99, s.Requests, s.Refused, s.Failed)
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+".csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(struct {
		Peak    float64  `json:"peak_ops_per_s"`
		Rate    float64  `json:"rate_ops_per_s"`
		Samples []Sample `json:"samples"`
	}{res.Peak, res.Rate, res.Samples}, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, prefix+".json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, prefix+".svg"), []byte(SVG(title, AllSeries(res.Samples, 0))), 0o644)
}

// SVG draws each quantity in a panel of its own (the instances of one
// quantity share a panel), against time, with its fitted line dashed.
func SVG(title string, series []Series) string {
	type panel struct {
		name, unit string
		ss         []Series
	}
	var panels []*panel
	byName := map[string]*panel{}
	for _, s := range series {
		p := byName[s.Name]
		if p == nil {
			p = &panel{name: s.Name, unit: s.Unit}
			byName[s.Name] = p
			panels = append(panels, p)
		}
		p.ss = append(p.ss, s)
	}
	const pw, ph, cols, margin = 360.0, 200.0, 3, 50.0
	rows := (len(panels) + cols - 1) / cols
	w, h := cols*pw, 40+float64(rows)*ph
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="10" y="22" font-size="14">%s</text>`+"\n", escape(title))
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}
	for i, p := range panels {
		x0 := float64(i%cols)*pw + margin
		y0 := 40 + float64(i/cols)*ph + 20
		iw, ih := pw-margin-15, ph-55
		tmax, vmax := 1.0, 0.0
		for _, s := range p.ss {
			for j := range s.T {
				tmax = math.Max(tmax, s.T[j])
				vmax = math.Max(vmax, s.V[j])
			}
		}
		if vmax == 0 {
			vmax = 1
		}
		vmax *= 1.1
		px := func(t float64) float64 { return x0 + t/tmax*iw }
		py := func(v float64) float64 { return y0 + ih - v/vmax*ih }
		label := p.name
		if p.unit != "" {
			label += " (" + p.unit + ")"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", x0, y0-6, escape(label))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", x0, y0, iw, ih)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%s</text>`, x0-4, y0+8, num(vmax))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">0</text>`, x0-4, y0+ih)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">0</text><text x="%.0f" y="%.0f" text-anchor="end">%.0f s</text>`+"\n", x0, y0+ih+14, x0+iw, y0+ih+14, tmax)
		for k, s := range p.ss {
			c := colors[k%len(colors)]
			var pts []string
			for j := range s.T {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.T[j]), py(s.V[j])))
			}
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", c, strings.Join(pts, " "))
			if len(s.T) >= 2 {
				a, sl := Fit(s.T, s.V)
				t1, t2 := s.T[0], s.T[len(s.T)-1]
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", px(t1), py(a+sl*t1), px(t2), py(a+sl*t2), c)
			}
			if s.Instance >= 0 && len(p.ss) > 1 {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">instance %d</text>`+"\n", x0+iw-70, y0+14+12*float64(k), c, s.Instance+1)
			}
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
