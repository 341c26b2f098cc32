"""The report's statistics: intervals, Holm, verdict rules, and the acceptance
simulation (a +3 p.p. variant promoted, a harmful one paused, a null one rarely promoted)."""

from __future__ import annotations

import numpy as np
import pytest

from cobranca_kit.config import Experimentos
from cobranca_kit.results.simulate import Rates, simulate_counts
from cobranca_kit.results.stats import (
    HARM,
    NO_DIFFERENCE,
    PENDING,
    PROMOTE,
    WORSE,
    ArmCounts,
    Rules,
    decide,
    diff_interval,
    holm,
    p_greater,
    required_sample,
    wilson,
)


def test_wilson_interval_matches_the_textbook_values() -> None:
    lo, hi = wilson(81, 263)  # Wilson (1927) / Newcombe (1998) example: 0.2553 - 0.3662
    assert lo == pytest.approx(0.2553, abs=5e-4) and hi == pytest.approx(0.3662, abs=5e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 0) == (0.0, 1.0)


def test_newcombe_difference_interval_matches_the_paper() -> None:
    lo, hi = diff_interval(56, 70, 48, 80)  # Newcombe 1998, example (a): 0.0524 to 0.3339
    assert lo == pytest.approx(0.0524, abs=5e-4) and hi == pytest.approx(0.3339, abs=5e-4)


def test_holm_adjusts_step_down_and_keeps_order() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([]) == []


def test_one_sided_test_and_margin() -> None:
    assert p_greater(1100, 5000, 1000, 5000) < 0.01
    assert p_greater(1000, 5000, 1100, 5000) > 0.99
    assert p_greater(150, 5000, 100, 5000) < 0.01  # 3% vs 2%
    assert p_greater(150, 5000, 100, 5000, margin=0.01) == pytest.approx(0.5, abs=0.01)


def test_no_verdict_before_the_minimum_sample() -> None:
    rules = Rules(amostra_minima=1000)
    out = decide(ArmCounts(999, 100), {"B": ArmCounts(5000, 2500, 2000, 2000)}, rules)
    assert out["B"].verdict == PENDING and "999 de 1000" in out["B"].reason


def test_verdicts_promote_worse_harm_and_no_difference() -> None:
    rules = Rules(amostra_minima=5000)
    control = ArmCounts(5000, 1000, 100, 25)
    out = decide(
        control,
        {
            "mais": ArmCounts(5000, 1200, 100, 25),
            "menos": ArmCounts(5000, 800, 100, 25),
            "dano": ArmCounts(5000, 1200, 300, 25),
            "igual": ArmCounts(5000, 1005, 100, 25),
        },
        rules,
    )
    assert {k: v.verdict for k, v in out.items()} == {
        "mais": PROMOTE,
        "menos": WORSE,
        "dano": HARM,
        "igual": NO_DIFFERENCE,
    }
    assert out["mais"].uplift == pytest.approx(0.04)
    assert out["mais"].uplift_interval[0] > 0


def test_required_sample_for_the_default_minimum() -> None:
    # the default minimum detects +3 p.p. over 20% with 95% power after Holm over 3 variants
    assert required_sample(0.20, 0.03, tests=3, power=0.95) <= Experimentos().amostra_minima


def test_acceptance_200_simulations() -> None:
    """200 seeded experiments with the default rules: control (champion), a +3 p.p. variant,
    a harmful one (+2 p.p. opt-outs) and a null one."""
    cfg = Experimentos()
    rules = Rules(cfg.amostra_minima, cfg.alfa, cfg.margem_dano)
    effects = {
        "melhor": Rates(0.03, 0.0, 0.0),
        "nociva": Rates(0.0, 0.02, 0.0),
        "nula": Rates(0.0, 0.0, 0.0),
    }
    promoted = paused = null_promoted = 0
    runs = 200
    for seed in range(runs):
        control, arms = simulate_counts(np.random.default_rng(seed), rules.amostra_minima, effects)
        out = decide(control, arms, rules)
        promoted += out["melhor"].verdict == PROMOTE
        paused += out["nociva"].verdict == HARM
        null_promoted += out["nula"].verdict == PROMOTE
    print(f"promovida {promoted}/{runs}, pausada {paused}/{runs}, nula promovida {null_promoted}/{runs}")
    assert promoted >= 0.9 * runs
    assert paused >= 0.9 * runs
    assert null_promoted <= 0.05 * runs


def test_null_variants_are_promoted_at_most_alpha_of_experiments() -> None:
    """Family-wise: with three null variants, any false promotion in at most ~alfa of 2000 runs."""
    rules = Rules(amostra_minima=2000)
    effects = {name: Rates(0.0, 0.0, 0.0) for name in ("a", "b", "c")}
    rng = np.random.default_rng(1)
    any_promoted = 0
    for _ in range(2000):
        control, arms = simulate_counts(rng, 2000, effects)
        any_promoted += any(v.verdict == PROMOTE for v in decide(control, arms, rules).values())
    assert any_promoted <= 0.05 * 2000 * 1.2  # alfa plus sampling noise (sd ~ 0.5 p.p.)
