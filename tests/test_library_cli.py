"""``cobranca-kit modelos ...`` through typer's CliRunner, in a temporary workspace."""

from __future__ import annotations

import json
from email import message_from_string, policy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cobranca_kit.cli.main import app
from cobranca_kit.library import Library, TemplateMeta
from cobranca_kit.script import script_from_parts

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "library" / "scripts.yaml").read_text("utf-8"))
WA_ID = "nenhuma-amigavel-whatsapp-atraso_curto"


def run(*args: str):
    return CliRunner().invoke(app, ["modelos", *args])


@pytest.fixture
def lib(workspace: Path) -> Library:
    library = Library(workspace / "biblioteca")
    for key in ("whatsapp", "sms", "email", "telefone"):
        channel = key.split("_")[0]
        meta = TemplateMeta(
            objecao="nenhuma", tom="amigavel", canal=channel, estagio="atraso_curto", titulo=key
        )
        library.save(script_from_parts(channel, list(SCRIPTS[key].items())), meta)
    blocked = TemplateMeta(
        id="bloqueado",
        objecao="nenhuma",
        tom="firme",
        canal="whatsapp",
        estagio="atraso_longo",
        titulo="ruim",
    )
    library.save(script_from_parts("whatsapp", list(SCRIPTS["whatsapp_bloqueado"].items())), blocked)
    return library


def test_help_is_in_portuguese() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for word in ("listar", "mostrar", "diff", "aprovar", "arquivar", "exportar", "renderizar"):
        assert word in result.output
    assert "Biblioteca de modelos" in result.output
    assert "Exporta um modelo" in run("exportar", "--help").output


def test_listar_json_one_object_per_version(lib: Library) -> None:
    result = run("listar", "--formato", "json")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert len(rows) == 5
    assert {"id", "version", "status", "objecao", "tom", "canal", "estagio"} <= set(rows[0])
    assert {r["canal"] for r in rows} == {"whatsapp", "sms", "email", "telefone"}
    filtered = run("listar", "--formato", "json", "--canal", "sms")
    assert [json.loads(line)["canal"] for line in filtered.output.strip().splitlines()] == ["sms"]
    text = run("listar")
    assert f"{WA_ID}@v1" in text.output and "rascunho" in text.output


def test_listar_warns_about_broken_files(lib: Library) -> None:
    (lib.path / WA_ID / "v9.yaml").write_text("::: não é yaml [", encoding="utf-8")
    result = run("listar")
    assert result.exit_code == 0
    assert "aviso: arquivo ignorado" in result.output and "v9.yaml" in result.output


def test_mostrar_and_diff(lib: Library) -> None:
    result = run("mostrar", WA_ID)
    assert result.exit_code == 0, result.output
    assert f"{WA_ID}@v1  [rascunho]" in result.output
    assert "--- mensagem_3\n{{ pagamento.pix_copia_e_cola }}" in result.output
    blocked = run("mostrar", "bloqueado@v1")
    assert "[block] CDC71-AMEACA-PRISAO" in blocked.output
    parts = list(SCRIPTS["whatsapp"].values())
    parts[0] = parts[0].replace("lembrete rápido", "aviso rápido")
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal="whatsapp", estagio="atraso_curto")
    lib.save(script_from_parts("whatsapp", [(f"mensagem_{i}", p) for i, p in enumerate(parts, 1)]), meta)
    diff = run("diff", WA_ID, "v1", "2")
    assert diff.exit_code == 0
    assert "-Olá" in diff.output and "+Olá" in diff.output and "aviso rápido" in diff.output
    missing = run("mostrar", "nao_existe")
    assert missing.exit_code == 2 and "erro:" in missing.output


def test_aprovar_and_arquivar(lib: Library) -> None:
    refused = run("aprovar", "bloqueado@v1", "--por", "Ana")
    assert refused.exit_code == 1
    assert "Aprovação recusada" in refused.output and "CDC71-AMEACA-PRISAO" in refused.output
    no_version = run("aprovar", WA_ID, "--por", "Ana")
    assert no_version.exit_code == 2 and "Informe a versão" in no_version.output
    nobody = run("aprovar", f"{WA_ID}@v1")
    assert nobody.exit_code == 2 and "--por" in nobody.output
    ok = run("aprovar", f"{WA_ID}@v1", "--por", "Ana")
    assert ok.exit_code == 0 and "aprovado" in ok.output
    assert lib.get(WA_ID).approved_by == "Ana"
    archived = run("arquivar", f"{WA_ID}@v1")
    assert archived.exit_code == 0
    assert lib.latest(WA_ID).status == "arquivado"


