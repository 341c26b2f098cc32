"""Compliance checker speed against a plain Jinja render, and how cost grows with length.

1. Renders N WhatsApp-length messages (default 10,000) from one compiled Jinja
   template with varied fictitious debtors, and checks the same N rendered
   messages with ``check(text, channel="whatsapp")``; prints messages/s for both
   and the ratio (target: a check costs at most 2x a render).
2. Checks one message at 1x, 10x and 100x its length and prints the time per
   character, which should stay flat if cost grows linearly.

Run: ``.venv/bin/python benchmarks/bench_checker.py [N]``.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time

from jinja2 import Environment, StrictUndefined

from cobranca_kit.compliance import check
from cobranca_kit.formatting import FILTERS

TEMPLATE = (
    "Olá, {{ cliente.primeiro_nome }}! Aqui é da {{ empresa.nome }} (CNPJ {{ empresa.cnpj }}, "
    "{{ empresa.endereco }}). A fatura de {{ divida.descricao }}, no valor de {{ divida.valor | moeda }}, "
    "venceu em {{ divida.vencimento | data }} e ainda consta em aberto. Você pode pagar pelo link "
    "{{ pagamento.link }} ou pelo Pix. Se preferir, parcelamos em até {{ acordo.parcelas }} vezes. "
    "Se já pagou, desconsidere. Dúvidas: {{ empresa.atendimento }}."
)
FIRST_NAMES = [
    "Mariana",
    "João",
    "Ana",
    "Pedro",
    "Helena",
    "Carla",
    "Bruno",
    "Luiza",
    "Rafael",
    "Beatriz",
    "Tiago",
    "Joana",
]
ITEMS = ["mensalidade de novembro", "parcela 3 do acordo", "fatura do plano Fibra 300", "conta de outubro"]


def debtors(n: int, seed: int = 42) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "cliente": {"primeiro_nome": rng.choice(FIRST_NAMES)},
                "empresa": {
                    "nome": "Conecta Fibra Telecom Ltda.",
                    "cnpj": "11.222.333/0001-81",
                    "endereco": "Rua das Acácias, 250, Centro, Campinas/SP",
                    "atendimento": "(19) 3232-4500",
                },
                "divida": {
                    "descricao": rng.choice(ITEMS),
                    "valor": round(rng.uniform(30, 3000), 2),
                    "vencimento": dt.date(2026, 10, 1) + dt.timedelta(days=rng.randrange(60)),
                },
                "pagamento": {"link": f"https://pagar.exemplo.com.br/f/{i:06d}"},
                "acordo": {"parcelas": rng.randrange(2, 12)},
            }
        )
    return out


def best_of(runs: int, func) -> float:  # type: ignore[no-untyped-def]
    return min(_timed(func) for _ in range(runs))


def _timed(func) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    env = Environment(undefined=StrictUndefined, autoescape=False)
    env.filters.update(FILTERS)
    template = env.from_string(TEMPLATE)
    rows = debtors(n)
    messages: list[str] = []

    def render_all() -> None:
        messages[:] = [template.render(row) for row in rows]

    check("aquecimento", channel="whatsapp")  # loads and compiles the rule catalog once
    render_s = best_of(3, render_all)
    lengths = [len(m) for m in messages]
    blocked = 0

    def check_all() -> None:
        nonlocal blocked
        blocked = sum(not check(m, channel="whatsapp").passed for m in messages)

    check_s = best_of(1, check_all)
    print(f"mensagens: {n}  tamanho médio: {statistics.mean(lengths):.0f} caracteres")
    print(f"render Jinja (compilado):  {n / render_s:12,.0f} msg/s  ({render_s / n * 1e6:8.1f} µs/msg)")
    print(f"check completo:            {n / check_s:12,.0f} msg/s  ({check_s / n * 1e6:8.1f} µs/msg)")
    print(f"razão check/render: {check_s / render_s:.1f}x  (meta: <= 2x)  bloqueadas: {blocked}")

    print("\ncrescimento com o tamanho (mesma mensagem repetida):")
    base = messages[0] + " "
    reference = None
    for factor in (1, 10, 100):
        text = base * factor
        runs = max(3, 300 // factor)
        seconds = best_of(3, lambda t=text, r=runs: [check(t, channel="whatsapp") for _ in range(r)]) / runs
        per_char = seconds / len(text) * 1e6
        reference = reference or per_char
        print(
            f"  {factor:>3}x  {len(text):>7} caracteres  {seconds * 1e3:9.2f} ms  "
            f"{per_char:6.2f} µs/caractere  ({per_char / reference:.2f} do 1x)"
        )


if __name__ == "__main__":
    main()
