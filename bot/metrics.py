"""Prometheus metrics for GET /metrics, kept in a registry of this process's own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as CONTENT_TYPE


class Metrics:
    content_type = CONTENT_TYPE

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "partnerbot_messages_handled",
            "Messages handled by the conversation engine",
            ["platform"],
            registry=self.registry,
        )
        self.errors = Counter(
            "partnerbot_message_errors",
            "Messages whose handling failed",
            ["platform"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "partnerbot_message_seconds",
            "Time to handle one message, database included",
            ["platform"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def handled(self, platform: str, seconds: float) -> None:
        self.messages.labels(platform).inc()
        self.latency.labels(platform).observe(seconds)

    def failed(self, platform: str) -> None:
        self.errors.labels(platform).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
