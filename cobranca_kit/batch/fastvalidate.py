"""Chunk-at-once validation of portfolio rows, equal to :func:`portfolio.validate_row` row by row.

``validate_row`` spends most of its time in ``phonenumbers.parse`` and in
validate-docbr. Here a whole chunk is validated column by column:

- phones written in a few canonical forms (``(11) 98765-4321``, ``11987654321``,
  ``+55 11 98765-4321`` ...) are reduced to their national number and typed with
  phonenumbers' own BR metadata (the same descriptions, lengths and patterns that
  ``phonenumbers.number_type`` tests, in the same order), applied with pyarrow to
  the whole column; any other spelling goes through ``phonenumbers.parse``;
- CPF/CNPJ check digits are computed with numpy on digit matrices (numbers made of
  one repeated digit refused, as validate-docbr does);
- amounts in ``1.234,56`` form are converted directly, other forms by
  :func:`portfolio.parse_amount`; dates, opt-outs and contact lists are parsed
  once per distinct value by the original parsers.

A row with anything unusual (a value that is not text, a field that fails) is
handed to :func:`portfolio.validate_row` itself, so every rejection and its
reason come from that one implementation. ``tests/test_batch_fastvalidate.py``
holds both equal over many generated values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import PhoneNumberType

from cobranca_kit.batch import portfolio as pf
from cobranca_kit.batch.portfolio import Debtor, RawChunk, Rejection
from cobranca_kit.config import UFS

# --------------------------------------------------------------------------- phones

# Spellings whose national number is simply their digits (after "+55" when written):
# DDD in parentheses or not, optional space and hyphen, or digits only.
_PHONE_FORM = (
    r"^(?:"
    r"\([1-9][0-9]\) ?[0-9]{4,5}-?[0-9]{4}"
    r"|[1-9][0-9]{9,10}"
    r"|[1-9][0-9] [0-9]{4,5}-?[0-9]{4}"
    r"|\+55 ?\(?[1-9][0-9]\)? ?[0-9]{4,5}-?[0-9]{4}"
    r"|\+55[1-9][0-9]{9,10}"
    r")$"
)

# The descriptions ``phonenumbers._number_type_helper`` tests after the general
# one, in its order, with the type each gives.
_OTHER_TYPES = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)
_MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def _matches_desc(numbers: pa.Array, lengths: np.ndarray, desc: Any) -> np.ndarray:
    """``phonenumbers._is_number_matching_desc`` for a whole array of national numbers."""
    if desc is None or not desc.national_number_pattern:
        return np.zeros(len(numbers), dtype=bool)
    found = pc.match_substring_regex(numbers, f"^(?:{desc.national_number_pattern})$")
    out = found.to_numpy(zero_copy_only=False).astype(bool)
    if desc.possible_length:
        out &= np.isin(lengths, list(desc.possible_length))
    return out


def br_number_types(national: Sequence[str]) -> np.ndarray:
    """``phonenumbers.number_type`` of Brazilian national numbers (digit strings), as ints."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region("BR")
    numbers = pa.array(national, type=pa.string())
    lengths = pc.utf8_length(numbers).to_numpy(zero_copy_only=False)
    kind = np.full(len(national), int(PhoneNumberType.UNKNOWN), dtype=np.int16)
    decided = ~_matches_desc(numbers, lengths, meta.general_desc)
    for attr, number_type in _OTHER_TYPES:
        hit = ~decided & _matches_desc(numbers, lengths, getattr(meta, attr))
        kind[hit] = int(number_type)
        decided |= hit
    mobile = _matches_desc(numbers, lengths, meta.mobile)
    fixed = ~decided & _matches_desc(numbers, lengths, meta.fixed_line)
    if meta.same_mobile_and_fixed_line_pattern:
        kind[fixed] = int(PhoneNumberType.FIXED_LINE_OR_MOBILE)
    else:
        kind[fixed & mobile] = int(PhoneNumberType.FIXED_LINE_OR_MOBILE)
        kind[fixed & ~mobile] = int(PhoneNumberType.FIXED_LINE)
    decided |= fixed
    if not meta.same_mobile_and_fixed_line_pattern:
        kind[~decided & mobile] = int(PhoneNumberType.MOBILE)
    return kind


