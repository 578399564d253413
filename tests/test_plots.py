"""Every figure in ``scalelab.plots`` draws what its lab returns (small, fast runs), as a
closed figure with an opaque white background."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

import scalelab as sl
from scalelab import labs, plots

CASES = {
    "knee": lambda: labs.knee_curve(utilizations=(0.5,), replications=2, requests=2000),
    "pooling": lambda: labs.pooling_comparison(utilizations=(0.5,), requests=2000),
    "latency_histogram": lambda: sl.simulate(sl.Station(), sl.Poisson(0.5), 500, seed=1),
    "operating_point": lambda: labs.operating_point(95.0),
    "architectures": None,
    "sync_vs_async": lambda: labs.sync_vs_async(duration=20.0),
    "chain": lambda: labs.chain_availability(max_hops=2, requests=200),
    "sync_async_sweep": lambda: labs.sync_async_sweep(utilizations=(0.5,), duration=4.0),
    "naive_runs": lambda: labs.naive_runs(users=5_000, duration=5.0),
    "ladder_units": lambda: labs.ladder(users=(100, 10_000), duration=5.0),
    "ladder_utilization": lambda: labs.utilization_curves(points=20),
    "ladder_point": lambda: labs.ladder_point(1e6, "event-driven"),
    "balancers": lambda: labs.balancer_comparison(utilizations=(0.5,), duration=1.0),
    "horizontal": lambda: labs.horizontal_scaling(servers=(1, 2), duration=2.0),
    "pool": lambda: labs.pool_sizing(pools=(4, 8), duration=2.0),
    "replicas": lambda: labs.read_replicas(replicas=(0, 1), duration=1.0),
    "stale_reads": lambda: labs.stale_reads(lags=(0.01, 0.1), duration=1.0),
    "cache_lever": lambda: labs.cache_lever(hit_ratios=(0.0, 0.9), duration=0.5),
    "lru": lambda: labs.lru_sizing(sizes=(30, 100), skews=(0.9,), requests=1000),
    "cache_warmup": lambda: labs.cache_warmup(duration=2.0),
    "cache_strategies": lambda: labs.cache_strategies(load=500.0, duration=2.0, warmup=1.0),
    "thundering_herd": lambda: labs.thundering_herd(load=2000.0, hot_keys=20, duration=1.2),
    "shards": lambda: labs.shard_load(skews=(0.0, 1.1), duration=1.0),
    "resharding": lambda: labs.resharding(n_keys=1000, vnodes=10),
    "cache_replicas": lambda: labs.cache_replicas_point(load=1000.0),
    "partition_grid": lambda: labs.partition_grid(partitions=(1, 2), consumers=(1, 2)),
    "lag_spike": lambda: labs.lag_spike(duration=20.0),
    "lag_point": lambda: labs.lag_spike(partitions=2, consumers=3, duration=20.0),
    "hot_partitions": lambda: labs.hot_partitions(duration=5.0),
    "replay_window": lambda: labs.replay_window(retentions=(None, 10.0), duration=50.0),
    "backpressure": lambda: labs.backpressure(),
    "dead_letters": lambda: labs.dead_letters(max_attempts=(1, 3), duration=10.0),
    "staleness": lambda: labs.staleness(utilizations=(0.5,), duration=10.0),
    "crash_duplicates": lambda: labs.crash_duplicates(commit_intervals=(0.0, 1.0)),
    "broker_durability": lambda: labs.broker_durability(load=500.0, duration=3.0, crash_at=2.0),
    "slow_follower": lambda: labs.slow_follower(slow_delays=(0.01, 0.5), duration=0.5),
    "exactly_once": lambda: labs.exactly_once(windows=(None, 1.0), crash_at=2.0, duration=3.0),
    "batching": lambda: labs.batching_curve(batch_sizes=(1, 10), loads=(100.0,), duration=2.0),
    "batching_point": lambda: labs.batch_run(load=1000.0, batch_size=10, duration=2.0),
    "retry_amplification": lambda: labs.retry_amplification(
        loads=(0.5, 1.5), retries=(0, 1), duration=5.0
    ),
    "metastable": lambda: labs.retry_storm(retries=1, spike_length=1.0),
    "cold_cache": lambda: labs.cold_cache_collapse(duration=4.0),
    "fanout_tail": lambda: labs.fanout_tail(fanouts=(1, 10), calls=500, hedge_fanout=5),
    "coordinated_omission": lambda: labs.coordinated_omission(duration=30.0),
    "jitter": lambda: labs.jitter_contention(clients=10),
    "envelope": lambda: labs.envelope(labs.Scenario()),
    "headroom": lambda: labs.headroom_curve(utilizations=(0.5, 0.9), requests=2000),
    "sensitivity": lambda: labs.sensitivity(labs.Scenario(), "users", (1e5, 1e6)),
    "scale_up": lambda: labs.scale_up(cores=(4, 64), requests=1000),
    "edge_offload": lambda: labs.edge_offload(
        catalogue=10**6, skews=(0.8,), edge_objects=(10, 1000)
    ),
    "edge_latency": lambda: labs.edge_latency(),
    "failover_loss": lambda: labs.failover_loss(lags=(0.01, 0.1), runs=3),
    "conflicts": lambda: labs.active_active_conflicts(lags=(0.01, 0.1), duration=5.0),
    "broker_network": lambda: labs.broker_network(groups=(1, 8)),
    "spread_over_time": lambda: labs.spread_over_time(),
    "ten_x": lambda: labs.ten_x(options=("no change", "cache, 95% hits"), duration=0.3),
    "queue_vs_log": lambda: labs.queue_vs_log(consumers=(1, 4), duration=2.0),
    "visibility_timeouts": lambda: labs.visibility_timeouts(timeouts=(1.0, 4.0), duration=20.0),
    "partition_concurrency": lambda: labs.partition_concurrency(concurrency=(1, 8), duration=2.0),
    "events_from_db": lambda: labs.events_from_db(duration=30.0),
    "case_ladder": lambda: labs.case_ladder("catalogue", requests=500),
    "case_tier": lambda: labs.case_tier("orders", 1_000_000, "event-driven", requests=500),
    "diagram": lambda: sl.RequestResponse(db=sl.Database()),  # a declaration, not a result
}
TEXTS = {"diagram_alt": lambda: sl.RequestResponse(db=sl.Database())}
"""The functions that return alt text (a str) instead of a figure."""


def test_every_plot_has_a_case():
    assert set(CASES) | set(TEXTS) == set(plots.__all__)


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_alt_text_describes_its_input(name):
    text = getattr(plots, name)(TEXTS[name]())
    assert isinstance(text, str) and "database" in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_draws_its_lab(name):
    draw = getattr(plots, name)
    fig = draw() if CASES[name] is None else draw(CASES[name]())
    assert isinstance(fig, Figure) and fig.axes
    assert fig.number not in plt.get_fignums()  # shown once, as the cell's value
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)  # readable in dark mode


@pytest.mark.parametrize(
    "call",
    [
        lambda live: live.chain_availability(max_hops=3),
        lambda live: live.operating_point(0.8, 1),
        lambda live: live.operating_point(0.95, 4),
        lambda live: live.ladder_point(1e6, "event-driven"),
        lambda live: live.cache_replicas(replicas=0, load=6000.0),
        lambda live: live.lag_point(partitions=2, consumers=6),
        lambda live: live.batching_point(batch_size=1, load=4500.0),  # overloaded
        lambda live: live.retry_storm(retries=0),
        lambda live: live.envelope(users=1e4),
        lambda live: live.case_study("notifications", 100_000_000, "event-driven"),
    ],
)
def test_live_callbacks_draw_one_figure(call):
    from scalelab import live

    fig = call(live)
    assert isinstance(fig, Figure) and fig.number not in plt.get_fignums()


def test_live_drill_prints_its_answer_only_when_revealed(capsys):
    from scalelab import live

    live.drill(seed=3)
    hidden = capsys.readouterr().out
    live.drill(seed=3, reveal=True)
    shown = capsys.readouterr().out
    assert shown.startswith(hidden.rstrip()) and "Simulated:" in shown
    assert "Simulated:" not in hidden


def test_a_log_axis_spanning_less_than_a_decade_still_has_tick_labels():
    from scalelab.plots._style import figure, log_scale

    fig, ax = figure()
    ax.plot([300.0, 900.0], [0.0, 1.0])
    log_scale(ax, "x")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.xaxis.get_ticklabels(which="both") if t.get_text()]
    assert {"300", "400", "600"} <= set(labels)


def test_the_operating_point_widget_stays_below_saturation():
    from scalelab import live

    with pytest.raises(ValueError, match="utilization"):
        live.operating_point(utilization=1.0)
