"""The checker: runs the rule catalog over the parts of a text or script."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cobranca_kit.compliance.checks import CHECKS
from cobranca_kit.compliance.classifier import category_texts, get_classifier
from cobranca_kit.compliance.metrics import compute_metrics
from cobranca_kit.compliance.normalize import Normalized, has_placeholders, normalize, placeholder_names
from cobranca_kit.compliance.report import SEVERITY_ORDER, CheckContext, Finding, Report
from cobranca_kit.compliance.rules import (
    CATEGORY_LABELS,
    CHANNELS,
    LEGAL_CATEGORIES,
    LiteralFinder,
    Possible,
    Rule,
    RuleCatalog,
    ScanStep,
    excuse_in,
    excuse_matches,
    excused_in_message,
    literals_present,
    load_rules,
    rule_applies_to,
    text_keys,
)
from cobranca_kit.compliance.textstats import TextStats, analyse
from cobranca_kit.compliance.tokens import token_findall
from cobranca_kit.errors import ComplianceError
from cobranca_kit.script import Script

#: Name of the single part when a plain string is checked for a channel.
SINGLE_PART = {
    "whatsapp": "mensagem_1",
    "sms": "texto",
    "email": "corpo",
    "telefone": "texto",
    "texto": "texto",
}
#: A sentence ends at ``.!?;`` (and any closing bracket or quote right after it) before a space, or at a
#: line break: "(... para dar seriedade.) Seu débito..." is two sentences.
_SENTENCE_BOUNDARY_RE = re.compile(r"[.!?;]+[)\]'\"\u201d\u2019\u00bb]*(?=\s)|\n")
_EXCERPT_MAX = 120
_WORD_RE = re.compile(r"\w+")


class lazy:
    """``functools.cached_property`` without its lock (Python 3.11 takes one per first access).

    The checker builds its targets in one thread and computes these per new
    object, many times per message, so the lock is pure cost here.
    """

    def __init__(self, compute: Callable[[Any], Any]) -> None:
        self._compute = compute
        self._name = compute.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self._name] = self._compute(instance)
        return value


class UnusableTextError(ComplianceError):
    """The input cannot be checked at all (not text, or empty)."""

    exit_code = 2


@dataclass
class PartText:
    """One part of a script, folded once and shared by every rule."""

    name: str
    text: str
    norm: Normalized = field(init=False)
    #: word, sentence and shouting counts (None for a template: see ``textstats``)
    stats: TextStats | None = field(init=False)
    #: rule id -> keyed scan steps whose prefilter keys occur in this part (set by ``run_rules``)
    candidates: dict[str, list[ScanStep]] | None = field(default=None, init=False)
    #: finds the required literals present in a haystack (set by ``run_rules``; None: test each with ``in``)
    finder: LiteralFinder | None = field(default=None, init=False)
    #: what one RE2 pass says may match in the folded text (set by ``run_rules``; None: use the above)
    possible: Possible | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if "{" in self.text:  # a template: Jinja markup is folded as a whole, words are not counted
            self.norm = normalize(self.text)
            self.stats = None
        else:  # one pass over the tokens folds the text and counts its words
            self.norm, self.stats = analyse(self.text)

    @lazy
    def placeholders(self) -> set[str]:
        return placeholder_names(self.text) if "{{" in self.text else set()

    @lazy
    def keys(self) -> set[str]:
        """Prefilter keys of the folded words (see ``rules.literal_keys``)."""
        return text_keys(self.words)

    @lazy
    def words(self) -> set[str]:
        """The distinct folded words of this part."""
        return set(token_findall(_WORD_RE, self.norm.text))  # \w+ never holds whitespace

    def steps(self, rule: Rule, haystack: str) -> Iterator[ScanStep]:
        """The patterns of ``rule`` worth running here: first-word keys offered, literals present.

        Both prefilters are necessary conditions for a match, so skipping a step
        never changes the findings (see ``rules.literal_keys`` and ``rules.required_literals``).
        Keyed steps come first: they start with a literal word, so ``re`` scans them
        fast, and a requirement stops at its first match.
        """
        if rule.match_on == "original":  # no word keys: the literal prefilter only
            for step in rule.plan:
                if step.may_occur(haystack):
                    yield step
            return
        if self.possible is not None:
            # the RE2 set already ran every folded pattern's superset over this text
            yield from self.possible.steps.get(rule.id, ())
            return
        if self.candidates is not None:
            keyed: Iterable[ScanStep] = self.candidates.get(rule.id, ())
        else:
            keys = self.keys
            keyed = (step for step in rule.keyed_steps if not step.keys.isdisjoint(keys))  # type: ignore[union-attr]
        if self.finder is None or rule.match_on == "original":
            for group in (keyed, rule.always_steps):
                for step in group:
                    if step.may_occur(haystack):
                        yield step
            return
        present = self.present
        isdisjoint = present.isdisjoint
        for group in (keyed, rule.always_steps):
            for step in group:
                # inlined ``step.may_occur_in(present)``: this loop runs for every rule and part
                if not any(isdisjoint(literals) for literals in step.groups):
                    yield step

    @lazy
    def present(self) -> set[str]:
        """Required literals (of any rule) found in the folded text; needs ``finder``."""
        return self.finder(self.norm.text)  # type: ignore[misc]

    @lazy
    def boundaries(self) -> list[int]:
        """Folded offsets where sentences end (used to scope ``unless`` patterns)."""
        return [m.end() for m in _SENTENCE_BOUNDARY_RE.finditer(self.norm.text)]

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        bounds = self.boundaries
        i = bisect.bisect_right(bounds, start)
        j = bisect.bisect_left(bounds, end)
        lo = bounds[i - 1] if i > 0 else 0
        hi = bounds[j] if j < len(bounds) else len(self.norm.text)
        return lo, hi

    def finding(self, rule: Rule, severity: str, start: int, end: int, detail: str | None = None) -> Finding:
        """A finding for folded offsets ``[start, end)`` mapped back to the original text."""
        o_start, o_end = self.norm.span(start, end)
        return make_finding(rule, severity, self.name, o_start, o_end, self.text[o_start:o_end], detail)


def make_finding(
    rule: Rule, severity: str, part: str | None, start: int, end: int, excerpt: str, detail: str | None = None
) -> Finding:
    if len(excerpt) > _EXCERPT_MAX:
        excerpt = excerpt[: _EXCERPT_MAX - 1] + "…"
    message = rule.message if not detail else f"{rule.message} {detail}"
    # every field comes from a validated rule or from the engine itself: skip re-validation
    return Finding.model_construct(
        rule_id=rule.id,
        category=rule.category,
        severity=severity,  # type: ignore[arg-type]
        part=part,
        start=start,
        end=end,
        excerpt=excerpt,
        article=rule.article,
        message=message,
        suggestion=rule.suggestion,
    )


@dataclass
class Target:
    """What is being checked: channel, parts and context."""

    channel: str
    parts: list[PartText]
    context: CheckContext
    template: bool

    @lazy
    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for part in self.parts:
            found |= part.placeholders
        return found

    def uses_placeholder(self, wanted: Sequence[str]) -> bool:
        if not self.placeholders:
            return False
        for name in wanted:
            if name.endswith(".*"):
                prefix = name[:-1]
                if any(p.startswith(prefix) for p in self.placeholders):
                    return True
            elif name in self.placeholders:
                return True
        return False

    @property
    def single_part(self) -> str | None:
        return self.parts[0].name if len(self.parts) == 1 else None


#: The context of a check given none (the engine only reads it; built once, not per check).
_NO_CONTEXT = CheckContext()


def resolve_target(target: object, channel: str | None, context: CheckContext | None) -> Target:
    """Turn a string or script into named parts; refuse what cannot be checked."""
    context = context or _NO_CONTEXT
    if isinstance(target, str):
        chan = channel or "texto"
        if chan not in CHANNELS:
            raise UnusableTextError(f"canal desconhecido '{channel}'; use um de: {', '.join(CHANNELS[:4])}")
        if not target or target.isspace():
            raise UnusableTextError("o texto está vazio: não há o que verificar")
        raw_parts = [(SINGLE_PART[chan], target)]
    elif hasattr(target, "parts") and hasattr(target, "channel"):
        chan = target.channel  # a Script knows its channel
        raw_parts = list(target.parts())
        if not any(text.strip() for _, text in raw_parts):
            raise UnusableTextError("o roteiro está vazio: não há o que verificar")
    else:
        raise UnusableTextError(
            f"não é possível verificar um objeto do tipo {type(target).__name__}: envie um texto ou um roteiro"
        )
    parts = [PartText(name, text) for name, text in raw_parts]
    template = context.template
    if template is None:
        template = any(has_placeholders(p.text) for p in parts)
    return Target(channel=chan, parts=parts, context=context, template=template)


def rule_applies(rule: Rule, target: Target) -> bool:
    return rule_applies_to(rule, target.channel, target.context.stage, target.context.objection)


def _run_pattern(rule: Rule, target: Target, severity: str) -> list[Finding]:
    found: list[Finding] = []
    message_excused: bool | None = None  # lawful context of the whole message, looked up once
    for part in target.parts:
        haystack = part.text if rule.match_on == "original" else part.norm.text
        last_end = -1
        spans: list[tuple[int, int]] = []
        for step in part.steps(rule, haystack):
            spans.extend(scan(step.regex, haystack, step.needs_boundary))
        if not spans:
            continue
        if rule.has_message_context:
            if message_excused is None:
                message_excused = _excused_by_message(rule, target)
            if message_excused:
                return []
        excused: dict[tuple[int, int], bool] = {}  # per sentence: a run of matches scans it once
        for start, end in sorted(spans):
            if start < last_end:  # overlapping match of the same rule
                continue
            if rule.has_sentence_context:
                bounds = (0, len(haystack)) if rule.match_on == "original" else part.sentence(start, end)
                if bounds not in excused:
                    excused[bounds] = _excused(rule, haystack, *bounds)
                if excused[bounds]:
                    continue
            if rule.negatable and _denied(part, haystack, start, end):
                continue
            last_end = end
            if rule.match_on == "original":
                found.append(make_finding(rule, severity, part.name, start, end, part.text[start:end]))
            else:
                found.append(part.finding(rule, severity, start, end))
    return found


def scan(
    regex: re.Pattern[str], text: str, needs_boundary: bool, first_only: bool = False
) -> list[tuple[int, int]]:
    """Non-empty match spans; with ``needs_boundary`` a match must start a word (the dropped ``\\b``).

    A match rejected for starting mid-word restarts the search one character
    later, so it never hides a real match that overlaps it.
    """
    out: list[tuple[int, int]] = []
    if not needs_boundary:
        for m in regex.finditer(text):
            if m.end() > m.start():
                out.append(m.span())
                if first_only:
                    break
        return out
    pos, size, search = 0, len(text), regex.search
    while pos <= size:
        m = search(text, pos)
        if m is None:
            break
        start, end = m.span()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
            pos = start + 1
            continue
        if end > start:
            out.append((start, end))
            if first_only:
                break
        pos = end if end > start else start + 1
    return out


#: A denial right before a match: a strong negation up to four words before it ("ninguém vai
#: penhorar", "nenhuma polícia"), "não" plus an auxiliary ("não vai ter polícia", "não pode
#: expor") or "não"/"nem" just before it ("não expõe", "nem uma citação"). "Não poderá viajar" and "dívida não paga dá
#: cadeia" assert the breach, so "não" alone further away denies nothing.
_DENIAL_BEFORE_RE = re.compile(
    r"(?:\b(?:ninguem|ngm|nenhum|nenhuma|jamais|nunca)\b(?! mais)(?: \S+){0,4}"
    r"|\bnao (?:vai|vao|ira|irao|sera|serao|ha|havera|tem|temos|existe|existem|pode|podem|podemos|vamos"
    r"|usamos|fazemos|praticamos|e|eh|foi|esta|vou|precisa|\w+amos|\w+emos|\w+imos)\b(?: \S+){0,3}|\bnao|\bnem(?: um| uma| o| a)?) ?$"
)
#: "Seu CPF não vai ser cancelado": the denial inside the match.
_DENIAL_IN_RE = re.compile(r"\bnao (?:(?:vai|vao|ira|irao) ser|sera|serao) ")
#: A condition is no denial: "se não pagar", "quem não paga", "enquanto não quitar".
_CONDITION_RE = re.compile(
    r"(\b(?:se|caso|senao|enquanto|ate que|quem|sem que)\b(?: \S+){0,2} )(?:nao|nunca|nem)\b"
)
#: Group 1 of a condition ends where its negation starts.
_NEGATOR_RE = re.compile(r"(?:nao|nunca|nem|jamais)\b")
#: A match followed by a denial: "prisão por dívida não existe", "o bloqueio do CPF é golpe".
_DENIAL_AFTER_RE = re.compile(
    r"^(?: \S+){0,4}? (?:nao existe|nao e verdade|nao procede|nao acontece|(?:isso )?(?:e|eh|sao) golpe)\b"
)


#: A new clause between a denial and the match ends the denial's reach: a colon or dash ("não vamos
#: mais esperar: vamos ligar"), "mas"/"porém" ("não é obrigado, mas vamos buscar") or a comma opening
#: the speaker's own statement ("não tem jeito, vamos penhorar").
_CLAUSE_BREAK_RE = re.compile(
    r"[:\u2013\u2014]|\s-\s|,? \b(?:mas|porem|contudo|entretanto)\b"
    r"|, (?=(?:e |entao |agora |ai |dai )?(?:vamos|vou|iremos|irei|a gente vai|eu vou|nos vamos)\b)"
)


def _denied(part: PartText, haystack: str, start: int, end: int) -> bool:
    """Whether a match is denied in its sentence, not asserted (rules marked ``negatable``)."""
    lo, hi = part.sentence(start, end)
    window = haystack[max(lo, start - 60) : start]
    breaks = [m.end() for m in _CLAUSE_BREAK_RE.finditer(window)]
    if breaks:
        window = window[breaks[-1] :]
    if _DENIAL_BEFORE_RE.search(window) or _DENIAL_IN_RE.search(haystack, start, end):
        return _CONDITION_RE.search(haystack[max(lo, start - 60) : end]) is None
    return _DENIAL_AFTER_RE.search(" " + haystack[end : min(hi, end + 80)].strip()) is not None


def _excused_by_message(rule: Rule, target: Target) -> bool:
    """Whether lawful context (``unless_message``, ``unless_context``) appears anywhere in the message."""
    original = rule.match_on == "original"
    return any(
        excused_in_message(rule.compiled_unless_message, part.text if original else part.norm.text)
        for part in target.parts
    )


def _context_in_text(rule: Rule, target: Target) -> bool:
    """Whether a shared context the rule names (or its own ``unless``) holds anywhere in the text.

    A ``check`` rule has no span, so its sentence-scope excuses are looked for in the whole text.

    A send at 21h is the customer's own choice when the message says so ("como você pediu, só
    agora de noite"): the send-time check names ``horario_pedido_pelo_cliente`` and is excused.
    """
    if not rule.unless_context:
        return False
    if _excused_by_message(rule, target):
        return True
    return any(excuse_in(excuse, part.norm.text) for part in target.parts for excuse in rule.compiled_unless)


def _excused(rule: Rule, haystack: str, lo: int, hi: int) -> bool:
    """Whether lawful wording (``unless``) appears in ``haystack[lo:hi]``, the match's sentence.

    A negation that opens a condition excuses nothing: "se não pagar, levamos o carro" is
    no "não levamos", so an ``unless`` match starting at such a "não" is skipped.
    """
    conditions: set[int] | None = None
    for excuse in rule.compiled_unless:
        for m in excuse_matches(excuse, haystack, lo, hi):
            if _NEGATOR_RE.match(haystack, m.start()) is None:
                return True
            if conditions is None:
                conditions = {c.end(1) for c in _CONDITION_RE.finditer(haystack, lo, hi)}
            if m.start() not in conditions:
                return True
    return False


def _triggered(rule: Rule, target: Target) -> bool:
    if rule.applies_if is None:
        return True
    if target.uses_placeholder(rule.applies_if.placeholders):
        return True
    possible = [p.possible for p in target.parts]
    if any(p is not None and rule.id in p.sure_triggers for p in possible):
        return True  # the RE2 set matched a trigger exactly
    if all(p is not None and rule.id not in p.triggers for p in possible):
        return False  # no trigger pattern can match anywhere
    return any(
        literals_present(groups, p.norm.text) and regex.search(p.norm.text)
        for regex, groups in rule.trigger_plan
        for p in target.parts
    )


def _run_requirement(rule: Rule, target: Target, severity: str) -> list[Finding]:
    if rule.match_on == "folded" and any(
        p.possible is not None and rule.id in p.possible.sure_steps for p in target.parts
    ):
        return []  # the RE2 set matched one of the patterns exactly: the requirement is met
    if not _triggered(rule, target):
        return []
    if target.uses_placeholder(rule.placeholders):
        return []
    for part in target.parts:
        haystack = part.text if rule.match_on == "original" else part.norm.text
        for step in part.steps(rule, haystack):
            if scan(step.regex, haystack, step.needs_boundary, first_only=True):
                return []
    name = target.context.creditor_name
    if "creditor_name" in rule.context_terms and name:
        folded = normalize(name).text.strip()
        if folded and any(folded in p.norm.text for p in target.parts):
            return []
    return [make_finding(rule, severity, target.single_part, 0, 0, "")]


def _run_check(rule: Rule, target: Target, severity: str) -> list[Finding]:
    if not _triggered(rule, target):
        return []
    hits = list(CHECKS[rule.check](target, rule.params))  # type: ignore[index]
    if not hits or _context_in_text(rule, target):  # the context is looked up only for a hit
        return []
    out = []
    for hit in hits:
        excerpt = ""
        if hit.part is not None:
            text = next(p.text for p in target.parts if p.name == hit.part)
            excerpt = text[hit.start : hit.end]
        out.append(
            make_finding(rule, hit.severity or severity, hit.part, hit.start, hit.end, excerpt, hit.detail)
        )
    return out


Runner = Callable[[Rule, "Target", str], list[Finding]]


def _reported_rules(
    rules: RuleCatalog, possible: list[Possible], key: tuple[str, str | None, str | None, bool]
) -> list[tuple[Runner, Rule, str]]:
    """The rules worth running once the RE2 set has answered for every part.

    The folded-pattern rules it reported, then every other kind except the
    folded requirements it saw surely met and, in a text without placeholders,
    the rules whose trigger cannot match. ``key``: channel, stage, objection
    and "the target has placeholders". Kept on a single part's (shared,
    memoised) answer, since messages from one template get the same answer.
    """
    if len(possible) == 1:
        known = possible[0].plans.get(key)
        if known is not None:
            return known
    channel, stage, objection, has_placeholders = key
    by_id, others = rules.applicable_split(channel, stage, objection)
    reported: set[str] = set().union(*(p.steps for p in possible))
    sure: set[str] = set().union(*(p.sure_steps for p in possible))
    triggers: set[str] = set().union(*(p.triggers for p in possible))
    selected = [(_run_pattern, *by_id[i]) for i in sorted(reported) if i in by_id]
    for rule, severity in others:
        if rule.kind == "requirement" and rule.match_on == "folded" and rule.id in sure:
            continue  # met (``_run_requirement`` would say so first)
        if rule.applies_if is not None and not has_placeholders and rule.id not in triggers:
            continue  # not triggered (``_triggered``: no placeholder, no trigger pattern can match)
        selected.append((_RUNNERS[rule.kind], rule, severity))
    if len(possible) == 1:
        possible[0].plans[key] = selected
    return selected


def _cannot_match(rule: Rule, part: PartText) -> bool:
    """Whether the part's prefilters already rule out every pattern of ``rule``."""
    if part.possible is not None and rule.match_on == "folded":
        return rule.id not in part.possible.steps
    return not rule.always_steps and part.candidates is not None and rule.id not in part.candidates


