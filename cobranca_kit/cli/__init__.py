"""Command-line interface (typer). Each command group lives in its own module and
only parses options and calls library functions."""
