package check_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"sigs.k8s.io/yaml"

	"github.com/avatar-fi/avatar/deploy/check/catalog"
	"github.com/avatar-fi/avatar/deploy/check/manifest"
	"github.com/avatar-fi/avatar/deploy/check/promquery"
)

// prometheusSeries are the series Prometheus itself writes for every target and alert;
// no binary exports them.
var prometheusSeries = []string{
	"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
	"scrape_series_added", "ALERTS", "ALERTS_FOR_STATE",
}

// repoRoot returns the repository's root, two levels above this module.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		t.Fatalf("repository root %s has no go.work: %v", root, err)
	}
	return root
}

// modules returns the directories of the workspace's modules (go.work's use
// directives), this one left out: the code whose binaries deploy/ runs.
func modules(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var dirs []string
	inUse := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		switch {
		case line == "use (":
			inUse = true
			continue
		case inUse && line == ")":
			inUse = false
			continue
		case strings.HasPrefix(line, "use "):
			line = strings.TrimSpace(strings.TrimPrefix(line, "use "))
		case !inUse:
			continue
		}
		if line == "" {
			continue
		}
		dir := filepath.Join(root, filepath.FromSlash(strings.Trim(line, `"`)))
		if filepath.Base(dir) == "check" && filepath.Base(filepath.Dir(dir)) == "deploy" {
			continue
		}
		dirs = append(dirs, dir)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("go.work names no module")
	}
	return dirs
}

// exported returns every metric the binaries export: those their sources register,
// and those of client_golang's default registry (Go runtime, process, promhttp), which
// both binaries serve through promhttp.Handler.
func exported(t *testing.T) *catalog.Catalog {
	t.Helper()
	root := repoRoot(t)
	c, err := catalog.ScanMetrics(modules(t, root)...)
	if err != nil {
		t.Fatalf("scan the Go sources for metrics: %v", err)
	}
	if c.Len() == 0 {
		t.Fatal("the Go sources register no metric: the scan is broken")
	}
	// promhttp.Handler registers its own counters on the default registry; serve one
	// scrape so that they are there, as in a running binary.
	promhttp.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/metrics", nil))
	if err := c.AddGathered(prometheus.DefaultGatherer, "client_golang default registry"); err != nil {
		t.Fatal(err)
	}
	return c
}

// pendingFile is testdata/pending.yaml.
type pendingFile struct {
	Metrics []pendingEntry `json:"metrics"`
	Env     []pendingEntry `json:"env"`
}

type pendingEntry struct {
	Name  string `json:"name"`
	Needs string `json:"needs"`
}

func loadPending(t *testing.T) pendingFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pending.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p pendingFile
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("testdata/pending.yaml: %v", err)
	}
	for _, e := range append(slices.Clone(p.Metrics), p.Env...) {
		if e.Name == "" || e.Needs == "" {
			t.Fatalf("testdata/pending.yaml: entry %+v needs a name and what must provide it", e)
		}
	}
	return p
}

// query is one PromQL expression of deploy/ and where it is.
type query struct {
	where, expr string
}

