"""Library storage: versions, approval, archive, find, diff, broken files, unsafe ids."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobranca_kit.config import load_config
from cobranca_kit.errors import LibraryError, PlaceholderError
from cobranca_kit.library import ApprovalRefused, Library, Template, TemplateMeta, TemplateRef, parse_ref
from cobranca_kit.script import WhatsAppScript, script_from_parts

SCRIPTS = yaml.safe_load((Path(__file__).parent / "data" / "library" / "scripts.yaml").read_text("utf-8"))


def script(key: str, edit: str = ""):
    """The script ``key`` of the test data; ``edit`` is appended to its first part (a new text)."""
    channel = key.split("_")[0]
    parts = list(SCRIPTS[key].items())
    parts[0] = (parts[0][0], parts[0][1] + edit)
    return script_from_parts(channel, parts)


def meta(**kw) -> TemplateMeta:
    base = {"objecao": "nenhuma", "tom": "amigavel", "canal": "whatsapp", "estagio": "atraso_curto"}
    return TemplateMeta(**{**base, **kw})


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    return Library(tmp_path / "biblioteca")


def test_save_writes_readable_yaml_and_round_trips_parts(lib: Library) -> None:
    tricky = WhatsAppScript(
        mensagens=[
            SCRIPTS["whatsapp"]["mensagem_1"] + "\nSegunda linha com espaço no fim  \n\n",
            SCRIPTS["whatsapp"]["mensagem_2"],
            "{{ pagamento.pix_copia_e_cola }}",
        ]
    )
    ref = lib.save(tricky, meta(titulo="Lembrete", autor="ana"))
    assert ref == TemplateRef("nenhuma-amigavel-whatsapp-atraso_curto", 1)
    assert str(ref) == "nenhuma-amigavel-whatsapp-atraso_curto@v1"
    path = lib.path / ref.id / "v1.yaml"
    assert path.stat().st_mode & 0o777 == 0o644  # readable by the team, not only the writer
    raw = yaml.safe_load(path.read_text("utf-8"))
    assert raw["status"] == "rascunho"
    assert raw["meta"]["autor"] == "ana"
    assert list(raw["parts"]) == ["mensagem_1", "mensagem_2", "mensagem_3"]
    loaded = lib.latest(ref.id)
    assert loaded.parts == tricky.parts()
    assert loaded.script == tricky
    assert loaded.ref == "nenhuma-amigavel-whatsapp-atraso_curto@v1"
    assert loaded.report is not None and loaded.report["passed"] is True
    assert "flesch" in str(loaded.report["metrics"])


def test_default_id_includes_specific_profile_only(lib: Library) -> None:
    assert meta(perfil="casual").id == "nenhuma-amigavel-whatsapp-atraso_curto-casual"
    assert meta(perfil="desconhecido").id == "nenhuma-amigavel-whatsapp-atraso_curto"
    assert meta(id="meu_modelo").id == "meu_modelo"


def test_unknown_catalog_id_in_meta_is_refused_with_suggestion() -> None:
    with pytest.raises(ValueError, match="amigavel"):
        meta(tom="amigavl")


def test_saving_again_creates_next_version_and_keeps_old_file_untouched(lib: Library) -> None:
    first = lib.save(script("whatsapp"), meta())
    before = (lib.path / first.id / "v1.yaml").read_bytes()
    changed = WhatsAppScript(mensagens=[*SCRIPTS["whatsapp"].values()][:2])
    second = lib.save(changed, meta())
    assert (first.version, second.version) == (1, 2)
    assert (lib.path / first.id / "v1.yaml").read_bytes() == before
    assert [t.version for t in lib.versions(first.id)] == [1, 2]


def test_channel_mismatch_is_refused(lib: Library) -> None:
    with pytest.raises(LibraryError, match="canal"):
        lib.save(script("sms"), meta(canal="whatsapp"))
    lib.save(script("whatsapp"), meta(id="lembrete"))
    with pytest.raises(LibraryError, match="já é de um modelo de whatsapp"):
        lib.save(script("sms"), meta(id="lembrete", canal="sms"))
    assert [t.version for t in lib.versions("lembrete")] == [1]


def test_get_defaults_to_latest_approved(lib: Library) -> None:
    ref = lib.save(script("whatsapp"), meta())
    with pytest.raises(LibraryError, match="não tem versão aprovada"):
        lib.get(ref.id)
    lib.approve(ref.id, 1, "Ana Revisora")
    lib.save(script("whatsapp", " Até logo."), meta())  # v2, a draft
    assert lib.get(ref.id).version == 1
    assert lib.latest(ref.id).version == 2
    assert lib.get(ref.id, 2).status == "rascunho"
    approved = lib.get(ref.id)
    assert approved.status == "aprovado" and approved.approved_by == "Ana Revisora"
    assert approved.approved_at is not None


def test_get_unknown_template_or_version(lib: Library) -> None:
    with pytest.raises(LibraryError, match="não existe"):
        lib.get("nada_aqui")
    ref = lib.save(script("whatsapp"), meta())
    with pytest.raises(LibraryError, match="v7"):
        lib.get(ref.id, 7)


def test_approval_refused_when_checker_blocks(lib: Library) -> None:
    ref = lib.save(script("whatsapp_bloqueado"), meta())  # drafts may be saved
    stored = lib.latest(ref.id)
    assert stored.report is not None and stored.report["passed"] is False
    with pytest.raises(ApprovalRefused) as info:
        lib.approve(ref.id, 1, "Ana")
    rule_ids = {f["rule_id"] for f in info.value.findings}
    assert "CDC71-AMEACA-PRISAO" in rule_ids
    assert "CDC71-AMEACA-PRISAO" in str(info.value)
    assert info.value.exit_code == 1
    assert lib.latest(ref.id).status == "rascunho"


def test_approve_needs_a_name(lib: Library) -> None:
    ref = lib.save(script("whatsapp"), meta())
    with pytest.raises(LibraryError, match="quem aprova"):
        lib.approve(ref.id, 1, "  ")


def test_archive_hides_version_from_get_and_find(lib: Library) -> None:
    ref = lib.save(script("whatsapp"), meta())
    lib.approve(ref.id, 1, "Ana")
    lib.archive(ref.id, 1)
    assert lib.latest(ref.id).status == "arquivado"
    with pytest.raises(LibraryError):
        lib.get(ref.id)
    assert lib.find("nenhuma", "amigavel", "whatsapp", "atraso_curto") is None
    with pytest.raises(LibraryError, match="arquivado"):
        lib.approve(ref.id, 1, "Ana")


def test_list_filters(lib: Library) -> None:
    lib.save(script("whatsapp"), meta())
    lib.save(script("sms"), meta(canal="sms", tom="profissional"))
    lib.approve("nenhuma-profissional-sms-atraso_curto", 1, "Ana")
    assert len(lib.list()) == 2
    assert [t.meta.canal for t in lib.list(canal="sms")] == ["sms"]
    assert [t.meta.canal for t in lib.list(status="aprovado")] == ["sms"]
    assert lib.list(tom="firme") == []
    with pytest.raises(LibraryError, match="Filtro desconhecido"):
        lib.list(cor="azul")
    with pytest.raises(LibraryError, match="Status desconhecido"):
        lib.list(status="publicado")


def test_find_prefers_exact_profile_then_generic(lib: Library) -> None:
    generic = lib.save(script("whatsapp"), meta())
    casual = lib.save(script("whatsapp"), meta(perfil="casual"))
    lib.save(script("whatsapp"), meta(perfil="intencional"))  # never approved
    lib.approve(generic.id, 1, "Ana")
    lib.approve(casual.id, 1, "Ana")
    args = ("nenhuma", "amigavel", "whatsapp", "atraso_curto")
    found = lib.find(*args, perfil="casual")
    assert found is not None and found.id == casual.id
    found = lib.find(*args, perfil="intencional")
    assert found is not None and found.id == generic.id
    found = lib.find(*args)
    assert found is not None and found.id == generic.id
    assert lib.find("nenhuma", "firme", "whatsapp", "atraso_curto") is None


def test_find_uses_latest_approved_version(lib: Library) -> None:
    ref = lib.save(script("whatsapp"), meta())
    lib.save(script("whatsapp", " Até logo."), meta())
    lib.approve(ref.id, 1, "Ana")
    lib.approve(ref.id, 2, "Ana")
    found = lib.find("nenhuma", "amigavel", "whatsapp", "atraso_curto")
    assert found is not None and found.version == 2


def test_diff_shows_changed_lines(lib: Library) -> None:
    ref = lib.save(script("whatsapp"), meta())
    parts = list(SCRIPTS["whatsapp"].values())
    parts[1] = parts[1].replace("por favor desconsidere", "desconsidere")
    lib.save(WhatsAppScript(mensagens=parts), meta())
    out = lib.diff(ref.id, 1, 2)
    assert out.startswith(f"--- {ref.id}@v1\n+++ {ref.id}@v2\n")
    assert "-A fatura" in out and "+A fatura" in out
    assert "## mensagem_2" in out
    assert lib.diff(ref.id, 1, 1) == ""


def test_corrupt_files_are_reported_and_skipped(lib: Library) -> None:
    good = lib.save(script("whatsapp"), meta())
    folder = lib.path / good.id
    (folder / "v2.yaml").write_text("meta: [quebrado\n  partes: {", encoding="utf-8")
    v3 = yaml.safe_load((folder / "v1.yaml").read_text("utf-8"))
    v3["version"] = 3
    del v3["parts"]
    (folder / "v3.yaml").write_text(yaml.safe_dump(v3, allow_unicode=True), encoding="utf-8")
    v4 = yaml.safe_load((folder / "v1.yaml").read_text("utf-8"))  # claims to be v1
    (folder / "v4.yaml").write_text(yaml.safe_dump(v4, allow_unicode=True), encoding="utf-8")
    (folder / "anotacoes.txt").write_text("lembrete", encoding="utf-8")
    (lib.path / "Pasta Errada").mkdir()

    problems = {p.name: reason for p, reason in lib.problems}
    assert set(problems) == {"v2.yaml", "v3.yaml", "v4.yaml", "anotacoes.txt", "Pasta Errada"}
    assert "linha" in problems["v2.yaml"] and "YAML malformado" in problems["v2.yaml"]
    assert "parts" in problems["v3.yaml"] and "obrigatório" in problems["v3.yaml"]
    assert "difere" in problems["v4.yaml"]
    assert [t.ref for t in lib.list()] == [f"{good.id}@v1"]
    with pytest.raises(LibraryError, match="corrompido"):
        lib.get(good.id, 2)
    # Broken versions keep their numbers: the next save never overwrites them.
    assert lib.save(script("whatsapp", " Até logo."), meta()).version == 5
    assert (folder / "v2.yaml").read_text("utf-8").startswith("meta: [quebrado")


@pytest.mark.parametrize(
    "bad_id",
    ["../fora", "..", "/etc/passwd", "a/b", "a\\b", "Maiusculo", "com espaço", "", "a..b", ".oculto"],
)
def test_unsafe_ids_are_refused(lib: Library, tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(LibraryError, match="Id de modelo inválido"):
        lib.save(script("whatsapp"), meta(id=bad_id))
    with pytest.raises(LibraryError, match="Id de modelo inválido"):
        lib.get(bad_id)
    with pytest.raises(LibraryError, match="Id de modelo inválido"):
        lib.approve(bad_id, 1, "Ana")
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["biblioteca"])
    assert not lib.path.exists() or list(lib.path.iterdir()) == []


def test_parse_ref() -> None:
    assert parse_ref("abc@v3") == ("abc", 3)
    assert parse_ref("abc@3") == ("abc", 3)
    assert parse_ref("abc") == ("abc", None)
    with pytest.raises(LibraryError):
        parse_ref("../x@v1")


def test_unknown_placeholder_refused_on_save_with_suggestion(lib: Library) -> None:
    # Script models validate on construction; model_construct mimics an object built elsewhere.
    bad = WhatsAppScript.model_construct(channel="whatsapp", mensagens=["Olá {{ cliente.nme }}, tudo bem?"])
    with pytest.raises(PlaceholderError) as info:
        lib.save(bad, meta())
    assert "mensagem_1" in str(info.value)
    assert "cliente.nme" in str(info.value) and "Você quis dizer '{{ cliente.nome }}'" in str(info.value)
    assert not lib.path.exists() or not any(lib.path.rglob("*.yaml"))


def test_from_config_uses_configured_folder(workspace: Path) -> None:
    (workspace / "cobranca.toml").write_text(
        (workspace / "cobranca.toml").read_text("utf-8") + '\n[pastas]\nbiblioteca = "modelos_equipe"\n',
        encoding="utf-8",
    )
    lib = Library.from_config(load_config())
    assert lib.path == workspace / "modelos_equipe"
    lib.save(script("whatsapp"), meta())
    assert (workspace / "modelos_equipe" / "nenhuma-amigavel-whatsapp-atraso_curto" / "v1.yaml").is_file()


def test_template_validation_rejects_approved_without_approver() -> None:
    with pytest.raises(ValueError, match="approved_by"):
        Template(
            meta=meta(),
            version=1,
            status="aprovado",
            created_at="2026-11-22T10:00:00Z",
            parts=[("mensagem_1", "Olá")],
        )


def test_saving_an_unchanged_text_is_a_no_op_that_says_so(lib: Library) -> None:
    first = lib.save_version(script("whatsapp"), meta(autor="ana"))
    assert first.created and first.ref.version == 1
    other = lib.save_version(script("whatsapp", " Até logo."), meta())
    assert other.created and other.ref.version == 2
    # The same text again (another author, another note): nothing written, v1 named.
    again = lib.save_version(script("whatsapp"), meta(autor="bia", notas="rodada 2"))
    assert not again.created and again.ref == first.ref
    assert "Nada foi salvo" in again.message() and str(first.ref) in again.message()
    assert lib.save(script("whatsapp", " Até logo."), meta()) == other.ref
    assert [t.version for t in lib.versions(first.ref.id)] == [1, 2]
    # Other payment methods make it another template: a new version.
    assert lib.save_version(script("whatsapp"), meta(pagamentos=["pix"])).created


def test_restore_undoes_archive(lib: Library) -> None:
    approved = lib.save(script("whatsapp"), meta())
    lib.approve(approved.id, 1, "Ana")
    draft = lib.save(script("whatsapp", " Até logo."), meta())
    lib.archive(approved.id, 1)
    lib.archive(draft.id, 2)
    assert lib.find("nenhuma", "amigavel", "whatsapp", "atraso_curto") is None
    back = lib.restore(approved.id, 1)
    assert back.status == "aprovado" and back.approved_by == "Ana"
    assert lib.find("nenhuma", "amigavel", "whatsapp", "atraso_curto").version == 1
    assert lib.restore(draft.id, 2).status == "rascunho"
    assert lib.restore(draft.id, 2).status == "rascunho"  # not archived: unchanged


def test_restore_of_an_approval_that_now_blocks_comes_back_as_draft(lib: Library) -> None:
    ref = lib.save(script("whatsapp_bloqueado"), meta())
    path = lib.path / ref.id / "v1.yaml"
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw.update(status="arquivado", approved_by="Ana", approved_at="2026-01-01T00:00:00Z")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    back = lib.restore(ref.id, 1)
    assert back.status == "rascunho" and back.approved_by is None
