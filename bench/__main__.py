"""``python -m bench {sync,letters,register,training,issuing} [options]``: one JSON object per scenario on stdout
(``training --pool``: the training on the two-worker pool, :mod:`bench.pool`)."""

from __future__ import annotations

import importlib
import sys

# Each suite is a list of modules with ``main(argv) -> None``; they print their own JSON lines.
SUITES: dict[str, list[str]] = {
    "sync": ["bench.sync", "bench.import_export"],
    "letters": ["bench.letters"],
    "register": ["bench.register"],
    "training": ["bench.training"],
    "issuing": ["bench.issuing"],
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SUITES:
        print(f"usage: python -m bench {{{','.join(SUITES)}}} [options]", file=sys.stderr)
        return 2
    suite, rest = argv[0], argv[1:]
    if suite == "training" and "--pool" in rest:  # the same training on the two-worker pool
        importlib.import_module("bench.pool").main(rest)
        return 0
    for name in SUITES[suite]:
        importlib.import_module(name).main(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
