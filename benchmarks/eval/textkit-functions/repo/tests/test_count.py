import unittest

from textkit.count import word_counts


class WordCountsTest(unittest.TestCase):
    def test_case_and_punctuation_are_ignored(self):
        self.assertEqual(word_counts("The cat. the CAT, a dog!"), {"the": 2, "cat": 2, "a": 1, "dog": 1})

    def test_apostrophes_stay_inside_words(self):
        self.assertEqual(word_counts("don't stop"), {"don't": 1, "stop": 1})
