// API-level tests: no browser is opened, so no `playwright install` is needed.
import { expect, test } from '@playwright/test';
import { placeOrder } from '../containers.js';

test('the catalogue lists products', () => {
  expect(['book', 'pen']).toContain('book');
});

test('an order is confirmed', () => {
  expect(placeOrder()).toBe('confirmed');
});
