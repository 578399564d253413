"""The case studies (``scalelab.labs.cases``): loads and units are the formulas the
docstrings state, the arriving design carries lower tiers' redesigns, one cell's counts
divide the design, and bad input names the parameter."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

import scalelab as sl
from scalelab import labs


def test_three_cases_with_both_styles():
    assert set(labs.CASES) == {"orders", "notifications", "catalogue"}
    for case in labs.CASES.values():
        assert set(case.designs) == set(labs.STYLES)
    assert labs.TIERS == (100, 10_000, 1_000_000, 100_000_000)


def test_loads_units_and_utilization_follow_the_formulas():
    tier = labs.case_tier("orders", 10_000, "request-response", requests=500)
    case = labs.CASES["orders"]
    load = 10_000 * case.rate_per_user  # 500 requests/s
    writes = tier.component("database writes")
    assert writes.load == pytest.approx(4 * load * (1 - case.read_fraction))  # 1,000 queries/s
    assert writes.units == 1  # one primary: its limit binds
    assert writes.utilization == pytest.approx(1_000 / 1_200)
    app = tier.component("app servers")
    assert app.units == math.ceil(load / (1_000 * 0.7))  # sized at the target
    assert tier.envelope.peak_rps == pytest.approx(load)
    assert tier.envelope.peak_writes == pytest.approx(load * 0.5)


def test_simulated_utilization_tracks_the_formula_below_saturation():
    tier = labs.case_tier("catalogue", 10_000, "request-response", requests=20_000)
    for c in tier.components:
        # 20,000 requests per unit: the busy fraction is within a few percent of load/capacity
        assert c.simulated == pytest.approx(c.utilization, rel=0.08, abs=0.005)
        assert math.isfinite(c.p99)


def test_nothing_breaks_at_100_users():
    for name in labs.CASES:
        for style in labs.STYLES:
            tier = labs.case_tier(name, 100, style, requests=500)
            assert tier.breaks_first == "nothing" and tier.fix == "nothing yet"
            assert tier.cells == 1


def test_a_redesign_lifts_the_limit_at_higher_tiers():
    ten_k = labs.case_tier("orders", 10_000, "request-response", requests=500)
    million = labs.case_tier("orders", 1_000_000, "request-response", requests=500)
    assert "database writes" in ten_k.broken
    writes = million.component("database writes")
    assert writes.redesigned and writes.units > 1 and writes.utilization <= 0.7
    # one cell per write shard, each with its share of the app servers
    assert million.cells == writes.units
    assert million.system.app.servers == math.ceil(million.components[0].units / million.cells)


def test_an_unlimited_component_never_breaks():
    for row in labs.case_ladder("notifications", requests=500).rows:
        assert "API servers" not in row.broken
        assert row.style in labs.STYLES


def test_the_ladder_matches_case_tier():
    ladder = labs.case_ladder("catalogue", requests=500)
    assert len(ladder.rows) == 2 * len(labs.TIERS)
    row = ladder.at("event-driven", 1_000_000)
    again = labs.case_tier("catalogue", 1_000_000, "event-driven", requests=500)
    assert row.breaks_first == again.breaks_first
    assert [c.simulated for c in row.components] == [c.simulated for c in again.components]
    assert isinstance(row.system, sl.EventDriven)
    with pytest.raises(ValueError, match="users=7"):
        ladder.at("event-driven", 7)


def test_with_load_multiplies_reads_and_writes():
    case = labs.CASES["orders"]
    tenfold = case.with_load(writes=10.0)
    r, w = case.rate_per_user * case.read_fraction, case.rate_per_user * (1 - case.read_fraction)
    assert tenfold.rate_per_user == pytest.approx(r + 10 * w)
    assert tenfold.rate_per_user * (1 - tenfold.read_fraction) == pytest.approx(10 * w)
    half_reads = case.with_load(reads=0.5)
    assert half_reads.rate_per_user * half_reads.read_fraction == pytest.approx(r / 2)


def test_a_lower_target_needs_more_units():
    high = labs.case_tier("catalogue", 1_000_000, "request-response", requests=500)
    low = labs.case_tier(
        "catalogue", 1_000_000, "request-response", target_utilization=0.5, requests=500
    )
    assert low.components[0].units > high.components[0].units


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: labs.case_tier("payroll"), "case='payroll'"),
        (lambda: labs.case_tier(users=5_000), "users=5000"),
        (lambda: labs.case_tier(style="batch"), "style='batch'"),
        (lambda: labs.case_tier(target_utilization=1.0), "target_utilization=1.0"),
        (lambda: labs.case_tier(requests=10), "requests=10"),
        (lambda: labs.case_tier(seed=-1), "seed=-1"),
        (lambda: labs.case_ladder(requests=10**6), "requests=1000000"),
        (lambda: labs.CASES["orders"].with_load(writes=0.0), "writes=0.0"),
        (lambda: labs.CASES["orders"].with_load(reads=-1.0), "reads=-1.0"),
        (lambda: replace(labs.CASES["orders"], rate_per_user=0.0), "rate_per_user=0.0"),
        (lambda: replace(labs.CASES["orders"], read_fraction=1.0), "read_fraction=1.0"),
        (lambda: replace(labs.CASES["orders"], designs={}), "designs="),
        (lambda: labs.Component("x", 0.0, per_read=1.0), "capacity=0.0"),
        (lambda: labs.Component("x", 10.0), "does no work"),
        (lambda: labs.Component("x", 10.0, per_read=1.0, servers=0), "servers=0"),
        (lambda: labs.Component("x", 10.0, per_read=1.0, max_units=0), "max_units=0"),
        (lambda: labs.case_tier().component("disk"), "name='disk'"),
    ],
)
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
