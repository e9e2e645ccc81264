import unittest

from textkit.truncate import truncate


class TruncateTest(unittest.TestCase):
    def test_short_text_is_kept(self):
        self.assertEqual(truncate("hello", 5), "hello")

    def test_long_text_ends_with_the_ellipsis_within_the_limit(self):
        self.assertEqual(truncate("hello world", 8), "hello w…")
        self.assertEqual(truncate("hello world", 8, ellipsis="..."), "hello...")

    def test_limit_below_the_ellipsis_is_refused(self):
        with self.assertRaises(ValueError):
            truncate("hello", 2, ellipsis="...")
