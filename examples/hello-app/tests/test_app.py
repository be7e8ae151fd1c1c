import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from hello import app  # noqa: E402


class GreetingTest(unittest.TestCase):
    def test_greets_by_name(self):
        self.assertTrue(app.greeting("Ada").endswith("Ada!"))

    def test_build_info_is_a_dict(self):
        self.assertIsInstance(app.build_info(), dict)


if __name__ == "__main__":
    unittest.main()
