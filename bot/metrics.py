"""Prometheus figures of the desk (prometheus-client), served at /metrics by the web server.

Counters and histograms are fed where things happen (publishing, rate limits); the gauges that
describe what waits (posts by state, the outbox, the moderation queue) are read from the database
at each scrape, since the database, not this process, knows what other instances did.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func
from sqlmodel import col, select

from storage.models import Comment, Publication
from storage.uow import UnitOfWork

REGISTRY = CollectorRegistry(auto_describe=True)

PUBLICATIONS = Gauge(
    "pressdesk_publications",
    "Publications (post × network) by state",
    ["network", "state"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "pressdesk_outbox_depth",
    "Publications waiting to go out or going out now",
    ["network"],
    registry=REGISTRY,
)
MODERATION_QUEUE = Gauge(
    "pressdesk_moderation_queue",
    "Comments waiting for an editor's decision",
    ["network"],
    registry=REGISTRY,
)
PUBLISH_SECONDS = Histogram(
    "pressdesk_publish_seconds",
    "How long one network took to take a post",
    ["network"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
LATENESS_SECONDS = Histogram(
    "pressdesk_publish_lateness_seconds",
    "How late a post went out after its planned time",
    ["network"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
    registry=REGISTRY,
)
RETRIES = Counter(
    "pressdesk_publish_retries_total",
    "Publishing attempts repeated after a temporary failure",
    ["network"],
    registry=REGISTRY,
)
RATE_LIMIT_WAITS = Counter(
    "pressdesk_rate_limit_wait_seconds_total",
    "Seconds outgoing calls waited for a network's rate limit or retry_after",
    ["network"],
    registry=REGISTRY,
)
LOOP_LAG_SECONDS = Histogram(
    "pressdesk_event_loop_lag_seconds",
    "How much later than asked the event loop woke a sleeping task (bot/loop_watch.py)",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
    registry=REGISTRY,
)
UP = Gauge("pressdesk_component_up", "1 when a component works", ["component"], registry=REGISTRY)

WAITING = ("scheduled", "sending", "publishing")


async def refresh(uow: Callable[[], UnitOfWork]) -> None:
    """Read the gauges that describe the database's state; one query per family."""
    async with uow() as work:
        session = work.session
        rows = await session.exec(
            select(Publication.network, Publication.state, func.count()).group_by(
                Publication.network, Publication.state
            )
        )
        PUBLICATIONS.clear()
        OUTBOX_DEPTH.clear()
        depth: dict[str, int] = {}
        for network, state, count in rows.all():
            PUBLICATIONS.labels(network, state).set(count)
            if state in WAITING:
                depth[network] = depth.get(network, 0) + count
        for network, count in depth.items():
            OUTBOX_DEPTH.labels(network).set(count)
        flagged = await session.exec(
            select(Comment.network, func.count())
            .where(col(Comment.state).in_(("flagged", "expired")))  # expired: still waiting
            .group_by(Comment.network)
        )
        MODERATION_QUEUE.clear()
        for network, count in flagged.all():
            MODERATION_QUEUE.labels(network).set(count)


def render() -> bytes:
    return generate_latest(REGISTRY)
