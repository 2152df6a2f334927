"""Command line: ``python -m gslib benchmark [options]`` (see :mod:`gslib.benchmark`)."""

import sys


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("benchmark",):
        print("usage: python -m gslib benchmark [--models ...] [--data ...] [--out FILE] [--list]")
        return 2
    from .benchmark import main as benchmark

    return benchmark(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
