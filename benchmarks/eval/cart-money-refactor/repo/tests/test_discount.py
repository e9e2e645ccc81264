import unittest

from shop.discount import discounted
from shop.money import Money


class DiscountTest(unittest.TestCase):
    def test_codes_take_their_percent_off_rounded_half_up(self):
        self.assertEqual(discounted(Money(1000), "SAVE10"), Money(900))
        self.assertEqual(discounted(Money(5), "HALF"), Money(3))
        self.assertEqual(discounted(Money(4), "HALF"), Money(2))

    def test_no_code_changes_nothing(self):
        self.assertEqual(discounted(Money(1234), None), Money(1234))
        self.assertEqual(discounted(Money(1234), ""), Money(1234))

    def test_an_unknown_code_is_refused(self):
        with self.assertRaises(ValueError):
            discounted(Money(100), "FREE")
