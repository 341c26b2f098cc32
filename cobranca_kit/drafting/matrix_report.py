"""After a matrix run: save the passing drafts to the library, summarise and chart the results.

``notebooks/03_matriz_rascunhos.ipynb`` only calls these functions. Drafts go to the
library as drafts (status ``rascunho``): a person still approves them there.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from cobranca_kit.config import Config
from cobranca_kit.csvsafe import csv_safe
from cobranca_kit.drafting.loop import CheckedDraft
from cobranca_kit.formatting import contagem

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from cobranca_kit.library import Library, SaveOutcome, TemplateMeta, TemplateRef

DEFAULT_AUTHOR = "matriz de rascunhos"
CHART_DPI = 100


def matrix_output_path(saida: str | Path, config: Config) -> Path:
    """The results JSONL file; a relative ``saida`` is taken from the config's folder."""
    path = Path(saida)
    return path if path.is_absolute() else config.base_dir / path


def summary_csv_path(output: Path) -> Path:
    """``runs/matriz.jsonl`` -> ``runs/matriz.resumo.csv``."""
    return output.with_suffix(".resumo.csv")


def chart_path(output: Path) -> Path:
    """``runs/matriz.jsonl`` -> ``runs/matriz.png``."""
    return output.with_suffix(".png")


def write_summary_csv(summary: pd.DataFrame, output: Path) -> Path:
    """Write :func:`~cobranca_kit.drafting.matrix.summary_frame` next to the results file."""
    target = summary_csv_path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    safe = summary.apply(lambda column: column if column.dtype.kind in "biufcmM" else column.map(csv_safe))
    safe.to_csv(target, index=False)
    return target


def totals_line(summary: pd.DataFrame) -> str:
    """pt-BR one-liner: drafts, how many passed, how many ended in an error."""
    return (
        f"{len(summary)} rascunhos, {int(summary['aprovado'].sum())} aprovados, "
        f"{int(summary['erro'].notna().sum())} com erro"
    )


def draft_meta(draft: CheckedDraft, author: str = DEFAULT_AUTHOR) -> TemplateMeta:
    """Library metadata for a matrix draft: its catalog ids, and where the text came from."""
    from cobranca_kit.library import Origin, TemplateMeta

    r = draft.request
    return TemplateMeta(
        objecao=r.objecao,
        tom=r.tom,
        canal=r.canal,
        estagio=r.estagio,
        perfil=r.perfil,
        pagamentos=list(r.pagamentos),
        titulo=r.label(),
        autor=author,
        notas=f"matriz de rascunhos, variante {draft.variant + 1}",
        origem=Origin(
            backend=draft.backend, modelo=draft.model, prompt_version=draft.prompt_version, seed=draft.seed
        ),
    )


def save_passing_to_library(
    results: Iterable[CheckedDraft], library: Library, author: str = DEFAULT_AUTHOR
) -> list[TemplateRef]:
    """Save every draft that passed the check as a new library version awaiting approval.

    Drafts that failed or have no script are left out (they are listed by
    :func:`failures_text`); nothing is approved here.
    """
    return [outcome.ref for outcome in save_passing_outcomes(results, library, author)]


def save_passing_outcomes(
    results: Iterable[CheckedDraft], library: Library, author: str = DEFAULT_AUTHOR
) -> list[SaveOutcome]:
    """``save_passing_to_library`` saying, per draft, whether a new version was written.

    Running the matrix again with the same drafts writes nothing: a text already in
    the library is a no-op (``created`` False) naming the version that holds it.
    """
    return [
        library.save_version(d.script, draft_meta(d, author))
        for d in results
        if d.passed and d.script is not None
    ]


def saved_line(outcomes: Iterable[SaveOutcome]) -> str:
    """One pt-BR line: new versions saved and unchanged texts left alone."""
    outcomes = list(outcomes)
    new = sum(1 for o in outcomes if o.created)
    same = len(outcomes) - new
    line = f"{contagem(new, 'versão nova salva', 'versões novas salvas')} na biblioteca"
    if same:
        line += f"; {contagem(same, 'texto igual', 'textos iguais')} a versões já salvas (nada gravado)"
    return line + "."


def tone_channel_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per tone and channel: drafts, pass rate (0-1), mean readability and mean rounds."""
    return (
        summary.groupby(["tom", "canal"])
        .agg(
            rascunhos=("aprovado", "size"),
            taxa_aprovacao=("aprovado", "mean"),
            legibilidade=("legibilidade", "mean"),
            rodadas=("rodadas", "mean"),
        )
        .round(2)
    )


def matrix_chart(summary: pd.DataFrame) -> Figure:
    """Pass rate (%) and readability per tone and channel, side by side.

    The figure is closed in pyplot, so a notebook shows it once, where it is displayed.
    """
    import matplotlib.pyplot as plt

    table = tone_channel_table(summary).astype(float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    (table["taxa_aprovacao"].unstack("canal") * 100).plot.bar(ax=ax1, rot=0)
    ax1.set_title("Taxa de aprovação (%) por tom e canal")
    ax1.set_ylabel("% aprovados")
    ax1.set_ylim(0, 105)
    table["legibilidade"].unstack("canal").plot.bar(ax=ax2, rot=0)
    ax2.set_title("Legibilidade (Flesch pt-BR) por tom e canal")
    fig.tight_layout()
    plt.close(fig)
    return fig


def save_chart(fig: Figure, output: Path) -> Path:
    """Save :func:`matrix_chart` as a PNG next to the results file."""
    target = chart_path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=CHART_DPI)
    return target


def failures_text(results: Iterable[CheckedDraft]) -> str:
    """pt-BR list of the drafts that still fail, each with its findings ("" when all passed)."""
    out = []
    for d in results:
        if d.passed:
            continue
        out.append(
            f"\n### {d.request.label()} (variante {d.variant + 1}): {d.error or 'ainda com bloqueio'}\n"
        )
        out.extend(f"  - [{f.severity}] {f.rule_id}: {f.message}\n" for f in d.findings)
    return "".join(out)


__all__ = [
    "chart_path",
    "draft_meta",
    "failures_text",
    "matrix_chart",
    "matrix_output_path",
    "save_chart",
    "save_passing_outcomes",
    "save_passing_to_library",
    "saved_line",
    "summary_csv_path",
    "tone_channel_table",
    "totals_line",
    "write_summary_csv",
]
