"""Shared helpers for CLI commands: JSON output, tables, error exits."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.console import Console

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console = Console(width=120)  # logs and pipes: tables readable, not squeezed to 80
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]Galat:[/] {message}", soft_wrap=True)
    return typer.Exit(code)
