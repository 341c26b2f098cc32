"""Planning one debtor: step, channel, template, rendered text, checks and send slot.

This part is pure with respect to the workspace (it reads the library but
writes nothing), so chunks of the portfolio can be planned in worker
processes. Frequency caps need the contact ledger and are applied afterwards by
:func:`apply_caps` in the process that owns the ledger.

The full compliance check runs once per template version (cached in
:class:`TemplateResolver`); each rendered message only gets the cheap,
data-dependent channel checks (SMS encoding and segments, WhatsApp length,
e-mail subject).

What the text alone cannot carry is judged per debtor, on the context alone and
outside the kept verdicts (``CheckContext.relation``, ``.sent_at``, ``.uf``): a
contact who is not the debtor gets no collection message (CDC42-TERCEIROS-DESTINATARIO),
and a planned send time outside the state's window is never sent
(CDC42-INTRUSAO-HORARIO-ENVIO). Template verdicts are computed without this context,
so a kept verdict can never hide it.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from itertools import starmap
from operator import attrgetter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cobranca_kit.batch.experiments import HOLDOUT_CATEGORY, ActiveExperiment, Arm
from cobranca_kit.batch.fastvalidate import validate_rows
from cobranca_kit.batch.portfolio import DEFAULT_RELATION, Debtor, RawChunk, Rejection
from cobranca_kit.batch.regua import Regua, ResolvedStep, Step
from cobranca_kit.batch.verdicts import VERDICTS_FILE, VerdictStore, template_key
from cobranca_kit.config import Config
from cobranca_kit.errors import CobrancaKitError
from cobranca_kit.formatting import primeiro_nome

BRT = ZoneInfo("America/Sao_Paulo")


@dataclass(slots=True)
class PlannedMessage:
    """A message ready to schedule (before frequency caps)."""

    debtor_id: str
    line: int
    debt: str
    uf: str
    step: str
    stage: str
    channel: str
    destination: str
    template_id: str
    template_version: int
    parts: list[tuple[str, str]]
    scheduled_at: dt.datetime
    encoding: str = ""
    segments: int = 0
    last_contacts: tuple[dt.datetime, ...] = ()
    whatsapp_payload: dict[str, Any] | None = None
    eml: bytes | None = None
    # Why the channels before this one were not used ("whatsapp: ..."), recorded in decisoes.csv.
    fallback: str = ""
    experiment: str = ""  # A/B experiment of the step and the debtor's arm (batch/experiments.py)
    variant: str = ""


@dataclass(slots=True)
class Skipped:
    """A valid debtor that gets no message today, with the reason (pt-BR)."""

    line: int
    debtor_id: str
    step: str
    stage: str
    category: str
    reason: str

    def as_row(self) -> dict[str, Any]:
        return {
            "linha": self.line,
            "devedor_id": self.debtor_id,
            "passo": self.step,
            "estagio": self.stage,
            "categoria": self.category,
            "motivo": self.reason,
        }


@dataclass(slots=True)
class Deferred:
    """A debtor who hit a frequency cap: contacted later, never dropped."""

    line: int
    debtor_id: str
    step: str
    stage: str
    channel: str
    reason: str
    next_allowed: dt.datetime

    def as_row(self) -> dict[str, Any]:
        return {
            "linha": self.line,
            "devedor_id": self.debtor_id,
            "passo": self.step,
            "estagio": self.stage,
            "canal": self.channel,
            "motivo": self.reason,
            "proximo_contato_em": self.next_allowed.isoformat(timespec="minutes"),
        }


@dataclass
class ChunkPlan:
    """What planning one chunk produced; ``read`` = accepted + rejected."""

    read: int = 0
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    messages: list[PlannedMessage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    off_schedule: Counter[str] = field(default_factory=Counter)  # stage -> debtors with no step today
    # The messages' file rows, pre-encoded where the chunk was planned (an
    # ``outputs.EncodedMessages``; None when planned in the writing process).
    encoded: Any = None
    # (line, debtor id, document, stage when no step is due today else "") of each
    # accepted row: the writing process sets aside an id used by two people
    # (``identities.IdentityGuard``).
    identities: list[tuple[int, str, str, str]] = field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain tuples (a worker's plan travels to the writing process):
        several times cheaper than pickling each dataclass instance."""
        return (
            _rebuild_chunk_plan,
            (
                self.read,
                self.accepted,
                _as_tuples(Rejection, self.rejected),
                _as_tuples(PlannedMessage, self.messages),
                _as_tuples(Skipped, self.skipped),
                dict(self.off_schedule),
                self.encoded,
                self.identities,
            ),
        )


