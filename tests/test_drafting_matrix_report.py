"""After a matrix run (cobranca_kit.drafting.matrix_report): passing drafts saved to the
library awaiting approval, the tone/channel table and chart, the list of failures.
Offline drafter only; charts are drawn headless (Agg) and checked through their data."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cobranca_kit.compliance import check
from cobranca_kit.config import Config
from cobranca_kit.drafting import CheckedDraft, OfflineDrafter, draft_matrix, matrix_requests, summary_frame
from cobranca_kit.drafting import matrix_report as mr
from cobranca_kit.library import Library
from cobranca_kit.script import SmsScript

matplotlib.use("Agg")  # headless: no display needed, nothing is shown

ABUSIVE_SMS = SmsScript(texto="Pague hoje ou vamos avisar seu chefe e seus vizinhos, caloteiro.")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[CheckedDraft]:
    """Six offline drafts (2 tones x 3 channels); the firm SMS is made to fail with an abusive text."""
    requests = matrix_requests(
        objecoes=["esqueci"],
        tons=["amigavel", "firme"],
        canais=["whatsapp", "sms", "email"],
        estagios=["atraso_curto"],
    )
    base = tmp_path_factory.mktemp("matriz")
    drafts = draft_matrix(
        requests, concurrency=2, drafter=OfflineDrafter(), config=Config(base_dir=base), progress=False
    )
    assert all(d.passed for d in drafts)  # the offline drafter writes compliant texts
    sms = next(i for i, d in enumerate(drafts) if d.request.canal == "sms" and d.request.tom == "firme")
    drafts[sms] = dataclasses.replace(
        drafts[sms], script=ABUSIVE_SMS, report=check(ABUSIVE_SMS, "sms"), passed=False
    )
    return drafts


def test_output_paths_follow_the_results_file(tmp_path: Path) -> None:
    config = Config(base_dir=tmp_path)
    output = mr.matrix_output_path("runs/matriz.jsonl", config)
    assert output == tmp_path / "runs" / "matriz.jsonl"
    assert mr.matrix_output_path(tmp_path / "outro" / "m.jsonl", config) == tmp_path / "outro" / "m.jsonl"
    assert mr.summary_csv_path(output) == tmp_path / "runs" / "matriz.resumo.csv"
    assert mr.chart_path(output) == tmp_path / "runs" / "matriz.png"


def test_save_passing_to_library_saves_only_passing_drafts_unapproved(
    results: list[CheckedDraft], tmp_path: Path
) -> None:
    library = Library(tmp_path / "biblioteca")
    refs = mr.save_passing_to_library(results, library, "Ana (revisão)")
    passing = [d for d in results if d.passed]
    assert len(refs) == len(passing) == 5
    for ref, draft in zip(refs, passing, strict=True):
        template = library.get(ref.id, ref.version)
        assert template.status == "rascunho" and template.approved_by is None
        meta, request = template.meta, draft.request
        assert (meta.objecao, meta.tom, meta.canal, meta.estagio) == (
            request.objecao,
            request.tom,
            request.canal,
            request.estagio,
        )
        assert meta.autor == "Ana (revisão)" and meta.titulo == request.label()
        assert meta.notas == "matriz de rascunhos, variante 1"
        assert (meta.origem.backend, meta.origem.modelo, meta.origem.seed) == (
            draft.backend,
            draft.model,
            draft.seed,
        )
        assert dict(template.parts) == dict(draft.script.parts())
    assert not any(t.meta.canal == "sms" and t.meta.tom == "firme" for t in library.list())
    assert not library.list(status="aprovado")


def test_running_the_matrix_again_saves_no_identical_versions(
    results: list[CheckedDraft], tmp_path: Path
) -> None:
    library = Library(tmp_path / "biblioteca")
    first = mr.save_passing_outcomes(results, library)
    assert mr.saved_line(first) == "5 versões novas salvas na biblioteca."
    again = mr.save_passing_outcomes(results, library)
    assert [o.ref for o in again] == [o.ref for o in first] and not any(o.created for o in again)
    assert len(library.list()) == 5
    assert "0 versões novas" in mr.saved_line(again) and "5 textos iguais" in mr.saved_line(again)


def test_drafts_without_script_are_not_saved(results: list[CheckedDraft], tmp_path: Path) -> None:
    crashed = dataclasses.replace(results[0], script=None, passed=True)
    assert mr.save_passing_to_library([crashed], Library(tmp_path / "biblioteca")) == []


def test_tone_channel_table_aggregates_the_summary(results: list[CheckedDraft]) -> None:
    summary = summary_frame(results)
    table = mr.tone_channel_table(summary)
    assert list(table.columns) == ["rascunhos", "taxa_aprovacao", "legibilidade", "rodadas"]
    assert table["rascunhos"].to_dict() == dict(Counter((d.request.tom, d.request.canal) for d in results))
    assert table.loc[("firme", "sms"), "taxa_aprovacao"] == 0.0
    assert table.loc[("amigavel", "sms"), "taxa_aprovacao"] == 1.0
    readability = summary.set_index(["tom", "canal"])["legibilidade"]
    for key, value in table["legibilidade"].items():
        assert value == pytest.approx(round(readability.loc[key], 2))


def test_matrix_chart_draws_pass_rate_and_readability(results: list[CheckedDraft]) -> None:
    summary = summary_frame(results)
    table = mr.tone_channel_table(summary)
    fig = mr.matrix_chart(summary)
    assert fig.number not in plt.get_fignums()  # closed: shown once, where the notebook displays it
    rate_ax, readability_ax = fig.axes[:2]
    assert rate_ax.get_ylim() == (0, 105) and "aprovação" in rate_ax.get_title()
    rates = sorted(round(p.get_height(), 6) for p in rate_ax.patches)
    assert rates == sorted(round(v * 100, 6) for v in table["taxa_aprovacao"])
    heights = sorted(round(p.get_height(), 6) for p in readability_ax.patches)
    assert heights == sorted(round(v, 6) for v in table["legibilidade"])
    assert {t.get_text() for t in rate_ax.get_xticklabels()} == {"amigavel", "firme"}


def test_summary_csv_chart_file_and_totals(results: list[CheckedDraft], tmp_path: Path) -> None:
    summary = summary_frame(results)
    output = tmp_path / "runs" / "matriz.jsonl"
    csv_path = mr.write_summary_csv(summary, output)
    assert csv_path == mr.summary_csv_path(output)
    back = pd.read_csv(csv_path)
    assert len(back) == len(results) and int(back["aprovado"].sum()) == 5
    png = mr.save_chart(mr.matrix_chart(summary), output)
    assert png == mr.chart_path(output) and png.read_bytes().startswith(b"\x89PNG")
    assert mr.totals_line(summary) == "6 rascunhos, 5 aprovados, 0 com erro"
    errored = summary.assign(erro=["sem resposta"] + [None] * (len(summary) - 1))
    assert mr.totals_line(errored) == "6 rascunhos, 5 aprovados, 1 com erro"


def test_failures_text_lists_failing_drafts_with_findings(results: list[CheckedDraft]) -> None:
    failing = next(d for d in results if not d.passed)
    text = mr.failures_text(results)
    assert text.startswith(f"\n### {failing.request.label()} (variante 1): ainda com bloqueio\n")
    for finding in failing.findings:
        assert f"  - [{finding.severity}] {finding.rule_id}: {finding.message}\n" in text
    assert text.count("### ") == 1
    assert mr.failures_text([d for d in results if d.passed]) == ""
    errored = dataclasses.replace(failing, error="servidor não respondeu", report=None)
    assert (
        mr.failures_text([errored])
        == f"\n### {failing.request.label()} (variante 1): servidor não respondeu\n"
    )
