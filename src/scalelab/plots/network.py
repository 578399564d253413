"""Figures of the network labs: a broker's network as consumer groups are added, and what
a log spreads over time."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..labs.network import BrokerNetwork, Spread
from ._style import figure, panels

__all__ = ["broker_network", "spread_over_time"]


def broker_network(data: BrokerNetwork) -> Figure:
    """Left: one broker's busiest network direction against consumer groups, with the
    target and the capacity. Right: brokers the network needs (formula)."""
    fig, (left, right) = panels(2, 10, 3.8)
    left.plot(data.groups, data.utilization * 100, "o-", label=f"{data.brokers} brokers")
    left.axhline(100, color="tab:red", linestyle="--", label="network full")
    left.axhline(
        data.target_utilization * 100,
        color="grey",
        linestyle=":",
        label=f"{data.target_utilization:.0%} target",
    )
    left.set_xlabel("consumer groups reading the topic")
    left.set_ylabel("busiest direction of one broker's network (%)")
    left.set_title(
        f"{data.ingress / data.message_bytes:,.0f} messages/s in "
        f"({data.ingress * 8 / 1e9:,.0f} Gbit/s); {data.nic * 8 / 1e9:g} Gbit/s per broker",
        fontsize="medium",
    )
    left.legend(fontsize="small")
    right.plot(data.groups, data.brokers_needed, "o-", color="tab:purple")
    right.set_xlabel("consumer groups reading the topic")
    right.set_ylabel(f"brokers at {data.target_utilization:.0%} of the network")
    right.set_title(
        f"egress = ingress x groups ({data.ingress * 8 / 1e9:,.0f} Gbit/s each)",
        fontsize="medium",
    )
    right.set_ylim(bottom=0)
    return fig


def spread_over_time(data: Spread) -> Figure:
    """Requests arriving per second against the event-driven database's writes per second
    and the synchronous design's successful replies (simulated)."""
    fig, ax = figure(8, 3.8)
    ax.axvspan(*data.spike, color="tab:orange", alpha=0.12, label="spike")
    ax.step(data.times, data.arrivals, where="post", color="black", label="arriving (both)")
    ax.step(
        data.times,
        data.async_db,
        where="post",
        color="tab:blue",
        label="event-driven: database writes done",
    )
    ax.step(
        data.times,
        data.sync_replies,
        where="post",
        color="tab:red",
        linestyle="--",
        label="request-response: successful replies",
    )
    ax.axhline(data.db_capacity_qps, color="grey", linestyle=":", label="database capacity")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("per second (x 1 KB = KB/s on the wire)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", loc="upper right")
    return fig
