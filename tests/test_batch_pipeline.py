"""A batch run end to end (without the notebook): plan, caps, ledger and output files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import RUN_DATE, make_workspace, row, use_description_template, write_csv

import cobranca_kit.compliance as compliance
from cobranca_kit.batch import pipeline as pipeline_module
from cobranca_kit.batch import plan as plan_module
from cobranca_kit.batch.ledger import Ledger
from cobranca_kit.batch.pipeline import BatchSettings, run_batch, split_chunk
from cobranca_kit.batch.portfolio import RawChunk
from cobranca_kit.errors import BatchError
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import SmsScript

SEVEN = dt.time(7, 0)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _run(ws: Path, cfg, rows: list[str], **kw):
    portfolio = write_csv(ws / "carteira.csv", rows)
    settings = BatchSettings(
        carteira=portfolio, data=kw.pop("data", RUN_DATE), hora=kw.pop("hora", SEVEN), **kw
    )
    return run_batch(settings, cfg)


@pytest.fixture
def ws(tmp_path: Path):
    return tmp_path, make_workspace(tmp_path)


def test_run_writes_every_output_and_counts_add_up(ws) -> None:
    folder, cfg = ws
    rows = [
        row(1),  # D0 -> WhatsApp
        row(2, days=7, email="ana@exemplo.com.br"),  # D+7 prefers e-mail
        row(3, optout="não quer WhatsApp"),  # falls back to SMS
        row(4, cpf="111"),  # rejected
        row(5, days=3),  # no step today
        row(6, objecao="nao_reconhece_divida"),  # suspended by the régua
        row(7, phone="", email=""),  # no contact data
        row(8, days=6 * 365),  # time-barred
    ]
    result = _run(folder, cfg, rows)
    out = result.folder
    assert out == folder / "runs" / result.run_id and out.is_dir()
    assert not list((folder / "runs").glob(".*"))  # no staging folder left
    summary = json.loads((out / "resumo.json").read_text(encoding="utf-8"))
    assert summary == result.summary
    lines = summary["linhas"]
    assert (lines["lidas"], lines["aceitas"], lines["rejeitadas"]) == (8, 6, 2)
    status = summary["contagens"]["por_status"]
    assert status == {
        "agendada": 3,
        "adiada": 0,
        "ignorada": 2,
        "ja_planejada": 0,
        "rejeitada": 2,
        "sem_etapa_hoje": 1,
    }
    assert summary["contagens"]["por_canal"] == {"whatsapp": 1, "email": 1, "sms": 1}
    assert summary["entrada"]["sha256"] and summary["config_hash"] == cfg.fingerprint()
    assert {t["status"] for t in summary["modelos_usados"]} == {"aprovado"}

    messages = _read(out / "mensagens.csv")
    assert {(m["devedor_id"], m["canal"]) for m in messages} == {
        ("D1", "whatsapp"),
        ("D2", "email"),
        ("D3", "sms"),
    }
    whatsapp = next(m for m in messages if m["devedor_id"] == "D1")
    assert (
        "Fulana" in whatsapp["texto"] and "R$ 1.234,56" in whatsapp["texto"] and "{{" not in whatsapp["texto"]
    )
    assert whatsapp["destino"] == "+5511987654321" and whatsapp["agendado_para"] == "2026-11-24T08:00-03:00"
    sms = next(m for m in messages if m["canal"] == "sms")
    assert sms["codificacao"] and int(sms["segmentos"]) >= 1
    assert [m["parte"] for m in messages if m["canal"] == "email"] == ["assunto", "corpo", "assinatura"]
    assert pd.read_parquet(out / "mensagens.parquet").shape[0] == len(messages)

    payloads = [
        json.loads(x) for x in (out / "whatsapp_payloads.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(payloads) == 1 and payloads[0]["to"].endswith("11987654321")
    assert payloads[0]["template"]["language"]["code"] == "pt_BR"
    emails = list((out / "emails").glob("*.eml"))
    assert len(emails) == 1 and b"ana@exemplo.com.br" in emails[0].read_bytes()

    rejected = _read(out / "rejeitados.csv")
    assert {(r["linha"], r["campo"], r["categoria"]) for r in rejected} == {
        ("5", "documento", "invalida"),
        ("9", "vencimento", "prescrita"),
    }
    skipped = {r["devedor_id"]: r for r in _read(out / "ignorados.csv")}
    assert skipped["D6"]["categoria"] == "suspensa"
    assert skipped["D7"]["categoria"] == "sem_canal" and "sem telefone" in skipped["D7"]["motivo"]


def test_rerun_for_the_same_date_contacts_nobody_twice(ws) -> None:
    folder, cfg = ws
    rows = [row(1), row(2, days=7, email="a@b.com.br")]
    first = _run(folder, cfg, rows)
    second = _run(folder, cfg, rows)
    assert first.run_id != second.run_id
    assert {k: v for k, v in second.summary["contagens"]["por_status"].items() if v} == {"ja_planejada": 2}
    assert _read(second.folder / "mensagens.csv") == []
    with Ledger(folder / "contatos.sqlite", "leitura", RUN_DATE, dry_run=True) as ledger:
        assert ledger.count() == 2


def test_dry_run_plans_the_same_but_writes_no_ledger(ws) -> None:
    folder, cfg = ws
    dry = _run(folder, cfg, [row(1)], dry_run=True)
    assert not (folder / "contatos.sqlite").exists()
    assert dry.summary["simulacao"] and dry.summary["registro_contatos"]["gravado"] is False
    real = _run(folder, cfg, [row(1)])
    assert _read(dry.folder / "mensagens.csv") == _read(real.folder / "mensagens.csv")


def test_frequency_caps_defer_with_the_next_allowed_date(ws) -> None:
    folder, cfg = ws
    rows = [
        row(1, last="24/11/2026 07:30"),  # already contacted today (before the run)
        row(2, days=0),
        row(2, days=7, email="b@b.com.br"),  # same debtor, second debt: 1 contact a day
    ]
    result = _run(folder, cfg, rows)
    deferred = {(r["devedor_id"], r["linha"]): r for r in _read(result.folder / "adiados.csv")}
    assert set(deferred) == {("D1", "2"), ("D2", "4")}
    assert deferred[("D1", "2")]["proximo_contato_em"].startswith("2026-11-25T08:00")
    assert result.summary["contagens"]["por_status"]["adiada"] == 2
    assert [m["devedor_id"] for m in _read(result.folder / "mensagens.csv")] == ["D2"]


def test_caps_hold_across_runs_and_channels(ws) -> None:
    folder, cfg = ws
    _run(folder, cfg, [row(1)])  # WhatsApp today at 08:00
    later = _run(folder, cfg, [row(1, days=7, email="a@b.com.br")], hora=dt.time(10))
    assert [r["devedor_id"] for r in _read(later.folder / "adiados.csv")] == ["D1"]


def test_send_time_follows_the_state_window(ws) -> None:
    folder, cfg = ws
    result = _run(folder, cfg, [row(1, uf="SP"), row(2, uf="RJ")])
    when = {m["devedor_id"]: m["agendado_para"] for m in _read(result.folder / "mensagens.csv")}
    assert when == {"D1": "2026-11-24T08:00-03:00", "D2": "2026-11-24T09:00-03:00"}
    night = _run(folder, cfg, [row(3)], hora=dt.time(21, 30))
    assert _read(night.folder / "mensagens.csv")[0]["agendado_para"] == "2026-11-25T08:00-03:00"


def test_drafts_are_never_sent(tmp_path: Path) -> None:
    cfg = make_workspace(tmp_path, approve=False)
    result = _run(tmp_path, cfg, [row(1)])
    assert _read(result.folder / "mensagens.csv") == []
    skipped = _read(result.folder / "ignorados.csv")
    assert skipped[0]["categoria"] == "sem_mensagem" and "nenhum modelo aprovado" in skipped[0]["motivo"]


def test_pinned_draft_is_refused_and_policy_ignorar_stops_at_first_channel(ws) -> None:
    folder, cfg = ws
    draft = Library(folder / "biblioteca").save(
        SmsScript(
            texto="{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, {{ empresa.endereco }}: fatura "
            "{{ divida.valor | moeda }}. {{ pagamento.link }}"
        ),
        TemplateMeta(id="sms-fixo", objecao="nenhuma", tom="amigavel", canal="sms", estagio="vencimento"),
    )
    regua = (folder / "regua.yaml").read_text(encoding="utf-8")
    regua = regua.replace("sem_modelo: proximo_canal", "sem_modelo: ignorar")
    regua = regua.replace(
        "    canais: [whatsapp, sms, email]\n    tom: amigavel",
        f"    canais: [sms]\n    tom: amigavel\n    modelo: {draft.id}",
    )
    (folder / "regua.yaml").write_text(regua, encoding="utf-8")
    result = _run(folder, cfg, [row(1)])
    reason = _read(result.folder / "ignorados.csv")[0]["motivo"]
    assert reason.startswith("sms:") and "rascunho" in reason and "nunca são enviados" in reason
    (folder / "regua.yaml").write_text(
        regua.replace(f"modelo: {draft.id}", f"modelo: {draft.id}\n    modelo_versao: 1"), encoding="utf-8"
    )
    pinned = _run(folder, cfg, [row(2)])
    assert _read(pinned.folder / "mensagens.csv") == []
    assert "'rascunho', não aprovado" in _read(pinned.folder / "ignorados.csv")[0]["motivo"]


def test_sms_over_the_segment_limit_falls_back_to_the_next_channel(ws) -> None:
    folder, cfg = ws
    long_text = (
        "{{ empresa.nome }}, CNPJ {{ empresa.cnpj }}, {{ empresa.endereco }}: "
        + "fatura em aberto, pague pelo link oficial. " * 12
        + "{{ pagamento.link }}"
    )
    library = Library(folder / "biblioteca")
    ref = library.save(
        SmsScript(texto=long_text),
        TemplateMeta(id="sms-longo", objecao="nenhuma", tom="amigavel", canal="sms", estagio="vencimento"),
    )
    library.approve(ref.id, ref.version, "teste")
    result = _run(folder, cfg, [row(1, optout="whatsapp", email="c@c.com.br")])
    messages = _read(result.folder / "mensagens.csv")
    assert {m["canal"] for m in messages} == {"email"}


def test_compliance_check_runs_once_per_template_version(ws, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, cfg = ws
    calls: list[str] = []
    real = compliance.check

    def counting(target, channel=None, context=None):
        calls.append(channel)
        return real(target, channel, context)

    monkeypatch.setattr(compliance, "check", counting)
    result = _run(folder, cfg, [row(i) for i in range(1, 31)])
    assert result.summary["contagens"]["por_status"]["agendada"] == 30
    assert calls == ["whatsapp"]


def test_failed_run_leaves_no_complete_looking_folder(ws, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, cfg = ws

    def broken(self, chunk):
        raise RuntimeError("disco cheio")

    monkeypatch.setattr(plan_module.Planner, "plan_chunk", broken)
    with pytest.raises(RuntimeError):
        _run(folder, cfg, [row(1)], run_id="quebrada")
    runs = folder / "runs"
    assert not (runs / "quebrada").exists()
    assert (runs / "quebrada.falhou").is_dir() and not (runs / "quebrada.falhou" / "resumo.json").exists()
    with Ledger(folder / "contatos.sqlite", "x", RUN_DATE, dry_run=True) as ledger:
        assert ledger.count() == 0 and ("quebrada", "2026-11-24", "falhou") in ledger.runs()


def test_two_processes_give_the_same_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        pipeline_module, "MIN_ROWS_PER_PROCESS", 1
    )  # a tiny portfolio, two processes all the same
    results = []
    rows = [row(i, days=(0, 7)[i % 2], email=f"p{i}@b.com.br") for i in range(1, 41)]
    for n in (1, 2):
        ws = tmp_path / f"p{n}"
        ws.mkdir()
        cfg = make_workspace(ws)
        result = _run(ws, cfg, rows, processos=n, chunk_rows=7)
        results.append(_read(result.folder / "mensagens.csv"))
    assert len(results[0]) > 40 and results[0] == results[1]


def test_small_worker_tasks_with_caps_give_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks split into worker tasks, messages deferred across task borders: same files as 1 process."""
    monkeypatch.setattr(pipeline_module, "WORKER_TASK_ROWS", 3)
    monkeypatch.setattr(pipeline_module, "MIN_ROWS_PER_PROCESS", 1)
    rows = [row(i, days=(0, 7)[i % 2], email=f"p{i}@b.com.br") for i in range(1, 21)]
    rows += [row(i, days=7, email=f"p{i}@b.com.br") for i in range(1, 21, 4)]  # second debt: capped
    rows += [row(30, last="24/11/2026 07:30"), row(31, cpf="111")]  # contacted today; rejected
    outputs = []
    for n in (1, 2):
        ws = tmp_path / f"p{n}"
        ws.mkdir()
        cfg = make_workspace(ws)
        result = _run(ws, cfg, rows, processos=n, chunk_rows=10)
        names = ("mensagens.csv", "adiados.csv", "ignorados.csv", "rejeitados.csv")
        files = {name: (result.folder / name).read_bytes() for name in names}
        files["parquet"] = pd.read_parquet(result.folder / "mensagens.parquet")
        outputs.append((files, result.summary["contagens"]))
    (one, counts_one), (two, counts_two) = outputs
    assert counts_one == counts_two and counts_one["por_status"]["adiada"] >= 5
    for name in ("mensagens.csv", "adiados.csv", "ignorados.csv", "rejeitados.csv"):
        assert one[name] == two[name], name
    pd.testing.assert_frame_equal(one["parquet"], two["parquet"])
    written = list(csv.DictReader(io.StringIO(one["mensagens.csv"].decode("utf-8-sig")), delimiter=";"))
    deferred = list(csv.DictReader(io.StringIO(one["adiados.csv"].decode("utf-8-sig")), delimiter=";"))
    sent = {(r["devedor_id"], int(r["linha"])) for r in written}
    assert sent == set(zip(one["parquet"]["devedor_id"], one["parquet"]["linha"], strict=True))
    assert len(written) == len(one["parquet"]) > 0
    assert not sent & {(r["devedor_id"], int(r["linha"])) for r in deferred}


