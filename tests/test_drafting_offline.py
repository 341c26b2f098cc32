"""The offline drafter: every catalog combination drafts, passes the checker and
carries the elements of a good collection message."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest
import yaml

from cobranca_kit.catalog import get_catalog
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, check_script, draft_checked, draft_variants
from cobranca_kit.drafting.offline import PHRASEBANK_PATH, load_phrasebank
from cobranca_kit.errors import DataFileError
from cobranca_kit.fields import template_variables

CAT = get_catalog()
ALL = list(itertools.product(CAT.ids("objecoes"), CAT.ids("tons"), CAT.ids("canais"), CAT.ids("estagios")))
PAYS = ["pix", "boleto", "link"]
#: Categories whose findings mean a best-practice element is missing.
PRACTICE_CATEGORIES = {"identificacao", "boas_praticas", "transparencia"}
#: Stages where "desconsidere se já pagou" belongs (a payment may be in transit).
DISREGARD_STAGES = {"vencimento", "atraso_curto", "atraso_medio", "atraso_longo"}


def _request(objecao: str, tom: str, canal: str, estagio: str, **kw: object) -> DraftRequest:
    return DraftRequest(objecao=objecao, tom=tom, canal=canal, estagio=estagio, pagamentos=PAYS, **kw)


@pytest.fixture(scope="module")
def drafts() -> list[tuple[DraftRequest, object]]:
    drafter = OfflineDrafter()
    out = []
    for combo in ALL:
        request = _request(*combo)
        out.append((request, drafter.draft(request).script))
    return out


def test_matrix_covers_the_whole_catalog() -> None:
    assert len(ALL) == 10 * 4 * 4 * 7


def test_every_combination_passes_the_checker_without_block_or_warning(drafts: list) -> None:
    problems = Counter()
    examples = {}
    for request, script in drafts:
        report = check_script(script, request)
        for finding in report.findings:
            sms_address = finding.rule_id == "CDC42A-CREDOR-ENDERECO" and request.canal == "sms"
            if finding.severity in ("block", "warn") or (
                finding.category in PRACTICE_CATEGORIES and not sms_address
            ):
                key = (finding.rule_id, finding.severity)
                problems[key] += 1
                examples.setdefault(key, (request.label(), finding.part, finding.excerpt, finding.message))
    assert not problems, "\n".join(f"{k} x{n}: {examples[k]}" for k, n in problems.most_common())


def _variables(script: object) -> set[str]:
    used: set[str] = set()
    for _, text in script.parts():
        used |= template_variables(text)
    return used


def test_every_combination_has_the_elements_of_a_good_message(drafts: list) -> None:
    for request, script in drafts:
        used = _variables(script)
        where = request.label()
        assert {"cliente.primeiro_nome", "cliente.nome"} & used, f"sem o nome da pessoa: {where}"
        assert "empresa.nome" in used, where
        assert "empresa.cnpj" in used, f"sem CNPJ do credor (42-A): {where}"
        if request.canal != "sms":  # in an SMS the address is only advised (length)
            assert "empresa.endereco" in used, f"sem endereço do credor (42-A): {where}"
        assert "divida.valor" in used or "divida.valor_atualizado" in used, f"sem valor: {where}"
        assert "empresa.atendimento" in used, f"sem atendimento: {where}"
        text = script.text().lower()
        payment_vars = {"pagamento.link", "pagamento.pix_copia_e_cola", "pagamento.linha_digitavel"}
        if request.estagio == "confirmacao":
            assert not payment_vars & used, f"confirmação não pede pagamento: {where}"
            assert "obrigad" in text or "agradec" in text, where
            continue
        assert "divida.vencimento" in used, f"sem vencimento: {where}"
        if request.canal != "telefone" and request.estagio in DISREGARD_STAGES:
            assert "desconsider" in text, f"sem 'desconsidere se já pagou': {where}"
        assert payment_vars & used, f"sem meio de pagamento: {where}"
        if request.objecao == "nao_reconhece_divida":
            assert "suspens" in text or "suspend" in text, f"contestação sem suspender a cobrança: {where}"
            continue
        if request.estagio in ("atraso_medio", "atraso_longo", "acordo"):
            assert "parcel" in text or "negoci" in text, f"sem oferta de negociação: {where}"
        if request.canal == "whatsapp":
            pix = [m for m in script.mensagens if "pix_copia_e_cola" in m]
            assert pix == ["{{ pagamento.pix_copia_e_cola }}"], f"código Pix não está sozinho: {where}"
            assert "pagamento.pix_expira_em" in used, f"sem validade do Pix: {where}"
        if request.canal == "telefone":
            kinds = [step.etapa for step in script.passos]
            assert kinds.index("confirmacao_titular") < kinds.index("situacao"), where
            assert kinds[0] == "abertura" and kinds[-1] == "encerramento", where


def test_same_seed_same_script_other_seed_other_phrases() -> None:
    drafter = OfflineDrafter()
    request = _request("esqueci", "amigavel", "whatsapp", "atraso_curto", seed=3)
    assert drafter.draft(request).script == drafter.draft(request).script
    scripts = {drafter.draft(request, variant=v).script.text() for v in range(6)}
    assert len(scripts) >= 3, "variants should pick different phrases"


def test_draft_variants_offline_all_pass() -> None:
    request = _request("sem_condicoes", "empatico", "email", "atraso_medio", variantes=3, seed=11)
    results = draft_variants(request, OfflineDrafter())
    assert [r.seed for r in results] == [11, 12, 13]
    assert all(r.passed and r.error is None for r in results)
    assert {r.backend for r in results} == {"offline"}
    assert results[0].model.startswith("banco-de-frases-")


def test_offline_revision_round_picks_other_phrases() -> None:
    from cobranca_kit.drafting.base import Revision

    drafter = OfflineDrafter()
    request = _request("esqueci", "firme", "email", "atraso_longo")
    first = drafter.draft(request).script
    texts = {
        drafter.draft(request, 0, Revision(previous=first, findings=[], round=n)).script.text()
        for n in (2, 3, 4)
    }
    assert texts - {first.text()}


def test_draft_checked_offline_records_one_clean_round() -> None:
    result = draft_checked(_request("ja_paguei", "profissional", "sms", "vencimento"), OfflineDrafter())
    assert result.passed and len(result.rounds) == 1 and result.usage["total_tokens"] == 0


def _broken_bank(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(PHRASEBANK_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "frases.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_phrase_bank_missing_tone_is_named(tmp_path: Path) -> None:
    path = _broken_bank(tmp_path, lambda d: d["encerramento"].pop("firme"))
    with pytest.raises(DataFileError) as err:
        load_phrasebank(path)
    assert "frases.yaml" in str(err.value) and "firme" in str(err.value)


def test_phrase_bank_unknown_placeholder_gets_suggestion(tmp_path: Path) -> None:
    path = _broken_bank(tmp_path, lambda d: d["quitacao"].append("Obrigado, {{ cliente.primero_nome }}!"))
    with pytest.raises(DataFileError, match=r"cliente\.primeiro_nome"):
        load_phrasebank(path)


class ExplodingDrafter(OfflineDrafter):
    def draft(self, request: DraftRequest, variant: int = 0, revision: object = None) -> object:
        raise RuntimeError("bug no backend")


def test_unexpected_backend_error_becomes_an_error_on_the_draft() -> None:
    result = draft_checked(_request("esqueci", "firme", "sms", "vencimento"), ExplodingDrafter())
    assert result.script is None and not result.passed
    assert result.error is not None and "bug no backend" in result.error
    assert result.rounds[0].error == result.error
