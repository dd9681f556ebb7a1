// CommonJS, so that jest runs it without --experimental-vm-modules; the config and hooks are ES modules.
const placeOrder = () => 'rejected: relation "orders" does not exist';

test('the catalogue lists products', () => {
  expect(['book', 'pen']).toContain('book');
});

test('an order is confirmed', () => {
  expect(placeOrder()).toBe('confirmed');
});
