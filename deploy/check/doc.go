// Package check holds the offline checks of deploy/, run by `make lint`: its tests
// decode every Kubernetes manifest strictly into the API types and apply the policy of
// package manifest, and fail when a Prometheus rule or a Grafana dashboard names a
// metric that no Avatar binary exports, or a manifest sets an AVATAR_* variable that no
// binary reads. The names the binaries export and read come from their Go sources
// (package catalog), never from a list typed by hand; testdata/pending.yaml names the
// few that deploy/ uses before the code provides them, and shrinks as the code catches
// up. The package has no code of its own.
package check
