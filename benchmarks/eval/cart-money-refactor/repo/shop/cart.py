"""A cart of priced lines with tax on the total."""


class Cart:
    def __init__(self, tax_percent=20):
        self.tax_percent = tax_percent
        self.lines = []

    def add(self, name, price, qty=1):
        """Add `qty` of `name` at `price` (a string such as "19.99")."""
        self.lines.append((name, float(price), qty))

    def subtotal(self):
        return sum(price * qty for _, price, qty in self.lines)

    def total(self):
        return round(self.subtotal() * (1 + self.tax_percent / 100), 2)
