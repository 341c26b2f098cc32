"""Issue 12, point 12: filler, example copies, other languages and literal personal data are
refused in drafts and templates; the instructions screen; structured-output mode and retries."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from llm_server import ScriptedLLMServer, draft_reply, error_reply, llm_server_fixture  # noqa: F401
from pydantic import ValidationError

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import Config, Llm
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, OpenAIDrafter, draft_checked
from cobranca_kit.drafting.matrix_report import save_passing_to_library
from cobranca_kit.library import ApprovalRefused, Library, TemplateMeta
from cobranca_kit.quality import PROMPT_EXAMPLES, quality_problems
from cobranca_kit.script import parse_script

CAT = get_catalog()
REQUEST = DraftRequest(objecao="esqueci", tom="amigavel", canal="sms", estagio="atraso_curto")
# What a real small model answered: the example of the prompt, copied.
EXAMPLE_COPY = dict(PROMPT_EXAMPLES["sms"])
DOTS_CALL = {"channel": "telefone", "passos": [{"etapa": e, "fala": "..."} for e in ("abertura", "situacao")]}
ENGLISH = {
    "channel": "sms",
    "texto": "Hello {{ cliente.primeiro_nome }}, this is {{ empresa.nome }}. Your payment of "
    "{{ divida.valor | moeda }} is overdue. Please pay at {{ pagamento.link }} to avoid fees.",
}
FILLER = {"channel": "sms", "texto": "{{ cliente.primeiro_nome }}: texto texto {{ pagamento.link }}"}
GOOD_SMS = (
    "{{ empresa.nome }}: {{ cliente.primeiro_nome }}, a fatura de {{ divida.valor | moeda }} venceu em "
    "{{ divida.vencimento | data }}. Pague em {{ pagamento.link }}. Se ja pagou, desconsidere."
)


def _sms(text: str) -> list[tuple[str, str]]:
    return [("texto", text)]


@pytest.mark.parametrize(
    ("script", "code"),
    [
        (EXAMPLE_COPY, "copia_exemplo"),
        (PROMPT_EXAMPLES["whatsapp"], "copia_exemplo"),
        (PROMPT_EXAMPLES["email"], "copia_exemplo"),
        (PROMPT_EXAMPLES["telefone"], "copia_exemplo"),
        (DOTS_CALL, "copia_exemplo"),
        (
            {"channel": "sms", "texto": "Oi {{ cliente.primeiro_nome }} ... pague ... {{ pagamento.link }}"},
            "enchimento",
        ),
        (FILLER, "enchimento"),
        ({"channel": "sms", "texto": " ".join(["cobrança"] * 14) + " {{ pagamento.link }}"}, "enchimento"),
        (ENGLISH, "nao_portugues"),
    ],
)
def test_filler_copies_and_english_are_refused(script: dict, code: str) -> None:
    parsed = parse_script(script)
    assert code in {p.code for p in quality_problems(parsed.channel, parsed.parts())}


@pytest.mark.parametrize(
    "literal",
    [
        "Olá, Maria! ",
        "Bom dia, Sr. João. ",
        "CPF 529.982.247-25. ",
        "CPF 529 982 247 25. ",
        "Ligue (11) 98765-4321. ",
        "Ligue 11 9 8765 4321. ",
        "Escreva para ana@exemplo.com.br. ",
        "Escreva para ana arroba exemplo ponto com. ",
        "Valor: R$ 389,90. ",
        "Venceu em 10/11/2026. ",
        "Venceu em 10 de novembro. ",
        "Acesse https://pague-aqui.example/x. ",
        "Acesse www.pague-aqui.com.br. ",
    ],
)
def test_literal_personal_data_is_refused(literal: str) -> None:
    problems = quality_problems("sms", _sms(literal + GOOD_SMS))
    assert [p.code for p in problems] == ["dado_pessoal"], problems
    assert "variáveis" in problems[0].message


@pytest.mark.parametrize(
    ("literal", "placeholder"),
    [
        ("Aqui é da Conecta Fibra Telecom Ltda. ", "{{ empresa.nome }}"),  # example value of the schema
        ("Referente a FAT-2026-118734. ", "{{ divida.numero_documento }}"),
        ("CPF 529.982.247-25. ", "{{ cliente.documento_mascarado }}"),
        ("Olá, Maria! ", "{{ cliente.primeiro_nome }}"),
        ("Valor: R$ 389,90. ", "{{ divida.valor | moeda }}"),
    ],
)
def test_suggestion_names_the_schema_placeholder(literal: str, placeholder: str) -> None:
    problems = quality_problems("sms", _sms(literal + GOOD_SMS))
    assert any(placeholder in p.suggestion for p in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        "Nosso atendimento funciona 24/7 pelo {{ empresa.atendimento }}. ",
        "Bom dia, tudo bem? Prezado cliente, ",
        "Aguardamos seu retorno… ",
        "Você pode parcelar em até 12 vezes. ",
    ],
)
def test_ordinary_wording_is_not_taken_for_personal_data(text: str) -> None:
    assert quality_problems("sms", _sms(text + GOOD_SMS)) == []


def test_every_offline_draft_passes_the_quality_check() -> None:
    drafter = OfflineDrafter()
    combos = itertools.product(CAT.ids("objecoes"), CAT.ids("tons"), CAT.ids("canais"), CAT.ids("estagios"))
    failing = []
    for objecao, tom, canal, estagio in combos:
        for pagamentos in (["pix", "boleto", "link"], ["link"]):
            request = DraftRequest(
                objecao=objecao, tom=tom, canal=canal, estagio=estagio, pagamentos=pagamentos
            )
            script = drafter.draft(request).script
            problems = quality_problems(script.channel, script.parts())
            if problems:
                failing.append((request.label(), problems))
    assert failing == []


def _drafter(server: ScriptedLLMServer, tmp_path: Path, **llm: object) -> OpenAIDrafter:
    config = Config(llm=Llm(**{"timeout_s": 2.0, **llm}), base_dir=tmp_path)
    return OpenAIDrafter(config, base_url=server.base_url, api_key="chave-de-teste", cache=False)


@pytest.mark.parametrize("answer", [EXAMPLE_COPY, ENGLISH, FILLER], ids=["exemplo", "ingles", "enchimento"])
def test_llm_copy_of_the_example_fails_and_the_matrix_does_not_save_it(
    llm_server: ScriptedLLMServer, tmp_path: Path, answer: dict
) -> None:
    llm_server.default = draft_reply(answer)
    drafter = _drafter(llm_server, tmp_path)
    result = draft_checked(REQUEST, drafter, max_rounds=2, config=drafter.config)
    assert result.passed is False and result.error is None
    quality = [f for f in result.report.findings if f.category == "qualidade" and f.severity == "block"]
    assert quality
    # the revision prompt told the model what was wrong
    assert quality[0].message in llm_server.chat_requests[1]["messages"][-1]["content"]
    library = Library(tmp_path / "biblioteca")
    assert save_passing_to_library([result], library) == []
    assert library.list() == []


def test_saved_example_copy_cannot_be_approved(tmp_path: Path) -> None:
    library = Library(tmp_path)
    meta = TemplateMeta(objecao="esqueci", tom="amigavel", canal="sms", estagio="atraso_curto")
    ref = library.save(parse_script(EXAMPLE_COPY), meta)
    with pytest.raises(ApprovalRefused, match=r"qualidade\.copia_exemplo"):
        library.approve(ref.id, ref.version, "supervisora")
    good = library.save(parse_script({"channel": "sms", "texto": GOOD_SMS}), meta)
    assert not [
        f for f in library.get(good.id, good.version).report["findings"] if f["category"] == "qualidade"
    ]


@pytest.mark.parametrize(
    "instrucoes",
    [
        "o cliente tem CPF 529 982 247 25",
        "o CPF é 52998224725",
        "ligar para (11) 9 8765-4321",
        "ligar para 11 98765 4321",
        "contato +55 11 98765-4321",
        "mandar para fulano arroba gmail ponto com",
        "mandar para fulano [at] gmail [dot] com",
        "mandar para fulano @ gmail . com",
    ],
)
def test_instructions_screen_catches_spaced_and_spelled_personal_data(instrucoes: str) -> None:
    with pytest.raises(ValidationError, match="dados pessoais"):
        DraftRequest(
            objecao="esqueci", tom="amigavel", canal="sms", estagio="atraso_curto", instrucoes=instrucoes
        )


@pytest.mark.parametrize(
    "instrucoes",
    [
        "ofereça 10% de desconto à vista e parcelamento em até 12 vezes",
        "mencione que o atendimento funciona das 8h às 18h, de segunda a sexta",
        "cliente pediu contato só por escrito; prazo de 5 dias úteis",
    ],
)
def test_instructions_without_personal_data_still_pass(instrucoes: str) -> None:
    DraftRequest(
        objecao="esqueci", tom="amigavel", canal="sms", estagio="atraso_curto", instrucoes=instrucoes
    )


def _good_answer() -> dict:
    return OfflineDrafter().compose(REQUEST, 0).model_dump(mode="json")


def test_mode_used_is_reported_and_remembered_per_endpoint(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    def handler(body: dict) -> object:
        if body.get("response_format", {}).get("type") == "json_schema":
            return error_reply(400, "response_format json_schema is not supported")
        return draft_reply(_good_answer())

    llm_server.handler = handler
    drafter = _drafter(llm_server, tmp_path)
    first = draft_checked(REQUEST, drafter, config=drafter.config)
    assert first.passed and first.mode == "json_object" and first.to_dict()["mode"] == "json_object"
    assert first.rounds[0].mode == "json_object"
    # a new drafter for the same endpoint (the next CLI call or notebook cell) does not probe again
    second = _drafter(llm_server, tmp_path)
    assert second.mode == "json_object"
    draft_checked(REQUEST.model_copy(update={"seed": 9}), second, config=second.config)
    formats = [r.get("response_format", {}).get("type") for r in llm_server.chat_requests]
    assert formats == ["json_schema", "json_object", "json_object"]


def test_timed_out_request_to_a_local_server_is_not_retried_by_default(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    reply = draft_reply(_good_answer())
    reply.delay = 0.6
    llm_server.default = reply
    drafter = _drafter(llm_server, tmp_path, timeout_s=0.2, saida_estruturada="json_object")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert result.error_kind == "endpoint" and "Tempo esgotado" in (result.error or "")
    assert len(llm_server.chat_requests) == 1


def test_explicit_retries_still_apply_to_a_local_server(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    reply = draft_reply(_good_answer())
    reply.delay = 0.6
    llm_server.default = reply
    drafter = _drafter(llm_server, tmp_path, timeout_s=0.2, tentativas=1, saida_estruturada="json_object")
    draft_checked(REQUEST, drafter, config=drafter.config)
    assert len(llm_server.chat_requests) == 2


def test_json_dump_of_a_draft_carries_the_mode(llm_server: ScriptedLLMServer, tmp_path: Path) -> None:
    llm_server.default = draft_reply(_good_answer())
    drafter = _drafter(llm_server, tmp_path, saida_estruturada="json_object")
    result = draft_checked(REQUEST, drafter, config=drafter.config)
    assert json.loads(json.dumps(result.to_dict()))["mode"] == "json_object"


def test_cli_reports_the_mode_and_refuses_an_example_copy(
    llm_server: ScriptedLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cobranca_kit.cli.main import app

    llm_server.default = draft_reply(EXAMPLE_COPY)
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    toml = tmp_path / "cobranca.toml"
    toml.write_text('[llm]\ntimeout_s = 2\nmodelo = "modelo-cli"\ncache = false\n', encoding="utf-8")
    args = [
        "rascunhar",
        "--objecao",
        "esqueci",
        "--tom",
        "amigavel",
        "--canal",
        "sms",
        "--estagio",
        "atraso_curto",
    ]
    result = CliRunner().invoke(app, [*args, "--rodadas", "1", "--arquivo", str(toml)])
    assert result.exit_code == 1, result.output
    assert "saída estruturada usada: json_schema" in result.stdout
    assert "REPROVADO" in result.stdout and "exemplo de formato" in result.stdout
