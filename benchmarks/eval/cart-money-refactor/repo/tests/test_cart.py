import unittest

from shop.cart import Cart


class CartTest(unittest.TestCase):
    def test_total_adds_tax(self):
        cart = Cart(tax_percent=20)
        cart.add("pen", "2.50", qty=2)
        self.assertEqual(cart.total(), 6.0)
