"""The statistics of the A/B report: intervals, tests and the pre-registered verdicts.

Rules fixed before looking (``[experimentos]`` in ``cobranca.toml``):

- no verdict until the control and the variant each have ``amostra_minima``
  matured debtors (the attribution window closed); the verdict then uses only the
  *first* ``amostra_minima`` of each arm in assignment order, so looking again
  later cannot change it (no peeking);
- one-sided two-proportion z-tests; payments Holm-corrected over the variants of the
  experiment at level ``alfa`` (a null variant is promoted in at most ``alfa`` of
  experiments), harm Holm-corrected over variants and metrics at the same level;
- harm is a stop rule: opt-outs or complaints higher than the reference message
  arm by more than ``margem_dano`` (tested as a shifted null hypothesis) pause the
  variant, whatever its payments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_NORMAL = NormalDist()

Z95 = 1.959963984540054

PENDING = "ainda sem conclusão"
PROMOTE = "promover"
NO_DIFFERENCE = "sem diferença"
WORSE = "pior que o controle"
HARM = "pausar (dano)"
REFERENCE = "referência"

HARM_METRICS = ("descadastro", "reclamacao")


@dataclass(frozen=True, slots=True)
class ArmCounts:
    """Counts over an arm's matured debtors."""

    n: int
    paid: int
    optouts: int = 0
    complaints: int = 0

    def harm(self, metric: str) -> int:
        return self.optouts if metric == "descadastro" else self.complaints


@dataclass(frozen=True, slots=True)
class Rules:
    amostra_minima: int = 6000
    alfa: float = 0.05
    margem_dano: float = 0.005


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (0, 1) for n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def diff_interval(k1: int, n1: int, k0: int, n0: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of p1 - p0 (built from the two Wilson intervals)."""
    if n1 <= 0 or n0 <= 0:
        return -1.0, 1.0
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1, z)
    l0, u0 = wilson(k0, n0, z)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def p_greater(k1: int, n1: int, k0: int, n0: int, margin: float = 0.0) -> float:
    """One-sided p-value of H0: p1 - p0 <= margin (unpooled z-test; pooled when margin is 0)."""
    if n1 <= 0 or n0 <= 0:
        return 1.0
    p1, p0 = k1 / n1, k0 / n0
    if margin == 0.0:
        pooled = (k1 + k0) / (n1 + n0)
        var = pooled * (1 - pooled) * (1 / n1 + 1 / n0)
    else:
        var = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0
    if var <= 0:
        return 0.0 if p1 - p0 > margin else 1.0
    return _sf((p1 - p0 - margin) / math.sqrt(var))


def _sf(z: float) -> float:
    """Upper tail of the standard normal (exact in the far tail, unlike 1 - cdf)."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def holm(pvalues: list[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


@dataclass
class Verdict:
    variant: str
    verdict: str
    uplift: float | None = None  # paid share, variant - control
    uplift_interval: tuple[float, float] | None = None
    p_payment: float | None = None  # Holm-adjusted, one-sided "better"
    p_harm: dict[str, float] | None = None  # Holm-adjusted, per harm metric
    reason: str = ""


def decide(
    control: ArmCounts,
    variants: dict[str, ArmCounts],
    rules: Rules,
    harm_reference: str | None = None,
) -> dict[str, Verdict]:
    """Verdicts for every variant against ``control`` (the holdout, or the first variant).

    ``variants`` are the fixed-horizon counts (the first ``amostra_minima`` matured
    debtors of each arm, or fewer while the arm is short). ``harm_reference`` names
    the arm whose opt-outs/complaints are the baseline (the champion message);
    None means ``control``. Arms that are short of the minimum get no test at all.
    """
    n_min = rules.amostra_minima
    reference = variants.get(harm_reference, control) if harm_reference else control
    out: dict[str, Verdict] = {}
    tests: list[tuple[str, str, float]] = []  # (variant, "pagamento"|metric, raw p)
    control_ready = control.n >= n_min
    for name, arm in variants.items():
        if name == harm_reference and harm_reference is not None:
            out[name] = Verdict(name, REFERENCE, reason="braço de referência para descadastros e reclamações")
        if not control_ready or arm.n < n_min:
            if name not in out:
                short = min(control.n, arm.n)
                out[name] = Verdict(
                    name,
                    PENDING,
                    reason=f"amostra madura {short} de {n_min} por braço (mínimo pré-registrado)",
                )
            continue
        if name not in out:
            out[name] = Verdict(name, NO_DIFFERENCE)
        tests.append((name, "pagamento", p_greater(arm.paid, arm.n, control.paid, control.n)))
        tests.append((name, "pior", p_greater(control.paid, control.n, arm.paid, arm.n)))
        if name != harm_reference and reference.n >= n_min:
            for metric in HARM_METRICS:
                p = p_greater(arm.harm(metric), arm.n, reference.harm(metric), reference.n, rules.margem_dano)
                tests.append((name, metric, p))
    # Two families, each Holm-corrected at ``alfa``: payments (one entry per variant:
    # "better" and "worse" are exclusive outcomes of one comparison, so the smaller p
    # stands for both) and harm (every variant and metric), the stop rule.
    payments: list[tuple[str, str, float]] = []
    harms: list[tuple[str, str, float]] = []
    for name, kind, p in tests:
        if kind == "pagamento":
            worse = next(q for n, k, q in tests if n == name and k == "pior")
            payments.append((name, "pagamento" if p <= worse else "pior", min(p, worse)))
        elif kind in HARM_METRICS:
            harms.append((name, kind, p))
    adjusted = holm([p for _, _, p in payments]) + holm([p for _, _, p in harms])
    for (name, kind, _), p_adj in zip(payments + harms, adjusted, strict=True):
        verdict = out[name]
        if kind in HARM_METRICS:
            verdict.p_harm = {**(verdict.p_harm or {}), kind: p_adj}
        else:
            verdict.p_payment = p_adj if kind == "pagamento" else None
            if verdict.verdict != REFERENCE and p_adj <= rules.alfa:
                verdict.verdict = PROMOTE if kind == "pagamento" else WORSE
    for name, verdict in out.items():
        arm = variants[name]
        if control.n and arm.n:
            verdict.uplift = arm.paid / arm.n - control.paid / control.n
            verdict.uplift_interval = diff_interval(arm.paid, arm.n, control.paid, control.n)
        harmed = [m for m, p in (verdict.p_harm or {}).items() if p <= rules.alfa]
        if harmed:
            verdict.verdict = HARM
            verdict.reason = (
                f"{' e '.join(harmed)} acima da referência por mais de {rules.margem_dano * 100:.1f} p.p.: "
                "pause a variante (regra de parada)"
            )
        elif verdict.verdict == PROMOTE:
            verdict.reason = f"paga mais que o controle (p ajustado {verdict.p_payment:.4f} ≤ {rules.alfa})"
        elif verdict.verdict == WORSE:
            verdict.reason = "paga menos que o controle"
        elif verdict.verdict == NO_DIFFERENCE and not verdict.reason:
            verdict.reason = "amostra mínima atingida sem diferença significativa"
    return out


def required_sample(
    base: float, uplift: float, alpha: float = 0.05, power: float = 0.9, tests: int = 1
) -> int:
    """Debtors per arm to detect ``uplift`` over ``base`` one-sided at ``alpha / tests``."""
    z_a, z_b = _NORMAL.inv_cdf(1 - alpha / tests), _NORMAL.inv_cdf(power)
    var = base * (1 - base) + (base + uplift) * (1 - base - uplift)
    return math.ceil(var * ((z_a + z_b) / uplift) ** 2)
