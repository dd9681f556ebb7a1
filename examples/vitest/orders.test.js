import { expect, test } from 'vitest';
import { placeOrder } from '../containers.js';

test('the catalogue lists products', () => {
  expect(['book', 'pen']).toContain('book');
});

test('an order is confirmed', () => {
  expect(placeOrder()).toBe('confirmed');
});
