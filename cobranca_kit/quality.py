"""Is a template (or an LLM draft) a real pt-BR message? Checks that the compliance
rules do not make, because they judge what a text says, not whether it is one.

A template is refused when it is

* a copy of the example shown to the model (``PROMPT_EXAMPLES``, the one source the
  prompt files print as ``exemplo_json``);
* filler: ``...`` standing for text, a part with no words, too few real words, or
  one word repeated;
* not Portuguese: few common pt-BR function words, or more English ones;
* carrying literal personal data where a placeholder belongs: CPF/CNPJ, phone,
  e-mail (also spelled out), a name after a greeting, an amount, a date, an
  outside link, or any example value of the placeholder schema (``data/fields.yaml``,
  e.g. "Mariana"): the suggestion names the schema's placeholder for each kind.

Everything runs on the template source with its ``{{ }}``/``{% %}`` tags replaced by
a marker character, so placeholders never count as words or as personal data.
``personal_data`` is shared with the screen of the drafting instructions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cobranca_kit.fields import get_fields

#: The JSON shape asked of the model, per channel (mirrors ``cobranca_kit.script``).
#: ``prompts/rascunho.j2`` prints it; a draft that only copies it is refused.
PROMPT_EXAMPLES: dict[str, dict[str, Any]] = {
    "whatsapp": {
        "channel": "whatsapp",
        "mensagens": [
            "Oi, {{ cliente.primeiro_nome }}! ...",
            "... {{ divida.valor | moeda }} ... {{ divida.vencimento | data }} ...",
            "{{ pagamento.pix_copia_e_cola }}",
        ],
    },
    "sms": {"channel": "sms", "texto": "{{ cliente.primeiro_nome }}, ... {{ pagamento.link }} ..."},
    "email": {
        "channel": "email",
        "assunto": "...",
        "corpo": "Olá, {{ cliente.primeiro_nome }}.\n\n...",
        "assinatura": "{{ empresa.nome }}\nCNPJ {{ empresa.cnpj }}\n{{ empresa.endereco }}\n...",
    },
    "telefone": {
        "channel": "telefone",
        "passos": [
            {"etapa": "abertura", "fala": "..."},
            {"etapa": "identificacao", "fala": "..."},
            {"etapa": "confirmacao_titular", "fala": "..."},
            {"etapa": "situacao", "fala": "..."},
            {"etapa": "opcoes", "fala": "..."},
            {"etapa": "objecao", "fala": "..."},
            {"etapa": "encerramento", "fala": "..."},
        ],
    },
}

#: Fewest real words (two letters or more, outside placeholders) a whole script needs.
MIN_WORDS = 5
#: A script of this many distinct words or fewer, each repeated, is filler ("texto texto texto...").
MAX_DISTINCT_FILLER = 3
#: Below this share of common pt-BR words (texts of ``LANGUAGE_MIN_WORDS`` words or more) a text is not Portuguese.
MIN_PT_SHARE = 0.15
LANGUAGE_MIN_WORDS = 6

MARK = "\ue000"  # stands for a Jinja tag: not a letter, not a digit, not a space
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_WORD = re.compile(r"[^\W\d_]+")
_ELLIPSIS = re.compile(r"(?:^|(?<=[\s" + MARK + r"]))(?:\.{3,}|…)(?=[\s,;:!?" + MARK + r"]|$)")


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _word_set(words: str) -> frozenset[str]:
    return frozenset(_fold(w) for w in words.split())


# Common function words (accents folded). English words that are also Portuguese
# ("a", "no", "as", "do", "me") are left out of the English list.
PT_WORDS = _word_set(
    """a o as os um uma uns umas de do da dos das em no na nos nas num numa por pelo pela pelos
    pelas para pra com sem sobre ate apos e ou mas que se nao ja tambem so muito mais menos como quando
    onde qual seu sua seus suas voce voces nos nosso nossa nossos nossas meu minha este esta estes estas
    isso isto esse essa aqui e esta estao sao foi ser ter tem ha pode podemos posso vamos hoje agora
    ainda ola oi bom boa dia tarde noite obrigado obrigada favor caso ao aos lhe entre"""
)
EN_WORDS = _word_set(
    """the and you your to of is are was for this that with we our us please on at by from be have
    has it its an if can will would should thank thanks hello hi dear payment due amount here"""
)

_MONTHS = "janeiro|fevereiro|março|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
#: Personal data that must be a placeholder, never literal (shared with the instructions screen).
PERSONAL_PATTERNS: dict[str, re.Pattern[str]] = {
    "CPF ou CNPJ": re.compile(
        r"(?<!\d)(?:\d{3}[.\s]?\d{3}[.\s]?\d{3}[-\s.]?\d{2}|\d{2}[.\s]?\d{3}[.\s]?\d{3}[/\s]?\d{4}[-\s.]?\d{2})(?!\d)"
    ),
    "e-mail": re.compile(
        r"[\w.+-]+\s?@\s?[\w-]+(?:\s?\.\s?[\w-]+)+"
        r"|\b[\w.+-]+\s*[\(\[]?\s*(?:arroba|at)\s*[\)\]]?\s*[\w-]+(?:\s*[\(\[]?\s*(?:ponto|dot)\s*[\)\]]?\s*\w+)+",
        re.I,
    ),
    "telefone": re.compile(
        r"(?<![\d\w])(?:\+?\s?55[\s.-]?)?(?:\(\s?0?\d{2}\s?\)|0?\d{2})?[\s.-]?9?\s?\d{4}[\s.-]?\d{4}(?!\d)"
        r"|(?<!\d)0(?:800|300|500|900)[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)"
    ),
}
_LITERALS: dict[str, re.Pattern[str]] = {
    "valor em reais": re.compile(r"R\$\s?\d|(?<![\d,.])\d{1,3}(?:\.\d{3})*,\d{2}\s*reais\b", re.I),
    "data": re.compile(
        rf"(?<![\d/])(?!24/7(?![\d/]))\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?(?![\d/])"  # "24/7" is not a date
        rf"|\b\d{{1,2}} de (?:{_MONTHS})\b",
        re.I,
    ),
    "link de fora": re.compile(r"https?://|\bwww\.", re.I),
}
_DIGIT = re.compile(r"\d")
_MAIL_HINT = re.compile(r"@|arroba|\bat\b")
_GREETING = re.compile(
    r"(?i:\b(?:oi|olá|ola|bom dia|boa tarde|boa noite|prezad[oa]|car[oa]|querid[oa])),?\s+"
    r"(?:(?i:sr|sra|srta|dr|dra)\.?\s+|(?i:senhor|senhora|dona|seu)\s+)?([A-ZÀ-Ý][a-zà-ÿ]{2,})"
)
_NOT_NAMES = _word_set(
    """cliente clientes consumidor consumidora tudo como aqui somos equipe time estamos esperamos
    passando hoje gostariamos gostaria espero senhor senhora voce obrigado obrigada bem sua seu
    este esta estou meu minha nosso nossa prezado prezada cara caro"""
)


# Which schema placeholders replace each kind of literal (only names present in the schema are shown).
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "CPF ou CNPJ": ("cliente.documento_mascarado", "empresa.cnpj"),
    "telefone": ("empresa.atendimento",),
    "e-mail": ("empresa.atendimento",),
    "valor em reais": ("divida.valor | moeda", "acordo.valor_parcela | moeda"),
    "data": ("divida.vencimento | data", "acordo.validade | data"),
    "link de fora": ("pagamento.link",),
    "nome depois da saudação": ("cliente.primeiro_nome",),
}


@lru_cache(maxsize=1)
def _schema_examples() -> tuple[tuple[str, str], ...]:
    """``(example value, field)`` of the schema's textual examples (fictitious sample data)."""
    out = []
    for spec in get_fields().campos:
        value = spec.exemplo
        if isinstance(value, str) and len(value) >= 5 and _WORD.search(value):
            out.append((value, spec.nome))
    return tuple(out)


