"""Entry point of the ``cobranca-kit`` command."""

from __future__ import annotations

import typer

from cobranca_kit import __version__
from cobranca_kit.cli import ptbr

ptbr.install()  # click's and typer's own messages ("Missing option", "Usage:") in pt-BR

app = typer.Typer(
    name="cobranca-kit",
    help="Bancada de cobrança: rascunhe, verifique (CDC art. 42 e 71), salve modelos e gere lotes de mensagens.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cobranca-kit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    versao: bool = typer.Option(
        False, "--versao", help="Mostra a versão e sai.", callback=_version, is_eager=True
    ),
) -> None:
    """Bancada de cobrança: rascunhe, verifique, salve modelos e gere lotes de mensagens."""


# Each command module registers its commands on ``app``; order is the help's order.
from cobranca_kit.cli import catalogo, executar, modelos, rascunhar, verificar  # noqa: E402

for _module in (rascunhar, verificar, modelos, executar, catalogo):
    _module.register(app)
from cobranca_kit.cli import resultados  # noqa: E402

resultados.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
