"""The A/B report: per experiment and arm, messages, payments, harm and the verdict."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cobranca_kit.batch.experiments import HOLDOUT
from cobranca_kit.config import Experimentos
from cobranca_kit.results.attribution import debtor_outcomes
from cobranca_kit.results.stats import REFERENCE, ArmCounts, Rules, decide, wilson


@dataclass
class ArmRow:
    variante: str
    atribuidos: int
    mensagens: int
    maduros: int
    pagos: int
    taxa_pagamento: float | None
    ic95_pagamento: tuple[float, float] | None
    valor_recuperado: float
    descadastros: int
    reclamacoes: int
    taxa_descadastro: float | None
    taxa_reclamacao: float | None
    uplift_pp: float | None = None
    ic95_uplift_pp: tuple[float, float] | None = None
    p_ajustado: float | None = None
    veredito: str = ""
    motivo: str = ""


@dataclass
class ExperimentReport:
    experimento: str
    passo: str
    controle: str
    dias_atribuicao: int
    data_referencia: str
    amostra_minima: int
    bracos: list[ArmRow] = field(default_factory=list)


def _arm_order(frame: pd.DataFrame, regua_order: dict[str, list[str]], experiment: str) -> list[str]:
    names = list(dict.fromkeys(frame["variante"]))
    known = regua_order.get(experiment, [])
    ordered = [n for n in known if n in names] + sorted(n for n in names if n not in known)
    return ([HOLDOUT] if HOLDOUT in ordered else []) + [n for n in ordered if n != HOLDOUT]


def build_report(
    ledger_path: str | Path,
    rules: Experimentos | None = None,
    as_of: dt.date | None = None,
    regua: Any = None,
) -> list[ExperimentReport]:
    """The report for every experiment in the ledger, as of ``as_of`` (default today).

    The control is the holdout when there is one, else the first variant of the
    régua (the champion). Opt-outs and complaints are compared with the arm that
    gets the champion's message: the holdout when it gets it, else the first variant.
    """
    rules = rules or Experimentos()
    as_of = as_of or dt.date.today()
    order: dict[str, list[str]] = {}
    if regua is not None:
        for step in regua.passos:
            if step.experimento is not None:
                order[step.experimento.id] = [v.label for v in step.experimento.variantes]
    data = debtor_outcomes(ledger_path, rules.dias_atribuicao, as_of)
    out: list[ExperimentReport] = []
    stat_rules = Rules(rules.amostra_minima, rules.alfa, rules.margem_dano)
    for experiment, frame in data.groupby("experimento", sort=True):
        arms = _arm_order(frame, order, str(experiment))
        control = arms[0]
        holdout_messaged = bool(frame.loc[frame["variante"] == HOLDOUT, "enviada"].any())
        harm_reference = (
            None if (control != HOLDOUT or holdout_messaged) else (arms[1] if len(arms) > 1 else None)
        )
        report = ExperimentReport(
            str(experiment),
            str(frame["passo"].iloc[0]),
            control,
            rules.dias_atribuicao,
            as_of.isoformat(),
            rules.amostra_minima,
        )
        horizon: dict[str, ArmCounts] = {}
        for name in arms:
            arm = frame[frame["variante"] == name]
            matured = arm[arm["madura"]]
            fixed = matured.head(
                rules.amostra_minima
            )  # the pre-registered horizon: later data change nothing
            horizon[name] = ArmCounts(
                len(fixed),
                int(fixed["pago"].sum()),
                int(fixed["descadastro"].sum()),
                int(fixed["reclamacao"].sum()),
            )
            n, paid = len(matured), int(matured["pago"].sum())
            report.bracos.append(
                ArmRow(
                    variante=name,
                    atribuidos=len(arm),
                    mensagens=int(arm["enviada"].sum()),
                    maduros=n,
                    pagos=paid,
                    taxa_pagamento=paid / n if n else None,
                    ic95_pagamento=wilson(paid, n) if n else None,
                    valor_recuperado=round(int(matured["valor_centavos"].sum()) / 100, 2),
                    descadastros=int(matured["descadastro"].sum()),
                    reclamacoes=int(matured["reclamacao"].sum()),
                    taxa_descadastro=float(matured["descadastro"].mean()) if n else None,
                    taxa_reclamacao=float(matured["reclamacao"].mean()) if n else None,
                )
            )
        verdicts = decide(
            horizon[control], {k: v for k, v in horizon.items() if k != control}, stat_rules, harm_reference
        )
        for row in report.bracos:
            if row.variante == control:
                row.veredito, row.motivo = REFERENCE, "controle: base da comparação de pagamentos"
                continue
            v = verdicts[row.variante]
            row.veredito, row.motivo, row.p_ajustado = v.verdict, v.reason, v.p_payment
            if row.variante == harm_reference and "referência para descadastros" not in (row.motivo or ""):
                row.motivo = "; ".join(
                    filter(None, [row.motivo, "referência para descadastros e reclamações"])
                )
            if v.uplift is not None:
                row.uplift_pp = round(v.uplift * 100, 2)
                lo, hi = v.uplift_interval or (0.0, 0.0)
                row.ic95_uplift_pp = (round(lo * 100, 2), round(hi * 100, 2))
        out.append(report)
    return out


def report_frame(reports: list[ExperimentReport]) -> pd.DataFrame:
    """One row per experiment and arm (for the notebook and ``--formato csv``)."""
    rows = []
    for rep in reports:
        for arm in rep.bracos:
            row = {"experimento": rep.experimento, "passo": rep.passo, **asdict(arm)}
            for key in ("ic95_pagamento", "ic95_uplift_pp"):
                value = row.pop(key)
                row[f"{key}_inf"], row[f"{key}_sup"] = value if value else (None, None)
            rows.append(row)
    return pd.DataFrame(rows)


def report_json(reports: list[ExperimentReport]) -> str:
    return json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=2)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def _pp(value: float) -> str:
    return f"{value:+.1f}".replace(".", ",")


def report_text(reports: list[ExperimentReport]) -> str:
    """The report as pt-BR text for the terminal."""
    if not reports:
        return "nenhum experimento com atribuições no registro de contatos (rode o lote com um experimento na régua)"
    lines: list[str] = []
    for rep in reports:
        lines.append(
            f"experimento {rep.experimento} (passo {rep.passo}): pagamento em até {rep.dias_atribuicao} dias, "
            f"referência {rep.data_referencia}, amostra mínima {rep.amostra_minima} por braço; controle: {rep.controle}"
        )
        for a in rep.bracos:
            ic = a.ic95_pagamento
            ic_text = f" [{_pct(ic[0])}; {_pct(ic[1])}]" if ic else ""
            uplift = ""
            if a.uplift_pp is not None and a.ic95_uplift_pp is not None:
                lo, hi = a.ic95_uplift_pp
                uplift = f", diferença {_pp(a.uplift_pp)} p.p. [{_pp(lo)}; {_pp(hi)}]"
            money = f"R$ {a.valor_recuperado:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
            lines.append(
                f"  {a.variante}: {a.atribuidos} atribuídos, {a.mensagens} mensagens, {a.maduros} maduros; "
                f"pagos {a.pagos} ({_pct(a.taxa_pagamento)}{ic_text}){uplift}; recuperado {money}; "
                f"descadastros {a.descadastros} ({_pct(a.taxa_descadastro)}), "
                f"reclamações {a.reclamacoes} ({_pct(a.taxa_reclamacao)})"
            )
            lines.append(f"      veredito: {a.veredito}" + (f" ({a.motivo})" if a.motivo else ""))
    return "\n".join(lines)
