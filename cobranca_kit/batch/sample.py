"""A realistic, entirely fictitious portfolio (faker pt_BR) for demos, tests and benchmarks.

Rows look like a Brazilian ERP export (``;``, ``1.234,56``, ``dd/mm/aaaa``):
valid CPFs/CNPJs and mobile numbers from every state, due dates spread over
every stage of the régua (most on a step day, so a run produces messages), and
a few deliberately broken rows so the rejection report has something to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import phonenumbers
from faker import Faker

from cobranca_kit.batch.regua import DEFAULT_REGUA_PATH, load_regua
from cobranca_kit.config import UFS
from cobranca_kit.errors import BatchError

COLUMNS = [
    "id",
    "nome",
    "cpf_cnpj",
    "telefone",
    "email",
    "uf",
    "valor",
    "valor_atualizado",
    "vencimento",
    "descricao",
    "numero_documento",
    "link_pagamento",
    "pix_copia_e_cola",
    "pix_expira_em",
    "linha_digitavel",
    "objecao",
    "perfil",
    "nao_contatar",
    "ultimos_contatos",
]

# One area code (DDD) per state, enough for valid fictitious numbers.
DDD_BY_UF = {
    "AC": 68,
    "AL": 82,
    "AM": 92,
    "AP": 96,
    "BA": 71,
    "CE": 85,
    "DF": 61,
    "ES": 27,
    "GO": 62,
    "MA": 98,
    "MG": 31,
    "MS": 67,
    "MT": 65,
    "PA": 91,
    "PB": 83,
    "PE": 81,
    "PI": 86,
    "PR": 41,
    "RJ": 21,
    "RN": 84,
    "RO": 69,
    "RR": 95,
    "RS": 51,
    "SC": 48,
    "SE": 79,
    "SP": 11,
    "TO": 63,
}
DESCRIPTIONS = [
    "mensalidade do plano Fibra 300",
    "fatura de energia",
    "parcela do notebook",
    "mensalidade escolar",
    "plano de celular controle",
    "assinatura de streaming",
    "parcela do curso de inglês",
    "fatura do cartão da loja",
    "conta de água",
    "mensalidade da academia",
]
BAD_KINDS = ("cpf", "valor", "data", "uf", "telefone", "email", "nao_contatar", "vazio")


def _money(value: Decimal) -> str:
    """``1234.5`` -> ``1.234,50`` (as Brazilian spreadsheets export)."""
    whole, _, cents = f"{value:.2f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return ".".join(groups) + "," + cents


class SampleMaker:
    """Makes rows one by one; ``seed`` makes the output reproducible."""

    def __init__(self, run_date: dt.date | None = None, seed: int = 42, bad_ratio: float = 0.02) -> None:
        self.run_date = run_date or dt.date.today()
        self.rng = random.Random(seed)
        self.fake = Faker("pt_BR")
        self.fake.seed_instance(seed)
        self.bad_ratio = bad_ratio
        self.step_days = [s.dias for s in load_regua(DEFAULT_REGUA_PATH).passos]

    def _mobile(self, uf: str) -> str:
        while True:
            number = f"+55{DDD_BY_UF[uf]}9{self.rng.randint(6, 9)}{self.rng.randint(0, 9_999_999):07d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number)):
                return f"({DDD_BY_UF[uf]}) {number[5:10]}-{number[10:]}"

    def _landline(self, uf: str) -> str:
        return f"({DDD_BY_UF[uf]}) 3{self.rng.randint(0, 999):03d}-{self.rng.randint(0, 9999):04d}"

    def _days_late(self) -> int:
        roll = self.rng.random()
        if roll < 0.75:
            return self.rng.choice(self.step_days)
        if roll < 0.97:
            return self.rng.choice([-20, -10, -5, 3, 12, 22, 45, 75, 120, 200, 400, 900])
        return self.rng.randint(5 * 366, 7 * 365)  # time-barred: set aside, not collected

    def row(self, index: int) -> dict[str, Any]:
        rng, fake = self.rng, self.fake
        uf = UFS[index % len(UFS)] if index < 3 * len(UFS) else rng.choice(UFS)
        company = rng.random() < 0.05
        days = self._days_late()
        due = self.run_date - dt.timedelta(days=days)
        value = Decimal(rng.randint(3_990, 250_000)) / 100
        updated = value
        if days > 0:
            factor = Decimal("1.02") + Decimal("0.01") * Decimal(days) / Decimal(30)
            updated = (value * factor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        name = fake.company() if company else fake.name()
        phone_roll = rng.random()
        phone = self._mobile(uf) if phone_roll < 0.9 else (self._landline(uf) if phone_roll < 0.94 else "")
        code = f"{index + 1:08d}"
        row: dict[str, Any] = {
            "id": f"C{code}",
            "nome": name,
            "cpf_cnpj": fake.cnpj() if company else fake.cpf(),
            "telefone": phone,
            "email": fake.free_email() if rng.random() < 0.7 else "",
            "uf": uf,
            "valor": _money(value),
            "valor_atualizado": _money(updated),
            "vencimento": due.strftime("%d/%m/%Y"),
            "descricao": rng.choice(DESCRIPTIONS),
            "numero_documento": f"FAT-{due:%Y%m}-{code}",
            "link_pagamento": f"https://pagar.exemplo.com.br/f/{code}",
            "pix_copia_e_cola": f"00020126580014BR.GOV.BCB.PIX0136{fake.uuid4()}5204000053039865802BR{code}",
            "pix_expira_em": (self.run_date + dt.timedelta(days=3)).strftime("%d/%m/%Y às 18h"),
            "linha_digitavel": f"34191.79001 {rng.randint(10000, 99999)}.{rng.randint(100000, 999999)} "
            f"91020.150008 8 {rng.randint(10**13, 10**14 - 1)}",
            "objecao": "",
            "perfil": rng.choice(["", "", "casual", "intencional", "desconhecido"]),
            "nao_contatar": "",
            "ultimos_contatos": "",
        }
        roll = rng.random()
        if roll < 0.05:
            row["objecao"] = "sem_condicoes"
        elif roll < 0.08:
            row["objecao"] = "esqueci"
        elif roll < 0.10:
            row["objecao"] = "nao_reconhece_divida"
        elif roll < 0.12:
            row["objecao"] = "ja_paguei"
        roll = rng.random()
        if roll < 0.05:
            row["nao_contatar"] = "não quer WhatsApp"
        elif roll < 0.07:
            row["nao_contatar"] = "sms"
        elif roll < 0.08:
            row["nao_contatar"] = "todos"
        if rng.random() < 0.06:
            earlier = self.run_date - dt.timedelta(days=rng.choice([0, 1, 2]))
            row["ultimos_contatos"] = f"{earlier:%d/%m/%Y} 09:30"
        if rng.random() < self.bad_ratio:
            self._break(row, rng.choice(BAD_KINDS))
        return row

    def _break(self, row: dict[str, Any], kind: str) -> None:
        if kind == "cpf":
            digits = "".join(c for c in row["cpf_cnpj"] if c.isdigit())
            row["cpf_cnpj"] = digits[:-1] + str((int(digits[-1]) + 1) % 10)
        elif kind == "valor":
            row["valor"] = self.rng.choice(["12,34,56", "abc", "R$ -", ""])
        elif kind == "data":
            row["vencimento"] = self.rng.choice(["31/02/2026", "2026-13-01", "ontem"])
        elif kind == "uf":
            row["uf"] = "XX"
        elif kind == "telefone":
            row["telefone"] = "123"
        elif kind == "email":
            row["email"] = "fulano@"
        elif kind == "nao_contatar":
            row["nao_contatar"] = "talvez amanhã"
        else:
            row["nome"] = ""

    def rows(self, n: int) -> Iterator[dict[str, Any]]:
        for i in range(n):
            yield self.row(i)


def write_sample(
    path: str | Path, rows: int, run_date: dt.date | None = None, seed: int = 42, bad_ratio: float = 0.02
) -> Path:
    """Write a fictitious portfolio as CSV (``;``, UTF-8), XLSX or Parquet, by the file suffix."""
    if rows < 1:
        raise BatchError("o número de linhas da amostra deve ser pelo menos 1")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    maker = SampleMaker(run_date, seed, bad_ratio)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=";")
            writer.writeheader()
            writer.writerows(maker.rows(rows))
        return path
    if suffix in {".xlsx", ".parquet"}:
        import pandas as pd

        frame = pd.DataFrame(list(maker.rows(rows)), columns=COLUMNS)
        if suffix == ".xlsx":
            frame.to_excel(path, index=False)
        else:
            frame.to_parquet(path, index=False)
        return path
    raise BatchError(
        f"formato de saída não suportado: {suffix or '(sem extensão)'}; use .csv, .xlsx ou .parquet"
    )
