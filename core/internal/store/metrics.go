package store

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool metric names (deploy/prometheus alerts and dashboards read them).
const (
	metricAcquired      = "avatar_db_pool_acquired_conns"
	metricIdle          = "avatar_db_pool_idle_conns"
	metricTotal         = "avatar_db_pool_total_conns"
	metricMax           = "avatar_db_pool_max_conns"
	metricAcquires      = "avatar_db_pool_acquires_total"
	metricEmptyAcquires = "avatar_db_pool_empty_acquires_total"
	metricCanceled      = "avatar_db_pool_canceled_acquires_total"
	metricEmptyWait     = "avatar_db_pool_empty_acquire_wait_seconds_total"
)

// Read-replica metric names, exported only with a replica (Config.ReadURL).
const (
	// metricReadFallback is 1 while reads go to the primary because the replica failed
	// its check (unreachable or lagging), else 0.
	metricReadFallback = "avatar_db_read_fallback"
	// metricReadFallbacks counts the moves of the reads to the primary, by reason
	// (unreachable, lagging).
	metricReadFallbacks = "avatar_db_read_fallbacks_total"
)

// poolCollector reads the pools' statistics at each scrape: connections in
// use, idle, open and allowed, and how often and how long callers waited for
// one — what tells that the pool is exhausted. With a replica, it also tells
// whether the reads have fallen back to the primary.
type poolCollector struct {
	pools                                        map[string]*pgxpool.Pool
	replica                                      *replica
	acquired, idle, total, maxConns              *prometheus.Desc
	acquires, emptyAcquires, canceled, emptyWait *prometheus.Desc
	readFallback, readFallbacks                  *prometheus.Desc
}

// Collector returns a Prometheus collector of the store's pools, labelled
// pool="primary" and, with a replica, pool="read", plus, with a replica,
// avatar_db_read_fallback and avatar_db_read_fallbacks_total. Register it once.
func (s *Store) Collector() prometheus.Collector {
	pools := map[string]*pgxpool.Pool{"primary": s.primary}
	if s.read != s.primary {
		pools["read"] = s.read
	}
	l := []string{"pool"}
	return &poolCollector{
		pools:         pools,
		replica:       s.replica,
		acquired:      prometheus.NewDesc(metricAcquired, "Connections in use.", l, nil),
		idle:          prometheus.NewDesc(metricIdle, "Idle connections.", l, nil),
		total:         prometheus.NewDesc(metricTotal, "Open connections.", l, nil),
		maxConns:      prometheus.NewDesc(metricMax, "Most connections the pool opens.", l, nil),
		acquires:      prometheus.NewDesc(metricAcquires, "Connections acquired.", l, nil),
		emptyAcquires: prometheus.NewDesc(metricEmptyAcquires, "Acquires that had to wait: no idle connection.", l, nil),
		canceled:      prometheus.NewDesc(metricCanceled, "Acquires cancelled by their context while waiting.", l, nil),
		emptyWait:     prometheus.NewDesc(metricEmptyWait, "Time spent waiting for a connection, summed.", l, nil),
		readFallback:  prometheus.NewDesc(metricReadFallback, "1 while reads go to the primary because the read replica failed its check, else 0.", nil, nil),
		readFallbacks: prometheus.NewDesc(metricReadFallbacks, "Moves of the reads from the read replica to the primary, by reason (unreachable, lagging).", []string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.maxConns, c.acquires, c.emptyAcquires, c.canceled, c.emptyWait, c.readFallback, c.readFallbacks} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, p := range c.pools {
		st := p.Stat()
		g := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, name)
		}
		n := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, name)
		}
		g(c.acquired, float64(st.AcquiredConns()))
		g(c.idle, float64(st.IdleConns()))
		g(c.total, float64(st.TotalConns()))
		g(c.maxConns, float64(st.MaxConns()))
		n(c.acquires, float64(st.AcquireCount()))
		n(c.emptyAcquires, float64(st.EmptyAcquireCount()))
		n(c.canceled, float64(st.CanceledAcquireCount()))
		n(c.emptyWait, st.EmptyAcquireWaitTime().Seconds())
	}
	if r := c.replica; r != nil {
		v := 0.0
		if r.falling() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.readFallback, prometheus.GaugeValue, v)
		ch <- prometheus.MustNewConstMetric(c.readFallbacks, prometheus.CounterValue, float64(r.fallbacks[0].Load()), routeUnreachable.fallbackReason())
		ch <- prometheus.MustNewConstMetric(c.readFallbacks, prometheus.CounterValue, float64(r.fallbacks[1].Load()), routeLagging.fallbackReason())
	}
}
