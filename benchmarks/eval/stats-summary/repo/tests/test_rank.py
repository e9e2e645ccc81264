import unittest

from stats.rank import percentile


class PercentileTest(unittest.TestCase):
    def test_linear_interpolation(self):
        data = [15, 20, 35, 40, 50]
        self.assertEqual(percentile(data, 0), 15)
        self.assertEqual(percentile(data, 50), 35)
        self.assertEqual(percentile(data, 100), 50)
        self.assertEqual(percentile([1, 2, 3, 4], 25), 1.75)

    def test_bad_input_is_refused(self):
        with self.assertRaises(ValueError):
            percentile([], 50)
        with self.assertRaises(ValueError):
            percentile([1], 101)