def _as_tuples(cls: type, items: list[Any]) -> list[tuple[Any, ...]]:
    if not items:
        return []
    return list(map(attrgetter(*(f.name for f in fields(cls))), items))


def _rebuild_chunk_plan(
    read: int,
    accepted: int,
    rejected: list[tuple[Any, ...]],
    messages: list[tuple[Any, ...]],
    skipped: list[tuple[Any, ...]],
    off_schedule: dict[str, int],
    encoded: Any,
    identities: list[tuple[int, str, str, str]],
) -> ChunkPlan:
    return ChunkPlan(
        read,
        accepted,
        list(starmap(Rejection, rejected)),
        list(starmap(PlannedMessage, messages)),
        list(starmap(Skipped, skipped)),
        Counter(off_schedule),
        encoded,
        identities,
    )


@dataclass(frozen=True)
class PlanSettings:
    """Everything a (possibly separate) process needs to plan chunks."""

    run_time: dt.datetime
    regua: Regua
    config: Config
    library_path: Path
    channels: tuple[str, ...] | None = None
    write_eml: bool = True
    write_payloads: bool = True
    experiments: tuple[ActiveExperiment, ...] = ()


# Rule ids of the context checks the planner applies itself (rules/terceiros.yaml, intrusao.yaml).
RELATION_RULE = "CDC42-TERCEIROS-DESTINATARIO"
SEND_TIME_RULE = "CDC42-INTRUSAO-HORARIO-ENVIO"

# A contact who is not the debtor, as ``ignorados.csv`` records it: (category, pt-BR reason).
# A collection message always speaks of the debt, so neither gets one.
RELATION_SKIPS = {
    "terceiro": (
        "terceiro",
        "o contato desta linha é um terceiro (coluna relacao = terceiro): mensagem de cobrança nunca vai "
        f"a terceiros, pois revelaria a dívida (CDC art. 42; {RELATION_RULE})",
    ),
    "desconhecido": (
        "contato_nao_confirmado",
        "o contato desta linha ainda não foi confirmado como o devedor (coluna relacao = desconhecido): "
        "confirme o contato antes de cobrar, pois a mensagem revelaria a dívida a quem pode ser um "
        f"terceiro ({RELATION_RULE})",
    ),
}
OFF_WINDOW_CATEGORY = "fora_da_janela"


# Free-text fields whose content could change the checker's verdict (a description
# such as "mensalidade; sem pagamento não faz a prova"). A message using one is
# checked in full once per (template version, value); typed fields (amounts,
# dates, links, masked documents) cannot add a violation.
RECHECK_FIELDS = ("divida.descricao",)


@dataclass
class TemplateChoice:
    """A usable template version with its once-per-version verdict."""

    template: Any
    compiled: Any
    blocked: str | None  # pt-BR reason when the save-time/compliance check blocks it
    context: Any = None  # the CheckContext used, reused for data-dependent rechecks
    recheck: tuple[str, ...] = ()  # RECHECK_FIELDS this template prints
    ref: str = field(init=False, default="")  # template.ref, computed once
    recheck_paths: tuple[tuple[str, ...], ...] = field(init=False, default=())  # recheck, split

    def __post_init__(self) -> None:
        self.ref = self.template.ref
        self.recheck_paths = tuple(tuple(name.split(".")) for name in self.recheck)


