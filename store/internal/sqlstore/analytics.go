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
	size, ok := store.GranularityMillis[f.Granularity]
	if !ok {
		return nil, fmt.Errorf("%s: sum counts: no granularity %q", c.d.Name, f.Granularity)
	}
	// The counters of this granularity and the finer ones, each summed
	// into the bucket of this granularity that holds its own (buckets of
	// a finer granularity divide those of a coarser one). A counter's
	// bucket b lies in [From, To) once truncated if and only if b lies in
	// [From, To) rounded up to whole buckets.
	var grans []string
	for _, g := range store.Granularities {
		grans = append(grans, "'"+g+"'")
		if g == f.Granularity {
			break
		}
	}
	where := []string{"granularity IN (" + strings.Join(grans, ", ") + ")", "kind = $1", "bucket >= $2", "bucket < $3"}
	args := []any{f.Kind, ceilTo(f.From.UnixMilli(), size), ceilTo(f.To.UnixMilli(), size)}
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
	b := fmt.Sprintf("bucket - bucket %% %d", size)
	rows, err := c.r.Query(ctx, `SELECT `+b+`, `+col+`, CAST(SUM(n) AS BIGINT) FROM analytics_counts WHERE `+
		strings.Join(where, " AND ")+` GROUP BY `+b+`, `+col+` ORDER BY 1, 2`, args...)
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

// ceilTo rounds ms up to a multiple of size.
func ceilTo(ms, size int64) int64 {
	if r := ms % size; r != 0 {
		if ms > 0 {
			return ms - r + size
		}
		return ms - r
	}
	return ms
}

// countDims are the columns of a counter's identity but its granularity
// and bucket, in the order of countsPK.
const countDims = "namespace, key_id, owner, category, outcome, tag"

// SweepCounts rolls minute counters up into hours and hour counters into
// days once they are older than their granularity's cutoff, and deletes
// the day counters older than theirs, at most batch counters a statement.
func (c *Core) SweepCounts(ctx context.Context, cutoffs map[string]time.Time, batch int) (int64, error) {
	var total int64
	for i, g := range store.Granularities {
		cut, ok := cutoffs[g]
		if !ok || cut.IsZero() {
			continue
		}
		for _, kind := range []string{store.KindVerifications, store.KindCodes, store.KindTokens, store.KindDeliveries} {
			for {
				began := time.Now()
				var n int64
				var err error
				if i+1 < len(store.Granularities) {
					n, err = c.rollUp(ctx, g, store.Granularities[i+1], kind, cut, batch)
				} else {
					n, err = c.w.Exec(ctx, `DELETE FROM analytics_counts WHERE (`+countsPK+`) IN (SELECT `+countsPK+`
						FROM analytics_counts WHERE granularity = $1 AND kind = $2 AND bucket < $3 LIMIT $4`+c.d.SkipLocked+`)`,
						g, kind, cut.UnixMilli(), batch)
				}
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

// rollUp moves at most batch counters of granularity from and kind whose
// bucket started before cut into the counters of granularity to that hold
// their buckets, in one transaction, and returns how many it moved.
//
// On PostgreSQL one statement deletes the counters and adds what it
// deleted, so an increment that a flush makes meanwhile either comes
// before the delete (which then waits for it and moves it) or finds the
// counter gone and makes a new one, which a later sweep moves; counters
// that a flush holds locked are left for the next batch. Two sweeps add
// to the coarser counters in the order of their key, so they never
// deadlock. On SQLite the transaction holds the one writer, so the add
// and the delete see the same counters.
func (c *Core) rollUp(ctx context.Context, from, to, kind string, cut time.Time, batch int) (int64, error) {
	size := store.GranularityMillis[to]
	target := fmt.Sprintf("'%s', kind, bucket - bucket %% %d, "+countDims, to, size)
	group := fmt.Sprintf("kind, bucket - bucket %% %d, "+countDims, size)
	upsert := ` ON CONFLICT (` + countsPK + `) DO UPDATE SET n = analytics_counts.n + excluded.n`
	if c.d.Name == "postgres" {
		var n int64
		err := c.w.QueryRow(ctx, `WITH moved AS (
			DELETE FROM analytics_counts WHERE (`+countsPK+`) IN (SELECT `+countsPK+` FROM analytics_counts
				WHERE granularity = $1 AND kind = $2 AND bucket < $3 LIMIT $4 FOR UPDATE SKIP LOCKED)
			RETURNING kind, bucket, `+countDims+`, n),
		added AS (
			INSERT INTO analytics_counts (`+countsPK+`, n)
			SELECT `+target+`, SUM(n) FROM moved GROUP BY `+group+` ORDER BY `+group+upsert+`
			RETURNING 1)
		SELECT (SELECT count(*) FROM moved) + 0 * (SELECT count(*) FROM added)`, from, kind, cut.UnixMilli(), batch).Scan(&n)
		return n, err
	}
	var n int64
	err := c.b.Tx(ctx, func(q Querier) error {
		// The same counters for both statements: the first batch of them
		// in the order of the primary key.
		sel := `SELECT ` + countsPK + ` FROM analytics_counts WHERE granularity = $1 AND kind = $2 AND bucket < $3
			ORDER BY ` + countsPK + ` LIMIT $4`
		if _, err := q.Exec(ctx, `INSERT INTO analytics_counts (`+countsPK+`, n)
			SELECT `+target+`, SUM(n) FROM analytics_counts WHERE (`+countsPK+`) IN (`+sel+`)
			GROUP BY `+group+upsert, from, kind, cut.UnixMilli(), batch); err != nil {
			return err
		}
		var err error
		n, err = q.Exec(ctx, `DELETE FROM analytics_counts WHERE (`+countsPK+`) IN (`+sel+`)`, from, kind, cut.UnixMilli(), batch)
		return err
	})
	return n, err
}
