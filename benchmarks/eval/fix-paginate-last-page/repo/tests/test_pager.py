import unittest

from pager import page_count, paginate


class PaginateTest(unittest.TestCase):
    def test_full_pages(self):
        items = list(range(6))
        self.assertEqual(paginate(items, 1, 3), [0, 1, 2])
        self.assertEqual(paginate(items, 2, 3), [3, 4, 5])
        self.assertEqual(page_count(6, 3), 2)

    def test_past_the_end_is_empty(self):
        self.assertEqual(paginate(list(range(6)), 3, 3), [])

    def test_bad_arguments_are_refused(self):
        with self.assertRaises(ValueError):
            paginate([1], 0, 3)
        with self.assertRaises(ValueError):
            page_count(1, 0)
