import unittest

from roman import to_roman


class ToRomanTest(unittest.TestCase):
    def test_known_values(self):
        self.assertEqual(to_roman(4), "IV")
        self.assertEqual(to_roman(1994), "MCMXCIV")
        self.assertEqual(to_roman(3999), "MMMCMXCIX")

    def test_out_of_range(self):
        for n in (0, 4000, -1):
            with self.subTest(n=n), self.assertRaises(ValueError):
                to_roman(n)
