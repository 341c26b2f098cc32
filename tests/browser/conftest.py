"""Real-browser fixtures: a JupyterLab (or Voilà) server on 127.0.0.1 over a
temporary copy of the notebooks and a temporary workspace, and Debian's Chromium
driven by the ``playwright`` Python package (never ``playwright install``).

Outside CI a missing ``/usr/bin/chromium`` skips these tests with the reason; in
CI (env ``CI`` set) it fails them, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 90

WORKSPACE_TOML = (Path(__file__).resolve().parents[1] / "data" / "cobranca_teste.toml").read_text(
    encoding="utf-8"
) + '\n[aprovacao]\naprovador_padrao = "Teste de Navegador"\n'


@dataclass
class Server:
    """A running notebook server and the temporary places it works on."""

    url: str
    token: str
    root: Path
    workspace: Path
    log: Path

    @property
    def library(self) -> Path:
        return self.workspace / "biblioteca"

    def page_url(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, any_answer: bool) -> None:
    """Poll ``url`` until it answers 200 (or, with ``any_answer``, any HTTP status)."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"o servidor terminou (código {proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            if any_answer:
                return
            time.sleep(0.25)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)  # polling interval, not a wait on the UI
    raise RuntimeError(f"o servidor não respondeu em {SERVER_START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server: SIGTERM lets it shut its kernels down; SIGKILL what is left of its group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _prepare(
    tmp_path: Path, notebooks: tuple[str, ...] = ("01_bancada.ipynb",)
) -> tuple[Path, Path, dict[str, str]]:
    root = tmp_path / "raiz"
    root.mkdir()
    for name in notebooks:
        shutil.copy(NOTEBOOKS / name, root / name)
    workspace = tmp_path / "area"
    workspace.mkdir()
    (workspace / "cobranca.toml").write_text(WORKSPACE_TOML, encoding="utf-8")
    settings = tmp_path / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    env = dict(os.environ)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "COBRANCA_MODELO"):
        env.pop(name, None)
    env.update(
        COBRANCA_CONFIG=str(workspace / "cobranca.toml"),
        COBRANCA_BACKEND="offline",
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return root, workspace, env


def _launch(
    cmd: list[str],
    tmp_path: Path,
    root: Path,
    workspace: Path,
    env: dict[str, str],
    token: str,
    port: int,
    status_path: str,
    any_answer: bool = False,
) -> Iterator[Server]:
    log = tmp_path / "servidor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{url}{status_path}?token={token}", proc, log, any_answer)
        yield Server(url=url, token=token, root=root, workspace=workspace, log=log)
    finally:
        _stop(proc)


def _root_flag() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def require_chromium(path: Path = CHROMIUM, environ: Mapping[str, str] = os.environ) -> Path:
    """``path`` if the browser is there; otherwise fail in CI (env ``CI``) and skip elsewhere."""
    if path.exists():
        return path
    message = (
        f"{path} não encontrado: instale com "
        "'apt-get install -y --no-install-recommends chromium' (o .ci/run faz isso)"
    )
    if environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def chromium_path() -> Path:
    return require_chromium()


@pytest.fixture
def chromium_requirement() -> Callable[[Path, Mapping[str, str]], Path]:
    """The check behind ``chromium_path``, for testing it (conftest modules are not importable)."""
    return require_chromium


def _lab_command(port: int, token: str, root: Path) -> list[str]:
    return [
        str(VENV_BIN / "jupyter-lab"),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        *_root_flag(),
    ]


@pytest.fixture
def lab_server(tmp_path: Path, chromium_path: Path) -> Iterator[Server]:
    root, workspace, env = _prepare(tmp_path)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = _lab_command(port, token, root)
    yield from _launch(cmd, tmp_path, root, workspace, env, token, port, "/api/status")


@pytest.fixture(scope="module")
def shared_lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One JupyterLab for a whole test module (the workbench and library notebooks):
    starting a server and a kernel is the slow part, so tests share them."""
    require_chromium()
    tmp_path = tmp_path_factory.mktemp("lab")
    root, workspace, env = _prepare(tmp_path, ("01_bancada.ipynb", "04_biblioteca.ipynb"))
    port, token = _free_port(), secrets.token_hex(16)
    cmd = _lab_command(port, token, root)
    yield from _launch(cmd, tmp_path, root, workspace, env, token, port, "/api/status")


@pytest.fixture(scope="module")
def shared_browser() -> Iterator[object]:
    """One headless Chromium for a test module; each test gets its own page."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def shared_page(shared_browser: Any) -> Iterator[object]:
    page = shared_browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def voila_server(tmp_path: Path, chromium_path: Path) -> Iterator[Server]:
    root, workspace, env = _prepare(tmp_path)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        str(VENV_BIN / "voila"),
        str(root / "01_bancada.ipynb"),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--Voila.token={token}",
    ]
    # Voilà has no status API and GET / would already run the notebook: any answer means "up".
    yield from _launch(cmd, tmp_path, root, workspace, env, token, port, "/voila/static/", any_answer=True)


@pytest.fixture
def browser_page(chromium_path: Path, tmp_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()
