"""The rule catalog: one YAML file per category under ``rules/``, validated on load.

A rule is one of three kinds (a closed set, as in Vale):

- ``pattern``: flags every match of ``patterns`` in a part, unless one of the
  ``unless`` patterns matches in the same sentence (lawful wording) or one of the
  ``unless_message`` patterns anywhere in the message (lawful context, such as a
  rent contract or a real protest notice), or one of the named contexts of
  ``contextos.yaml`` that the rule lists in ``unless_context`` (a fraud alert, a
  reply to a complaint: lawful context several rules share); a ``negatable`` rule also lets a denied
  match pass ("ninguém vai penhorar seu salário sem ordem do juiz");
- ``requirement``: flags a whole script where none of ``patterns`` matches and
  none of ``placeholders`` is used (e.g. the creditor's CNPJ);
- ``check``: a named measurement in Python (SMS encoding, caps, call-script
  structure...) with ``params``.

Patterns are regular expressions run on folded text (see ``normalize.py``):
write them in lower case without accents; a plain space matches any run of
whitespace. ``{gapN}`` stands for "up to N words in between" (write it after a
space: ``vai {gap2}preso``); ``{ano_prescrito}`` for any year from 1900 up to six
years before the current one (a consumer debt due then is surely past the five-year
limit, CC art. 206 §5º, I), so no rule has to be edited each January. Nested unbounded
repetitions are refused, so no rule can backtrack catastrophically.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from cobranca_kit.catalog import get_catalog
from cobranca_kit.compliance.normalize import fold_pattern
from cobranca_kit.compliance.prefilter import parse_pattern
from cobranca_kit.compliance.tokens import TokenMemo
from cobranca_kit.datafiles import load_yaml, validate
from cobranca_kit.errors import DataFileError

if TYPE_CHECKING:
    from cobranca_kit.compliance.prefilter import PatternSet

try:  # Python 3.11+: the parser moved to a private module
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

RULES_DIR = Path(__file__).parent / "rules"
#: The file of ``RULES_DIR`` that holds the shared lawful contexts, not rules.
CONTEXTS_FILE = "contextos.yaml"

#: Fixed category ids (reports, prompts and other modules depend on them).
CATEGORIES: tuple[str, ...] = (
    "ameaca",
    "coacao",
    "constrangimento",
    "afirmacao_falsa",
    "terceiros",
    "intrusao",
    "insulto",
    "pressao",
    "identificacao",
    "transparencia",
    "canal",
    "boas_praticas",
    "legibilidade",
)
#: Categories that come straight from CDC art. 42 / 71 (abusive collection).
#: Their definitions and boundaries are written in ``rules/LEIA-ME.md``. In short:
#: ameaca announces a harm (even a veiled one); coacao withholds or conditions something
#: (documents, service, access, the end of the contacts, silence towards third parties)
#: or forces payment outside lawful means; pressao is artificial urgency and shouting
#: (short-deadline ultimatums, countdowns, caps, counted contacts) with nothing withheld.
LEGAL_CATEGORIES: tuple[str, ...] = CATEGORIES[:8]

CATEGORY_LABELS: dict[str, str] = {
    "ameaca": "Ameaça",
    "coacao": "Coação",
    "constrangimento": "Constrangimento e exposição ao ridículo",
    "afirmacao_falsa": "Afirmação falsa ou enganosa",
    "terceiros": "Exposição a terceiros",
    "intrusao": "Interferência no trabalho, descanso ou lazer",
    "insulto": "Insulto e desprezo",
    "pressao": "Pressão e gritaria",
    "identificacao": "Identificação do credor",
    "transparencia": "Transparência",
    "canal": "Regras do canal",
    "boas_praticas": "Boas práticas",
    "legibilidade": "Legibilidade",
}

#: Channels a rule can apply to; ``texto`` is a text checked without a channel.
CHANNELS: tuple[str, ...] = ("whatsapp", "sms", "email", "telefone", "texto")
NO_STAGE = "sem_estagio"

Severity = Literal["block", "warn", "hint"]
Kind = Literal["pattern", "requirement", "check"]
Channel = Literal["whatsapp", "sms", "email", "telefone", "texto"]

_GAP_RE = re.compile(r"\{gap(\d{1,2})\}")
#: Widest gap a pattern may ask for (words in between).
MAX_GAP = 20
_MAX_REPEAT = sre_parse.MAXREPEAT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExampleCase(_Strict):
    """An example that needs more than one text: a channel, several parts, a context."""

    text: str | None = None
    parts: dict[str, str] | None = None
    channel: Channel | None = None
    context: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExampleCase:
        if (self.text is None) == (self.parts is None):
            raise ValueError("use 'text' ou 'parts' (um dos dois)")
        return self


Example = str | ExampleCase


class Examples(_Strict):
    violates: list[Example] = Field(min_length=1)
    passes: list[Example] = Field(min_length=1)


class Trigger(_Strict):
    """The rule applies only when one of these appears in the script."""

    patterns: list[str] = Field(default_factory=list)
    placeholders: list[str] = Field(default_factory=list)


class LawfulContext(_Strict):
    """Lawful context several rules share: wherever it appears in a message, their matches pass."""

    id: str = Field(pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$")
    title: str = Field(min_length=3)
    why: str = Field(min_length=5)
    #: ``mensagem``: found anywhere in the message, it excuses every match (like ``unless_message``);
    #: ``frase``: found in the match's sentence, it excuses that match (like ``unless``).
    scope: Literal["mensagem", "frase"] = "mensagem"
    patterns: list[str] = Field(min_length=1)
    #: Wording that cancels the context ("mesmo assim", "se não pagar"): in scope ``mensagem``,
    #: found anywhere in the message; in scope ``frase``, from where the context starts to the
    #: end of its sentence.
    voided_by: list[str] = Field(default_factory=list)
    #: Messages in which the context must be found (the tests run them).
    examples: list[str] = Field(min_length=1)
    #: Messages in which the context appears but ``voided_by`` cancels it (the tests run them).
    voided_examples: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _safe_patterns(self) -> LawfulContext:
        for pattern in [*self.patterns, *self.voided_by]:
            compile_pattern(pattern)
        if self.voided_examples and not self.voided_by:
            raise ValueError("voided_examples pede voided_by (o que anula o contexto)")
        return self

    @cached_property
    def excuses(self) -> tuple[Excuse, ...]:
        """Each pattern with the wording that voids it, for folded text."""
        return self.excuses_for(original=False)

    def excuses_for(self, original: bool) -> tuple[Excuse, ...]:
        """Each pattern with the wording that voids it, for folded (or ``original``) text."""
        voids = "|".join(f"(?:{p})" for p in self.voided_by)
        void = compile_pattern(voids, original=original) if voids else None
        return tuple(Excuse(compile_pattern(p, original=original), void) for p in self.patterns)

    def found_in(self, folded: str) -> bool:
        """Whether the context holds in a folded text: a pattern matches and nothing voids it there."""
        if self.scope == "mensagem":
            return excused_in_message(self.excuses, folded)
        return any(excuse_in(e, folded) for e in self.excuses)


class Excuse(NamedTuple):
    """A lawful-wording pattern and the wording that voids it (``None``: nothing does)."""

    regex: re.Pattern[str]
    void: re.Pattern[str] | None = None


#: Where a sentence-scope context's reach ends: the next sentence or clause mark.
_CLAUSE_END_RE = re.compile(r"[.!?;\n]")


def excuse_matches(excuse: Excuse, text: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """Matches of a sentence-scope excuse in ``text[lo:hi]`` that nothing voids.

    A match is voided when ``excuse.void`` is found from its start to the end of its
    clause (the next ``.!?;`` or line break): "atendendo ao seu pedido, mas vamos ligar
    mesmo assim". A voided match is retried one character later, as a guard written
    inside the pattern would be.
    """
    if excuse.void is None:
        yield from excuse.regex.finditer(text, lo, hi)
        return
    pos, search = lo, excuse.regex.search
    while pos <= hi:
        m = search(text, pos, hi)
        if m is None:
            return
        stop = _CLAUSE_END_RE.search(text, m.start(), hi)
        if excuse.void.search(text, m.start(), stop.start() if stop else hi):
            pos = m.start() + 1
            continue
        yield m
        pos = m.end() if m.end() > m.start() else m.start() + 1


def excuse_in(excuse: Excuse, text: str) -> bool:
    """Whether a sentence-scope excuse has an unvoided match anywhere in ``text``."""
    return next(excuse_matches(excuse, text, 0, len(text)), None) is not None


def excused_in_message(excuses: Sequence[Excuse], text: str) -> bool:
    """Whether a message-scope excuse holds in ``text``: it matches and nothing voids it there."""
    return any(
        e.regex.search(text) is not None and (e.void is None or e.void.search(text) is None) for e in excuses
    )


class ContextFile(_Strict):
    contexts: list[LawfulContext] = Field(min_length=1)


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")
    category: str
    kind: Kind = "pattern"
    severity: Severity
    severity_by_channel: dict[Channel, Severity] = Field(default_factory=dict)
    channels: list[Channel] = Field(min_length=1)
    stages: list[str] | None = None
    except_stages: list[str] = Field(default_factory=list)
    except_objections: list[str] = Field(default_factory=list)
    article: str = Field(min_length=3)
    title: str = Field(min_length=3)
    message: str = Field(min_length=5)
    why: str = Field(min_length=5)
    suggestion: str = Field(min_length=5)
    patterns: list[str] = Field(default_factory=list)
    unless: list[str] = Field(default_factory=list)
    #: Lawful context that excuses every match, wherever in the message (any part) it appears.
    unless_message: list[str] = Field(default_factory=list)
    #: Ids of shared lawful contexts (``contextos.yaml``) that excuse every match, like ``unless_message``.
    unless_context: list[str] = Field(default_factory=list)
    #: The shared contexts of ``unless_context`` by scope (message, sentence), filled in by the
    #: loader (None: not resolved yet).
    _contexts: tuple[tuple[LawfulContext, ...], tuple[LawfulContext, ...]] | None = PrivateAttr(default=None)
    #: A denied match is no breach ("não vai ter polícia nenhuma", "ninguém vai bloquear seu CPF",
    #: "prisão por dívida não existe"); a condition is no denial ("se não pagar, será preso").
    negatable: bool = False
    match_on: Literal["folded", "original"] = "folded"
    placeholders: list[str] = Field(default_factory=list)
    context_terms: list[Literal["creditor_name"]] = Field(default_factory=list)
    applies_if: Trigger | None = None
    check: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    examples: Examples

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"categoria desconhecida '{value}'; use uma de: {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _safe_patterns(self) -> Rule:
        original = self.match_on == "original"
        for pattern in [*self.patterns, *self.unless, *self.unless_message]:
            compile_pattern(pattern, original=original)
        for pattern in self.applies_if.patterns if self.applies_if else []:
            compile_pattern(pattern)
        return self

    @field_validator("stages", "except_stages")
    @classmethod
    def _known_stages(cls, value: list[str] | None) -> list[str] | None:
        valid = [*get_catalog().ids("estagios"), NO_STAGE]
        for stage in value or []:
            if stage not in valid:
                raise ValueError(f"estágio desconhecido '{stage}'; use um de: {', '.join(valid)}")
        return value

    @field_validator("except_objections")
    @classmethod
    def _known_objections(cls, value: list[str]) -> list[str]:
        valid = get_catalog().ids("objecoes")
        for objection in value:
            if objection not in valid:
                raise ValueError(f"objeção desconhecida '{objection}'; use uma de: {', '.join(valid)}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Rule:
        if self.kind == "pattern" and not self.patterns:
            raise ValueError("regra do tipo 'pattern' precisa de 'patterns'")
        if self.kind == "requirement" and not (self.patterns or self.placeholders):
            raise ValueError("regra do tipo 'requirement' precisa de 'patterns' ou 'placeholders'")
        if self.kind == "check":
            from cobranca_kit.compliance.checks import CHECKS

            if self.check not in CHECKS:
                raise ValueError(f"verificação desconhecida '{self.check}'; use uma de: {', '.join(CHECKS)}")
        elif self.check is not None:
            raise ValueError("'check' só vale para regras do tipo 'check'")
        return self

    def severity_for(self, channel: str) -> str:
        return self.severity_by_channel.get(channel, self.severity)  # type: ignore[call-overload]

    @cached_property
    def compiled(self) -> list[re.Pattern[str]]:
        return [compile_pattern(p, original=self.match_on == "original") for p in self.patterns]

    @cached_property
    def scanners(self) -> list[tuple[re.Pattern[str] | str, bool]]:
        """Per pattern, a regex for scanning and whether the engine must check the leading ``\\b``.

        A leading ``\\b`` stops Python's ``re`` from jumping to the first literal
        character (3-4x slower), so for patterns that start with a literal word it
        is dropped here and checked by the engine on each match instead. Those
        regexes are given as source, compiled on first use (``ScanStep.regex``):
        with the RE2 set in front, most patterns never run in Python.
        """
        out: list[tuple[re.Pattern[str] | str, bool]] = []
        for pattern, regex, keys in zip(self.patterns, self.compiled, self.prefilters, strict=True):
            source = expand_pattern(pattern)
            if keys is not None and source.startswith(r"\b"):
                out.append((source[2:], True))
            else:
                out.append((regex, False))
        return out

    @cached_property
    def prefilters(self) -> list[frozenset[str] | None]:
        """Per pattern, the word beginnings one of which must be in the text (None: always run)."""
        if self.match_on == "original":
            return [None] * len(self.patterns)
        return [literal_keys(expand_pattern(p)) for p in self.patterns]

    @cached_property
    def required(self) -> list[tuple[tuple[str, ...], ...]]:
        """Per pattern, literal groups the haystack must contain (one string of each group) to match."""
        original = self.match_on == "original"
        return [required_literals(p if original else expand_pattern(p)) for p in self.patterns]

    @cached_property
    def plan(self) -> tuple[ScanStep, ...]:
        """What the engine runs per pattern, precomputed once: scanner, prefilter keys, literal groups."""
        return tuple(
            ScanStep(i, regex, needs_boundary, keys, groups)
            for i, ((regex, needs_boundary), keys, groups) in enumerate(
                zip(self.scanners, self.prefilters, self.required, strict=True)
            )
        )

    @cached_property
    def always_steps(self) -> tuple[ScanStep, ...]:
        """Steps without first-word keys: they run whatever the words of the text."""
        return tuple(step for step in self.plan if step.keys is None)

    @cached_property
    def keyed_steps(self) -> tuple[ScanStep, ...]:
        """Steps that run only when the text offers one of their first-word keys."""
        return tuple(step for step in self.plan if step.keys is not None)

    def resolve_contexts(self, contexts: dict[str, LawfulContext]) -> None:
        """Take the shared contexts this rule names (ids already checked)."""
        named = [contexts[name] for name in self.unless_context]
        self._contexts = (
            tuple(c for c in named if c.scope == "mensagem"),
            tuple(c for c in named if c.scope == "frase"),
        )

    def _shared(self) -> tuple[tuple[LawfulContext, ...], tuple[LawfulContext, ...]]:
        """The resolved (message, sentence) shared contexts of ``unless_context``."""
        if self._contexts is None:
            if self.unless_context:
                raise RuntimeError(
                    f"rule {self.id}: unless_context not resolved (load it with load_rule_files)"
                )
            return (), ()
        return self._contexts

    @property
    def has_sentence_context(self) -> bool:
        return bool(self.compiled_unless)

    @property
    def has_message_context(self) -> bool:
        return bool(self.compiled_unless_message)

    def _excuses(self, contexts: tuple[LawfulContext, ...], own: list[str]) -> list[Excuse]:
        original = self.match_on == "original"
        shared = [e for c in contexts for e in (c.excuses_for(True) if original else c.excuses)]
        return [*shared, *(Excuse(compile_pattern(p, original=original)) for p in own)]

    @cached_property
    def compiled_unless(self) -> list[Excuse]:
        """``unless`` and the sentence-scope shared contexts of ``unless_context``."""
        return self._excuses(self._shared()[1], self.unless)

    @cached_property
    def compiled_unless_message(self) -> list[Excuse]:
        """``unless_message`` and the message-scope shared contexts of ``unless_context``."""
        return self._excuses(self._shared()[0], self.unless_message)

    @cached_property
    def compiled_trigger(self) -> list[re.Pattern[str]]:
        return [compile_pattern(p) for p in (self.applies_if.patterns if self.applies_if else [])]

    @cached_property
    def trigger_plan(self) -> tuple[tuple[re.Pattern[str], tuple[tuple[str, ...], ...]], ...]:
        """Per trigger pattern, its regex and the literal groups a match needs (see ``required_literals``)."""
        sources = self.applies_if.patterns if self.applies_if else []
        return tuple(
            (regex, required_literals(expand_pattern(p)))
            for p, regex in zip(sources, self.compiled_trigger, strict=True)
        )


class ScanStep:
    """One pattern of a rule, ready to scan (see ``Rule.plan``)."""

    __slots__ = ("_regex", "groups", "index", "keys", "needs_boundary")

    def __init__(
        self,
        index: int,
        regex: re.Pattern[str] | str,
        needs_boundary: bool,
        keys: frozenset[str] | None,
        groups: tuple[tuple[str, ...], ...],
    ) -> None:
        self.index = index
        self._regex = regex  # a source is compiled on first use
        self.needs_boundary = needs_boundary
        #: first-word prefilter keys (None: the pattern always runs)
        self.keys = keys
        #: literal groups: each match contains one string of every group (empty: no literal known)
        self.groups = groups

    @property
    def regex(self) -> re.Pattern[str]:
        if isinstance(self._regex, str):
            self._regex = re.compile(self._regex)
        return self._regex

    def may_occur(self, haystack: str) -> bool:
        """False when a literal the pattern needs is missing, so the regex cannot match."""
        return literals_present(self.groups, haystack)

    def may_occur_in(self, present: frozenset[str] | set[str]) -> bool:
        """``may_occur`` given the literals present in the haystack (see ``LiteralFinder``)."""
        return not any(present.isdisjoint(group) for group in self.groups)


def literals_present(groups: tuple[tuple[str, ...], ...], haystack: str) -> bool:
    """Whether ``haystack`` holds one string of every group (see ``required_literals``)."""
    contains = haystack.__contains__
    return all(any(map(contains, group)) for group in groups)


class LiteralFinder:
    """Which of a fixed set of literals (none with whitespace) occur in a text.

    A literal without whitespace can only occur inside one whitespace-delimited
    token, so the answer is the union of per-token answers, and tokens repeat a
    lot from one message to the next (cached).
    """

    def __init__(self, literals: set[str]) -> None:
        if any(c.isspace() for lit in literals for c in lit) or "" in literals:
            raise ValueError("literals must be non-empty and free of whitespace")
        self._short = frozenset(lit for lit in literals if len(lit) <= 2)
        by_start: dict[str, list[str]] = {}
        for lit in literals:
            if len(lit) > 2:
                by_start.setdefault(lit[:3], []).append(lit)
        self._by_start = by_start
        self._memo: TokenMemo[frozenset[str]] = TokenMemo(self._token)

    def __call__(self, text: str) -> set[str]:
        return set().union(*map(self._memo.__getitem__, set(text.split())))

    def _token(self, token: str) -> frozenset[str]:
        short, by_start = self._short, self._by_start
        found = set(short.intersection(token))
        for i in range(len(token) - 1):
            pair = token[i : i + 2]
            if pair in short:
                found.add(pair)
            for lit in by_start.get(token[i : i + 3], ()):
                if token.startswith(lit, i):
                    found.add(lit)
        return frozenset(found)


_POSSIBLE_MEMO_MAX = 10_000


class Possible(NamedTuple):
    """What one RE2 pass says may match in a folded text (see ``RuleCatalog.possible``); read-only."""

    #: rule id -> its folded pattern steps that may match, in pattern order
    steps: dict[str, list[ScanStep]]
    #: ids of the rules one of whose trigger patterns may match
    triggers: set[str]
    #: ids of the rules one of whose folded patterns surely matches (no need to run ``re``)
    sure_steps: set[str]
    #: ids of the rules one of whose trigger patterns surely matches
    sure_triggers: set[str]
    #: what the engine runs given this answer, per (channel, stage, objection) (filled by the engine)
    plans: dict[tuple[str, str | None, str | None], Any]


class RuleFile(_Strict):
    rules: list[Rule] = Field(min_length=1)


class RuleCatalog:
    """All rules, in file order, with lookups by id and category."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._by_id = {r.id: r for r in rules}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @cached_property
    def _key_index(self) -> dict[str, set[tuple[str, int]]]:
        """Prefilter key -> the (rule id, pattern index) it can trigger."""
        index: dict[str, set[tuple[str, int]]] = {}
        for rule in self.rules:
            for i, keys in enumerate(rule.prefilters):
                for key in keys or ():
                    index.setdefault(key, set()).add((rule.id, i))
        return index

    @cached_property
    def _step_table(self) -> tuple[list[tuple[str, ScanStep]], dict[str, frozenset[int]]]:
        """Every keyed step numbered, and prefilter key -> numbers of the steps it can trigger."""
        table: list[tuple[str, ScanStep]] = []
        index: dict[str, set[int]] = {}
        for rule in self.rules:
            for step in rule.keyed_steps:
                for key in step.keys or ():
                    index.setdefault(key, set()).add(len(table))
                table.append((rule.id, step))
        return table, {key: frozenset(numbers) for key, numbers in index.items()}

    @cached_property
    def _word_memo(self) -> TokenMemo[frozenset[int]]:
        """Per word, the numbers of the keyed steps its keys can trigger."""
        _table, index = self._step_table
        return TokenMemo(lambda word: frozenset().union(*(index.get(key, ()) for key in _word_keys(word))))

    def keyed_steps(self, words: set[str]) -> dict[str, list[ScanStep]]:
        """Per rule id, its keyed steps whose first-word keys these words offer.

        Same as grouping ``candidates(text_keys(words))``, with the answer for each
        word cached (the vocabulary of collection messages repeats a lot).
        """
        table, _index = self._step_table
        hits = map(self._word_memo.__getitem__, words)
        found: set[int] = set().union(*hits)
        out: dict[str, list[ScanStep]] = {}
        for number in found:
            rule_id, step = table[number]
            out.setdefault(rule_id, []).append(step)
        return out

    @cached_property
    def _pattern_set(self) -> tuple[PatternSet, list[tuple[str, ScanStep | None, int]]]:
        """Every folded pattern and trigger of the catalog in one RE2 set, with what each number is.

        An entry is ``(rule id, step, -1)`` for a pattern, ``(rule id, None, i)``
        for the rule's ``i``-th trigger pattern.
        """
        from cobranca_kit.compliance.prefilter import PatternSet

        sources: list[str] = []
        entries: list[tuple[str, ScanStep | None, int]] = []
        for rule in self.rules:
            if rule.match_on == "folded":
                for pattern, step in zip(rule.patterns, rule.plan, strict=True):
                    sources.append(expand_pattern(pattern))
                    entries.append((rule.id, step, -1))
            for i, pattern in enumerate(rule.applies_if.patterns if rule.applies_if else ()):
                sources.append(expand_pattern(pattern))
                entries.append((rule.id, None, i))
        return PatternSet(sources), entries

    def prepare(self) -> RuleCatalog:
        """Build the RE2 set now rather than at the first check (before worker processes fork)."""
        self._pattern_set  # noqa: B018  (a cached property: reading it builds it)
        return self

    def possible(self, folded: str) -> Possible | None:
        """The folded patterns and triggers that may match ``folded``, per rule (one RE2 pass).

        A necessary condition, like the literal prefilters: what is not listed
        cannot match. ``None`` when the set cannot answer (see ``PatternSet.match``).
        """
        pattern_set, entries = self._pattern_set
        raw = pattern_set.raw_match(folded)
        if raw is None:
            return None
        memo = self._possible_memo
        known = memo.get(raw)
        if known is not None:
            return known
        may, sure = pattern_set.decode(raw)
        possible = Possible({}, set(), set(), set(), {})
        for number in sorted(may):
            rule_id, step, _trigger = entries[number]
            if step is None:
                possible.triggers.add(rule_id)
                if number in sure:
                    possible.sure_triggers.add(rule_id)
            else:
                possible.steps.setdefault(rule_id, []).append(step)
                if number in sure:
                    possible.sure_steps.add(rule_id)
        if len(memo) < _POSSIBLE_MEMO_MAX:
            memo[raw] = possible
        return possible

    @cached_property
    def _possible_memo(self) -> dict[tuple[bool, frozenset[int]], Possible]:
        """RE2 answers seen before: messages from one template get the same answer again and again."""
        return {}

    @cached_property
    def literal_finder(self) -> LiteralFinder:
        """Finds, in one pass per text, the required literals of every pattern."""
        return LiteralFinder(
            {lit for rule in self.rules for step in rule.plan for g in step.groups for lit in g}
        )

    def applicable(
        self, channel: str, stage: str | None, objection: str | None
    ) -> tuple[tuple[Rule, str], ...]:
        """Rules that apply to a channel, stage and objection, with their severity there (cached)."""
        key = (channel, stage, objection)
        cached = self._applicable.get(key)
        if cached is None:
            cached = tuple(
                (rule, rule.severity_for(channel))
                for rule in self.rules
                if rule_applies_to(rule, channel, stage, objection)
            )
            self._applicable[key] = cached
        return cached

    def applicable_split(
        self, channel: str, stage: str | None, objection: str | None
    ) -> tuple[dict[str, tuple[Rule, str]], tuple[tuple[Rule, str], ...]]:
        """``applicable`` split in two: folded-pattern rules by id, and all the others (cached)."""
        key = (channel, stage, objection)
        cached = self._applicable_split.get(key)
        if cached is None:
            selected = self.applicable(channel, stage, objection)
            cached = (
                {r.id: (r, sev) for r, sev in selected if r.kind == "pattern" and r.match_on == "folded"},
                tuple((r, sev) for r, sev in selected if r.kind != "pattern" or r.match_on != "folded"),
            )
            self._applicable_split[key] = cached
        return cached

    @cached_property
    def _applicable_split(
        self,
    ) -> dict[
        tuple[str, str | None, str | None], tuple[dict[str, tuple[Rule, str]], tuple[tuple[Rule, str], ...]]
    ]:
        return {}

    @cached_property
    def _applicable(self) -> dict[tuple[str, str | None, str | None], tuple[tuple[Rule, str], ...]]:
        return {}

    def candidates(self, keys: set[str]) -> set[tuple[str, int]]:
        """Patterns (rule id, index) worth running on a text offering these prefilter keys."""
        index = self._key_index
        found: set[tuple[str, int]] = set()
        for key in keys & index.keys():
            found |= index[key]
        return found

    def get(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def ids(self) -> list[str]:
        return [r.id for r in self.rules]

    def for_channel(self, channel: str) -> list[Rule]:
        return [r for r in self.rules if channel in r.channels]

    def by_category(self, category: str) -> list[Rule]:
        return [r for r in self.rules if r.category == category]


def rule_applies_to(rule: Rule, channel: str, stage: str | None, objection: str | None) -> bool:
    """Whether ``rule`` runs for this channel, sending stage and objection."""
    if channel not in rule.channels:
        return False
    stage = stage or NO_STAGE
    if rule.stages is not None and stage not in rule.stages:
        return False
    if objection and objection in rule.except_objections:
        return False
    return stage not in rule.except_stages


def prescribed_years(today: date | None = None) -> str:
    """Regex for the years from 1900 to six years before ``today``'s (``{ano_prescrito}``)."""
    last = (today or date.today()).year - 6
    years = "|".join(str(y) for y in range(2000, last + 1))
    return "(?:19\\d\\d" + (f"|{years}" if years else "") + ")"


def expand_pattern(pattern: str) -> str:
    """Fold accents, turn plain spaces into ``\\s``, expand ``{gapN}`` and ``{ano_prescrito}``."""
    pattern = fold_pattern(pattern).replace("{ano_prescrito}", prescribed_years())
    pattern = _GAP_RE.sub(lambda m: r"(?:[^\s]+\s){0," + m.group(1) + "}?", pattern)
    return pattern.replace(" ", r"\s")


def _check_gaps(pattern: str) -> None:
    """Refuse a ``{gap...}`` marker that would silently stay literal text (and never match)."""
    for marker in re.findall(r"\{gap[^}]*\}?", pattern):
        m = _GAP_RE.fullmatch(marker)
        if m is None or not 1 <= int(m.group(1)) <= MAX_GAP:
            raise ValueError(
                f"marcador '{marker}' inválido no padrão '{pattern}': use {{gapN}} com N de 1 a {MAX_GAP}"
            )


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str, original: bool = False) -> re.Pattern[str]:
    """Compile a rule pattern, refusing syntax errors and nested unbounded repeats."""
    if not original:
        _check_gaps(pattern)
    source = pattern if original else expand_pattern(pattern)
    try:
        parsed = parse_pattern(source)
        compiled = re.compile(source)
    except re.error as exc:
        raise ValueError(f"expressão regular inválida '{pattern}': {exc}") from None
    if not original and _UPPER_RE.search(source):
        raise ValueError(f"escreva o padrão '{pattern}' em minúsculas: o texto é comparado já em minúsculas")
    if _nested_unbounded(parsed, inside=False):
        raise ValueError(
            f"expressão '{pattern}' tem repetição ilimitada dentro de outra (risco de travar): "
            "use limites como {0,3}"
        )
    return compiled


