import unittest

from shop.money import Money


class MoneyTest(unittest.TestCase):
    def test_parse_and_format(self):
        self.assertEqual(Money.parse("19.99").cents, 1999)
        self.assertEqual(Money.parse("3").cents, 300)
        self.assertEqual(Money.parse("0.5").cents, 50)
        self.assertEqual(str(Money(1005)), "10.05")
        self.assertEqual(str(Money(7)), "0.07")

    def test_arithmetic_is_exact(self):
        self.assertEqual(Money.parse("0.10") + Money.parse("0.20"), Money.parse("0.30"))
        self.assertEqual(Money.parse("0.10") * 3, Money(30))
        self.assertEqual(sum([Money(1), Money(2)], Money(0)), Money(3))

    def test_bad_amounts_are_refused(self):
        for text in ["", "1.234", "abc", "-1", "1,00"]:
            with self.subTest(text=text), self.assertRaises(ValueError):
                Money.parse(text)
