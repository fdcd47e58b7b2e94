// Package promquery reads the PromQL of the monitoring files in deploy/: the rule files
// of Prometheus and the dashboards of Grafana, and the metric names each query selects.
//
// Names parses a query with a PromQL parser and returns the metric names of its
// selectors; it does not judge the query otherwise (promtool check rules does, with
// Prometheus' own parser). Dashboards are Grafana JSON: every target's expr and every
// query variable (label_values and query_result) is a query, with Grafana's interval
// variables ($__rate_interval, $__interval, $__range and the like) replaced by a
// duration so that the text is PromQL.
package promquery
