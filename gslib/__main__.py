"""Command line: ``python -m gslib benchmark [options]`` (:mod:`gslib.benchmark`) and
``python -m gslib check`` (:mod:`gslib.check`, is this machine ready for the book?)."""

import sys

COMMANDS = ("benchmark", "check")


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print("usage: python -m gslib benchmark [--models ...] [--data ...] [--out FILE] [--list] [--estimate]\n"
              "                                 [--serial | --scheduler ADDRESS] [--workers N] [--threads N]\n"
              "       python -m gslib check [--skip-data]")
        return 2
    if sys.argv[1] == "check":
        from .check import main as check

        return check(sys.argv[2:])
    from .benchmark import main as benchmark

    return benchmark(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
