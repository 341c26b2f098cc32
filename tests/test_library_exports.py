"""E-mail (.eml), SMS and call-script exports."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path

import pytest
import yaml

from cobranca_kit.compliance import sms_info
from cobranca_kit.config import Config, Empresa, load_config
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import ExportError, Template, TemplateMeta, call_markdown, email_message, sms_export

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "library" / "scripts.yaml").read_text("utf-8"))


def template(channel: str, parts: list[tuple[str, str]] | None = None) -> Template:
    return Template(
        meta=TemplateMeta(
            objecao="nenhuma", tom="amigavel", canal=channel, estagio="atraso_curto", titulo="Lembrete gentil"
        ),
        version=3,
        created_at=dt.datetime(2026, 11, 22),
        parts=parts if parts is not None else list(SCRIPTS[channel].items()),
    )


def test_email_message_is_a_real_eml_with_alternatives(workspace: Path) -> None:
    config = load_config()
    data = sample_debtor()
    data["cliente"]["primeiro_nome"] = "Ana <Souza>"
    msg = email_message(template("email"), data, config, "ana@example.com")
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == "Lembrete: fatura vencida em 10/11/2026"
    name, addr = parseaddr(parsed["From"])
    assert name == "Loja Exemplo de Teste Ltda."
    assert addr == "atendimento@lojaexemplo.com.br"  # found in [empresa] atendimento
    assert parsed["To"] == "ana@example.com"
    assert parsed["Message-ID"] and parsed["Date"]
    assert parsed["X-Cobranca-Kit-Modelo"] == "nenhuma-amigavel-email-atraso_curto@v3"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Olá, Ana <Souza>." in text
    assert "Ana &lt;Souza&gt;" in html and "<Souza>" not in html
    # CDC art. 42-A: the configured creditor (not the sample one) closes both versions.
    for body in (text, html):
        assert "Loja Exemplo de Teste Ltda. · CNPJ 11.222.333/0001-81" in body
        assert "Avenida Central, 1000, Centro, Curitiba/PR" in body
        assert "Conecta Fibra" not in body
    assert "X-Cobranca-Kit-Previa" not in parsed


def test_email_without_empresa_is_marked_as_preview() -> None:
    msg = email_message(template("email"), None, None, "ana@example.com", sender="cobranca@exemplo.com.br")
    assert msg["X-Cobranca-Kit-Previa"] == "sim"
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("[PRÉVIA")
    assert "Conecta Fibra Telecom Ltda. · CNPJ 11.222.333/0001-81" in text


def test_email_errors() -> None:
    config = Config()  # no [empresa]: sample creditor has an e-mail in atendimento
    with pytest.raises(ExportError, match="destinatário"):
        email_message(template("email"), None, config, "não é e-mail")
    with pytest.raises(ExportError) as info:
        email_message(template("sms"), None, config, "ana@example.com")
    assert info.value.rules == ["canal_errado"]


def test_email_needs_a_sender(workspace: Path) -> None:
    toml = (workspace / "cobranca.toml").read_text("utf-8")
    (workspace / "cobranca.toml").write_text(
        toml.replace("(41) 3000-0000 ou atendimento@lojaexemplo.com.br", "(41) 3000-0000"), encoding="utf-8"
    )
    with pytest.raises(ExportError, match="remetente"):
        email_message(template("email"), None, load_config(), "ana@example.com")


def test_sms_export_reports_encoding_and_segments() -> None:
    out = sms_export(template("sms"))
    assert out["preview"] is True and out["template"] == "nenhuma-amigavel-sms-atraso_curto@v3"
    assert out["text"].startswith("Conecta Fibra Telecom Ltda. CNPJ 11.222.333/0001-81: fatura de R$ 389,90")
    assert out["encoding"] == "GSM-7"
    assert out["characters"] == len(out["text"])
    assert out["segments"] == (1 if len(out["text"]) <= 160 else 2)
    accented = template("sms", [("texto", "Olá {{ cliente.primeiro_nome }}, sua fatura venceu. Pague já.")])
    data = sample_debtor()
    out = sms_export(accented, data)
    assert out["preview"] is False
    assert out["encoding"] == "UCS-2" and "á" in out["non_gsm"]
    assert out["segments"] == sms_info(out["text"]).segments == 1
    with pytest.raises(ExportError):
        sms_export(template("email"))


def test_call_markdown_with_and_without_data() -> None:
    t = template("telefone")
    md = call_markdown(t)
    assert md.startswith("# Lembrete gentil\n")
    assert "## 1. Abertura" in md and "## 2. Confirmação do titular" in md and "## 5. Encerramento" in md
    assert "**[atendente.nome]**" in md and "**[divida.valor | moeda]**" in md
    data = sample_debtor()
    filled = call_markdown(t, data)
    assert "Bom dia, aqui é Rafael, da Conecta Fibra Telecom Ltda." in filled
    assert "{{" not in filled and "**[" not in filled
    assert md.index("Abertura") < md.index("Situação") < md.index("Opções")
    with pytest.raises(ExportError):
        call_markdown(template("sms"))


def test_email_from_keeps_accented_creditor_name() -> None:
    empresa = Empresa(
        nome='Conecta Fibra São Paulo, "Ltda."',
        cnpj="11.222.333/0001-81",
        endereco="Rua das Acácias, 250",
        atendimento="cobranca@conecta.com.br",
    )
    msg = email_message(template("email"), None, Config(empresa=empresa), "ana@example.com")
    parsed = message_from_bytes(bytes(msg), policy=policy.default)
    address = parsed["From"].addresses[0]
    assert (address.display_name, address.addr_spec) == (
        'Conecta Fibra São Paulo, "Ltda."',
        "cobranca@conecta.com.br",
    )
