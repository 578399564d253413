"""``plots.diagram`` draws what a declaration says, one box per component and one arrow
per declared call, legibly and small enough for the book; ``plots.diagram_alt`` says
the same in words."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import io

import matplotlib.pyplot as plt
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text
from PIL import Image

import scalelab as sl
from scalelab import plots

E = sl.Exponential
FULL_RR = sl.RequestResponse(
    app=sl.AppTier(servers=8, workers=16),
    db=sl.Database(capacity_qps=5000, read_replicas=2, shards=4, pool=20),
    cache=sl.Cache(size=10_000, ttl=60.0),
    lb=sl.LoadBalancer("least_connections"),
    timeout=2.0,
)
FULL_ED = sl.EventDriven(
    broker=sl.Broker(partitions=12, replication=3, acks="all", min_insync=2),
    consumers=sl.ConsumerGroup(consumers=16, processing=E(0.004)),
    producer=sl.Producer(buffer=1000),
    front=sl.AppTier(servers=4),
    db=sl.Database(capacity_qps=2000, pool=10),
)

# Each declaration with the boxes it must have, the arrows (declared calls) between
# them, and phrases the figure and its alt text must both contain (counts first).
CASES = {
    "station": (
        sl.Station(servers=4, service=E(0.02), queue_limit=50),
        {"clients", "station"},
        {("clients", "station")},
        ["4 servers", "queue ≤ 50", "capacity ~200 req/s"],
    ),
    "chain": (
        sl.Chain(
            (
                sl.Service("gateway", servers=2),
                sl.Service("orders", servers=4, availability=0.999),
                sl.Service("payments", servers=2, workers=4, service=E(0.03)),
            ),
            timeout=1.0,
        ),
        {"clients", "services[0]", "services[1]", "services[2]"},
        {
            ("clients", "services[0]"),
            ("services[0]", "services[1]"),
            ("services[1]", "services[2]"),
        },
        [
            "gateway",
            "orders",
            "payments",
            "2 servers x 8 workers",
            "4 servers x 8 workers",
            "2 servers x 4 workers",
            "timeout 1 s",
            "availability 0.999",
            "capacity ≤ 1,600 req/s",
            "capacity ~267 req/s",
        ],
    ),
    "long chain": (
        sl.Chain(tuple(sl.Service(f"s{i}", servers=i + 1) for i in range(9))),
        {"clients", *(f"services[{i}]" for i in range(9))},
        {("clients", "services[0]"), *((f"services[{i}]", f"services[{i + 1}]") for i in range(8))},
        ["1 server x 8 workers", "9 servers x 8 workers"],
    ),
    "app only": (
        sl.RequestResponse(app=sl.AppTier(servers=3)),
        {"clients", "lb", "app"},
        {("clients", "lb"), ("lb", "app")},
        ["3 servers x 8 workers", "round robin", "capacity ~4,800 req/s"],
    ),
    "no cache": (
        sl.RequestResponse(app=sl.AppTier(servers=4), db=sl.Database(pool=20)),
        {"clients", "lb", "app", "db"},
        {("clients", "lb"), ("lb", "app"), ("app", "db")},
        ["4 servers x 8 workers", "capacity ≤ 6,400 req/s", "1 primary", "pool 20 connections"],
    ),
    "cache, replicas, shards": (
        FULL_RR,
        {"clients", "lb", "app", "cache", "db"},
        {("clients", "lb"), ("lb", "app"), ("app", "cache"), ("app", "db")},
        [
            "8 servers x 16 workers",
            "least connections",
            "timeout 2 s",
            "10,000 keys",
            "TTL 60 s",
            "4 shards",
            "1 primary + 2 read replicas",
            "5,000 queries/s per node",
            "pool 20 connections/shard",
        ],
    ),
    "write-behind cache": (
        sl.RequestResponse(
            db=sl.Database(),
            cache=sl.Cache(size=100, write_policy="write_behind", flush_interval=2.0),
        ),
        {"clients", "lb", "app", "cache", "db"},
        {("clients", "lb"), ("lb", "app"), ("app", "cache"), ("app", "db"), ("cache", "db")},
        ["100 keys", "write behind", "flush every 2 s"],
    ),
    "hit-ratio cache": (
        sl.RequestResponse(db=sl.Database(read_replicas=1), cache=sl.Cache(hit_ratio=0.9)),
        {"clients", "lb", "app", "cache", "db"},
        {("clients", "lb"), ("lb", "app"), ("app", "cache"), ("app", "db")},
        ["hit ratio 90%", "1 primary + 1 read replica"],
    ),
    "fan-out": (
        sl.FanOut(fanout=10, servers=50, workers=4, hedge_after=0.02),
        {"clients", "backends"},
        {("clients", "backends")},
        [
            "50 servers x 4 workers",
            "10 parallel calls",
            "hedged after 20 ms",
            "capacity ~20,000 calls/s",
            "capacity ≤ 2,000 req/s",
        ],
    ),
    "event-driven, defaults": (
        sl.EventDriven(),
        {"producer", "broker", "consumers"},
        {("producer", "broker"), ("broker", "consumers")},
        ["1 partition", "1 consumer", "capacity ~10,000 msg/s", "capacity ~1,000 msg/s"],
    ),
    "event-driven, front, replication, idle consumers": (
        FULL_ED,
        {"clients", "front", "producer", "broker", "consumers", "db"},
        {
            ("clients", "front"),
            ("front", "producer"),
            ("producer", "broker"),
            ("broker", "consumers"),
            ("consumers", "db"),
        },
        [
            "4 servers x 8 workers",
            "12 partitions",
            "3 replicas, acks=all",
            "min in-sync replicas 2",
            "16 consumers, 4 idle",
            "capacity ≤ 3,000 msg/s",
            "buffer 1,000 messages",
            "capacity ~120,000 msg/s",
        ],
    ),
    "event-driven queue": (
        sl.EventDriven(
            broker=sl.Queue(fifo=True),
            consumers=sl.ConsumerGroup(consumers=8, concurrency=4),
            db=sl.Database(),
        ),
        {"producer", "broker", "consumers", "db"},
        {("producer", "broker"), ("broker", "consumers"), ("consumers", "db")},
        ["8 consumers", "FIFO per key", "4 messages at once", "capacity ≤ 32,000 msg/s"],
    ),
    "every cache option": (
        sl.RequestResponse(
            app=sl.AppTier(queue_limit=100, discipline="lifo", shed_expired=True),
            db=sl.Database(pool=8, read_replicas=3, shards=16, write_cost=3.0),
            cache=sl.Cache(
                size=50_000,
                warm=True,
                ttl=30.0,
                ttl_jitter=0.2,
                write_policy="write_through",
                refresh_ahead=0.8,
                stale_while_revalidate=5.0,
                coalesce=True,
                flush_at=10.0,
            ),
        ),
        {"clients", "lb", "app", "cache", "db"},
        {("clients", "lb"), ("lb", "app"), ("app", "cache"), ("app", "db")},
        [
            "queue ≤ 100 per server",
            "LIFO",
            "50,000 keys",
            "TTL 24 s to 30 s",
            "write through",
            "16 shards",
            "1 primary + 3 read replicas",
            "a write costs 3 reads",
        ],
    ),
    "every broker and group option": (
        sl.EventDriven(
            broker=sl.Broker(
                partitions=10_000,
                routing="round_robin",
                retention=sl.Retention(messages=1_000_000, seconds=604_800.0),
                quota=5e5,
                replication=5,
                acks="none",
                crash_at=12.5,
            ),
            consumers=sl.ConsumerGroup(
                consumers=10_000,
                processing=sl.LogNormal(0.0123, 2.0),
                commit_interval=1.5,
                failure_probability=0.01,
                poison_fraction=0.001,
                max_attempts=5,
                dedup_window=600.0,
            ),
            producer=sl.Producer(buffer=100_000, on_full="drop", idempotent=True),
        ),
        {"producer", "broker", "consumers"},
        {("producer", "broker"), ("broker", "consumers")},
        [
            "10,000 partitions",
            "5 replicas, acks=none",
            "10,000 consumers",
            "5 attempts, then DLQ",
            "drops when full",
            "idempotent",
        ],
    ),
    "station without waiting room": (
        sl.Station(servers=3, queue_limit=0, discipline="lifo", shed_expired=True),
        {"clients", "station"},
        {("clients", "station")},
        ["3 servers", "no waiting room", "capacity ~3 req/s"],
    ),
    "batch server": (
        sl.BatchServer(batch_size=10, linger=0.005),
        {"clients", "batch server"},
        {("clients", "batch server")},
        ["batches of up to 10", "linger 5 ms", "capacity ~2,500 req/s"],
    ),
}


def _draw(system: object) -> tuple[Figure, str]:
    """The figure, and every text drawn on it as one string (a wrapped line rejoined)."""
    fig = plots.diagram(system)
    said = " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))
    return fig, said


def _gids(fig: Figure, kind: type, prefix: str) -> list[str]:
    return [
        p.get_gid().removeprefix(prefix)
        for p in fig.axes[0].patches
        if isinstance(p, kind) and (p.get_gid() or "").startswith(prefix)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_box_per_component_and_one_arrow_per_call(name):
    system, boxes, arrows, _ = CASES[name]
    fig, _ = _draw(system)
    assert isinstance(fig, Figure) and fig.number not in plt.get_fignums()
    assert fig.get_facecolor()[:3] == (1.0, 1.0, 1.0)
    drawn = _gids(fig, FancyBboxPatch, "box:")
    assert sorted(drawn) == sorted(boxes)  # each once
    calls = [tuple(g.split("->")) for g in _gids(fig, FancyArrowPatch, "arrow:")]
    assert len(calls) == len(arrows) and set(calls) == arrows
    assert sum(isinstance(p, FancyArrowPatch) for p in fig.axes[0].patches) == len(arrows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_and_alt_text_state_the_counts_and_figures(name):
    system, _, _, phrases = CASES[name]
    _, said = _draw(system)
    alt = plots.diagram_alt(system)
    assert alt.startswith("Diagram")
    for phrase in phrases:
        assert phrase in said
        assert phrase in alt


def test_alt_text_names_every_component_in_the_order_of_the_calls():
    alt = plots.diagram_alt(FULL_RR)
    order = ["clients", "load balancer", "app servers", "cache", "database"]
    positions = [alt.index(word) for word in order]
    assert positions == sorted(positions)
    assert "; app servers -[misses, writes]-> database (4 shards" in alt  # a second call
    alt = plots.diagram_alt(FULL_ED)
    order = ["clients", "API servers", "producer", "broker", "consumer group", "database"]
    positions = [alt.index(word) for word in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("before", "after", "old", "new"),
    [
        (
            sl.RequestResponse(app=sl.AppTier(servers=4), db=sl.Database()),
            sl.RequestResponse(app=sl.AppTier(servers=8), db=sl.Database()),
            "4 servers x 8 workers",
            "8 servers x 8 workers",
        ),
        (
            sl.EventDriven(broker=sl.Broker(partitions=12), consumers=sl.ConsumerGroup(16)),
            sl.EventDriven(broker=sl.Broker(partitions=24), consumers=sl.ConsumerGroup(16)),
            "12 partitions",
            "24 partitions",
        ),
        (
            sl.RequestResponse(db=sl.Database(), cache=sl.Cache(size=1000)),
            sl.RequestResponse(db=sl.Database(), cache=sl.Cache(size=5000, ttl=30.0)),
            "1,000 keys",
            "5,000 keys",
        ),
    ],
)
def test_a_changed_declaration_changes_the_drawing(before, after, old, new):
    _, first = _draw(before)
    _, second = _draw(after)
    assert old in first and new not in first
    assert new in second and old not in second
    assert old in plots.diagram_alt(before) and new in plots.diagram_alt(after)


def test_idle_consumers_only_beyond_the_partitions():
    _, said = _draw(sl.EventDriven(broker=sl.Broker(partitions=4), consumers=sl.ConsumerGroup(4)))
    assert "4 consumers" in said and "idle" not in said
    _, said = _draw(sl.EventDriven(broker=sl.Broker(partitions=4), consumers=sl.ConsumerGroup(6)))
    assert "6 consumers, 2 idle" in said


def test_a_component_named_like_another_still_has_its_own_box():
    fig, said = _draw(sl.Station(name="clients"))
    assert sorted(_gids(fig, FancyBboxPatch, "box:")) == ["clients", "station"]
    assert said.count("clients") == 2


def test_a_title_replaces_the_heading():
    _, said = _draw(sl.Station())
    assert "A queue in front of servers" in said
    fig = plots.diagram(sl.Station(), title="One M/M/1 server")
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "One M/M/1 server" in texts and "A queue in front of servers" not in texts


@pytest.mark.parametrize("name", sorted(CASES))
def test_texts_fit_their_boxes_and_never_overlap(name):
    fig, _ = _draw(CASES[name][0])
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts if t.get_text()]
    extents = [t.get_window_extent(renderer) for t in texts]
    page = fig.bbox
    for t, e in zip(texts, extents, strict=True):
        assert t.get_fontsize() >= 10, t.get_text()  # legible on a phone
        assert page.x0 <= e.x0 and e.x1 <= page.x1 and page.y0 <= e.y0 and e.y1 <= page.y1
    for (a, ea), (b, eb) in itertools.combinations(zip(texts, extents, strict=True), 2):
        assert not ea.overlaps(eb), (a.get_text(), b.get_text())
    boxes = [
        p.get_window_extent(renderer) for p in ax.patches if (p.get_gid() or "").startswith("box:")
    ]
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    named = 0
    for t, e in zip(texts, extents, strict=True):
        # A text is inside one box with room to spare (a name, a box's figures), or
        # clear of every box (a heading, an arrow's label, a note).
        touched = [b for b in boxes if b.overlaps(e)]
        assert len(touched) <= 1, t.get_text()
        if touched:
            (b,) = touched
            assert b.x0 < e.x0 and e.x1 < b.x1 and b.y0 < e.y0 and e.y1 < b.y1, t.get_text()
            named += 1
    assert named >= len(boxes)  # every box has its name


@pytest.mark.parametrize(
    "name",
    ["long chain", "cache, replicas, shards", "event-driven, front, replication, idle consumers"],
)
def test_the_book_png_is_light_and_small(name):
    # As the book saves a cell's figure (IPython's inline PNG, tight bounding box);
    # the build then re-encodes it with a palette, which only makes it smaller.
    fig, _ = _draw(CASES[name][0])
    png = print_figure(fig, "png", bbox_inches="tight")
    assert len(png) < 150_000
    with Image.open(io.BytesIO(png)) as img:
        corner = img.convert("RGBA").getpixel((0, 0))
        width = img.width
    assert corner[3] == 255 and min(corner[:3]) >= 240
    assert width <= 700  # about 1.8x a phone's 390 px: box text stays >= ~8 px there


@pytest.mark.parametrize("draw", [plots.diagram, plots.diagram_alt])
@pytest.mark.parametrize("bad", [42, None, "RequestResponse", sl.AppTier(), sl.Poisson(1.0)])
def test_anything_but_a_system_is_refused_by_name(draw, bad):
    with pytest.raises(
        ValueError,
        match=r"system=.* is not a Station, Chain, RequestResponse, "
        r"FanOut, EventDriven or BatchServer system",
    ):
        draw(bad)


def test_a_title_must_be_text():
    with pytest.raises(ValueError, match="title=3"):
        plots.diagram(sl.Station(), title=3)
