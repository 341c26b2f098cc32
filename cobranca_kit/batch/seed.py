"""First-use templates for the example workspace: draft offline, save, approve.

``make run`` must show a complete run to a new user, who has no templates yet.
For every (objeção, tom, canal, estágio) the régua can ask for, the offline
drafter (a phrase bank, no LLM, nothing personal involved) writes a script that
passes the checker; it is saved as a draft and approved on behalf of the
example approver. A combination whose draft does not pass is reported, not
approved: the batch will skip it with a reason, as it would in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cobranca_kit.batch.regua import Regua
from cobranca_kit.catalog import get_catalog

DEFAULT_APPROVER = "exemplo (aprovação automática da demonstração)"


@dataclass(frozen=True, slots=True)
class Combo:
    objecao: str
    tom: str
    canal: str
    estagio: str


@dataclass
class SeedReport:
    approved: list[str] = field(default_factory=list)  # template refs
    existing: list[Combo] = field(default_factory=list)
    failed: list[tuple[Combo, str]] = field(default_factory=list)


def regua_combos(regua: Regua) -> list[Combo]:
    """Every combination the régua can look up in the library (pinned templates aside)."""
    combos: dict[Combo, None] = {}
    for step in regua.passos:
        if step.modelo:
            continue
        variants = [(step.objecao, step.tom, step.canais)]
        for ov in regua.sobreposicoes:
            if ov.acao != "enviar" or (ov.passos is not None and step.id not in ov.passos):
                continue
            objection = ov.quando.objecao or step.objecao
            variants.append((objection, ov.tom or step.tom, ov.canais or step.canais))
        for objection, tone, channels in variants:
            for channel in channels:
                combos[Combo(objection, tone, channel, step.estagio)] = None
    return list(combos)


def seed_library(library_path: str | Path, regua: Regua, approver: str = DEFAULT_APPROVER) -> SeedReport:
    """Draft, save and approve a template for each missing combination of the régua."""
    from cobranca_kit.drafting import DraftRequest, OfflineDrafter, draft_checked
    from cobranca_kit.library import Library, TemplateMeta

    library = Library(library_path)
    drafter = OfflineDrafter()
    catalog = get_catalog()
    report = SeedReport()
    for combo in regua_combos(regua):
        if library.find(combo.objecao, combo.tom, combo.canal, combo.estagio) is not None:
            report.existing.append(combo)
            continue
        request = DraftRequest(objecao=combo.objecao, tom=combo.tom, canal=combo.canal, estagio=combo.estagio)
        draft = draft_checked(request, drafter)
        if not draft.passed or draft.script is None:
            report.failed.append((combo, draft.error or "o rascunho não passou na verificação"))
            continue
        meta = TemplateMeta(
            objecao=combo.objecao,
            tom=combo.tom,
            canal=combo.canal,
            estagio=combo.estagio,
            titulo="Exemplo: "
            + " · ".join(
                catalog.label(kind, ident)
                for kind, ident in (("estagios", combo.estagio), ("canais", combo.canal), ("tons", combo.tom))
            ),
            autor="cobranca-kit (redator offline)",
            notas="Criado automaticamente para a pasta de exemplo; revise antes de usar de verdade.",
            origem={
                "backend": draft.backend,
                "modelo": draft.model,
                "prompt_version": draft.prompt_version,
                "seed": draft.seed,
            },
        )
        _save_approved(library, draft.script, meta, approver, combo, report)
    return report


def _save_approved(
    library: Any, script: Any, meta: Any, approver: str, combo: Combo, report: SeedReport
) -> bool:
    """Save and approve one example text; a refusal is reported, never approved."""
    try:
        ref = library.save(script, meta)
        library.approve(ref.id, ref.version, approver)
    except Exception as exc:  # report, never approve a text the library refused
        report.failed.append((combo, str(exc)))
        return False
    report.approved.append(str(ref))
    return True


def seed_experiment_variants(
    library_path: str | Path, regua: Regua, approver: str = DEFAULT_APPROVER
) -> SeedReport:
    """For the example workspace: draft, save and approve the missing versions that the
    régua's experiments name (``ID@vN``), as further offline-drafter variants of the
    template ``ID`` (which must exist). A variant that cannot be made is reported; the
    batch then runs the step without the experiment, saying why."""
    from cobranca_kit.drafting import DraftRequest, OfflineDrafter, draft_checked
    from cobranca_kit.library import Library

    library = Library(library_path)
    drafter = OfflineDrafter()
    report = SeedReport()
    for step in regua.passos:
        if step.experimento is None:
            continue
        for variant in step.experimento.variantes:
            ident, _, number = variant.modelo.rpartition("@v")
            versions = library.versions(ident)
            if not versions:
                continue  # nothing to copy the situation from; the run says the variant is missing
            meta = versions[-1].meta
            while len(library.versions(ident)) < int(number):
                made = len(library.versions(ident))
                request = DraftRequest(
                    objecao=meta.objecao, tom=meta.tom, canal=meta.canal, estagio=meta.estagio
                )
                draft = draft_checked(request, drafter, variant=made)
                combo = Combo(meta.objecao, meta.tom, meta.canal, meta.estagio)
                if not draft.passed or draft.script is None:
                    report.failed.append((combo, draft.error or "o rascunho não passou na verificação"))
                    break
                variant_meta = meta.model_copy(update={"notas": f"Variante {made + 1} do exemplo."})
                if not _save_approved(library, draft.script, variant_meta, approver, combo, report):
                    break
    return report
