# What the code under test does; the second test fails on purpose, so that the recording is kept.


def list_orders():
    return []


def place_order():
    return 'rejected: relation "orders" does not exist'


def test_lists_the_orders():
    assert list_orders() == []


def test_confirms_an_order():
    assert place_order() == "confirmed"