_UPPER_RE = re.compile(r"(?<!\\)(?<!\(\?P<)(?<!\?)[A-Z]")
_PREFIX_LEN = 6
_LITERAL_MAX = 24
_WORD_END = "\x00"  # marks "the first word ends here" while collecting literal prefixes
_OPEN = "\x01"  # marks "something non-literal follows": the word may go on


def literal_keys(source: str) -> frozenset[str] | None:
    """What the first word of every match of ``source`` looks like, for a cheap prefilter.

    Keys are ``w:palavra`` (the first word is exactly this) or ``p:prefix`` (it
    starts with these letters, at most 6). Only for patterns that begin at a
    word boundary with literal text, possibly a group of alternatives; ``None``
    means "cannot tell, always run the pattern".
    """
    try:
        items = list(parse_pattern(source))
    except re.error:
        return None
    if not items or str(items[0][0]) != "AT" or str(items[0][1]) != "AT_BOUNDARY":
        return None
    prefixes = _prefixes(items[1:])
    if not prefixes:
        return None
    keys = set()
    for prefix in prefixes:
        word = re.match(r"\w*", prefix).group()  # type: ignore[union-attr]
        if not word:
            return None
        after = prefix[len(word) : len(word) + 1]
        complete = after == _WORD_END or (after not in ("", _OPEN) and not after.isalnum())
        keys.add(f"w:{word}" if complete else f"p:{word[:_PREFIX_LEN]}")
    return frozenset(keys)


