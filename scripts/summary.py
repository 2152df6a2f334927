"""Print one closing line for the whole test run: pytest's counts plus the book build."""

import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
book_ok = sys.argv[2] == "0"
passed = tests - failed - skipped + (1 if book_ok else 0)
failed += 0 if book_ok else 1
if tests == 0:
    print("no test was collected", file=sys.stderr)
    sys.exit(1)
print(f"gsbook: {passed} passed, {failed} failed, {skipped} skipped")