class TemplateResolver:
    """Finds the approved template for a (objeção, tom, canal, estágio) and caches verdicts."""

    def __init__(self, library: Any, config: Config, verdicts: VerdictStore | None = None) -> None:
        self.library = library
        self.config = config
        self.verdicts = verdicts if verdicts is not None else VerdictStore(None)
        self._by_key: dict[tuple[Any, ...], TemplateChoice | str] = {}
        self._profiled: bool | None = None
        self._data_verdicts: dict[tuple[Any, ...], str] = {}

    def choose(self, resolved: ResolvedStep, channel: str, perfil: str | None) -> TemplateChoice | str:
        if not self._has_profiled_templates():
            perfil = None  # same answer from ``find``, far fewer lookups
        key = (
            resolved.modelo,
            resolved.pinned_version,
            resolved.objecao,
            resolved.tom,
            channel,
            resolved.step.estagio,
            perfil,
        )
        found = self._by_key.get(key)
        if found is None:
            found = self._lookup(resolved, channel, perfil)
            self._by_key[key] = found
        return found

    def _has_profiled_templates(self) -> bool:
        """True when some approved template targets a specific debtor profile."""
        if self._profiled is None:
            self._profiled = any(not t.meta.generic_profile for t in self.library.list(status="aprovado"))
        return self._profiled

    def _lookup(self, resolved: ResolvedStep, channel: str, perfil: str | None) -> TemplateChoice | str:
        estagio = resolved.step.estagio
        if resolved.modelo:
            try:
                template = self.library.get(resolved.modelo, resolved.pinned_version)
            except CobrancaKitError as exc:
                return f"modelo fixado na régua indisponível: {exc} Rascunhos nunca são enviados."
            if template.status != "aprovado":
                return (
                    f"modelo {template.ref} está '{template.status}', não aprovado: "
                    "rascunhos nunca são enviados"
                )
            if template.channel != channel:
                return f"modelo fixado {template.ref} é de {template.channel}, não de {channel}"
        else:
            template = self.library.find(resolved.objecao, resolved.tom, channel, estagio, perfil)
            if template is None:
                return (
                    f"nenhum modelo aprovado para objeção '{resolved.objecao}', tom '{resolved.tom}', "
                    f"canal '{channel}', estágio '{estagio}'"
                )
        return self._verdict(template, resolved)

    def _verdict(self, template: Any, resolved: ResolvedStep) -> TemplateChoice | str:
        from cobranca_kit.compliance import CheckContext, check
        from cobranca_kit.library.render import compile_template

        try:
            compiled = compile_template(template)
        except CobrancaKitError as exc:
            return f"modelo {template.ref} não pode ser montado: {exc}"
        context = CheckContext(
            stage=resolved.step.estagio,
            objection=template.meta.objecao,
            payment_methods=list(template.meta.pagamentos),
            template=True,
        )
        key = _kept_key(template, context, "modelo")
        blocked = self.verdicts.get(key)
        if blocked is None:
            report = check(template.script, template.channel, context)
            blocked = ""
            if report.blocks:
                rules = ", ".join(sorted({f.rule_id for f in report.blocks}))
                blocked = f"modelo {template.ref} reprovado na verificação de conformidade ({rules})"
            self.verdicts.put(key, blocked)
        used = {name for name, _ in compiled.fields}
        recheck = tuple(f for f in RECHECK_FIELDS if f in used)
        return TemplateChoice(template, compiled, blocked or None, context, recheck)

    def data_verdict(
        self, choice: TemplateChoice, parts: list[tuple[str, str]], values: tuple[Any, ...]
    ) -> str:
        """Full check of one rendered message, cached per (template version, free-text values)."""
        from cobranca_kit.compliance import check

        key = (choice.ref, values)
        verdict = self._data_verdicts.get(key)
        if verdict is None:
            kept = _kept_key(choice.template, choice.context, "dados", list(choice.recheck), list(values))
            verdict = self.verdicts.get(kept)
            if verdict is None:
                report = check(
                    rendered_script(choice.template.channel, parts),
                    choice.template.channel,
                    choice.context.model_copy(update={"template": False}),
                )
                verdict = ""
                if report.blocks:
                    rules = ", ".join(sorted({f.rule_id for f in report.blocks}))
                    fields = ", ".join(choice.recheck)
                    verdict = (
                        f"com os dados desta linha ({fields}) a mensagem fere regras bloqueantes ({rules})"
                    )
                self.verdicts.put(kept, verdict)
            self._data_verdicts[key] = verdict
        return verdict