def _prefixes(items: Any) -> list[str] | None:
    """Literal prefixes of the alternatives of a parsed sequence (None if undecidable).

    A prefix ends with ``_WORD_END`` when a space or ``\\b`` follows it, or with
    ``_OPEN`` when something non-literal follows; ended prefixes are not extended.
    """
    out = [""]
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            inner: list[str] | None = [chr(arg)]
        elif (name == "IN" and len(arg) == 1 and str(arg[0][1]) == "CATEGORY_SPACE") or (
            name == "AT" and str(arg) == "AT_BOUNDARY"
        ):
            inner = [_WORD_END]
        elif name == "SUBPATTERN":
            inner = _prefixes(arg[-1])
        elif name == "BRANCH":
            inner = []
            for branch in arg[1]:
                sub = _prefixes(branch)
                if sub is None:
                    return None
                inner.extend(sub)
        else:
            inner = [_OPEN]
        if inner is None:
            return None
        out = [p if _ended(p) else p + q for p in out for q in (inner if not _ended(p) else [""])]
        if all(_ended(p) or len(p) >= _LITERAL_MAX for p in out):
            break
    return out


def _ended(prefix: str) -> bool:
    return _WORD_END in prefix or _OPEN in prefix


def text_keys(words: set[str]) -> set[str]:
    """The prefilter keys a text offers: each word whole and its first 1-6 letters."""
    keys: set[str] = set()
    for word in words:
        keys.update(_word_keys(word))
    return keys