def canonical_national_numbers(texts: Sequence[str | None]) -> list[str | None]:
    """The national number of each text in a canonical form, or None (another spelling).

    Only spellings for which ``phonenumbers.parse(text, "BR")`` keeps exactly these
    digits: no leading 0 or 90 (national and carrier prefixes it would strip) and,
    without "+55", no leading 55 (which it may take for the country code).
    """
    arr = pa.array(texts, type=pa.string())
    form = pc.fill_null(pc.match_substring_regex(arr, _PHONE_FORM), False)
    digits = pc.replace_substring_regex(arr, "[^0-9]", "")
    plus = pc.fill_null(pc.starts_with(arr, "+"), False)
    national = pc.if_else(plus, pc.utf8_slice_codeunits(digits, 2), digits)
    bad = pc.or_(
        pc.starts_with(national, "90"),
        pc.and_(pc.invert(plus), pc.starts_with(national, "55")),
    )
    keep = pc.and_(form, pc.invert(pc.fill_null(bad, True)))
    return pc.if_else(keep, national, pa.scalar(None, pa.string())).to_pylist()


def phones(raws: Sequence[Any]) -> list[tuple[str | None, bool] | None]:
    """``portfolio._phone`` of each value: (E.164, mobile), or None where it would refuse the value."""
    texts = [v.strip() or None if type(v) is str else None for v in raws]
    national = canonical_national_numbers(texts)
    where = [i for i, d in enumerate(national) if d is not None]
    kinds = br_number_types([national[i] for i in where]) if where else []
    out: list[tuple[str | None, bool] | None] = [None] * len(raws)
    unknown, mobile = int(PhoneNumberType.UNKNOWN), {int(t) for t in _MOBILE_TYPES}
    for i, kind in zip(where, kinds.tolist() if where else [], strict=True):
        if kind != unknown:
            out[i] = ("+55" + national[i], kind in mobile)  # type: ignore[operator]
    for i, d in enumerate(national):
        if d is not None:
            continue
        raw = raws[i]
        if raw is None or (type(raw) is str and texts[i] is None):
            out[i] = (None, False)
            continue
        try:
            out[i] = pf._phone(raw)
        except Exception:  # refused (or worse): validate_row decides for the row
            out[i] = None
    return out


# --------------------------------------------------------------------------- CPF / CNPJ

_CPF_FORM = r"^(?:[0-9]{11}|[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2})$"
_CNPJ_FORM = r"^(?:[0-9]{14}|[0-9]{2}\.[0-9]{3}\.[0-9]{3}/[0-9]{4}-[0-9]{2})$"
_CPF_W1 = np.arange(10, 1, -1)
_CPF_W2 = np.arange(11, 1, -1)
_CNPJ_W1 = np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])
_CNPJ_W2 = np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])


def _digit_matrix(numbers: list[str], width: int) -> np.ndarray:
    raw = np.frombuffer("".join(numbers).encode("ascii"), dtype=np.uint8)
    return raw.reshape(len(numbers), width).astype(np.int64) - 48


def cpf_valid(numbers: list[str]) -> np.ndarray:
    """validate-docbr's ``CPF().validate`` for 11-digit strings."""
    if not numbers:
        return np.zeros(0, dtype=bool)
    d = _digit_matrix(numbers, 11)
    first = (d[:, :9] @ _CPF_W1 * 10) % 11
    first[first == 10] = 0
    second = (d[:, :10] @ _CPF_W2 * 10) % 11
    second[second == 10] = 0
    repeated = (d == d[:, :1]).all(axis=1)
    return ~repeated & (first == d[:, 9]) & (second == d[:, 10])


