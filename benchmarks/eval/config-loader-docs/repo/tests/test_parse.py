import unittest

from conf.parse import parse


class ParseTest(unittest.TestCase):
    def test_sections_keys_and_comments(self):
        text = "# top\n[server]\nhost = example.org\nport=8080\n\n[log]\nlevel = debug # inline\n"
        self.assertEqual(parse(text), {
            "server": {"host": "example.org", "port": "8080"},
            "log": {"level": "debug"},
        })

    def test_errors_name_the_line(self):
        for text, line in [("key = 1\n", 1), ("[a]\nnot a pair\n", 2), ("[a]\nx=1\nx=2\n", 3)]:
            with self.subTest(text=text):
                with self.assertRaisesRegex(ValueError, "^line %d: " % line):
                    parse(text)