class Planner:
    """Plans chunks of the portfolio for one run (one per process)."""

    def __init__(self, settings: PlanSettings, library: Any | None = None) -> None:
        # Imported here, once per planner, not per row (and not at module import:
        # the library and compliance packages are heavy and import this module's siblings).
        from cobranca_kit.catalog import get_catalog
        from cobranca_kit.compliance import allowed_send_time, next_allowed_slot, sms_info
        from cobranca_kit.library import Library
        from cobranca_kit.library.render import render_compiled

        self._stage_for_days = get_catalog().stage_for_days
        self._next_allowed_slot = next_allowed_slot
        self._allowed_send_time = allowed_send_time
        self._sms_info = sms_info
        self._render_compiled = render_compiled
        self.settings = settings
        self.regua = settings.regua
        self.config = settings.config
        self.run_time = settings.run_time
        self.run_date = settings.run_time.date()
        self.library = library if library is not None else Library(settings.library_path)
        self.resolver = TemplateResolver(self.library, self.config, VerdictStore(_verdicts_path(self.config)))
        self._data_verdicts = self.resolver._data_verdicts  # read directly on the hot path
        self.empresa = self.config.require_empresa().model_dump()
        self._slots: dict[tuple[str, int], dt.datetime] = {}
        # (uf, planned send time) -> pt-BR reason when that time is outside the window, else "".
        self._send_time_problems: dict[tuple[str, dt.datetime], str] = {}
        # Per-run lookups that depend on a handful of distinct values, not on the row.
        self._steps: dict[int, Step | None] = {}
        self._resolved: dict[tuple[str, str | None, str | None], ResolvedStep] = {}
        # (step id, objeção, perfil, channel) -> the resolver's answer for that resolved step.
        self._choices: dict[tuple[Any, ...], TemplateChoice | str] = {}
        # ``_channels`` depends on the resolved step and four facts about the debtor.
        self._usable: dict[tuple[Any, ...], list[str] | str] = {}
        self._protocol_prefix = f"{self.run_date:%Y%m%d}-"
        self._experiments = {e.step_id: e for e in settings.experiments}
        self._variant_choices: dict[tuple[str, str], TemplateChoice | str] = {}

    def warm_up(self) -> None:
        """Load now what every piece needs whatever its rows: the compliance rules and
        their RE2 set (unless verdicts kept from earlier runs will answer most checks),
        each state's first send slot (its holiday calendar), and pandas,
        which pyarrow imports at its first conversion of a list. Called before worker
        processes fork, so they inherit all of it; what depends on the rows (template
        verdicts, formatted values) is still computed where a row first needs it.
        """
        from cobranca_kit.compliance import load_rules
        from cobranca_kit.config import UFS

        if not len(self.resolver.verdicts):  # else most checks are answered by the kept verdicts
            load_rules().prepare()
        import pandas  # noqa: F401

        for uf in UFS:
            if (uf, -1) not in self._slots:
                self._slots[(uf, -1)] = self._next_allowed_slot(self.run_time, uf, self.config)

    # -- chunk level
    def plan_chunk(self, chunk: RawChunk) -> ChunkPlan:
        out = ChunkPlan(read=len(chunk))
        identities = out.identities
        for row in validate_rows(chunk, self.run_date):
            if type(row) is Rejection:
                out.rejected.append(row)
                continue
            out.accepted += 1
            result = self.plan_debtor(row)
            if isinstance(result, PlannedMessage):
                out.messages.append(result)
                identities.append((row.line, row.id, row.documento, ""))
            elif isinstance(result, Skipped):
                out.skipped.append(result)
                identities.append((row.line, row.id, row.documento, ""))
            else:
                out.off_schedule[result] += 1
                identities.append((row.line, row.id, row.documento, result))
        return out

    # -- debtor level
    def plan_debtor(self, debtor: Debtor) -> PlannedMessage | Skipped | str:
        """A message, a reasoned skip, or (a stage id) when no step is due today."""
        days = (self.run_date - debtor.vencimento).days
        try:
            step = self._steps[days]
        except KeyError:
            step = self._steps[days] = self.regua.step_for(days)
        if step is None:
            return self._stage_for_days(days)
        if debtor.relacao != DEFAULT_RELATION:
            category, reason = RELATION_SKIPS[debtor.relacao]
            return self._skip(debtor, step, category, reason)
        key = (step.id, debtor.objecao, debtor.perfil)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolved[key] = self.regua.resolve(step, debtor.objecao, debtor.perfil)
        if resolved.suspended:
            return self._skip(debtor, step, "suspensa", resolved.suspended)
        experiment = self._experiments.get(step.id) if self._experiments else None
        arm = None
        if experiment is not None and experiment.applies(step, resolved):
            arm = experiment.assign(debtor.id)
            if arm.ref is None and experiment.holdout_gets == "nada":
                reason = f"grupo de controle do experimento '{experiment.id}': sem mensagem neste passo"
                return self._skip(debtor, step, HOLDOUT_CATEGORY, reason)
        channel_key = (key, debtor.nao_contatar, not debtor.telefone, debtor.celular, not debtor.email)
        channels = self._usable.get(channel_key)
        if channels is None:
            channels = self._usable[channel_key] = self._channels(debtor, resolved)
        if isinstance(channels, str):
            return self._skip(debtor, step, "sem_canal", channels)
        slot = self.send_slot(debtor)
        late = self._send_time_problems.get((debtor.uf, slot))
        if late is None:
            late = self.send_time_problem(slot, debtor.uf)
        if late:
            return self._skip(debtor, step, OFF_WINDOW_CATEGORY, late)
        reasons: list[str] = []
        data = self.render_data(debtor, days)
        for channel in channels:
            if arm is None:
                attempt = self._try_channel(debtor, resolved, channel, data, key, slot=slot)
            else:
                attempt = self._try_arm(debtor, resolved, channel, data, key, experiment, arm, slot)  # type: ignore[arg-type]
            if isinstance(attempt, PlannedMessage):
                if reasons:
                    attempt.fallback = "; ".join(reasons)
                return attempt
            reasons.append(f"{channel}: {attempt}")
            if self.regua.sem_modelo == "ignorar":
                break
        return self._skip(debtor, step, "sem_mensagem", "; ".join(reasons))

    def _skip(self, debtor: Debtor, step: Step, category: str, reason: str) -> Skipped:
        return Skipped(debtor.line, debtor.id, step.id, step.estagio, category, reason)

    def _channels(self, debtor: Debtor, resolved: ResolvedStep) -> list[str] | str:
        wanted = [c for c in resolved.canais if not self.settings.channels or c in self.settings.channels]
        if not wanted:
            return "nenhum canal do passo está habilitado nesta execução"
        usable, why = [], []
        for channel in wanted:
            if channel in debtor.nao_contatar:
                why.append(f"{channel}: cliente pediu para não ser contatado por este canal")
            elif channel in ("whatsapp", "sms") and not debtor.telefone:
                why.append(f"{channel}: sem telefone")
            elif channel in ("whatsapp", "sms") and not debtor.celular:
                why.append(f"{channel}: telefone fixo")
            elif channel == "email" and not debtor.email:
                why.append("email: sem e-mail")
            else:
                usable.append(channel)
        return usable if usable else "; ".join(why)

    def _try_arm(
        self,
        debtor: Debtor,
        resolved: ResolvedStep,
        channel: str,
        data: dict[str, Any],
        resolved_key: tuple[Any, ...],
        experiment: ActiveExperiment,
        arm: Arm,
        slot: dt.datetime | None = None,
    ) -> PlannedMessage | str:
        """A debtor in an experiment: the arm's template on its channel, the champion on the
        others (and for a holdout that gets the champion); the message names experiment and arm."""
        choice = None
        if arm.ref is not None and experiment.channel_of(arm.ref) == channel:
            choice = self._variant_choices.get((arm.ref, resolved.step.id))
            if choice is None:
                choice = self._variant_choice(arm, resolved)
                self._variant_choices[(arm.ref, resolved.step.id)] = choice
        attempt = self._try_channel(debtor, resolved, channel, data, resolved_key, choice, slot)
        if isinstance(attempt, PlannedMessage):
            attempt.experiment = experiment.id
            attempt.variant = arm.name
        return attempt

    def _variant_choice(self, arm: Arm, resolved: ResolvedStep) -> TemplateChoice | str:
        ident, version = arm.template  # type: ignore[misc]
        try:
            template = self.library.version(ident, version)
        except CobrancaKitError as exc:
            return f"variante {arm.ref} indisponível: {exc}"
        if template.status != "aprovado":  # approved at run start; never send a text that is not
            return f"variante {arm.ref} está '{template.status}', não aprovada: rascunhos nunca são enviados"
        return self.resolver._verdict(template, resolved)

    def _try_channel(
        self,
        debtor: Debtor,
        resolved: ResolvedStep,
        channel: str,
        data: dict[str, Any],
        resolved_key: tuple[Any, ...] | None = None,
        chosen: TemplateChoice | str | None = None,
        slot: dt.datetime | None = None,
    ) -> PlannedMessage | str:
        if chosen is not None:
            choice = chosen
        elif resolved_key is None:
            choice = self.resolver.choose(resolved, channel, debtor.perfil)
        else:
            found = self._choices.get((resolved_key, channel))
            if found is None:
                found = self._choices[(resolved_key, channel)] = self.resolver.choose(
                    resolved, channel, debtor.perfil
                )
            choice = found
        if isinstance(choice, str):
            return choice
        if choice.blocked:
            return choice.blocked
        try:
            parts = self._render_compiled(choice.compiled, data, debtor.line)
        except CobrancaKitError as exc:
            return str(exc)
        if choice.recheck:
            values = tuple(_lookup_path(data, path) for path in choice.recheck_paths)
            verdict = self._data_verdicts.get((choice.ref, values))
            if verdict is None:
                verdict = self.resolver.data_verdict(choice, parts, values)
            if verdict:
                return verdict
        problem, encoding, segments = self.channel_problem(channel, parts)
        if problem:
            return problem
        destination = debtor.email if channel == "email" else debtor.telefone
        assert destination is not None
        template = choice.template
        message = PlannedMessage(
            debtor_id=debtor.id,
            line=debtor.line,
            debt=debtor.debt_key,
            uf=debtor.uf,
            step=resolved.step.id,
            stage=resolved.step.estagio,
            channel=channel,
            destination=destination,
            template_id=template.id,
            template_version=template.version,
            parts=parts,
            scheduled_at=slot if slot is not None else self.send_slot(debtor),
            encoding=encoding,
            segments=segments,
            last_contacts=debtor.ultimos_contatos,
        )
        try:
            if channel == "whatsapp" and self.settings.write_payloads:
                message.whatsapp_payload = _whatsapp_payload(template, data, destination)
            if channel == "email" and self.settings.write_eml:
                message.eml = _email_bytes(template, data, self.config, destination)
        except CobrancaKitError as exc:
            return f"exportação falhou: {exc}"
        return message

    def channel_problem(self, channel: str, parts: Sequence[tuple[str, str]]) -> tuple[str | None, str, int]:
        """Cheap per-message checks that depend on the rendered data."""
        limits = self.regua.limites
        if channel == "sms":
            info = self._sms_info(parts[0][1])
            if info.segments > limits.sms_max_segmentos:
                return (
                    f"SMS com {info.segments} segmentos ({info.encoding}), acima do máximo de "
                    f"{limits.sms_max_segmentos}",
                    info.encoding,
                    info.segments,
                )
            return None, info.encoding, info.segments
        if channel == "whatsapp":
            for name, text in parts:
                if len(text) > limits.whatsapp_max_caracteres:
                    return (
                        f"WhatsApp {name} com {len(text)} caracteres, acima do máximo de "
                        f"{limits.whatsapp_max_caracteres}",
                        "",
                        len(parts),
                    )
            return None, "", len(parts)
        if channel == "email":
            subject = dict(parts).get("assunto", "")
            if not subject.strip() or "\n" in subject.strip():
                return "assunto do e-mail vazio ou com quebra de linha", "", 0
            if len(subject) > limits.email_assunto_max_caracteres:
                return (
                    f"assunto do e-mail com {len(subject)} caracteres, acima do máximo de "
                    f"{limits.email_assunto_max_caracteres}",
                    "",
                    0,
                )
            return None, "", 0
        return None, "", 0

    def send_slot(self, debtor: Debtor) -> dt.datetime:
        """Next allowed slot in the debtor's state, spread over ``espalhar_minutos``."""
        spread = self.regua.espalhar_minutos
        offset = zlib.crc32(debtor.id.encode("utf-8")) % spread if spread else 0
        key = (debtor.uf, offset)
        slot = self._slots.get(key)
        if slot is None:
            first = self._slots.get((debtor.uf, -1))
            if first is None:
                first = self._next_allowed_slot(self.run_time, debtor.uf, self.config)
                self._slots[(debtor.uf, -1)] = first
            slot = self._next_allowed_slot(first + dt.timedelta(minutes=offset), debtor.uf, self.config)
            self._slots[key] = slot
        return slot

    def send_time_problem(self, when: dt.datetime, uf: str) -> str:
        """The check of CDC42-INTRUSAO-HORARIO-ENVIO on the context alone
        (``CheckContext(sent_at=when, uf=uf)``), judged with this run's ``[envio]``:
        "" when ``when`` is inside the state's window, else the pt-BR reason.
        Memoised per (uf, time): a run plans a handful of distinct send times."""
        from cobranca_kit.compliance import CheckContext
        from cobranca_kit.compliance.schedule import next_allowed_slot

        context = CheckContext(sent_at=when, uf=uf)
        assert context.sent_at is not None and context.uf is not None
        problem = ""
        if not self._allowed_send_time(context.sent_at, context.uf, self.config):
            try:
                nxt = next_allowed_slot(context.sent_at, context.uf, self.config)
                after = f"; próxima janela: {nxt:%d/%m/%Y %H:%M}"
            except CobrancaKitError:
                after = ""
            problem = (
                f"envio planejado para {when:%d/%m/%Y %H:%M} ({uf}) fica fora da janela de envio "
                f"(noite, domingo ou feriado){after}; a mensagem não sai: revise [envio] no cobranca.toml "
                f"({SEND_TIME_RULE})"
            )
        self._send_time_problems[(uf, when)] = problem
        return problem

    def render_data(self, debtor: Debtor, days: int) -> dict[str, Any]:
        """The nested placeholder data (``fields.yaml``) for one debtor; absent values are None."""
        return {
            "cliente": {
                "nome": debtor.nome,
                "primeiro_nome": primeiro_nome(debtor.nome),
                "documento_mascarado": debtor.documento_mascarado,
            },
            "divida": {
                "valor": debtor.valor,
                "valor_atualizado": debtor.valor_atualizado,
                "vencimento": debtor.vencimento,
                "dias_atraso": max(days, 0),
                "descricao": debtor.descricao,
                "numero_documento": debtor.numero_documento,
            },
            "pagamento": {
                "link": debtor.link_pagamento,
                "pix_copia_e_cola": debtor.pix_copia_e_cola,
                "pix_expira_em": debtor.pix_expira_em,
                "linha_digitavel": debtor.linha_digitavel,
            },
            "empresa": self.empresa,
            "acordo": {"parcelas": None, "valor_parcela": None, "validade": None},
            "atendente": {"nome": None},
            "protocolo": f"{self._protocol_prefix}{debtor.line:07d}",
        }