def _placeholders_for(what: str, field: str | None = None) -> str:
    names = set(get_fields().names())
    wanted = (field,) if field else _KIND_FIELDS.get(what, ())
    shown = [f"{{{{ {n} }}}}" for n in wanted if n.split(" |")[0] in names]
    return " ou ".join(shown) or "as variáveis do esquema (cobranca-kit catalogo)"


@dataclass(frozen=True, slots=True)
class QualityProblem:
    """One reason a template is not a real message (pt-BR ``message``)."""

    code: str  # copia_exemplo, enchimento, nao_portugues, dado_pessoal
    part: str | None
    excerpt: str
    message: str
    suggestion: str

    def to_finding(self) -> dict[str, Any]:
        """The problem in the shape of a compliance finding (a block)."""
        return {
            "rule_id": f"qualidade.{self.code}",
            "category": "qualidade",
            "severity": "block",
            "part": self.part,
            "start": 0,
            "end": 0,
            "excerpt": self.excerpt,
            "article": "",
            "message": self.message,
            "suggestion": self.suggestion,
        }


def strip_tags(text: str) -> str:
    """The text with every Jinja tag replaced by ``MARK``."""
    return _TAG.sub(MARK, text) if "{" in text else text


def personal_data(text: str) -> list[tuple[str, str]]:
    """``(what, excerpt)`` for each kind of literal personal data in ``text`` (tags ignored)."""
    plain = strip_tags(text)
    found = []
    for what, pattern in PERSONAL_PATTERNS.items():
        match = pattern.search(plain)
        if match:
            found.append((what, match.group(0).strip()))
    return found


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _normal(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=16)
def _example_texts(channel: str) -> frozenset[str]:
    example = PROMPT_EXAMPLES.get(channel, {})
    texts: list[str] = []
    for key, value in example.items():
        if key == "channel":
            continue
        if isinstance(value, str):
            texts.append(value)
        else:
            texts += [v["fala"] if isinstance(v, dict) else v for v in value]
    # a part that is only a placeholder ("{{ pagamento.pix_copia_e_cola }}") is a legitimate message
    return frozenset(_normal(t) for t in texts if _words(strip_tags(t)) or "..." in t)