def test_split_chunk_keeps_order_and_line_numbers() -> None:
    chunk = RawChunk(lines=[2, 3, 5, 6, 7], rows=[{"id": str(i)} for i in range(5)])
    pieces = list(split_chunk(chunk, 2))
    assert [p.lines for p in pieces] == [[2, 3], [5, 6], [7]]
    assert [r["id"] for p in pieces for r in p.rows] == ["0", "1", "2", "3", "4"]
    assert list(split_chunk(chunk, 5)) == [chunk]


def test_bad_settings_are_clear_errors(ws) -> None:
    folder, cfg = ws
    with pytest.raises(BatchError, match="carteira não encontrada"):
        run_batch(BatchSettings(carteira=folder / "nao_existe.csv"), cfg)
    with pytest.raises(BatchError, match="canal desconhecido"):
        _run(folder, cfg, [row(1)], canais=["pombo"])


def test_free_text_data_is_checked_once_per_distinct_value(ws, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, cfg = ws
    use_description_template(folder)
    calls: list[bool] = []
    real = compliance.check

    def counting(target, channel=None, context=None):
        calls.append(bool(context and context.template))
        return real(target, channel, context)

    monkeypatch.setattr(compliance, "check", counting)
    coercive = "mensalidade escolar, se não pagar vamos bloquear as provas do seu filho"
    rows = [row(i, descricao="mensalidade de novembro") for i in range(1, 6)]
    rows += [row(i, descricao=coercive, email=f"e{i}@b.com.br") for i in range(6, 9)]
    result = _run(folder, cfg, rows)
    sent = {m["devedor_id"]: m["canal"] for m in _read(result.folder / "mensagens.csv")}
    assert all(sent[f"D{i}"] == "whatsapp" for i in range(1, 6))
    assert all(sent[f"D{i}"] != "whatsapp" for i in range(6, 9))  # fell back to another channel
    assert calls.count(False) == 2  # one full check per distinct description, not per message


def test_deferred_debtor_is_contacted_on_a_later_run(ws) -> None:
    folder, cfg = ws
    regua = (folder / "regua.yaml").read_text(encoding="utf-8")
    (folder / "regua.yaml").write_text(
        regua.replace("espalhar_minutos: 0", "espalhar_minutos: 0\ntolerancia_dias: 2"), encoding="utf-8"
    )
    today = _run(folder, cfg, [row(1, last="24/11/2026 07:30"), row(2)])
    assert [r["devedor_id"] for r in _read(today.folder / "adiados.csv")] == ["D1"]
    tomorrow = _run(folder, cfg, [row(1), row(2)], data=RUN_DATE + dt.timedelta(days=1))
    sent = _read(tomorrow.folder / "mensagens.csv")
    assert [(m["devedor_id"], m["passo"]) for m in sent] == [("D1", "vence_hoje")]
    skipped = {r["devedor_id"]: r["categoria"] for r in _read(tomorrow.folder / "ignorados.csv")}
    assert skipped == {"D2": "ja_planejada"}