def test_aprovar_uses_default_approver(lib: Library, workspace: Path) -> None:
    toml = workspace / "cobranca.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[aprovacao]\naprovador_padrao = "Bia Compliance"\n', "utf-8")
    assert run("aprovar", f"{WA_ID}@v1").exit_code == 0
    assert lib.get(WA_ID).approved_by == "Bia Compliance"


def test_exportar_whatsapp(lib: Library, workspace: Path) -> None:
    not_approved = run("exportar", WA_ID, "--para", "whatsapp")
    assert not_approved.exit_code == 2 and "aprovada" in not_approved.output
    result = CliRunner().invoke(app, ["modelos", "exportar", f"{WA_ID}@v1", "--para", "whatsapp"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["name"] == "nenhuma_amigavel_whatsapp_atraso_curto_v1"
    footer = next(c for c in payload["components"] if c["type"] == "FOOTER")
    assert footer["text"] == "Loja Exemplo de Teste Ltda. · CNPJ 11.222.333/0001-81"
    assert "entrega do Pix: mensagem_de_sessao" in result.stderr
    out = workspace / "saida" / "wa.json"
    written = run(
        "exportar", f"{WA_ID}@v1", "--para", "whatsapp", "--parametros", "POSITIONAL", "--saida", str(out)
    )
    assert written.exit_code == 0
    assert json.loads(out.read_text("utf-8"))["parameter_format"] == "POSITIONAL"


def test_exportar_refuses_with_violated_rule(lib: Library) -> None:
    wrong_channel = run("exportar", f"{WA_ID}@v1", "--para", "sms")
    assert wrong_channel.exit_code == 1 and "não pode ser exportado para sms" in wrong_channel.output
    # The blocked draft starts with a variable: Meta would reject it.
    rejected = run("exportar", "bloqueado@v1", "--para", "whatsapp")
    assert rejected.exit_code == 1
    assert "corpo_comeca_com_variavel" in rejected.output


def test_exportar_sms_email_telefone(lib: Library, workspace: Path) -> None:
    sms = run("exportar", "nenhuma-amigavel-sms-atraso_curto@v1", "--para", "sms")
    assert sms.exit_code == 0, sms.output
    assert json.loads(sms.output)["encoding"] == "GSM-7"
    eml_path = workspace / "previa.eml"
    mail = run(
        "exportar", "nenhuma-amigavel-email-atraso_curto@v1", "--para", "email", "--saida", str(eml_path)
    )
    assert mail.exit_code == 0, mail.output
    parsed = message_from_string(eml_path.read_text("utf-8"), policy=policy.default)
    assert parsed["To"] == "cliente@exemplo.com.br"
    assert "Loja Exemplo de Teste Ltda." in parsed["From"]
    call = run("exportar", "nenhuma-amigavel-telefone-atraso_curto@v1", "--para", "telefone")
    assert call.exit_code == 0 and "## 1. Abertura" in call.output


def test_renderizar_with_sample_and_data_file(lib: Library, workspace: Path) -> None:
    result = run("renderizar", WA_ID)
    assert result.exit_code == 0, result.output
    assert "Olá, Mariana! Aqui é da Loja Exemplo de Teste Ltda." in result.output
    data = {
        "cliente": {"primeiro_nome": "{{ 7*7 }}", "nome": "X"},
        "divida": {"valor": 10, "vencimento": "2026-12-01", "descricao": "plano"},
        "empresa": {"nome": "E", "cnpj": "1", "endereco": "R", "atendimento": "A"},
        "pagamento": {"link": "https://p/x", "pix_copia_e_cola": "000"},
    }
    path = workspace / "devedor.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("renderizar", WA_ID, "--dados", str(path))
    assert result.exit_code == 0, result.output
    assert "Olá, {{ 7*7 }}!" in result.output and "R$ 10,00" in result.output
    flat = workspace / "devedor.yaml"
    flat.write_text("cliente.primeiro_nome: Ana\n", encoding="utf-8")
    missing = run("renderizar", WA_ID, "--dados", str(flat))
    assert missing.exit_code == 2 and "divida.valor" in missing.output