// monitoringQueries returns every rule expression of deploy/prometheus and every query
// of deploy/grafana/dashboards, and the series the recording rules write.
func monitoringQueries(t *testing.T) ([]query, map[string]bool) {
	t.Helper()
	root := repoRoot(t)
	var qs []query
	recorded := map[string]bool{}
	rules, err := filepath.Glob(filepath.Join(root, "deploy", "prometheus", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range rules {
		base := filepath.Base(path)
		if strings.HasSuffix(base, "_test.yml") || strings.HasPrefix(base, "prometheus") {
			continue // unit tests and scrape configs, not rules
		}
		rf, err := promquery.LoadRules(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				qs = append(qs, query{fmt.Sprintf("%s: group %s rule %s", base, g.Name, r.Name()), r.Expr})
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
	dashboards, err := filepath.Glob(filepath.Join(root, "deploy", "grafana", "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range dashboards {
		_, dqs, err := promquery.LoadDashboard(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range dqs {
			qs = append(qs, query{filepath.Base(path) + ": " + q.Where, q.Expr})
		}
	}
	if len(rules) == 0 || len(dashboards) == 0 || len(qs) == 0 {
		t.Fatalf("found %d rule files, %d dashboards, %d queries: deploy/ moved?", len(rules), len(dashboards), len(qs))
	}
	return qs, recorded
}

// TestMonitoringNamesExportedMetrics fails when an alert or recording rule or a
// dashboard query selects a metric that no binary exports (nor Prometheus itself, nor a
// recording rule writes), unless testdata/pending.yaml lists it; and when a pending
// entry is exported by now or no longer used.
func TestMonitoringNamesExportedMetrics(t *testing.T) {
	c := exported(t)
	qs, recorded := monitoringQueries(t)
	pending := map[string]bool{}
	for _, e := range loadPending(t).Metrics {
		pending[e.Name] = true
	}
	used := map[string]bool{}
	for _, q := range qs {
		names, err := promquery.Names(q.expr)
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		for _, n := range names {
			used[n] = true
			if _, ok := c.Lookup(n); ok || recorded[n] || pending[n] || slices.Contains(prometheusSeries, n) {
				continue
			}
			t.Errorf("%s: %s is exported by no binary (see go test -run TestListExportedMetrics -v for the list)", q.where, n)
		}
	}
	for n := range pending {
		if m, ok := c.Lookup(n); ok {
			t.Errorf("testdata/pending.yaml: %s is exported now (%s): delete the entry", n, m.Origin)
		}
		if !used[n] {
			t.Errorf("testdata/pending.yaml: %s is used by no rule or dashboard: delete the entry", n)
		}
	}
}

// TestListExportedMetrics logs every metric the binaries export, for -v.
func TestListExportedMetrics(t *testing.T) {
	c := exported(t)
	for _, m := range c.Metrics() {
		t.Logf("%-60s %-9s %s", m.Name, m.Kind, m.Origin)
	}
}

// TestDashboardQueriesArePromQL runs every dashboard query through promtool check
// rules, as a recording rule: Prometheus' own parser, stricter than the one Names uses.
func TestDashboardQueriesArePromQL(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: it is in Debian's prometheus package, which `make services` installs (deploy/dev/services.sh)")
	}
	qs, _ := monitoringQueries(t)
	var rf promquery.RuleFile
	g := promquery.RuleGroup{Name: "dashboards"}
	for i, q := range qs {
		if !strings.Contains(q.where, ".json: ") {
			continue
		}
		g.Rules = append(g.Rules, promquery.Rule{Record: fmt.Sprintf("dashboard:query_%d", i), Expr: q.expr})
	}
	rf.Groups = append(rf.Groups, g)
	data, err := yaml.Marshal(rf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboards.yml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules on the dashboard queries: %v\n%s\nqueries:\n%s", err, out, data)
	}
}

// manifests decodes every manifest of deploy/k8s strictly.
func manifests(t *testing.T) *manifest.Set {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "k8s")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set := &manifest.Set{}
	for _, path := range files {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		objs, err := manifest.DecodeFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		set.Objects = append(set.Objects, objs...)
	}
	if len(set.Objects) == 0 {
		t.Fatalf("no manifest in %s", dir)
	}
	return set
}

// TestManifests decodes every manifest of deploy/k8s strictly into the Kubernetes API
// types and applies the policy of package manifest.
func TestManifests(t *testing.T) {
	set := manifests(t)
	for _, err := range set.Check() {
		t.Error(err)
	}
}

// TestKustomizationListsEveryManifest keeps `kubectl apply -k deploy/k8s` complete.
func TestKustomizationListsEveryManifest(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "deploy", "k8s")
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name    string `json:"name"`
			NewName string `json:"newName,omitempty"`
			NewTag  string `json:"newTag,omitempty"`
			Digest  string `json:"digest,omitempty"`
		} `json:"images"`
	}
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml: %s %s is not a kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	got := slices.Sorted(slices.Values(k.Resources))
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources = %v, the folder holds %v", got, want)
	}
	for _, img := range k.Images {
		if img.NewTag == "" && img.Digest == "" || img.NewTag == "latest" {
			t.Errorf("kustomization.yaml: image %s is not pinned to a tag or digest", img.Name)
		}
	}
}

// TestManifestEnvReadByBinaries fails when a manifest gives a container an AVATAR_*
// variable that no binary reads (a typo, or a variable renamed in the code), unless
// testdata/pending.yaml lists it; and when a pending entry is read by now or unused.
func TestManifestEnvReadByBinaries(t *testing.T) {
	root := repoRoot(t)
	read, err := catalog.ScanEnv(modules(t, root)...)
	if err != nil {
		t.Fatal(err)
	}
	pending := map[string]bool{}
	for _, e := range loadPending(t).Env {
		pending[e.Name] = true
	}
	set := manifests(t)
	given := set.EnvNames()
	for name, where := range given {
		if !strings.HasPrefix(name, "AVATAR_") || pending[name] {
			continue
		}
		if _, ok := read[name]; !ok {
			t.Errorf("%s sets %s, which no binary reads", where, name)
		}
	}
	for name := range pending {
		if at, ok := read[name]; ok {
			t.Errorf("testdata/pending.yaml: %s is read now (%s): delete the entry", name, at)
		}
		if _, ok := given[name]; !ok {
			t.Errorf("testdata/pending.yaml: %s is set by no manifest: delete the entry", name)
		}
	}
}
