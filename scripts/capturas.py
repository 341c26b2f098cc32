"""Take the README screenshots (docs/img/*.png) of the team lead's app, as ``make app``
serves it: Voilà over ``notebooks/01_bancada.ipynb`` in a throw-away copy of
``exemplo/`` where the demo already ran (sample library and one batch run).

Run with ``make capturas`` (needs Debian's Chromium at /usr/bin/chromium). The
images are downscaled and reduced to a 96-colour palette so they stay small.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
THREAT = " Se não pagar hoje, vamos protestar e você vai ser preso."
WIDTH = 1100  # browser viewport
IMAGE_WIDTH = 900  # saved image
TIMEOUT_MS = 120_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"o Voilà terminou (código {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise SystemExit("o Voilà não respondeu em 90 s")


def _save(png: bytes, name: str) -> Path:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.width > IMAGE_WIDTH:
        image = image.resize((IMAGE_WIDTH, round(image.height * IMAGE_WIDTH / image.width)), Image.LANCZOS)
    path = OUT / name
    image.quantize(colors=96).save(path, optimize=True)
    print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1024} KB")
    return path


def _prepare(tmp: Path, env: dict[str, str]) -> Path:
    area = tmp / "area"
    shutil.copytree(REPO / "exemplo", area, ignore=shutil.ignore_patterns("runs", "biblioteca", "*.sqlite*"))
    cli = [sys.executable, "-m", "cobranca_kit.cli.main", "demo", "--linhas", "80", "--sem-caderno"]
    subprocess.run(cli, cwd=area, env=env, check=True, stdout=subprocess.DEVNULL)
    shutil.copy(REPO / "notebooks" / "01_bancada.ipynb", tmp / "01_bancada.ipynb")
    return area


def _drive(url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    from cobranca_kit.catalog import get_catalog

    catalog = get_catalog()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": 3000})  # all painted
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        expect(page.locator(".cobranca-gerar")).to_be_visible()
        app = page.locator(".cobranca-app")

        for css, kind, ident in (
            ("cobranca-objecao", "objecoes", "sem_condicoes"),
            ("cobranca-tom", "tons", "empatico"),
            ("cobranca-canal", "canais", "whatsapp"),
        ):
            page.locator(f".{css} select").select_option(value=catalog.label(kind, ident))
        page.locator(".cobranca-gerar").click()
        card = page.locator(".cobranca-card").first
        expect(card.locator(".cobranca-badge")).to_contain_text("Conforme")
        area = card.locator(".cobranca-parte-mensagem_2 textarea")
        area.fill(area.input_value() + THREAT)
        card.locator(".cobranca-verificar").click()
        expect(card.locator(".cobranca-badge")).to_contain_text("Bloqueado")
        card.locator(".cobranca-achado-item").first.locator("summary").click()  # open one explanation
        card.locator(".cobranca-previsualizar").click()
        expect(card.locator(".cobranca-wa-modelo")).to_be_visible()
        _save(app.screenshot(), "bancada.png")

        page.locator(".cobranca-abas .lm-TabBar-tabLabel:text-is('Biblioteca')").click()
        library = page.locator(".cobranca-biblioteca")
        whatsapp = catalog.label("canais", "whatsapp")
        library.locator(".cobranca-filtro-canal select").select_option(value=whatsapp)
        library.locator(".cobranca-filtro-objecao select").select_option(
            value=catalog.label("objecoes", "sem_condicoes")
        )
        expect(library.locator(".cobranca-tabela")).not_to_contain_text("-email-")
        expect(library.locator(".cobranca-tabela")).not_to_contain_text("nenhuma-")
        template = library.locator(".cobranca-modelo select")
        template.select_option(index=1)
        chosen = template.evaluate("s => s.options[1].text").split("·")[0].strip()  # nbsp, not spaces
        expect(library.locator(".cobranca-texto-modelo")).to_contain_text(chosen)
        _save(app.screenshot(), "biblioteca.png")

        page.locator(".cobranca-abas .lm-TabBar-tabLabel:text-is('Último lote')").click()
        expect(page.locator(".cobranca-relatorio-lote")).to_be_visible()
        _save(app.screenshot(), "lote.png")
        browser.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="capturas-") as name:
        tmp = Path(name)
        env = dict(os.environ)
        for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "COBRANCA_MODELO"):
            env.pop(var, None)
        env.update(COBRANCA_BACKEND="offline", PYTHONPATH=str(REPO), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
        area = _prepare(tmp, env)
        env["COBRANCA_CONFIG"] = str(area / "cobranca.toml")
        port, token = _free_port(), secrets.token_hex(16)
        cmd = [
            str(Path(sys.executable).parent / "voila"),
            str(tmp / "01_bancada.ipynb"),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--Voila.port={port}",
            "--Voila.port_retries=0",
            f"--Voila.token={token}",
        ]
        with (tmp / "voila.log").open("wb") as log:
            proc = subprocess.Popen(
                cmd, cwd=area, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait_up(f"http://127.0.0.1:{port}/voila/static/?token={token}", proc)
            _drive(f"http://127.0.0.1:{port}/?token={token}")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


if __name__ == "__main__":
    main()
