"""The offline drafter: composes scripts from the phrase bank (``frases.yaml``)
without any model, for every objection x tone x channel x stage.

It is deterministic: the same request, variant and seed always give the same
script; another seed picks other phrases. The bank is validated on load (every
tone, stage, objection and payment method covered, every placeholder in the
schema), so a team lead's edit fails loudly with file and field.
"""

from __future__ import annotations

import hashlib
from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance.channels import WHATSAPP_TEMPLATE_BODY_MAX, sms_info
from cobranca_kit.compliance.checks import whatsapp_template_body_size
from cobranca_kit.compliance.metrics import sample_render
from cobranca_kit.datafiles import load_model
from cobranca_kit.drafting.base import DraftResult, Revision
from cobranca_kit.drafting.instructions import Instructions, parse_instructions
from cobranca_kit.drafting.request import DraftRequest
from cobranca_kit.fields import check_placeholders
from cobranca_kit.script import CallScript, CallStep, EmailScript, Script, SmsScript, WhatsAppScript

PHRASEBANK_PATH = Path(__file__).parent / "frases.yaml"

Phrases = list[str]
NON_EMPTY = Field(min_length=1)

_BEFORE_DUE = ("pre_vencimento", "vencimento")
_NEGOTIATE = ("atraso_medio", "atraso_longo")
_REVISION_STEP = 7919  # seed offset per revision round, so a revision picks other phrases
_RETRY_STEP = 104729  # seed offset when a variant came out equal to an earlier one
_RETRIES = 60
_NEAR_SHORTEST = 6  # characters: wordings this close to the shortest count as shortest
#: Where a deadline from the instructions goes (the quality screen refuses literal dates).
UNTIL_PLACEHOLDER = "{{ acordo.validade | data }}"


def _all_texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _all_texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _all_texts(v)]
    if isinstance(value, BaseModel):
        return _all_texts(value.model_dump())
    return []


def _require_keys(kind: str, mapping: dict[str, object], what: str) -> None:
    valid = get_catalog().ids(kind)
    missing = [i for i in valid if i not in mapping]
    unknown = [i for i in mapping if i not in valid]
    if missing:
        raise ValueError(f"{what}: faltam {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{what}: ids desconhecidos {', '.join(unknown)} (válidos: {', '.join(valid)})")


