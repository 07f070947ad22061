package dashboard

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestFill(t *testing.T) {
	from := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	got := []bucket{
		{Start: from.Add(3 * time.Hour), Counts: map[string]int64{"VALID": 7, "RATE_LIMITED": 2}},
		{Start: from.Add(3*time.Hour + 30*time.Minute), Counts: map[string]int64{"VALID": 1}}, // minute data folds into its hour
		{Start: from.Add(23 * time.Hour), Counts: map[string]int64{"NOT_FOUND": 5}},
	}
	s := fill(got, from, to, time.Hour)
	if len(s.Buckets) != 24 {
		t.Fatalf("%d buckets over 24 hours", len(s.Buckets))
	}
	if s.Buckets[3].Counts["VALID"] != 8 || s.Buckets[3].Counts["RATE_LIMITED"] != 2 || s.Buckets[23].Counts["NOT_FOUND"] != 5 || len(s.Buckets[4].Counts) != 0 {
		t.Fatalf("buckets: %+v", s.Buckets)
	}
	if s.Total != 15 || s.Totals["VALID"] != 8 {
		t.Fatalf("totals %v, total %d", s.Totals, s.Total)
	}
	// VALID first whatever its count, then by count.
	if strings.Join(s.Groups, ",") != "VALID,NOT_FOUND,RATE_LIMITED" {
		t.Fatalf("groups %v", s.Groups)
	}
}

func TestNiceMax(t *testing.T) {
	for _, c := range []struct{ n, want int64 }{{0, 4}, {3, 4}, {4, 4}, {5, 8}, {8, 8}, {9, 20}, {11, 20}, {21, 40}, {41, 80}, {81, 100}, {101, 200}, {999, 1000}, {1001, 2000}} {
		if got := niceMax(c.n); got != c.want {
			t.Errorf("niceMax(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestChartSVG(t *testing.T) {
	from := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	s := fill([]bucket{{Start: from.Add(2 * time.Hour), Counts: map[string]int64{"VALID": 10, "<script>": 3}}}, from, from.Add(24*time.Hour), time.Hour)
	svg := string(chartSVG(s, `a "title" & more`))
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("the chart is not well-formed XML: %v\n%s", err, svg)
	}
	if strings.Contains(svg, "<script>") || !strings.Contains(svg, "&lt;script&gt; 3") {
		t.Fatalf("a group name is not escaped: %s", svg)
	}
	if !strings.Contains(svg, `aria-label="a &#34;title&#34; &amp; more: 13 in all"`) {
		t.Fatalf("the chart's label: %s", svg)
	}
	// One bar per outcome in the busy hour, of heights in proportion.
	if n := strings.Count(svg, `<rect class="c`); n != 2 {
		t.Fatalf("%d bars, want 2", n)
	}
	if !strings.Contains(svg, "<title>Jan 2 02:00: VALID 10, &lt;script&gt; 3</title>") {
		t.Fatalf("the busy hour's title: %s", svg)
	}
}
