import unittest

from stats.central import mean, median, mode


class CentralTest(unittest.TestCase):
    def test_mean(self):
        self.assertEqual(mean([1, 2, 3, 4]), 2.5)

    def test_median(self):
        self.assertEqual(median([3, 1, 2]), 2)
        self.assertEqual(median([4, 1, 3, 2]), 2.5)

    def test_mode_prefers_the_smallest_on_ties(self):
        self.assertEqual(mode([3, 1, 3, 1, 2]), 1)

    def test_empty_is_refused(self):
        for f in (mean, median, mode):
            with self.subTest(f=f.__name__), self.assertRaises(ValueError):
                f([])
