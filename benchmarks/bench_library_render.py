"""How fast the library renders one template for many debtors (the batch's hot path).

Prints renders per second for: a WhatsApp template (3 messages), an e-mail with its
HTML alternative, and the WhatsApp send payload; plus the one-time cost of the first
render (compilation). Run: ``.venv/bin/python benchmarks/bench_library_render.py [N]``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import sys
import tempfile
import time
from pathlib import Path

from cobranca_kit.catalog import get_catalog
from cobranca_kit.fields import sample_debtor
from cobranca_kit.library import Library, Template, TemplateMeta, render, whatsapp_send_payload
from cobranca_kit.library.render import compile_parts
from cobranca_kit.library.store import dump_template

WHATSAPP = [
    "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }} (CNPJ {{ empresa.cnpj }}, "
    "endereço {{ empresa.endereco }}), com um lembrete rápido.",
    "A fatura de {{ divida.descricao }}, no valor de {{ divida.valor | moeda }}, venceu em "
    "{{ divida.vencimento | data }}. Você pode pagar pelo link {{ pagamento.link }} ou pelo Pix. "
    "Se já pagou, por favor desconsidere esta mensagem.",
    "{{ pagamento.pix_copia_e_cola }}",
]
EMAIL = [
    ("assunto", "Lembrete: fatura vencida em {{ divida.vencimento | data }}"),
    (
        "corpo",
        "Olá, {{ cliente.primeiro_nome }}.\n\nA fatura de {{ divida.descricao }}, no valor de "
        "{{ divida.valor | moeda }}, venceu em {{ divida.vencimento | data }}.\nPague pelo link "
        "{{ pagamento.link }}.\n\nSe já pagou, desconsidere esta mensagem.",
    ),
    ("assinatura", "Equipe {{ empresa.nome }}\nCNPJ {{ empresa.cnpj }}\n{{ empresa.endereco }}"),
]


def _template(channel: str, parts: list[tuple[str, str]]) -> Template:
    meta = TemplateMeta(objecao="nenhuma", tom="amigavel", canal=channel, estagio="atraso_curto")
    return Template(meta=meta, version=1, created_at=dt.datetime.now(dt.UTC), parts=parts)


def _rows(n: int) -> list[dict]:
    base = sample_debtor()
    rows = []
    for i in range(n):
        row = copy.deepcopy(base)
        row["cliente"]["primeiro_nome"] = f"Cliente {i}"
        row["divida"]["valor"] = round(100 + i * 0.37, 2)  # every amount distinct
        rows.append(row)
    return rows


def _rate(label: str, n: int, func) -> None:
    start = time.perf_counter()
    for i, row in enumerate(ROWS):
        func(row, i)
    elapsed = time.perf_counter() - start
    print(f"{label:<38} {n / elapsed:>10,.0f} por segundo   ({elapsed * 1e6 / n:6.1f} µs cada)")


def _bench_find() -> None:
    """``Library.find`` on a library with two approved versions per situation."""
    cat = get_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library(tmp)
        files = 0
        for objecao, tom, estagio in itertools.product(
            cat.ids("objecoes"), cat.ids("tons"), cat.ids("estagios")
        ):
            meta = TemplateMeta(objecao=objecao, tom=tom, canal="whatsapp", estagio=estagio)
            folder = Path(tmp) / str(meta.id)
            folder.mkdir()
            for version in (1, 2):
                t = Template(
                    meta=meta,
                    version=version,
                    status="aprovado",
                    approved_by="bench",
                    created_at=dt.datetime.now(dt.UTC),
                    parts=[("mensagem_1", WHATSAPP[0])],
                )
                (folder / f"v{version}.yaml").write_text(dump_template(t), encoding="utf-8")
                files += 1
        start = time.perf_counter()
        lib.list()
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(20):
            lib.find("nenhuma", "amigavel", "whatsapp", "atraso_curto")
        each = (time.perf_counter() - start) / 20
        print(f"biblioteca com {files} arquivos: 1ª leitura {first * 1e3:.0f} ms, find {each * 1e3:.1f} ms")


if __name__ == "__main__":
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    ROWS = _rows(N)
    wa = _template("whatsapp", [(f"mensagem_{i}", m) for i, m in enumerate(WHATSAPP, 1)])
    mail = _template("email", EMAIL)

    compile_parts.cache_clear()
    start = time.perf_counter()
    render(wa, ROWS[0])
    print(f"primeira renderização (compila e guarda) {1e3 * (time.perf_counter() - start):8.1f} ms")
    print(f"{N:,} devedores")
    _rate("WhatsApp (3 mensagens)", N, lambda row, i: render(wa, row, row=i))
    _rate("e-mail (texto + HTML)", N, lambda row, i: render(mail, row, row=i))
    _rate(
        "WhatsApp: payload de envio", N, lambda row, i: whatsapp_send_payload(wa, row, "11987654321", row=i)
    )
    _bench_find()
