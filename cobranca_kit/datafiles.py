"""Loading of the YAML/TOML data files that teams edit by hand.

One place decides how a broken file is reported: the path, the place inside the
file (line for syntax errors, field path for schema errors) and a pt-BR reason.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cobranca_kit.errors import DataFileError

M = TypeVar("M", bound=BaseModel)

_PT_MESSAGES: dict[str, str] = {
    "missing": "campo obrigatório ausente",
    "extra_forbidden": "campo desconhecido (verifique a grafia)",
    "string_type": "deve ser um texto",
    "int_type": "deve ser um número inteiro",
    "int_parsing": "deve ser um número inteiro",
    "float_type": "deve ser um número",
    "float_parsing": "deve ser um número",
    "bool_type": "deve ser verdadeiro ou falso",
    "bool_parsing": "deve ser verdadeiro ou falso",
    "list_type": "deve ser uma lista",
    "dict_type": "deve ser uma tabela de chave e valor",
    "model_type": "deve ser uma tabela de chave e valor",
    "literal_error": "valor não permitido",
    "enum": "valor não permitido",
    "string_too_short": "não pode ser vazio",
    "too_short": "precisa de mais itens",
    "greater_than_equal": "valor abaixo do mínimo",
    "less_than_equal": "valor acima do máximo",
    "greater_than": "valor abaixo do mínimo",
    "less_than": "valor acima do máximo",
    "time_parsing": "horário inválido (use HH:MM)",
    "time_type": "horário inválido (use HH:MM)",
    "date_parsing": "data inválida (use AAAA-MM-DD)",
    "date_from_datetime_parsing": "data inválida (use AAAA-MM-DD)",
    "string_pattern_mismatch": "formato inválido",
}


def format_location(loc: Sequence[int | str]) -> str:
    """Render a pydantic location as ``regras[2].padroes`` (1-based list items)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(raiz)"


def describe_validation_error(exc: ValidationError, data: Any = None) -> list[str]:
    """Turn a pydantic error into pt-BR lines ``campo: problema``.

    When the failing item is a mapping with an ``id`` the id is named, so a
    compliance officer can find the rule in a long file.
    """
    lines = []
    for err in exc.errors():
        loc = err.get("loc", ())
        where = format_location(loc)
        ident = _find_id(data, loc)
        if ident:
            where = f"{where} (id {ident})"
        kind = err.get("type", "")
        msg = _PT_MESSAGES.get(kind)
        if kind in {"value_error", "assertion_error"}:
            msg = str(err.get("ctx", {}).get("error", err.get("msg", "")))
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            msg = f"valor não permitido; use {expected}"
        if not msg:
            msg = err.get("msg", "valor inválido")
        lines.append(f"{where}: {msg}")
    return lines


def _find_id(data: Any, loc: Sequence[int | str]) -> str | None:
    node = data
    found = None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


#: libyaml's safe loader when PyYAML has it (several times faster), else the pure-Python one.
FAST_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: Most items a YAML file may hold once its anchors and aliases (``&a`` / ``*a``) are expanded.
MAX_YAML_ITEMS = 100_000


def check_aliases(text: str, data: Any, path: str | Path) -> Any:
    """Refuse a YAML "alias bomb": aliases share one object when loaded, so loading is cheap,
    but validating or copying walks every alias and grows exponentially. ``data`` is returned."""
    if "&" not in text or "*" not in text:
        return data  # no anchor or no alias: nothing is shared
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise DataFileError(path, "um apelido YAML (*) aponta para o próprio bloco que o contém")
        open_nodes.add(key)
        items = node.items() if isinstance(node, dict) else enumerate(node)
        total = 1 + sum(size(value) for _, value in items)
        open_nodes.discard(key)
        sizes[key] = total
        if total > MAX_YAML_ITEMS:
            raise DataFileError(
                path,
                f"as âncoras e apelidos YAML (&/*) do arquivo se expandem em mais de {MAX_YAML_ITEMS:,} "
                "itens; escreva os valores por extenso".replace(",", "."),
            )
        return total

    try:
        size(data)
    except RecursionError as exc:
        raise DataFileError(path, "o arquivo tem blocos aninhados fundo demais") from exc
    return data


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file, reporting syntax errors with line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataFileError(path, "arquivo não encontrado") from exc
    except UnicodeDecodeError as exc:
        raise DataFileError(path, "o arquivo não está em UTF-8") from exc
    try:
        data = yaml.load(text, Loader=FAST_YAML_LOADER)  # a safe loader (libyaml when available)
    except yaml.YAMLError:
        pass  # read again by the pure-Python loader, whose errors name line and column
    else:
        return check_aliases(text, data, path)
    try:
        return check_aliases(text, yaml.safe_load(text), path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"linha {mark.line + 1}, coluna {mark.column + 1}" if mark else None
        problem = f"YAML malformado: {exc.problem or exc}"
        raise DataFileError(path, problem, where=where) from exc
    except yaml.YAMLError as exc:
        raise DataFileError(path, f"YAML malformado: {exc}") from exc


def load_toml(path: str | Path, error: type[DataFileError] = DataFileError) -> dict[str, Any]:
    """Read a TOML file, reporting syntax errors in pt-BR."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise error(path, "arquivo não encontrado") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(path, f"TOML malformado: {exc}") from exc


def validate(model: type[M], data: Any, path: str | Path, error: type[DataFileError] = DataFileError) -> M:
    """Validate ``data`` against ``model`` or raise ``error`` naming file and fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = describe_validation_error(exc, data)
        raise error(path, "; ".join(lines)) from exc


def load_model(model: type[M], path: str | Path) -> M:
    """Load and validate a YAML (or TOML, by suffix) data file."""
    path = Path(path)
    data = load_toml(path) if path.suffix == ".toml" else load_yaml(path)
    if data is None:
        raise DataFileError(path, "o arquivo está vazio")
    return validate(model, data, path)