class _Bank(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ObjectionPhrases(_Bank):
    antes: Phrases
    depois: Phrases
    confirmacao: Phrases = Field(default_factory=list)


class SmsPhrases(_Bank):
    saudacao: dict[str, Phrases]
    situacao: dict[str, Phrases]
    pagamento: dict[str, Phrases]
    contestacao_situacao: Phrases = NON_EMPTY
    contestacao: dict[str, str]
    atendimento: dict[str, Phrases]
    desconsidere: Phrases = NON_EMPTY
    objecoes: dict[str, ObjectionPhrases]


class WrittenAndSms(_Bank):
    escrito: Phrases = NON_EMPTY
    sms: Phrases = NON_EMPTY


class InstructionPhrases(_Bank):
    """Phrases for the instructions the offline drafter honours (see drafting/instructions.py)."""

    desconto: WrittenAndSms
    desconto_ate: WrittenAndSms
    prazo: WrittenAndSms
    referencia: WrittenAndSms


class CallPhrases(_Bank):
    abertura: dict[str, Phrases]
    identificacao: Phrases = NON_EMPTY
    confirmacao_titular: Phrases = NON_EMPTY
    opcoes_pagamento: dict[str, str]
    opcoes_abertura: Phrases = NON_EMPTY
    opcoes_confirmacao: Phrases = NON_EMPTY
    opcoes_contestacao: Phrases = NON_EMPTY
    opcoes_negociacao: Phrases = NON_EMPTY
    objecoes: dict[str, Phrases]
    objecao_generica: Phrases = NON_EMPTY
    encerramento: dict[str, Phrases]


class PhraseBank(_Bank):
    """The whole phrase bank (``frases.yaml``)."""

    saudacao: dict[str, Phrases]
    apresentacao: dict[str, Phrases]
    situacao: dict[str, dict[str, Phrases]]
    quitacao: Phrases = NON_EMPTY
    objecoes: dict[str, ObjectionPhrases]
    pagamento: dict[str, Phrases]
    pagamento_contestacao: dict[str, str]
    pagamento_pix_email: Phrases = NON_EMPTY
    negociacao: dict[str, Phrases]
    acordo: dict[str, Phrases]
    consequencia: Phrases = NON_EMPTY
    desconsidere: Phrases = NON_EMPTY
    atendimento: dict[str, Phrases]
    encerramento: dict[str, Phrases]
    identificacao: Phrases = NON_EMPTY
    email_assunto: dict[str, Phrases]
    email_assinatura: Phrases = NON_EMPTY
    sms: SmsPhrases
    ligacao: CallPhrases
    instrucoes: InstructionPhrases

    @field_validator("saudacao", "apresentacao", "negociacao", "acordo", "atendimento", "encerramento")
    @classmethod
    def _by_tone(cls, value: dict[str, Phrases]) -> dict[str, Phrases]:
        _require_keys("tons", value, "por tom")
        return value

    @model_validator(mode="after")
    def _coverage(self) -> PhraseBank:
        for stage, by_tone in self.situacao.items():
            _require_keys("tons", by_tone, f"situacao.{stage}")
        _require_keys("estagios", self.situacao, "situacao")
        _require_keys("estagios", self.email_assunto, "email_assunto")
        _require_keys("estagios", self.sms.situacao, "sms.situacao")
        _require_keys("objecoes", self.objecoes, "objecoes")
        _require_keys("pagamentos", self.pagamento, "pagamento")
        _require_keys("pagamentos", self.sms.pagamento, "sms.pagamento")
        _require_keys("tons", self.sms.saudacao, "sms.saudacao")
        _require_keys("tons", self.sms.atendimento, "sms.atendimento")
        _require_keys("objecoes", self.sms.objecoes, "sms.objecoes")
        _require_keys("pagamentos", self.pagamento_contestacao, "pagamento_contestacao")
        _require_keys("pagamentos", self.sms.contestacao, "sms.contestacao")
        _require_keys("pagamentos", self.ligacao.opcoes_pagamento, "ligacao.opcoes_pagamento")
        _require_keys("tons", self.ligacao.abertura, "ligacao.abertura")
        _require_keys("objecoes", self.ligacao.objecoes, "ligacao.objecoes")
        _require_keys("tons", self.ligacao.encerramento, "ligacao.encerramento")
        for tone, options in {**self.saudacao, **self.encerramento}.items():
            if not options:
                raise ValueError(f"tom {tone}: lista de frases vazia")
        for where, by_tone in (
            ("sms.saudacao", self.sms.saudacao),
            ("sms.atendimento", self.sms.atendimento),
        ):
            for tone, options in by_tone.items():
                if not options:
                    raise ValueError(f"{where}.{tone}: lista de frases vazia")
        for objection, phrases in {**self.objecoes, **self.sms.objecoes}.items():
            if objection != "nenhuma" and not (phrases.antes and phrases.depois):
                raise ValueError(f"objeção {objection}: faltam frases em 'antes' ou 'depois'")
        for text in _all_texts(self):
            try:
                check_placeholders(text)
            except Exception as exc:  # PlaceholderError: name the phrase
                raise ValueError(f"frase '{text[:60]}...': {exc}") from exc
        return self


@lru_cache(maxsize=1)
def sms_max_segments() -> int:
    """The checker's SMS limit (the ``sms_segments`` rule of ``rules/canal.yaml``; 2 without it)."""
    from cobranca_kit.compliance import load_rules

    for rule in load_rules().rules:
        if getattr(rule, "check", None) == "sms_segments":
            return int((rule.params or {}).get("max_segments", 2))
    return 2


def _pick(options: list[str], seed: int, slot: str) -> str:
    """A seed-driven, order-independent choice: each slot varies on its own."""
    if not options:
        return ""
    digest = hashlib.sha256(f"{seed}:{slot}".encode()).digest()
    return options[int.from_bytes(digest[:8], "big") % len(options)]


def _join(*sentences: str) -> str:
    return " ".join(s.strip() for s in sentences if s and s.strip())


class _Composer:
    """Builds one script for one request and seed."""

    def __init__(
        self, bank: PhraseBank, request: DraftRequest, seed: int, instructions: Instructions | None = None
    ) -> None:
        self.bank = bank
        self.r = request
        self.seed = seed
        self.stage = request.estagio
        self.confirm = self.stage == "confirmacao"
        self.dispute = request.objecao == "nao_reconhece_divida"
        self.asks_payment = not self.confirm and not self.dispute
        self.i = instructions if instructions is not None else parse_instructions(request.instrucoes)
        #: 0: any phrase; 1: one of the two shortest of each list; 2: the shortest ("curto" in the
        #: instructions starts at 1; see whatsapp() and sms() for the length limits).
        self.compact = 1 if self.i.short else 0
        self.notes: list[str] = []
        if not self.asks_payment and (self.i.discount or self.i.until):
            why = "é uma confirmação de pagamento" if self.confirm else "o cliente contesta a dívida"
            self.notes.append(f"Desconto e prazo das instruções não entram neste texto: {why}.")

    def pick(self, options: list[str], slot: str) -> str:
        if not options:
            return ""
        if self.compact >= 2:  # the shortest, or one as short as it (a few characters more)
            shortest = min(len(o) for o in options)
            options = [o for o in options if len(o) <= shortest + _NEAR_SHORTEST]
        if self.compact == 1:
            options = sorted(options, key=len)[:2]
        return _pick(options, self.seed, slot)

    def tone(self, mapping: dict[str, list[str]], slot: str) -> str:
        return self.pick(mapping[self.r.tom], slot)

    # -- shared pieces ------------------------------------------------------------------------

    def greeting(self) -> str:
        return _join(
            self.tone(self.bank.saudacao, "saudacao"), self.tone(self.bank.apresentacao, "apresentacao")
        )

    def situation(self) -> str:
        parts = [self.tone(self.bank.situacao[self.stage], "situacao")]
        if self.stage == "acordo" and not self.dispute:
            parts.append(self.tone(self.bank.acordo, "acordo"))
        if self.confirm:
            parts.append(self.pick(self.bank.quitacao, "quitacao"))
        return _join(*parts)

    def objection(self, bank: dict[str, ObjectionPhrases] | None = None) -> str:
        phrases = (bank if bank is not None else self.bank.objecoes)[self.r.objecao]
        group = "confirmacao" if self.confirm else ("antes" if self.stage in _BEFORE_DUE else "depois")
        return self.pick(getattr(phrases, group), "objecao")

    def instruction_sentences(self, form: str) -> list[str]:
        """The sentences the instructions ask for (``form``: ``escrito`` or ``sms``)."""
        phrases = self.bank.instrucoes
        out: list[str] = []
        # A reusable template never carries a fixed date (it would go stale, and the quality
        # screen refuses literal dates): the deadline is the agreement's validity field.
        when = UNTIL_PLACEHOLDER if self.i.until is not None else ""
        if self.asks_payment:
            if self.i.discount and when:
                out.append(self.pick(getattr(phrases.desconto_ate, form), "instrucao_desconto"))
            elif self.i.discount:
                out.append(self.pick(getattr(phrases.desconto, form), "instrucao_desconto"))
            elif when:
                out.append(self.pick(getattr(phrases.prazo, form), "instrucao_prazo"))
        if self.i.reference:
            out.append(self.pick(getattr(phrases.referencia, form), "instrucao_referencia"))
        return [t.replace("[desconto]", self.i.discount or "").replace("[data]", when) for t in out]

    def preferred_method(self) -> str:
        return next(m for m in ("link", "cartao", "boleto", "pix") if m in self.r.pagamentos)

    def payment_sentences(self, with_pix: bool = True) -> list[str]:
        if self.dispute and not self.confirm:
            # Do not insist: say how to pay only once the customer has checked the documents.
            return [self.bank.pagamento_contestacao[self.preferred_method()]]
        if not self.asks_payment:
            return []
        methods = [m for m in self.r.pagamentos if m != "pix"]
        if "cartao" in methods and "link" in methods:
            methods.remove("link")  # the card sentence already gives the same official link
        if with_pix and "pix" in self.r.pagamentos:
            methods.append("pix")  # last: it asks for a reply, which brings the code
        return [self.pick(self.bank.pagamento[m], f"pagamento_{m}") for m in methods]

    def negotiation(self) -> str:
        if self.confirm or self.dispute:
            return ""
        if self.stage not in _NEGOTIATE:  # instalments only when the instructions ask for them
            if not self.i.instalments or self.r.objecao == "sem_condicoes" or self.compact >= 3:
                return ""
            return self.tone(self.bank.negociacao, "negociacao")
        # The "no means to pay" objection already offers instalments: do not repeat it.
        text = "" if self.r.objecao == "sem_condicoes" else self.tone(self.bank.negociacao, "negociacao")
        if self.stage == "atraso_longo" and self.r.tom in ("firme", "profissional"):
            text = _join(text, self.pick(self.bank.consequencia, "consequencia"))
        return text

    def disregard(self) -> str:
        return "" if self.confirm else self.pick(self.bank.desconsidere, "desconsidere")

    def support(self) -> str:
        return self.tone(self.bank.atendimento, "atendimento")

    def closing(self) -> str:
        return self.tone(self.bank.encerramento, "encerramento")

    def identification(self) -> str:
        return self.pick(self.bank.identificacao, "identificacao")

    # -- channels -----------------------------------------------------------------------------

    def whatsapp(self) -> WhatsAppScript:
        # A WhatsApp script must fit one Meta template body. When it does not, first
        # drop the friendly closing (it carries nothing the customer needs), then
        # take the shortest wording of every phrase.
        start = self.compact
        levels = [(closing, level) for closing in (True, False) for level in (0, 1, 2) if level >= start]
        for closing, level in [*levels, (False, 3)]:  # 3: without the instructions' sentences
            self.compact = level
            messages = self._whatsapp_messages(with_closing=closing)
            if whatsapp_template_body_size(messages) <= WHATSAPP_TEMPLATE_BODY_MAX:
                break
        if self.compact >= 3 and self.instruction_sentences("escrito"):
            self.notes.append(
                "No WhatsApp, o que as instruções pediram não coube no limite de "
                f"{WHATSAPP_TEMPLATE_BODY_MAX} caracteres do modelo e ficou de fora."
            )
        self.compact = start
        return WhatsAppScript(mensagens=messages)

    def _whatsapp_messages(self, *, with_closing: bool) -> list[str]:
        messages = [self.greeting(), self.situation(), self.objection()]
        extra = self.instruction_sentences("escrito") if self.compact < 3 else []
        messages.append(_join(*self.payment_sentences(), *extra))
        if self.asks_payment and "pix" in self.r.pagamentos:
            messages.append("{{ pagamento.pix_copia_e_cola }}")  # alone, so it copies with one tap
        closing = self.closing() if with_closing else ""
        tail = _join(self.negotiation(), self.disregard(), self.support(), closing)
        messages.append(f"{tail}\n\n{self.identification()}")
        return [m for m in messages if m.strip()]

    def sms(self) -> SmsScript:
        # An SMS must stay within the segments the checker allows (with the sample debtor).
        # Levels: 0 any wording; 1 one of the two shortest; 2 the shortest; 3 also the shortest
        # support sentence of any tone; 4 without the instructions' sentences; 5 (last resort)
        # without the answer to the objection. Each dropped piece gets a note for the user.
        start, seed = self.compact, self.seed
        text = ""
        for level in range(start, 6):
            self.compact = level
            fits = False
            for attempt in range(8):  # other wordings that may fit
                self.seed = seed + attempt * _RETRY_STEP
                text = self._sms_text()
                fits = sms_info(sample_render(text)).segments <= sms_max_segments()
                if fits:
                    break
            if fits:
                break
        dropped = []
        if self.compact >= 4 and self.instruction_sentences("sms"):
            dropped.append("o que as instruções pediram")
        if self.compact >= 5 and self.r.objecao != "nenhuma":
            dropped.append("a resposta à objeção")
        if dropped:
            self.notes.append(
                f"No SMS ficou de fora {' e '.join(dropped)}, para caber em {sms_max_segments()} segmentos "
                "(com os dados de exemplo); use outro canal ou um meio de pagamento com texto mais curto."
            )
        self.compact, self.seed = start, seed
        return SmsScript(texto=text)

    def _sms_text(self) -> str:
        sms = self.bank.sms
        disputed = self.dispute and not self.confirm
        situation = sms.contestacao_situacao if disputed else sms.situacao[self.stage]
        shortest = self.compact >= 3
        parts = [self.tone(sms.saudacao, "sms_saudacao"), self.pick(situation, "sms_situacao")]
        if disputed:
            parts.append(sms.contestacao[self.preferred_method()])
        elif self.compact < 5:
            parts.append(self.objection(sms.objecoes))
        # the "already paid" answer may say "desconsidere" itself: then not twice
        said_paid = "desconsider" in parts[-1].lower()
        if not disputed and self.compact < 4:
            parts += self.instruction_sentences("sms")
        if not disputed and self.asks_payment:
            parts.append(self.pick(sms.pagamento[self.preferred_method()], "sms_pagamento"))
        if (
            self.stage not in ("confirmacao", "acordo") and not said_paid
        ):  # an offer needs no "ignore if paid"
            parts.append(self.pick(sms.desconsidere, "sms_desconsidere"))
        if not disputed:  # the dispute sentence already gives the support channel
            if shortest:
                parts.append(min((t for ts in sms.atendimento.values() for t in ts), key=len))
            else:
                parts.append(self.tone(sms.atendimento, "sms_atendimento"))
        return _join(*parts)

    def email(self) -> EmailScript:
        paragraphs = [self.tone(self.bank.saudacao, "saudacao")]
        paragraphs.append(_join(self.tone(self.bank.apresentacao, "apresentacao"), self.situation()))
        paragraphs.append(self.objection())
        payment = self.payment_sentences(with_pix=False) + self.instruction_sentences("escrito")
        if payment:
            paragraphs.append("\n".join(payment))
        if self.asks_payment and "pix" in self.r.pagamentos:
            intro = self.pick(self.bank.pagamento_pix_email, "pix_email")
            paragraphs.append(f"{intro}\n{{{{ pagamento.pix_copia_e_cola }}}}")
        paragraphs += [self.negotiation(), _join(self.disregard(), self.support()), self.closing()]
        return EmailScript(
            assunto=self.pick(self.bank.email_assunto[self.stage], "assunto"),
            corpo="\n\n".join(p for p in paragraphs if p.strip()),
            assinatura=self.pick(self.bank.email_assinatura, "assinatura"),
        )

    def call(self) -> CallScript:
        call = self.bank.ligacao
        if self.confirm:
            options = self.pick(call.opcoes_confirmacao, "opcoes")
        elif self.dispute:
            options = _join(
                self.pick(call.opcoes_contestacao, "opcoes"),
                self.bank.pagamento_contestacao[self.preferred_method()],
            )
        else:
            ways = "; ".join(call.opcoes_pagamento[m] for m in self.r.pagamentos)
            options = f"{self.pick(call.opcoes_abertura, 'opcoes')} {ways}."
            if self.stage in _NEGOTIATE or self.stage == "acordo" or self.i.instalments:
                options = _join(options, self.pick(call.opcoes_negociacao, "opcoes_negociacao"))
            options = _join(options, *self.instruction_sentences("escrito"))
        spoken = self.objection() if self.confirm else self.pick(call.objecoes[self.r.objecao], "objecao")
        objection = spoken or self.pick(call.objecao_generica, "objecao_generica")
        steps = [
            ("abertura", self.tone(call.abertura, "abertura")),
            ("identificacao", self.pick(call.identificacao, "identificacao_ligacao")),
            ("confirmacao_titular", self.pick(call.confirmacao_titular, "confirmacao_titular")),
            ("situacao", self.situation()),
            ("opcoes", options),
            ("objecao", objection),
            ("encerramento", self.tone(call.encerramento, "encerramento_ligacao")),
        ]
        return CallScript(passos=[CallStep(etapa=k, fala=t) for k, t in steps])

    def script(self) -> Script:
        builder = {"whatsapp": self.whatsapp, "sms": self.sms, "email": self.email, "telefone": self.call}
        return builder[self.r.canal]()


@lru_cache(maxsize=4)
def load_phrasebank(path: Path = PHRASEBANK_PATH) -> PhraseBank:
    return load_model(PhraseBank, path)


class OfflineDrafter:
    """Drafts from the phrase bank; no network, no model, no cost."""

    name = "offline"

    def __init__(self, path: str | Path = PHRASEBANK_PATH) -> None:
        self.path = Path(path)
        self.bank = load_phrasebank(self.path)
        self._memo: dict[tuple[str, int], tuple[list[Script], list[str]]] = {}

    @cached_property
    def prompt_version(self) -> str:
        """For this backend the 'prompt' is the phrase bank: hash of its source."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]

    @property
    def model(self) -> str:
        return f"banco-de-frases-{self.prompt_version}"

    def __repr__(self) -> str:
        return f"OfflineDrafter(path={str(self.path)!r})"

    def compose(self, request: DraftRequest, seed: int) -> Script:
        return _Composer(self.bank, request, seed).script()

    def _variants(self, request: DraftRequest, upto: int, offset: int) -> tuple[list[Script], list[str]]:
        """Variants ``0..upto`` of ``request``, pairwise different whenever the bank allows,
        and the notes about the instructions (the same for every variant)."""
        key = (request.key(), offset)
        scripts, notes = self._memo.get(key, ([], []))
        instructions = parse_instructions(request.instrucoes)
        seen = {s.text() for s in scripts}
        while len(scripts) <= upto:
            seed = request.seed_for(len(scripts)) + offset
            for _ in range(_RETRIES):
                composer = _Composer(self.bank, request, seed, instructions)
                script = composer.script()
                if script.text() not in seen:
                    break
                seed += _RETRY_STEP
            else:  # every try repeated an earlier variant: the bank has no other wording
                composer.notes.append(
                    "O banco de frases não tem mais versões diferentes para esta combinação: "
                    "esta variante repete uma anterior."
                )
            if instructions.until is not None and UNTIL_PLACEHOLDER in script.text():
                composer.notes.append(
                    f"O prazo das instruções ({instructions.until:%d/%m/%Y}) entrou no texto como "
                    f"{UNTIL_PLACEHOLDER}: informe essa data na coluna acordo.validade da carteira."
                )
            if not notes:
                notes = list(dict.fromkeys(instructions.notes + composer.notes))
            scripts.append(script)
            seen.add(script.text())
        if len(self._memo) > 256:
            self._memo.clear()
        self._memo[key] = (scripts, notes)
        return scripts, notes

    def draft(self, request: DraftRequest, variant: int = 0, revision: Revision | None = None) -> DraftResult:
        offset = (revision.round - 1) * _REVISION_STEP if revision is not None else 0
        scripts, notes = self._variants(request, variant, offset)
        return DraftResult(script=scripts[variant], mode="frases", notes=list(notes))

    async def adraft(
        self, request: DraftRequest, variant: int = 0, revision: Revision | None = None
    ) -> DraftResult:
        return self.draft(request, variant, revision)