@lru_cache(maxsize=65536)
def _word_keys(word: str) -> tuple[str, ...]:
    # cached per word: the vocabulary of collection messages repeats a lot
    return ("w:" + word, *("p:" + word[:n] for n in range(1, min(len(word), _PREFIX_LEN) + 1)))


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_CASE_FLAGS = re.IGNORECASE | re.VERBOSE
_MAX_GROUPS = 2


def required_literals(source: str) -> tuple[tuple[str, ...], ...]:
    """Literal groups every match of ``source`` contains: one string of each group, verbatim.

    A necessary condition, checked with ``in`` before running a regex: when a
    group has no string in the text, the pattern cannot match there. Found in the
    top-level sequence: runs of literal characters, alternatives whose every
    branch has such a run, and repeats of at least one. Anything unsure (case
    folding flags, character classes, optional parts) adds no group. The (at most
    two) most selective groups come first; empty means "no literal known".
    """
    try:
        parsed = parse_pattern(source)
    except re.error:
        return ()
    if parsed.state.flags & _CASE_FLAGS:
        return ()
    groups = _sequence_groups(list(parsed))
    groups.sort(key=lambda g: (-min(map(len, g)), len(g)))
    return tuple(groups[:_MAX_GROUPS])


def _sequence_groups(items: Any) -> list[tuple[str, ...]]:
    groups: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and not chr(arg).isspace():
            run.append(chr(arg))
            continue
        if run:
            groups.append(("".join(run),))
            run = []
        group = _item_group(name, arg)
        if group is not None:
            groups.append(group)
    if run:
        groups.append(("".join(run),))
    return groups


