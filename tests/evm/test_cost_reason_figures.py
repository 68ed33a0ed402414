"""The cost rules judge the figures as the pages show them (rounded: CPI to two decimals,
percentages to whole numbers), so a reason's figure is always on the side of the threshold its
level says: a CPI of 0.8996 read "Over cost: CPI 0.90", red, while 0.90 is where amber begins,
and 99.6 % spent read "100 % of budget spent", amber, while 100 % is where red begins."""

from __future__ import annotations

from decimal import Decimal as D

from twofold.engine.evm import Metrics
from twofold.evm.portfolio import cost_reasons
from twofold.projects.health import Level


def _reasons(ev: str, ac: str) -> list[tuple[Level, str]]:
    return cost_reasons(Metrics(bac=D(100000), pv=D(50000), ev=D(ev), ac=D(ac)))


def test_a_cpi_shown_as_the_red_line_is_amber() -> None:
    assert _reasons("44980", "50000") == [(Level.AMBER, "Running over cost: CPI 0.90")]


def test_a_cpi_shown_below_the_red_line_is_red() -> None:
    assert _reasons("44700", "50000") == [(Level.RED, "Over cost: CPI 0.89")]


def test_spending_shown_as_the_whole_budget_is_red() -> None:
    assert _reasons("89000", "99600") == [
        (Level.RED, "Over cost: CPI 0.89"),
        (Level.RED, "Budget spent: 100 % of BAC at 89 % earned"),
    ]


def test_spending_shown_below_the_budget_is_amber() -> None:
    assert _reasons("85000", "99400") == [
        (Level.RED, "Over cost: CPI 0.86"),
        (Level.AMBER, "99 % of budget spent at 85 % earned"),
    ]


def test_the_figures_panel_colours_the_index_as_shown() -> None:
    from twofold.evm.templatetags.evm_format import index, index_class

    assert (index(D("0.8996")), index_class(D("0.8996"))) == ("0.90", "evm-warn")
    assert (index(D("0.8949")), index_class(D("0.8949"))) == ("0.89", "evm-bad")
    assert (index(D("0.945")), index_class(D("0.945"))) == ("0.95", "")
    assert (index(None), index_class(None)) == ("—", "")


def test_a_delivered_project_is_judged_by_its_cpi_alone() -> None:
    metrics = Metrics(bac=D(100000), pv=D(100000), ev=D(100000), ac=D(102000))
    assert cost_reasons(metrics) == []  # CPI 0.98: within tolerance
    metrics = Metrics(bac=D(100000), pv=D(100000), ev=D(100000), ac=D(110000))
    assert cost_reasons(metrics) == [(Level.AMBER, "Running over cost: CPI 0.91")]
