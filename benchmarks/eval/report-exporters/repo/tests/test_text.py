import unittest

from report.text_export import to_text


class TextTest(unittest.TestCase):
    def test_one_line_a_row(self):
        self.assertEqual(to_text([{"a": 1, "b": "x"}]), "a=1 b=x\n")
