"""Prometheus metrics, one registry per running bot (so tests and replicas never share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "champbot_inbound_requests",
            "Inbound platform requests by how they were answered (ok, rejected, error, unhandled), and"
            " work after an acknowledgement that did not end well (duplicate, failed)",
            ("platform", "outcome"),
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "champbot_ack_seconds",
            "Time from receiving a platform request to answering it",
            ("platform",),
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "champbot_outbox_messages", "Outbox rows by state", ("state",), registry=self.registry
        )
        self.deliveries = Counter(
            "champbot_deliveries", "Outbox delivery outcomes", ("platform", "outcome"), registry=self.registry
        )
        self.rate_limited = Counter(
            "champbot_rate_limited",
            "HTTP 429 answers received from a platform",
            ("platform",),
            registry=self.registry,
        )
        self.work_held = Gauge(
            "champbot_work_after_ack",
            "Acknowledged requests whose work is waiting for or running in the work lane",
            registry=self.registry,
        )
        self.job_runs = Counter(
            "champbot_job_runs", "Scheduled job runs by outcome", ("job", "outcome"), registry=self.registry
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
