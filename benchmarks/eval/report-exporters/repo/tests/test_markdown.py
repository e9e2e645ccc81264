import unittest

from report.markdown_export import to_markdown


class MarkdownTest(unittest.TestCase):
    def test_table(self):
        rows = [{"name": "ada", "n": 1}]
        self.assertEqual(to_markdown(rows), "| name | n |\n| --- | --- |\n| ada | 1 |\n")

    def test_pipes_are_escaped(self):
        self.assertEqual(to_markdown([{"a": "x|y"}]).splitlines()[2], "| x\\|y |")
