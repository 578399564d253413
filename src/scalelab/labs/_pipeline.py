"""The event-driven test bench the chapter 5 labs share: producers, a broker and one
consumer group, with no front tier and no database."""

from __future__ import annotations

from ..distributions import Exponential
from ..eventdriven import Broker, ConsumerGroup, EventDriven, Producer


def pipeline(partitions: int, consumers: int, consumer_rate: float, **group: object) -> EventDriven:
    """Producers -> broker -> consumer group, each consumer ``consumer_rate`` messages/s."""
    broker = group.pop("broker", Broker(partitions=partitions, append_latency=0.0))
    producer = group.pop("producer", Producer())
    return EventDriven(
        broker=broker,
        producer=producer,
        network=0.0,
        consumers=ConsumerGroup(
            consumers=consumers, processing=Exponential(1.0 / consumer_rate), **group
        ),
    )
