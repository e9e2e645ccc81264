import unittest

from textkit.wrap import wrap


class WrapTest(unittest.TestCase):
    def test_greedy_lines(self):
        self.assertEqual(wrap("the quick brown fox jumps", 10), ["the quick", "brown fox", "jumps"])

    def test_long_words_get_their_own_line(self):
        self.assertEqual(wrap("a extraordinary b", 5), ["a", "extraordinary", "b"])
        self.assertEqual(wrap("", 5), [])
