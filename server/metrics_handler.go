package server

import "net/http"

// MetricsHandler returns the Prometheus handler of the service's metrics
// without any authentication, for a listener of its own that only the
// scraper can reach (secrets serve --metrics-addr).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler }
