package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unguessable/secrets/store"
)

// countCols are the columns of a counter's identity, its primary key, in
// the order of countsPK.
const countsPK = "granularity, kind, bucket, namespace, key_id, owner, category, outcome, tag"

// countsPerStatement bounds the rows of one upsert.
const countsPerStatement = 1000

// groupColumn is the column of each CountFilter.GroupBy: only these names
// ever reach the SQL.
var groupColumn = map[string]string{
	store.GroupOutcome:  "outcome",
	store.GroupKey:      "key_id",
	store.GroupOwner:    "owner",
	store.GroupTag:      "tag",
	store.GroupCategory: "category",
}

// compareCounts orders counters by their primary key, so that every
// instance's upserts take the rows' locks in one order and never deadlock.
func compareCounts(a, b store.Count) int {
	return cmp.Or(cmp.Compare(a.Granularity, b.Granularity), cmp.Compare(a.Kind, b.Kind),
		a.Bucket.Compare(b.Bucket), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.KeyID, b.KeyID),
		cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.Category, b.Category), cmp.Compare(a.Outcome, b.Outcome),
		cmp.Compare(a.Tag, b.Tag))
}

// AddCounts adds the counts to their counters in one transaction, then
// moves the keys' last use forward.
func (c *Core) AddCounts(ctx context.Context, counts []store.Count, used map[string]time.Time) error {
	if len(counts) > 0 {
		counts = slices.Clone(counts)
		slices.SortFunc(counts, compareCounts)
		for i := 1; i < len(counts); i++ {
			if compareCounts(counts[i-1], counts[i]) == 0 {
				return fmt.Errorf("%s: add counts: counter %s/%s/%s given twice", c.d.Name, counts[i].Kind, counts[i].Granularity, counts[i].Bucket.UTC().Format(time.RFC3339))
			}
		}
		err := c.b.Tx(ctx, func(q Querier) error {
			for chunk := range slices.Chunk(counts, countsPerStatement) {
				rows := make([]countRow, len(chunk))
				for i, ct := range chunk {
					rows[i] = countRow{ct.Granularity, ct.Kind, ct.Bucket.UnixMilli(), ct.Namespace, ct.KeyID, ct.Owner,
						ct.Category, ct.Outcome, ct.Tag, ct.N}
				}
				doc, err := json.Marshal(rows)
				if err != nil {
					return err
				}
				if _, err := q.Exec(ctx, `INSERT INTO analytics_counts (`+countsPK+`, n) `+c.jsonRows(countRowCols)+
					` ON CONFLICT (`+countsPK+`) DO UPDATE SET n = analytics_counts.n + excluded.n`, string(doc)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return c.errorf("add counts", err)
		}
	}
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, countsPerStatement) {
		rows := make([]usedRow, len(chunk))
		for i, id := range chunk {
			rows[i] = usedRow{id, used[id].UnixMilli()}
		}
		doc, err := json.Marshal(rows)
		if err != nil {
			return c.errorf("record last use of keys", err)
		}
		stmt := `UPDATE api_keys SET last_used_at = v.t FROM (` + c.jsonRows(usedRowCols) + `) AS v
			WHERE api_keys.id = v.id AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.t)`
		if _, err := c.w.Exec(ctx, stmt, string(doc)); err != nil {
			return c.errorf("record last use of keys", err)
		}
	}
	return nil
}

// countRow and usedRow are the rows AddCounts sends as one JSON parameter
// ($1, an array of arrays): a statement of a few hundred rows of bound
// parameters costs more to parse than to run, a JSON document little.
type countRow [10]any

type usedRow [2]any

// countRowCols and usedRowCols name and type the members of the rows.
var (
	countRowCols = [][2]string{{"granularity", "TEXT"}, {"kind", "TEXT"}, {"bucket", "BIGINT"}, {"namespace", "TEXT"},
		{"key_id", "TEXT"}, {"owner", "TEXT"}, {"category", "TEXT"}, {"outcome", "TEXT"}, {"tag", "TEXT"}, {"n", "BIGINT"}}
	usedRowCols = [][2]string{{"id", "TEXT"}, {"t", "BIGINT"}}
)

// jsonRows is a SELECT of the rows of the JSON array of arrays $1, with
// the columns cols: json_each in SQLite, jsonb_array_elements in
// PostgreSQL. "WHERE true" lets SQLite parse an upsert of a SELECT.
func (c *Core) jsonRows(cols [][2]string) string {
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, col := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		if c.d.Name == "postgres" {
			fmt.Fprintf(&sb, "CAST(r.value->>%d AS %s) AS %s", i, col[1], col[0])
		} else {
			fmt.Fprintf(&sb, "CAST(json_extract(r.value, '$[%d]') AS %s) AS %s", i, col[1], col[0])
		}
	}
	if c.d.Name == "postgres" {
		sb.WriteString(" FROM jsonb_array_elements(CAST($1 AS JSONB)) AS r(value) WHERE true")
	} else {
		sb.WriteString(" FROM json_each($1) AS r WHERE true")
	}
	return sb.String()
}

// SumCounts sums the counters f selects by bucket and group.
func (c *Core) SumCounts(ctx context.Context, f store.CountFilter) ([]store.CountSum, error) {
	col, ok := groupColumn[f.GroupBy]
	if !ok {
		return nil, fmt.Errorf("%s: sum counts: no grouping %q", c.d.Name, f.GroupBy)
	}
	where := []string{"granularity = $1", "kind = $2", "bucket >= $3", "bucket < $4"}
	args := []any{f.Granularity, f.Kind, f.From.UnixMilli(), f.To.UnixMilli()}
	for _, d := range []struct{ col, v string }{
		{"namespace", f.Namespace}, {"key_id", f.KeyID}, {"owner", f.Owner}, {"category", f.Category},
	} {
		if d.v != "" {
			args = append(args, d.v)
			where = append(where, d.col+" = $"+strconv.Itoa(len(args)))
		}
	}
	switch {
	case f.Tag != "":
		args = append(args, f.Tag)
		where = append(where, "tag = $"+strconv.Itoa(len(args)))
	case f.GroupBy == store.GroupTag:
		where = append(where, "tag <> ''")
	default:
		where = append(where, "tag = ''")
	}
	rows, err := c.r.Query(ctx, `SELECT bucket, `+col+`, CAST(SUM(n) AS BIGINT) FROM analytics_counts WHERE `+
		strings.Join(where, " AND ")+` GROUP BY bucket, `+col+` ORDER BY bucket, `+col, args...)
	if err != nil {
		return nil, c.errorf("sum counts", err)
	}
	defer rows.Close()
	var out []store.CountSum
	for rows.Next() {
		var s store.CountSum
		var bucket int64
		if err := rows.Scan(&bucket, &s.Group, &s.N); err != nil {
			return nil, c.errorf("sum counts", err)
		}
		s.Bucket = time.UnixMilli(bucket).UTC()
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, c.errorf("sum counts", err)
	}
	return out, nil
}

// SweepCounts deletes the counters older than their granularity's cutoff,
// at most batch rows a statement.
func (c *Core) SweepCounts(ctx context.Context, cutoffs map[string]time.Time, batch int) (int64, error) {
	var total int64
	for _, g := range store.Granularities {
		cut, ok := cutoffs[g]
		if !ok || cut.IsZero() {
			continue
		}
		for _, kind := range []string{store.KindVerifications, store.KindCodes, store.KindTokens, store.KindDeliveries} {
			for {
				began := time.Now()
				n, err := c.w.Exec(ctx, `DELETE FROM analytics_counts WHERE (`+countsPK+`) IN (SELECT `+countsPK+`
					FROM analytics_counts WHERE granularity = $1 AND kind = $2 AND bucket < $3 LIMIT $4`+c.d.SkipLocked+`)`,
					g, kind, cut.UnixMilli(), batch)
				if err != nil {
					return total, c.errorf("sweep counts", err)
				}
				total += n
				if n < int64(batch) {
					break
				}
				if err := rest(ctx, time.Since(began)); err != nil {
					return total, err
				}
			}
		}
	}
	return total, nil
}
