import unittest

from durations import parse_duration


class ParseDurationTest(unittest.TestCase):
    def test_single_units(self):
        self.assertEqual(parse_duration("45s"), 45)
        self.assertEqual(parse_duration("2m"), 120)
        self.assertEqual(parse_duration("1h"), 3600)

    def test_combined(self):
        self.assertEqual(parse_duration("1h30m"), 5400)
        self.assertEqual(parse_duration(" 1m5s "), 65)

    def test_garbage_is_refused(self):
        for text in ["", "10", "5x", "h", "1h 30m", "-1s"]:
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse_duration(text)
