import unittest

from report.csv_export import to_csv


class CsvTest(unittest.TestCase):
    def test_header_then_rows(self):
        rows = [{"name": "ada", "n": 1}, {"name": "bob", "n": 2}]
        self.assertEqual(to_csv(rows), "name,n\nada,1\nbob,2\n")

    def test_commas_and_quotes_are_quoted(self):
        self.assertEqual(to_csv([{"q": 'say "hi", bob'}]), 'q\n"say ""hi"", bob"\n')

    def test_no_rows_no_output(self):
        self.assertEqual(to_csv([]), "")
