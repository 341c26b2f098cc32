"""Every WhatsApp script the offline drafter produces must export to a Meta template
that passes our own validation of Meta's rejection rules."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from cobranca_kit.catalog import get_catalog
from cobranca_kit.config import load_config
from cobranca_kit.drafting import DraftRequest, OfflineDrafter, draft_checked
from cobranca_kit.library import (
    ExportError,
    Library,
    Template,
    TemplateMeta,
    whatsapp_export,
    whatsapp_problems,
)

VARIANTS = 2
CREATED = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def _meta(request: DraftRequest) -> TemplateMeta:
    return TemplateMeta(
        objecao=request.objecao,
        tom=request.tom,
        canal=request.canal,
        estagio=request.estagio,
        perfil=request.perfil,
        pagamentos=list(request.pagamentos),
    )


def test_every_offline_whatsapp_draft_exports(workspace: Path) -> None:
    """The whole catalog (objection x tone x stage x profile) and a few variants each."""
    config = load_config()  # the workspace's real [empresa]
    cat = get_catalog()
    drafter = OfflineDrafter()
    failures: dict[str, list[str]] = {}
    count = 0
    combos = itertools.product(cat.ids("objecoes"), cat.ids("tons"), cat.ids("estagios"), cat.ids("perfis"))
    for objecao, tom, estagio, perfil in combos:
        request = DraftRequest(objecao=objecao, tom=tom, canal="whatsapp", estagio=estagio, perfil=perfil)
        for variant in range(VARIANTS):
            script = drafter.draft(request, variant, None).script
            # What the library stores for the script (without the slow save-time check).
            template = Template(meta=_meta(request), version=1, created_at=CREATED, parts=script.parts())
            count += 1
            try:
                export = whatsapp_export(template, config)
            except ExportError as exc:
                for rule in exc.rules:
                    failures.setdefault(rule, []).append(f"{template.id} variante {variant}")
                continue
            assert whatsapp_problems(export.template) == []
    assert count == len(cat.ids("objecoes")) * 4 * 7 * 3 * VARIANTS
    summary = {rule: (len(ids), ids[:3]) for rule, ids in failures.items()}
    assert not failures, f"rascunhos offline que o WhatsApp recusaria: {summary}"


def test_checked_offline_drafts_saved_to_library_export(workspace: Path) -> None:
    """The full path: draft_checked -> Library.save -> approve -> export."""
    config = load_config()
    lib = Library.from_config(config)
    drafter = OfflineDrafter()
    cat = get_catalog()
    for objecao, tom in zip(cat.ids("objecoes"), itertools.cycle(cat.ids("tons")), strict=False):
        request = DraftRequest(objecao=objecao, tom=tom, canal="whatsapp", estagio="atraso_curto")
        draft = draft_checked(request, drafter=drafter)
        assert draft.passed and draft.script is not None, draft.error
        ref = lib.save(draft.script, _meta(request))
        template = lib.approve(ref.id, ref.version, "Ana")
        export = whatsapp_export(template, config)
        assert whatsapp_problems(export.template) == []
        assert export.pix_delivery in {"mensagem_de_sessao", "link_de_pagamento"}
