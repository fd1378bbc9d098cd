#!/usr/bin/env python3
"""Counts the real results of every JUnit XML report given and prints the
closing line `N passed, N failed`. Exit 1 when anything failed or a report
is missing or empty."""
import sys
import xml.etree.ElementTree as ET


def count(path):
    root = ET.parse(path).getroot()
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    total_passed = total_failed = total_skipped = 0
    broken = False
    for path in paths:
        try:
            passed, failed, skipped = count(path)
        except (OSError, ET.ParseError) as error:
            print(f"summary: {path}: no usable report ({error})")
            total_failed += 1
            broken = True
            continue
        if passed + failed + skipped == 0:
            print(f"summary: {path}: ran no test")
            broken = True
        print(f"summary: {path}: {passed} passed, {failed} failed, {skipped} skipped")
        total_passed += passed
        total_failed += failed
        total_skipped += skipped
    # A skipped test is not a pass: the suites must not skip silently.
    total_failed += total_skipped
    print(f"{total_passed} passed, {total_failed} failed")
    return 1 if total_failed or broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
