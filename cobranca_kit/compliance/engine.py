"""The checker: runs the rule catalog over the parts of a text or script."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cobranca_kit.compliance.normalize import Normalized, has_placeholders, normalize, placeholder_names
from cobranca_kit.compliance.report import SEVERITY_ORDER, CheckContext, Finding, Report
from cobranca_kit.compliance.rules import (
    CHANNELS,
    LiteralFinder,
    Rule,
    RuleCatalog,
    ScanStep,
    literals_present,
    load_rules,
    rule_applies_to,
    text_keys,
)
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
_SENTENCE_BOUNDARY_RE = re.compile(r"[.!?;]+(?=\s)|\n")
_EXCERPT_MAX = 120
_WORD_RE = re.compile(r"\w+")


class UnusableTextError(ComplianceError):
    """The input cannot be checked at all (not text, or empty)."""

    exit_code = 2


@dataclass
class PartText:
    """One part of a script, folded once and shared by every rule."""

    name: str
    text: str
    norm: Normalized = field(init=False)
    #: rule id -> keyed scan steps whose prefilter keys occur in this part (set by ``run_rules``)
    candidates: dict[str, list[ScanStep]] | None = field(default=None, init=False)
    #: finds the required literals present in a haystack (set by ``run_rules``; None: test each with ``in``)
    finder: LiteralFinder | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.norm = normalize(self.text)

    @cached_property
    def placeholders(self) -> set[str]:
        return placeholder_names(self.text) if "{{" in self.text else set()

    @cached_property
    def keys(self) -> set[str]:
        """Prefilter keys of the folded words (see ``rules.literal_keys``)."""
        return text_keys(self.words)

    @cached_property
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

    @cached_property
    def present(self) -> set[str]:
        """Required literals (of any rule) found in the folded text; needs ``finder``."""
        return self.finder(self.norm.text)  # type: ignore[misc]

    @cached_property
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

    @cached_property
    def placeholders(self) -> set[str]:
        found: set[str] = set()
        for part in self.parts:
            found |= part.placeholders
        return found

    def uses_placeholder(self, wanted: Sequence[str]) -> bool:
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


def resolve_target(target: object, channel: str | None, context: CheckContext | None) -> Target:
    """Turn a string or script into named parts; refuse what cannot be checked."""
    context = context or CheckContext()
    if isinstance(target, str):
        chan = channel or "texto"
        if chan not in CHANNELS:
            raise UnusableTextError(f"canal desconhecido '{channel}'; use um de: {', '.join(CHANNELS[:4])}")
        if not target.strip():
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
    for part in target.parts:
        haystack = part.text if rule.match_on == "original" else part.norm.text
        last_end = -1
        spans: list[tuple[int, int]] = []
        for step in part.steps(rule, haystack):
            spans.extend(scan(step.regex, haystack, step.needs_boundary))
        if not spans:
            continue
        for start, end in sorted(spans):
            if start < last_end:  # overlapping match of the same rule
                continue
            if rule.unless and _excused(rule, part, haystack, start, end):
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


def _excused(rule: Rule, part: PartText, haystack: str, start: int, end: int) -> bool:
    if rule.match_on == "original":
        lo, hi = 0, len(haystack)
    else:
        lo, hi = part.sentence(start, end)
    return any(regex.search(haystack, lo, hi) for regex in rule.compiled_unless)


def _triggered(rule: Rule, target: Target) -> bool:
    if rule.applies_if is None:
        return True
    if target.uses_placeholder(rule.applies_if.placeholders):
        return True
    return any(
        literals_present(groups, p.norm.text) and regex.search(p.norm.text)
        for regex, groups in rule.trigger_plan
        for p in target.parts
    )


def _run_requirement(rule: Rule, target: Target, severity: str) -> list[Finding]:
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
    from cobranca_kit.compliance.checks import CHECKS

    if not _triggered(rule, target):
        return []
    out = []
    for hit in CHECKS[rule.check](target, rule.params):  # type: ignore[index]
        excerpt = ""
        if hit.part is not None:
            text = next(p.text for p in target.parts if p.name == hit.part)
            excerpt = text[hit.start : hit.end]
        out.append(
            make_finding(rule, hit.severity or severity, hit.part, hit.start, hit.end, excerpt, hit.detail)
        )
    return out


_RUNNERS = {"pattern": _run_pattern, "requirement": _run_requirement, "check": _run_check}


def run_rules(target: Target, rules: RuleCatalog | Sequence[Rule]) -> list[Finding]:
    findings: list[Finding] = []
    if isinstance(rules, RuleCatalog):
        for part in target.parts:
            part.candidates = rules.keyed_steps(part.words)
            part.finder = rules.literal_finder
        context = target.context
        selected: Iterable[tuple[Rule, str]] = rules.applicable(
            target.channel, context.stage, context.objection
        )
    else:
        selected = ((r, r.severity_for(target.channel)) for r in rules if rule_applies(r, target))
    parts = target.parts
    for rule, severity in selected:
        if (
            rule.kind == "pattern"
            and not rule.always_steps
            and all(p.candidates is not None and rule.id not in p.candidates for p in parts)
        ):
            continue  # no pattern of this rule can match: its first words are nowhere
        found = _RUNNERS[rule.kind](rule, target, severity)
        if found:
            findings.extend(found)
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


def check(target: str | Script, channel: str | None = None, context: CheckContext | None = None) -> Report:
    """Check a text or a script against the rule catalog.

    ``channel`` applies to plain strings (a script carries its own channel and
    the argument is ignored); ``None`` checks the text without channel rules
    (pseudo-channel ``texto``). Raises
    :class:`UnusableTextError` (exit code 2) only for input that cannot be checked.
    """
    from cobranca_kit.compliance.metrics import compute_metrics

    resolved = resolve_target(target, channel, context)
    findings = run_rules(resolved, load_rules())
    # findings and metrics are built by the engine from validated data: no second validation
    return Report.model_construct(
        passed=not any(f.severity == "block" for f in findings),
        findings=findings,
        metrics=compute_metrics(resolved),
    )