def cnpj_valid(numbers: list[str]) -> np.ndarray:
    """validate-docbr's ``CNPJ().validate`` for 14-digit strings."""
    if not numbers:
        return np.zeros(0, dtype=bool)
    d = _digit_matrix(numbers, 14)
    rest = (d[:, :12] @ _CNPJ_W1) % 11
    first = np.where(rest < 2, 0, 11 - rest)
    rest = (d[:, :13] @ _CNPJ_W2) % 11
    second = np.where(rest < 2, 0, 11 - rest)
    repeated = (d == d[:, :1]).all(axis=1)
    return ~repeated & (first == d[:, 12]) & (second == d[:, 13])


def documents(raws: Sequence[Any]) -> list[tuple[str, str] | None]:
    """``portfolio._document`` of each value: (digits, "cpf"/"cnpj"), or None where it would refuse it."""
    texts = [v.strip() if type(v) is str else None for v in raws]
    arr = pa.array(texts, type=pa.string())
    digits = pc.replace_substring_regex(arr, "[./-]", "").to_pylist()
    out: list[tuple[str, str] | None] = [None] * len(raws)
    pending = np.ones(len(raws), dtype=bool)
    for form, kind, valid in ((_CPF_FORM, "cpf", cpf_valid), (_CNPJ_FORM, "cnpj", cnpj_valid)):
        hits = pc.fill_null(pc.match_substring_regex(arr, form), False).to_numpy(zero_copy_only=False)
        pending &= ~hits
        where = np.flatnonzero(hits).tolist()
        ok = valid([digits[i] for i in where])
        for i, good in zip(where, ok.tolist(), strict=True):
            if good:
                out[i] = (digits[i], kind)
    for i in np.flatnonzero(pending).tolist():
        try:
            out[i] = pf._document(raws[i])
        except Exception:  # refused (or worse): validate_row decides for the row
            out[i] = None
    return out


# --------------------------------------------------------------------------- other fields

_BR_AMOUNT = re.compile(r"[0-9]+|[0-9]+,[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]+")
_FAILED = object()


def amounts(texts: Sequence[str | None], raws: Sequence[Any]) -> list[Any]:
    """``parse_amount`` of each value with text; None where empty, ``_FAILED`` where it raises."""
    out: list[Any] = []
    fullmatch = _BR_AMOUNT.fullmatch
    for text, raw in zip(texts, raws, strict=True):
        if text is None:
            out.append(None)
        elif fullmatch(text):
            out.append(Decimal(text.replace(".", "").replace(",", ".")))
        else:
            try:
                out.append(pf.parse_amount(raw))
            except Exception:  # refused (or worse): validate_row decides for the row
                out.append(_FAILED)
    return out


def _memo(parse: Callable[[Any], Any], raws: Sequence[Any]) -> list[Any]:
    """``parse`` of each text value, called once per distinct value; ``_FAILED`` where it raises."""
    seen: dict[str, Any] = {}
    out = []
    for raw in raws:
        try:
            out.append(seen[raw])
            continue
        except KeyError:
            pass
        except TypeError:  # not hashable: parsed below, not remembered
            pass
        try:
            value = parse(raw)
        except Exception:  # refused (or worse): validate_row decides for the row
            value = _FAILED
        if raw is None or type(raw) is str:
            seen[raw] = value
        out.append(value)
    return out


