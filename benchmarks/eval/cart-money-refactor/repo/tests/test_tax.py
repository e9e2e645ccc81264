import unittest

from shop.money import Money
from shop.tax import tax


class TaxTest(unittest.TestCase):
    def test_rounds_half_up_to_the_cent(self):
        self.assertEqual(tax(Money(1005), 10), Money(101))
        self.assertEqual(tax(Money(1004), 10), Money(100))
        self.assertEqual(tax(Money(0), 20), Money(0))

    def test_rate_must_be_a_whole_percent(self):
        with self.assertRaises(ValueError):
            tax(Money(100), -1)
