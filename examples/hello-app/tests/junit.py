"""Runs the unit tests and writes a JUnit XML report, which the buildspec's `reports` section
hands to Baton (and CodeBuild): the standard library has no JUnit writer, and the example must
need nothing beyond python3.

Usage: python3 tests/junit.py REPORT_PATH
"""

import sys
import time
import unittest
import xml.etree.ElementTree as ET


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = []  # (test, seconds, kind, message)
        self._start = 0.0

    def startTest(self, test):
        self._start = time.monotonic()
        super().startTest(test)

    def _record(self, test, kind, message=""):
        self.cases.append((test, time.monotonic() - self._start, kind, message))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skipped", reason)


def main(path):
    suite = unittest.defaultTestLoader.discover("tests")
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=2).run(suite)
    root = ET.Element("testsuite", name="unit", tests=str(len(result.cases)))
    for test, seconds, kind, message in result.cases:
        cls = type(test)
        case = ET.SubElement(
            root,
            "testcase",
            classname=f"{cls.__module__}.{cls.__name__}",
            name=test._testMethodName,
            time=f"{seconds:.3f}",
        )
        if kind != "passed":
            ET.SubElement(case, kind, message=message.splitlines()[-1] if message else "").text = message
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