def _copy_problems(channel: str, parts: list[tuple[str, str]]) -> list[QualityProblem]:
    examples = _example_texts(channel)
    copied = [(name, text) for name, text in parts if _normal(text) in examples]
    if not copied:
        return []
    name, text = copied[0]
    return [
        QualityProblem(
            "copia_exemplo",
            name,
            text[:80],
            f"{len(copied)} parte(s) repetem o exemplo de formato do prompt em vez de trazer uma mensagem.",
            "Escreva o texto completo da mensagem; o exemplo só mostra o formato da resposta.",
        )
    ]


def _filler_problems(
    parts: list[tuple[str, str]], plain: list[tuple[str, str]], part_words: list[list[str]]
) -> list[QualityProblem]:
    out = []
    for (name, text), (_, bare), found in zip(parts, plain, part_words, strict=True):
        ellipsis = _ELLIPSIS.search(bare)
        if ellipsis:
            out.append(
                QualityProblem(
                    "enchimento",
                    name,
                    text[:80],
                    "a parte usa '...' no lugar de texto: é um esboço, não uma mensagem.",
                    "Troque as reticências pelo texto que o cliente vai ler.",
                )
            )
        elif not found and MARK not in bare:
            out.append(
                QualityProblem(
                    "enchimento",
                    name,
                    text[:80],
                    "a parte não tem nenhuma palavra.",
                    "Escreva o texto da parte ou remova-a.",
                )
            )
    words = [w for found in part_words for w in found if len(w) >= 2]
    if len(words) < MIN_WORDS:
        out.append(
            QualityProblem(
                "enchimento",
                None,
                " ".join(words)[:80],
                f"o roteiro tem só {len(words)} palavra(s) fora das variáveis; o mínimo é {MIN_WORDS}.",
                "Escreva uma mensagem completa: quem fala, o motivo e como resolver.",
            )
        )
    elif len(words) >= 2 * MAX_DISTINCT_FILLER and len({_fold(w) for w in words}) <= MAX_DISTINCT_FILLER:
        out.append(
            QualityProblem(
                "enchimento",
                None,
                " ".join(words[:8]),
                f"o roteiro repete sempre as mesmas {MAX_DISTINCT_FILLER} palavras ou menos: é texto de enchimento.",
                "Escreva frases reais para o cliente.",
            )
        )
    return out


def _language_problems(part_words: list[list[str]]) -> list[QualityProblem]:
    words = [_fold(w) for found in part_words for w in found]
    if len(words) < LANGUAGE_MIN_WORDS:
        return []
    pt = sum(w in PT_WORDS for w in words)
    en = sum(w in EN_WORDS for w in words)
    if pt >= MIN_PT_SHARE * len(words) and en <= pt:
        return []
    return [
        QualityProblem(
            "nao_portugues",
            None,
            " ".join(words[:8]),
            f"o texto não parece estar em português ({pt} de {len(words)} palavras são palavras comuns do "
            f"português; {en} do inglês).",
            "Escreva a mensagem em português do Brasil.",
        )
    ]


def _literal_problems(plain: list[tuple[str, str]]) -> list[QualityProblem]:
    out = []
    for name, bare in plain:
        # cheap necessary conditions first: most templates have few digits, no "@" and no link
        low = bare.lower()
        digits = _DIGIT.search(bare) is not None
        patterns = [(w, p) for w, p in PERSONAL_PATTERNS.items() if digits or w == "e-mail"]
        patterns += [(w, p) for w, p in _LITERALS.items() if digits or w == "link de fora"]
        if not _MAIL_HINT.search(low):
            patterns = [(w, p) for w, p in patterns if w != "e-mail"]
        if "http" not in low and "www." not in low:
            patterns = [(w, p) for w, p in patterns if w != "link de fora"]
        found: list[tuple[str, str, str | None]] = [
            (what, m.group(0), None) for what, p in patterns if (m := p.search(bare))
        ]
        for m in _GREETING.finditer(bare):
            if _fold(m.group(1)) not in _NOT_NAMES:
                found.append(("nome depois da saudação", m.group(0), None))
                break
        for value, field in _schema_examples():
            if value in bare:
                found.append((f"o valor de exemplo de {{{{ {field} }}}}", value, field))
        for what, match, field in found:
            excerpt = match.replace(MARK, "{{…}}").strip()
            out.append(
                QualityProblem(
                    "dado_pessoal",
                    name,
                    excerpt,
                    f"o modelo traz {what} escrito por extenso («{excerpt}»); dados do cliente, da "
                    "dívida e do pagamento entram por variáveis, nunca fixos no texto.",
                    f"Use {_placeholders_for(what, field)}.",
                )
            )
    return out


def quality_problems(channel: str, parts: list[tuple[str, str]]) -> list[QualityProblem]:
    """Every reason the template ``parts`` of ``channel`` is not a real pt-BR message."""
    plain = [(name, strip_tags(text)) for name, text in parts]
    copies = _copy_problems(channel, parts)
    if copies:
        return copies
    part_words = [_words(bare) for _, bare in plain]
    return (
        _filler_problems(parts, plain, part_words) + _language_problems(part_words) + _literal_problems(plain)
    )
