"""Print one closing line for the whole test run: pytest's counts plus the other checks.

    python scripts/summary.py RESULTS.xml [RESULTS.xml ...] [--check NAME=EXIT ...]

Each JUnit file is one pytest run (unit tests, the lowest versions, the notebooks alone, the
browser); each ``--check`` is one more test that passed when its exit code is 0 (the strict book
build, the Python 3.13 resolver check). A JUnit file that is missing counts as a failed run.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

files, checks = [], {}
args = sys.argv[1:]
while args:
    arg = args.pop(0)
    if arg == "--check":
        name, _, code = args.pop(0).partition("=")
        checks[name] = code == "0"
    else:
        files.append(Path(arg))

passed = failed = skipped = tests = 0
for path in files:
    if not path.is_file():
        print(f"gsbook: {path} is missing (that run did not finish)", file=sys.stderr)
        failed += 1
        continue
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    n = sum(int(s.get("tests", 0)) for s in suites)
    f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    s = sum(int(s.get("skipped", 0)) for s in suites)
    tests += n
    passed += n - f - s
    failed += f
    skipped += s
for name, ok in checks.items():
    passed += ok
    failed += not ok
    if not ok:
        print(f"gsbook: check failed: {name}", file=sys.stderr)
if tests == 0:
    print("no test was collected", file=sys.stderr)
    sys.exit(1)
print(f"gsbook: {passed} passed, {failed} failed, {skipped} skipped")