def rendered_script(channel: str, parts: Sequence[tuple[str, str]]) -> Any:
    """A rendered message as a script, built without validation.

    ``script_from_parts`` validates each text as a template source: a rendered
    message whose debtor data contains ``{{``, ``{%`` or ``{#`` (a description, a
    name, a Pix code) would be parsed again as Jinja and fail. Rendered text is
    data, so it is wrapped as it is and checked literally.
    """
    from cobranca_kit.script import CallScript, CallStep, EmailScript, SmsScript, WhatsAppScript

    if channel == "whatsapp":
        return WhatsAppScript.model_construct(mensagens=[text for _, text in parts])
    if channel == "sms":
        return SmsScript.model_construct(texto=dict(parts)["texto"])
    if channel == "email":
        d = dict(parts)
        return EmailScript.model_construct(assunto=d["assunto"], corpo=d["corpo"], assinatura=d["assinatura"])
    steps = [CallStep.model_construct(etapa=name.split("_", 2)[-1], fala=text) for name, text in parts]
    return CallScript.model_construct(passos=steps)


def _kept_key(template: Any, context: Any, kind: str, *extra: Any) -> str:
    """The key of a kept verdict: the template version's content and the check context.

    The planner judges recipient and send time itself, on each debtor's context, so
    template verdicts are checked without them; were one ever set, it joins the key
    (a kept verdict must never answer for another recipient or time)."""
    situational = [
        (name, value)
        for name in ("relation", "sent_at", "uf", "creditor_name")
        if (value := getattr(context, name)) is not None
    ]
    return template_key(
        template, kind, context.stage, context.objection, context.payment_methods, *extra, *situational
    )


