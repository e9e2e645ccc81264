import unittest

from stats.spread import stdev, value_range, variance


class SpreadTest(unittest.TestCase):
    def test_population_variance_and_stdev(self):
        data = [2, 4, 4, 4, 5, 5, 7, 9]
        self.assertEqual(variance(data), 4)
        self.assertEqual(stdev(data), 2)

    def test_range(self):
        self.assertEqual(value_range([5, -1, 3]), 6)

    def test_empty_is_refused(self):
        for f in (variance, stdev, value_range):
            with self.subTest(f=f.__name__), self.assertRaises(ValueError):
                f([])