_RUNNERS = {"pattern": _run_pattern, "requirement": _run_requirement, "check": _run_check}


def run_rules(target: Target, rules: RuleCatalog | Sequence[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    if isinstance(rules, RuleCatalog):
        for part in target.parts:
            part.possible = rules.possible(part.norm.text)
            if part.possible is None:  # the RE2 set could not answer: word and literal prefilters
                part.candidates = rules.keyed_steps(part.words)
                part.finder = rules.literal_finder
        context = target.context
        selected: Iterable[tuple[Rule, str]] = rules.applicable(
            target.channel, context.stage, context.objection
        )
        possible = [p.possible for p in target.parts]
        if None not in possible:
            key = (target.channel, context.stage, context.objection, bool(target.placeholders))
            for runner, rule, severity in _reported_rules(rules, possible, key):  # type: ignore[arg-type]
                found = runner(rule, target, severity)
                if found:
                    findings.extend(found)
            return _sorted(findings, target)
    else:
        selected = ((r, r.severity_for(target.channel)) for r in rules if rule_applies(r, target))
    parts = target.parts
    for rule, severity in selected:
        if rule.kind == "pattern" and all(_cannot_match(rule, p) for p in parts):
            continue  # no pattern of this rule can match in any part
        found = _RUNNERS[rule.kind](rule, target, severity)
        if found:
            findings.extend(found)
    return _sorted(findings, target)


def _sorted(findings: list[Finding], target: Target) -> list[Finding]:
    """Blocks first, then by part, position and rule id."""
    if len(findings) < 2:
        return findings
    order = {p.name: i for i, p in enumerate(target.parts)}
    findings.sort(
        key=lambda f: (
            SEVERITY_ORDER[f.severity],
            order.get(f.part, -1) if f.part else -1,
            f.start,
            f.rule_id,
        )
    )
    return findings


def warned_category(findings: list[Finding], part: str, start: int, end: int) -> str | None:
    """The legal category a rule already warns of, preferring a warning overlapping ``[start, end)``.

    When a rule has seen the abuse but only warns, its category is named by wording a person
    wrote; the classifier's own category guess is the fallback (cross-validated on the
    development split, a warning's category was right more often than the model's).
    """
    warned = [f for f in findings if f.severity == "warn" and f.category in LEGAL_CATEGORIES]
    for f in warned:
        if f.part == part and f.start < end and start < f.end:
            return f.category
    return warned[0].category if warned else None


def model_findings(target: Target, findings: list[Finding]) -> list[Finding]:
    """The classifier's finding (second layer), unless a rule already blocked where it points.

    The classifier scores the whole message (every part) and relies on the piece
    that weighs most; a rule block in a legal category overlapping that piece
    already explains it, so the classifier adds nothing there. ``modelo.<categoria>`` is
    a block from the threshold chosen on the development split, a warning below; its
    category is a rule warning's, when one was raised (:func:`warned_category`).
    """
    classifier = get_classifier()
    suspicion = classifier.suspect([p.norm.text for p in target.parts])
    if suspicion is None:
        return []
    part = target.parts[suspicion.part]
    start, end = part.norm.span(suspicion.start, suspicion.end)
    while start < end and part.text[start].isspace():
        start += 1
    if any(
        f.part == part.name
        and f.severity == "block"
        and f.category in LEGAL_CATEGORIES
        and f.start < end
        and start < f.end
        for f in findings
    ):
        return []
    category = warned_category(findings, part.name, start, end) or suspicion.category
    text = category_texts()[category]
    threshold = classifier.meta.block_threshold
    # a threshold of 1.0 means training found none within budget: the model only warns
    severity = "block" if threshold < 1.0 and suspicion.probability >= threshold else "warn"
    excerpt = part.text[start:end].strip()
    if len(excerpt) > _EXCERPT_MAX:
        excerpt = excerpt[: _EXCERPT_MAX - 1] + "…"
    return [
        Finding.model_construct(
            rule_id=f"modelo.{category}",
            category=category,
            severity=severity,
            part=part.name,
            start=start,
            end=end,
            excerpt=excerpt,
            article=text.article,
            message=(
                f"O classificador suspeita de {CATEGORY_LABELS[category].lower()} neste trecho "
                f"(confiança {suspicion.probability:.0%}), embora nenhuma regra o descreva."
            ),
            suggestion=text.suggestion,
            confidence=round(suspicion.probability, 3),
        )
    ]


def check(
    target: str | Script,
    channel: str | None = None,
    context: CheckContext | None = None,
    model: bool = True,
) -> Report:
    """Check a text or a script against the rule catalog, then the classifier.

    ``channel`` applies to plain strings (a script carries its own channel and
    the argument is ignored); ``None`` checks the text without channel rules
    (pseudo-channel ``texto``). ``model=False`` runs the rules alone (the
    classifier's training measures them so). Raises
    :class:`UnusableTextError` (exit code 2) only for input that cannot be checked.
    """
    resolved = resolve_target(target, channel, context)
    findings = run_rules(resolved, load_rules())
    if model:
        extra = model_findings(resolved, findings)
        if extra:
            findings = _sorted([*findings, *extra], resolved)
    # findings and metrics are built by the engine from validated data: no second validation
    return Report.model_construct(
        passed=not any(f.severity == "block" for f in findings),
        findings=findings,
        metrics=compute_metrics(resolved),
    )