def validate_rows(chunk: RawChunk, run_date: dt.date) -> list[Debtor | Rejection]:
    """``[validate_row(raw, line, run_date) for each row]``, computed column by column."""
    lines = chunk.lines
    n = len(lines)
    if n == 0:
        return []
    slow = [False] * n
    for i in chunk.error_rows():
        slow[i] = True
    column = chunk.column

    def texts(values: Sequence[Any]) -> list[str | None]:
        kinds = set(map(type, values))
        if kinds == {str}:  # a CSV column
            return [v.strip() or None for v in values]
        if kinds == {type(None)}:  # a column the file does not have
            return list(values)
        out: list[str | None] = []
        for i, v in enumerate(values):
            if type(v) is str:
                out.append(v.strip() or None)
            else:
                out.append(None)
                if v is not None:
                    slow[i] = True  # numbers, dates, NaN...: validate_row decides
        return out

    def require(values: list[Any]) -> None:
        for i, v in enumerate(values):
            if v is None or v is _FAILED:
                slow[i] = True

    ids = texts(column("id"))
    require(ids)
    names = texts(column("nome"))
    require(names)
    raw_docs = column("documento")
    texts(raw_docs)
    docs = documents(raw_docs)
    require(docs)
    ufs = [(t or "").upper() for t in texts(column("uf"))]
    for i, uf in enumerate(ufs):
        if uf not in _UF_SET:
            slow[i] = True
    raw_valor = column("valor")
    valor = amounts(texts(raw_valor), raw_valor)
    for i, v in enumerate(valor):
        if v is None or v is _FAILED or v <= 0 or v > pf.MAX_AMOUNT:
            slow[i] = True
    raw_updated = column("valor_atualizado")
    updated = amounts(texts(raw_updated), raw_updated)
    require([0 if v is None else v for v in updated])
    for i, v in enumerate(updated):
        if v is not None and v is not _FAILED and abs(v) > pf.MAX_AMOUNT:
            slow[i] = True
    raw_due = column("vencimento")
    texts(raw_due)
    due = _memo(pf.parse_date, raw_due)
    limit = pf.prescription_limit(run_date)
    future = pf.future_limit(run_date)
    for i, d in enumerate(due):
        if d is _FAILED or d < limit or d > future:
            slow[i] = True
    raw_phone = column("telefone")
    texts(raw_phone)
    phone = phones(raw_phone)
    require(phone)
    emails = texts(column("email"))
    match_email = pf._EMAIL_RE.match
    for i, e in enumerate(emails):
        if e and not match_email(e):
            slow[i] = True
    objecoes, perfis = pf._catalog_ids()
    objecao = texts(column("objecao"))
    perfil = texts(column("perfil"))
    for i, (o, p) in enumerate(zip(objecao, perfil, strict=True)):
        if (o and o not in objecoes) or (p and p not in perfis):
            slow[i] = True
    raw_optouts = column("nao_contatar")
    texts(raw_optouts)
    optouts = _memo(pf.parse_optouts, raw_optouts)
    require([0 if v is not _FAILED else v for v in optouts])
    raw_contacts = column("ultimos_contatos")
    texts(raw_contacts)
    contacts = _memo(pf._contacts, raw_contacts)
    require([0 if v is not _FAILED else v for v in contacts])
    raw_relations = column("relacao")
    texts(raw_relations)
    relations = _memo(pf.parse_relation, raw_relations)
    require(relations)
    links = texts(column("link_pagamento"))
    for i, link in enumerate(links):
        if link and not link.startswith("https://"):
            slow[i] = True
    descricao = texts(column("descricao"))
    numero = texts(column("numero_documento"))
    pix = texts(column("pix_copia_e_cola"))
    pix_exp = texts(column("pix_expira_em"))
    linha = texts(column("linha_digitavel"))

    out: list[Debtor | Rejection] = []
    for i in range(n):
        if slow[i]:
            out.append(pf.validate_row(chunk.row(i), lines[i], run_date))
            continue
        documento, tipo = docs[i]  # type: ignore[misc]
        telefone, celular = phone[i]  # type: ignore[misc]
        out.append(
            Debtor(
                line=lines[i],
                id=ids[i],  # type: ignore[arg-type]
                nome=names[i],  # type: ignore[arg-type]
                documento=documento,
                tipo_documento=tipo,
                uf=ufs[i],
                valor=valor[i],
                vencimento=due[i],
                telefone=telefone,
                celular=celular,
                email=emails[i],
                valor_atualizado=updated[i],
                descricao=descricao[i],
                numero_documento=numero[i],
                link_pagamento=links[i],
                pix_copia_e_cola=pix[i],
                pix_expira_em=pix_exp[i],
                linha_digitavel=linha[i],
                objecao=objecao[i],
                perfil=perfil[i],
                nao_contatar=optouts[i],
                ultimos_contatos=contacts[i],
                relacao=relations[i],
            )
        )
    return out


_UF_SET = frozenset(UFS)
