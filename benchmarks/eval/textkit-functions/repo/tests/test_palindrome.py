import unittest

from textkit.palindrome import is_palindrome


class PalindromeTest(unittest.TestCase):
    def test_ignores_case_spaces_and_punctuation(self):
        self.assertTrue(is_palindrome("A man, a plan, a canal: Panama"))
        self.assertTrue(is_palindrome(""))
        self.assertFalse(is_palindrome("palindrome"))
