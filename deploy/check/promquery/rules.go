package promquery

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// RuleFile is a Prometheus rule file, as far as the checks read it.
type RuleFile struct {
	// Groups are the file's rule groups.
	Groups []RuleGroup `json:"groups"`
}

// RuleGroup is one group of a rule file.
type RuleGroup struct {
	// Name is the group's name.
	Name string `json:"name"`
	// Rules are the group's recording and alerting rules.
	Rules []Rule `json:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	// Record is the series a recording rule writes.
	Record string `json:"record,omitempty"`
	// Alert is the alert an alerting rule fires.
	Alert string `json:"alert,omitempty"`
	// Expr is the rule's PromQL.
	Expr string `json:"expr"`
	// Labels are added to the written series or the alert.
	Labels map[string]string `json:"labels,omitempty"`
}

// Name returns the rule's record or alert name.
func (r Rule) Name() string {
	if r.Record != "" {
		return r.Record
	}
	return r.Alert
}

// LoadRules reads a Prometheus rule file. It does not validate it: promtool check rules
// does.
func LoadRules(path string) (RuleFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return RuleFile{}, fmt.Errorf("read rules: %w", err)
	}
	var rf RuleFile
	if err := yaml.Unmarshal(data, &rf); err != nil {
		return RuleFile{}, fmt.Errorf("parse rules %s: %w", path, err)
	}
	return rf, nil
}
