import unittest

from textparse.tokenizer import tokens


class TokensTest(unittest.TestCase):
    def test_split_strip_and_drop_empty(self):
        self.assertEqual(tokens(" a, ,b;c ", ",;"), ["a", "b", "c"])
        self.assertEqual(tokens("", ","), [])