def _best_group(groups: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    if not groups:
        return None
    return max(groups, key=lambda g: (min(map(len, g)), -len(g)))


def _item_group(name: str, arg: Any) -> tuple[str, ...] | None:
    if name == "SUBPATTERN":
        _group, add_flags, _del_flags, sub = arg
        if add_flags & _CASE_FLAGS:
            return None
        return _best_group(_sequence_groups(list(sub)))
    if name == "BRANCH":
        alternatives: set[str] = set()
        for branch in arg[1]:
            best = _best_group(_sequence_groups(list(branch)))
            if best is None:
                return None
            alternatives.update(best)
        return tuple(sorted(alternatives))
    if name in _REPEATS:
        low, _high, sub = arg
        return _best_group(_sequence_groups(list(sub))) if low >= 1 else None
    if name == "ATOMIC_GROUP":
        return _best_group(_sequence_groups(list(arg)))
    return None


def _nested_unbounded(items: Any, inside: bool) -> bool:
    for op, arg in items:
        name = str(op)
        if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            _low, high, sub = arg
            unbounded = high == _MAX_REPEAT
            if unbounded and inside:
                return True
            if _nested_unbounded(sub, inside or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _nested_unbounded(arg[-1], inside):
                return True
        elif name == "BRANCH":
            if any(_nested_unbounded(b, inside) for b in arg[1]):
                return True
        elif (name in {"ASSERT", "ASSERT_NOT"} and _nested_unbounded(arg[1], inside)) or (
            name == "ATOMIC_GROUP" and _nested_unbounded(arg, inside)
        ):
            return True
    return False


def load_contexts(path: Path) -> dict[str, LawfulContext]:
    """The shared lawful contexts of ``path`` by id (none when the file does not exist)."""
    if not path.exists():
        return {}
    data = load_yaml(path)
    if data is None:
        raise DataFileError(path, "o arquivo está vazio")
    contexts: dict[str, LawfulContext] = {}
    for index, context in enumerate(validate(ContextFile, data, path).contexts, 1):
        if context.id in contexts:
            raise DataFileError(path, "id repetido", where=f"contexts[{index}] (id {context.id})")
        contexts[context.id] = context
    return contexts


def load_rule_files(folder: Path = RULES_DIR) -> RuleCatalog:
    """Load and validate every ``*.yaml`` under ``folder`` (errors name file, field and id).

    ``contextos.yaml`` holds the shared lawful contexts; every other file holds the rules of one category.
    """
    rules: list[Rule] = []
    seen: dict[str, Path] = {}
    contexts_path = folder / CONTEXTS_FILE
    contexts = load_contexts(contexts_path)
    files = sorted(p for p in folder.glob("*.yaml") if p.name != CONTEXTS_FILE)
    if not files:
        raise DataFileError(folder, "nenhum arquivo de regras (*.yaml) encontrado")
    for path in files:
        data = load_yaml(path)
        if data is None:
            raise DataFileError(path, "o arquivo está vazio")
        parsed = validate(RuleFile, data, path)
        for index, rule in enumerate(parsed.rules, 1):
            where = f"rules[{index}] (id {rule.id})"
            if rule.category != path.stem:
                raise DataFileError(
                    path,
                    f"a categoria '{rule.category}' deve ficar no arquivo {rule.category}.yaml",
                    where=where,
                )
            if rule.id in seen:
                raise DataFileError(path, f"id repetido (já usado em {seen[rule.id].name})", where=where)
            unknown = [name for name in rule.unless_context if name not in contexts]
            if unknown:
                known = ", ".join(contexts) or f"nenhum: {CONTEXTS_FILE} não existe"
                raise DataFileError(
                    path,
                    f"contexto lícito desconhecido em unless_context: {', '.join(unknown)} (definidos em "
                    f"{CONTEXTS_FILE}: {known})",
                    where=where,
                )
            rule.resolve_contexts(contexts)
            seen[rule.id] = path
            rules.append(rule)
    return RuleCatalog(rules)


@lru_cache(maxsize=1)
def load_rules() -> RuleCatalog:
    """The validated rule catalog shipped with the package (cached)."""
    return load_rule_files(RULES_DIR)