def _verdicts_path(config: Config) -> Path | None:
    """``<cache>/veredictos.json``, or None when the config has no cache folder."""
    try:
        return config.path("cache") / VERDICTS_FILE
    except CobrancaKitError:
        return None


def _lookup_path(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _whatsapp_payload(template: Any, data: dict[str, Any], to: str) -> dict[str, Any]:
    from cobranca_kit.library import whatsapp_send_payload

    return whatsapp_send_payload(template, data, to)


def _email_bytes(template: Any, data: dict[str, Any], config: Config, to: str) -> bytes:
    from cobranca_kit.library import email_message

    message: EmailMessage = email_message(template, data, config, to)
    return bytes(message)


def apply_caps(
    message: PlannedMessage,
    history: Sequence[dt.datetime],
    config: Config,
) -> Deferred | None:
    """Check the frequency caps for ``message`` against earlier contacts (ledger + portfolio)."""
    from cobranca_kit.compliance import contact_allowed, next_allowed_slot

    past = [*history, *(_aware(t) for t in message.last_contacts)]
    if not past:
        return None
    decision = contact_allowed(past, message.scheduled_at, config)
    if decision.allowed:
        return None
    when = decision.next_allowed or (message.scheduled_at + dt.timedelta(days=1))
    when = next_allowed_slot(when, message.uf, config)
    return Deferred(
        message.line,
        message.debtor_id,
        message.step,
        message.stage,
        message.channel,
        decision.reason or "limite de contatos atingido",
        when,
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=BRT)
