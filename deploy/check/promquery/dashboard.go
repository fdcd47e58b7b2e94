package promquery

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Query is one PromQL query of a dashboard.
type Query struct {
	// Where names the query's place: the panel title and refId, or the variable.
	Where string
	// Expr is the query as PromQL, Grafana's interval variables replaced.
	Expr string
}

// dashboard is the part of Grafana's dashboard JSON the checks read.
type dashboard struct {
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Panels  []panel  `json:"panels"` // a collapsed row's panels
	Targets []target `json:"targets"`
}

type target struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
}

type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

// LoadDashboard reads a Grafana dashboard JSON file and returns its title and its
// PromQL queries: every panel target's expr, and every query variable's query. It fails
// when a panel target has no expr or a query variable uses a function other than
// label_values and query_result, so no query goes unchecked.
func LoadDashboard(path string) (string, []Query, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("read dashboard: %w", err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return "", nil, fmt.Errorf("parse dashboard %s: %w", path, err)
	}
	var out []Query
	var walk func(ps []panel) error
	walk = func(ps []panel) error {
		for _, p := range ps {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) == "" {
					return fmt.Errorf("dashboard %s: panel %q target %s has no expr", path, p.Title, t.RefID)
				}
				out = append(out, Query{Where: fmt.Sprintf("panel %q %s", p.Title, t.RefID), Expr: ExpandGrafana(t.Expr)})
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return "", nil, err
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := variableQuery(v)
		if err != nil {
			return "", nil, fmt.Errorf("dashboard %s: %w", path, err)
		}
		if q != "" {
			out = append(out, Query{Where: "variable " + v.Name, Expr: ExpandGrafana(q)})
		}
	}
	return d.Title, out, nil
}

var (
	labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.+)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)
	labelOnly   = regexp.MustCompile(`^\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)
	queryResult = regexp.MustCompile(`^\s*query_result\(\s*(.+)\s*\)\s*$`)
)

// variableQuery returns the PromQL in a query variable: the series selector of
// label_values(selector, label), or the query of query_result(query); "" for
// label_values(label), which selects no metric.
func variableQuery(v variable) (string, error) {
	var q string
	if err := json.Unmarshal(v.Query, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &obj); err != nil {
			return "", fmt.Errorf("variable %s: query is neither a string nor an object: %w", v.Name, err)
		}
		q = obj.Query
	}
	switch {
	case labelOnly.MatchString(q):
		return "", nil
	case labelValues.MatchString(q):
		return labelValues.FindStringSubmatch(q)[1], nil
	case queryResult.MatchString(q):
		return queryResult.FindStringSubmatch(q)[1], nil
	}
	return "", fmt.Errorf("variable %s: query %q is not label_values or query_result", v.Name, q)
}

// grafanaDuration matches Grafana's built-in duration variables, in $name or ${name}
// form; their _ms and _s variants are numbers, not durations, and are left alone.
var grafanaDuration = regexp.MustCompile(`\$(__(rate_interval|interval|range)\b|\{__(rate_interval|interval|range)\})`)

// ExpandGrafana replaces Grafana's duration variables in expr by "5m", which makes a
// dashboard query PromQL. Other variables, such as "$region" inside a label matcher's
// quotes, are left: in a string they are PromQL already.
func ExpandGrafana(expr string) string {
	return grafanaDuration.ReplaceAllString(expr, "5m")
}
