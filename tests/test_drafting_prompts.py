"""Prompts: built only from request, catalog, rules and placeholder schema; versioned."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import pytest

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance import rules_summary
from cobranca_kit.config import Config, Pastas
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, load_prompts, prompts_dir
from cobranca_kit.drafting.base import Revision
from cobranca_kit.errors import DataFileError
from cobranca_kit.fields import get_fields, sample_debtor
from cobranca_kit.formatting import data, data_extenso, moeda


def _sample_values() -> set[str]:
    """Every value of the sample debtor, in the forms it could take in a text.

    Integers below 100 (days late, instalments) are left out: digits like "3"
    or "12" appear in any text (article numbers) and identify nobody.
    """
    values: set[str] = set()
    for group in sample_debtor().values():
        for value in group.values() if isinstance(group, dict) else [group]:
            if isinstance(value, dt.date):
                values |= {value.isoformat(), data(value), data_extenso(value)}
            elif isinstance(value, float):
                values |= {moeda(value), str(value), f"{value:.2f}".replace(".", ",")}
            elif isinstance(value, int):
                if value >= 100:
                    values.add(str(value))
            else:
                values.add(str(value))
    return values


def _requests() -> list[DraftRequest]:
    cat = get_catalog()
    out = []
    combos = itertools.product(cat.ids("objecoes"), cat.ids("tons"), cat.ids("canais"))
    for i, (objecao, tom, canal) in enumerate(combos):
        estagio = cat.ids("estagios")[i % 7]
        out.append(
            DraftRequest(
                objecao=objecao,
                tom=tom,
                canal=canal,
                estagio=estagio,
                perfil=cat.ids("perfis")[i % 3],
                pagamentos=cat.ids("pagamentos")[: 1 + i % 4],
                variantes=2,
                instrucoes="Mencione o aplicativo da empresa." if i % 5 == 0 else "",
            )
        )
    return out


def test_sample_values_are_meaningful() -> None:
    values = _sample_values()
    assert "Mariana" in values and "R$ 389,90" in values and "10/11/2026" in values


def test_no_sample_debtor_value_reaches_any_prompt() -> None:
    prompts = load_prompts(Config())
    values = _sample_values()
    drafter = OfflineDrafter()
    for request in _requests():
        previous = drafter.compose(request, 0).model_dump(mode="json")
        findings = [{"rule_id": "X", "severity": "block", "message": "Teste", "excerpt": "vai ser pior"}]
        messages = prompts.messages(request, variant=1, previous=previous, findings=findings)
        text = "\n".join(m["content"] for m in messages)
        leaked = sorted(v for v in values if v in text)
        assert not leaked, f"{request.label()}: {leaked}"


def test_system_prompt_has_rules_tone_channel_and_placeholders() -> None:
    prompts = load_prompts(Config())
    request = DraftRequest(objecao="sem_condicoes", tom="empatico", canal="whatsapp", estagio="atraso_medio")
    system = prompts.system(request)
    assert rules_summary("whatsapp") in system
    assert get_catalog().get("tons", "empatico").orientacao in system
    assert "SOZINHA" in system  # WhatsApp constraint on the Pix code
    for name in get_fields().names():
        assert "{{ " + name + " }}" in system
    draft = prompts.draft(request)
    assert get_catalog().get("objecoes", "sem_condicoes").orientacao in draft
    assert '"mensagens"' in draft


def test_call_prompt_lists_step_kinds() -> None:
    prompts = load_prompts(Config())
    request = DraftRequest(objecao="nenhuma", tom="firme", canal="telefone", estagio="atraso_curto")
    assert "confirmacao_titular" in prompts.system(request)


def test_prompt_version_follows_the_template_sources(tmp_path: Path) -> None:
    folder = tmp_path / "meus_prompts"
    shutil.copytree(prompts_dir(Config()), folder)
    config = Config(pastas=Pastas(prompts=folder), base_dir=tmp_path)
    original = load_prompts(config).version
    assert original == load_prompts(Config()).version
    with (folder / "rascunho.j2").open("a", encoding="utf-8") as fh:
        fh.write("\nSeja breve.\n")
    edited = load_prompts(config)
    assert edited.version != original
    request = DraftRequest(objecao="esqueci", tom="amigavel", canal="sms", estagio="vencimento")
    assert "Seja breve." in edited.draft(request)


def test_broken_prompt_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(prompts_dir(Config()), folder)
    (folder / "revisao.j2").write_text("{% for a in achados %}sem fim", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"revisao\.j2"):
        load_prompts(Config(pastas=Pastas(prompts=folder), base_dir=tmp_path))


def test_missing_prompt_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="não existe"):
        load_prompts(Config(pastas=Pastas(prompts=tmp_path / "nada"), base_dir=tmp_path))


def test_revision_prompt_lists_findings() -> None:
    prompts = load_prompts(Config())
    request = DraftRequest(objecao="esqueci", tom="firme", canal="sms", estagio="atraso_curto")
    previous = OfflineDrafter().compose(request, 0)
    revision = Revision(previous=previous, findings=[], round=2)
    text = prompts.revision(
        request,
        revision.previous.model_dump(mode="json"),
        [
            {
                "severity": "block",
                "part": "texto",
                "excerpt": "será preso",
                "message": "Ameaça de prisão",
                "article": "CDC art. 71",
                "suggestion": "Retire a ameaça.",
            }
        ],
    )
    assert "será preso" in text and "Ameaça de prisão" in text and "CDC art. 71" in text
    assert previous.texto in text
