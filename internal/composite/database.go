package composite

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/supaops/supaops/internal/tools"
)

// Column is one column of a table.
type Column struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Nullable bool    `json:"nullable"`
	Default  *string `json:"default,omitempty"`
}

// ForeignKey is one foreign key of a table.
type ForeignKey struct {
	Name              string   `json:"name"`
	Columns           []string `json:"columns"`
	References        string   `json:"references"`
	ReferencedColumns []string `json:"referenced_columns"`
}

// Table is one table as tables_list shows it; Columns and ForeignKeys only
// when verbose.
type Table struct {
	Schema       string       `json:"schema"`
	Name         string       `json:"name"`
	RLSEnabled   bool         `json:"rls_enabled"`
	RowsEstimate int64        `json:"rows_estimate"`
	PrimaryKey   []string     `json:"primary_key,omitempty"`
	Comment      *string      `json:"comment,omitempty"`
	Columns      []Column     `json:"columns,omitempty"`
	ForeignKeys  []ForeignKey `json:"foreign_keys,omitempty"`
}

// schemasArg is the schemas asked for, joined for $1 (their pattern
// excludes commas).
func schemasArg(args map[string]any) (string, []string) {
	var list []string
	if raw, ok := args["schemas"].([]any); ok {
		for _, s := range raw {
			if name, ok := s.(string); ok {
				list = append(list, name)
			}
		}
	}
	if len(list) == 0 {
		list = []string{"public"}
	}
	return strings.Join(list, ","), list
}

func tablesList(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	joined, schemas := schemasArg(args)
	verbose, _ := args["verbose"].(bool)
	var rows []Table
	if err := query(ctx, c, ref, sqlTables, []any{joined}, &rows); err != nil {
		return nil, err
	}
	noRLS := 0
	for i := range rows {
		if !rows[i].RLSEnabled {
			noRLS++
		}
		if !verbose {
			rows[i].Columns, rows[i].ForeignKeys = nil, nil
		}
	}
	out := map[string]any{"schemas": schemas, "tables": rows}
	if noRLS > 0 {
		// What the official server adds too: the one finding that matters
		// most when listing tables.
		out["advisory"] = fmt.Sprintf("%d table(s) have row-level security off: anyone with the anon key can read and write them if the schema is exposed (see rls_check)", noRLS)
	}
	return out, nil
}

// Extension is one Postgres extension.
type Extension struct {
	Name             string  `json:"name"`
	DefaultVersion   string  `json:"default_version"`
	InstalledVersion *string `json:"installed_version,omitempty"`
	Schema           *string `json:"schema,omitempty"`
	Comment          string  `json:"comment,omitempty"`
}

func extensionsList(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	installed, _ := args["installed"].(bool)
	var rows []Extension
	if err := query(ctx, c, ref, sqlExtensions, nil, &rows); err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, e := range rows {
		if !installed || e.InstalledVersion != nil {
			out = append(out, e)
		}
	}
	return map[string]any{"extensions": out}, nil
}

// Policy is a row-level security policy.
type Policy struct {
	Name      string   `json:"name"`
	Command   string   `json:"command"`
	Roles     []string `json:"roles"`
	Using     *string  `json:"using,omitempty"`
	WithCheck *string  `json:"with_check,omitempty"`
}

// RLSFinding is a table the Data API exposes to anyone.
type RLSFinding struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Problem is "rls_disabled" or "open_policy".
	Problem  string   `json:"problem"`
	Policies []Policy `json:"policies,omitempty"`
}

type rlsRow struct {
	Schema       string   `json:"schema"`
	Name         string   `json:"name"`
	RLSEnabled   bool     `json:"rls_enabled"`
	OpenPolicies []Policy `json:"open_policies"`
}

func rlsCheck(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	// The exposed schemas are the Data API's (PostgREST's db_schema).
	var pgrst struct {
		DBSchema string `json:"db_schema"`
	}
	if err := call(ctx, c, "postgrest_config_get", map[string]any{"ref": ref}, &pgrst); err != nil {
		return nil, err
	}
	var exposed []string
	for _, s := range strings.Split(pgrst.DBSchema, ",") {
		if s = strings.TrimSpace(s); s != "" {
			exposed = append(exposed, s)
		}
	}
	out := map[string]any{"exposed_schemas": exposed}
	if len(exposed) == 0 {
		out["findings"], out["tables_checked"] = []RLSFinding{}, 0
		return out, nil
	}
	var rows []rlsRow
	if err := query(ctx, c, ref, sqlRLS, []any{strings.Join(exposed, ",")}, &rows); err != nil {
		return nil, err
	}
	findings := []RLSFinding{}
	for _, r := range rows {
		switch {
		case !r.RLSEnabled:
			findings = append(findings, RLSFinding{Schema: r.Schema, Name: r.Name, Problem: "rls_disabled"})
		case len(r.OpenPolicies) > 0:
			findings = append(findings, RLSFinding{Schema: r.Schema, Name: r.Name, Problem: "open_policy", Policies: r.OpenPolicies})
		}
	}
	out["findings"], out["tables_checked"] = findings, len(rows)
	return out, nil
}

// Health is what database_health reports.
type Health struct {
	Connections        int      `json:"connections"`
	MaxConnections     int      `json:"max_connections"`
	ConnectionsUsed    float64  `json:"connections_used"`
	TableCacheHitRatio float64  `json:"table_cache_hit_ratio"`
	IndexCacheHitRatio float64  `json:"index_cache_hit_ratio"`
	PgStatStatements   bool     `json:"pg_stat_statements"`
	SlowestStatements  []any    `json:"slowest_statements,omitempty"`
	BiggestTables      []any    `json:"biggest_tables"`
	BiggestIndexes     []any    `json:"biggest_indexes"`
	Warnings           []string `json:"warnings,omitempty"`
}

func databaseHealth(ctx context.Context, c tools.Caller, args map[string]any) (any, error) {
	ref, _ := args["ref"].(string)
	top := 5
	if n, ok := tools.IntValue(args["top"]); ok {
		top = n
	}
	limit := strconv.Itoa(top)
	var rows []Health
	if err := query(ctx, c, ref, sqlHealth, []any{limit}, &rows); err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, fmt.Errorf("the health query returned %d rows, not one", len(rows))
	}
	h := rows[0]
	if h.MaxConnections > 0 {
		h.ConnectionsUsed = float64(h.Connections) / float64(h.MaxConnections)
	}
	if h.PgStatStatements {
		if err := query(ctx, c, ref, sqlSlowest, []any{limit}, &h.SlowestStatements); err != nil {
			return nil, err
		}
	}
	// Thresholds from Supabase's own guidance: cache hit below 99% on a
	// read-heavy database, connections near the limit.
	if h.ConnectionsUsed >= 0.8 {
		h.Warnings = append(h.Warnings, fmt.Sprintf("%d of %d connections in use", h.Connections, h.MaxConnections))
	}
	if h.TableCacheHitRatio < 0.99 {
		h.Warnings = append(h.Warnings, fmt.Sprintf("table cache hit ratio %.2f%% is below 99%%", 100*h.TableCacheHitRatio))
	}
	if h.IndexCacheHitRatio < 0.99 {
		h.Warnings = append(h.Warnings, fmt.Sprintf("index cache hit ratio %.2f%% is below 99%%", 100*h.IndexCacheHitRatio))
	}
	if !h.PgStatStatements {
		h.Warnings = append(h.Warnings, "pg_stat_statements is off: no statement statistics")
	}
	return h, nil
}
