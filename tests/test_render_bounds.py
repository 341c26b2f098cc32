"""Issue 12, points 5 and 8: a render is bounded in size and work, and prints only values."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from batch_helpers import RUN_DATE, make_workspace, row, write_csv

from cobranca_kit.batch.pipeline import BatchSettings, run_batch
from cobranca_kit.errors import CobrancaKitError, RenderError
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import Library, Template, TemplateMeta, render
from cobranca_kit.library.render import MAX_LOOP_STEPS, MAX_PART_CHARS
from cobranca_kit.script import SmsScript

OPENING = "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }}. "
NESTED = "{% for a in divida.descricao %}{% for b in divida.descricao %}{% endfor %}{% endfor %}"


def _template(text: str) -> Template:
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="sms", estagio="atraso_curto")
    return Template(meta=meta, version=1, created_at=dt.datetime(2026, 11, 22), parts=[("texto", text)])


def _meta(canal: str = "sms") -> TemplateMeta:
    return TemplateMeta(objecao="nenhuma", tom="amigavel", canal=canal, estagio="atraso_curto")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ 'a' * 10**7 }}", "caracteres"),
        ("{{ cliente.nome * 100000 }}", "caracteres"),
        ("{{ 'a' | truncate(999999999) }}", "999999999"),
        ("{{ 'a' | center(999999999) }}", "'center'"),
        ("{{ (cliente.nome * 800) | join('x' * 20000) }}", "'join'"),
        ("{% filter indent(20000) %}{{ cliente.nome }}{% endfilter %}", "'indent'"),
        ("{{ '{:>999999999}'.format('a') }}", "format"),
        ("{{ '%0999999999d' % 1 }}", "'%'"),
        ("{{ 10 ** 1000000 }}", "potência"),
        (
            "{{ cliente.nome | replace('', cliente.nome) | replace('', cliente.nome) | replace('', 'ab') }}",
            "caracteres",
        ),
        ("{% for a in cliente.nome %}{{ cliente.nome }}{{ cliente.nome }}{% endfor %}" * 40, "caracteres"),
        ("{% set x = cliente.nome %}{{ x }}", "{% set %}"),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", None),
    ],
)
def test_runaway_template_is_refused_quickly_in_pt_br(source: str, reason: str | None) -> None:
    with pytest.raises(RenderError) as info:
        render(_template(OPENING + source), sample_debtor())
    if reason:
        assert reason in str(info.value)


def test_a_huge_data_value_is_refused_with_or_without_loops() -> None:
    """Parts without loops are joined in one go and measured once; with a loop, chunk by chunk.
    Both refuse an output past ``MAX_PART_CHARS``, and both render the same text below it."""
    data = sample_debtor()
    data["divida"]["descricao"] = "x" * (MAX_PART_CHARS + 1)
    for source in (
        "Fatura: {{ divida.descricao }}.",
        "{% for _ in [1] %}Fatura: {{ divida.descricao }}.{% endfor %}",
    ):
        with pytest.raises(RenderError, match="caracteres"):
            render(_template(OPENING + source), data)
    data["divida"]["descricao"] = "plano Fibra"
    plain = render(_template(OPENING + "Fatura: {{ divida.descricao }}."), data).parts
    looped = render(
        _template(OPENING + "{% for _ in [1] %}Fatura: {{ divida.descricao }}.{% endfor %}"), data
    ).parts
    assert plain == looped


def test_three_nested_loops_hit_the_step_budget() -> None:
    source = "{% for a in cliente.nome %}{% for b in cliente.nome %}{% for c in cliente.nome %}"
    source += "{% endfor %}{% endfor %}{% endfor %}"
    assert len(sample_debtor()["cliente"]["nome"]) ** 3 > MAX_LOOP_STEPS
    with pytest.raises(RenderError, match="laços"):
        render(_template(source), sample_debtor())


def test_save_refuses_huge_repetition_without_building_it(tmp_path: Path) -> None:
    with pytest.raises(CobrancaKitError, match=f"{MAX_PART_CHARS:,}".replace(",", ".")):
        Library(tmp_path).save(SmsScript(texto=OPENING + "{{ 'a' * 10**7 }}"), _meta())
    assert not list(tmp_path.rglob("*.yaml"))


def test_ordinary_loops_conditions_and_methods_still_render() -> None:
    source = (
        "{% for p in cliente.primeiro_nome %}{{ p }}{% endfor %} {{ cliente.nome.upper() }} {{ 7 * 7 }} "
        "{% if divida.valor > 10 %}{{ divida.valor | moeda }}{% endif %} {{ cliente.nome | lower }}"
    )
    out = render(_template(source), sample_debtor()).parts[0][1]
    assert out == "Mariana MARIANA ALBUQUERQUE TELES 49 R$ 389,90 mariana albuquerque teles"


@pytest.mark.parametrize(
    "source",
    ["{{ cliente.nome.split }}", "{{ cliente.nome.upper }}", "{{ cliente.nome.split() }}", "{{ divida }}"],
)
def test_only_values_render_never_methods_or_objects(source: str) -> None:
    with pytest.raises(RenderError) as info:
        render(_template(OPENING + source), sample_debtor())
    assert "built-in" not in str(info.value)


def test_method_reference_is_refused_on_save(tmp_path: Path) -> None:
    text = OPENING + "{{ cliente.nome.split }}, sua fatura venceu. Pague em {{ pagamento.link }}"
    with pytest.raises(CobrancaKitError, match="não um valor"):
        Library(tmp_path).save(SmsScript(texto=text), _meta())


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_runaway_row_is_set_aside_with_its_reason_and_the_run_goes_on(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path, channels=("sms",))
    library = Library(tmp_path / "biblioteca")
    text = (
        "{{ empresa.nome }}: consta em aberto {{ divida.descricao }}"
        + NESTED
        + ", {{ divida.valor | moeda }}, "
        "venc. {{ divida.vencimento | data }}. Pague em {{ pagamento.link }}"
    )
    # the sample description is short: the template passes save and approval
    ref = library.save(
        SmsScript(texto=text),
        TemplateMeta(id="lacos", objecao="nenhuma", tom="amigavel", canal="sms", estagio="vencimento"),
    )
    for old in library.list(canal="sms", estagio="vencimento", status="aprovado"):
        library.archive(old.id, old.version)
    library.approve(ref.id, ref.version, "teste")
    long_description = ("mensalidade de novembro " * 13)[:312]
    rows = [row(1, descricao=long_description), row(2, descricao="mensalidade"), row(3, descricao="fatura")]
    portfolio = write_csv(tmp_path / "carteira.csv", rows)
    result = run_batch(BatchSettings(carteira=portfolio, data=RUN_DATE, hora=dt.time(7, 0)), cfg)
    sent = {m["devedor_id"] for m in _read(result.folder / "mensagens.csv")}
    assert sent == {"D2", "D3"}
    set_aside = _read(result.folder / "ignorados.csv") + _read(result.folder / "rejeitados.csv")
    reasons = [r["motivo"] for r in set_aside if r.get("devedor_id") == "D1" or r.get("linha") == "2"]
    assert reasons and "laços" in reasons[0] and "lacos@v1" in reasons[0]


def test_unexpected_error_in_a_render_becomes_a_render_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from cobranca_kit.library.render import TEXT_ENV

    def broken(value: object) -> str:
        raise RuntimeError("falha imprevista")

    monkeypatch.setitem(TEXT_ENV.filters, "moeda", broken)
    source = OPENING + "{{ divida.valor | moeda }} (teste de erro imprevisto)"
    with pytest.raises(RenderError, match=r"linha 7: erro inesperado.*falha imprevista"):
        render(_template(source), sample_debtor(), row=7)
