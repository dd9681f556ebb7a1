import { expect, test } from '@playwright/test';
import worker from '../../worker.cjs';

// The suite's own teardown: the worker is gone before must-gather stops recording.
test.afterAll(() => worker.removeWorker());

test('the catalogue lists products', () => {
  expect(['book', 'pen']).toContain('book');
});

test('an order is confirmed', () => {
  expect(worker.runWorker(), 'the worker exit code').toBe(0);
});
