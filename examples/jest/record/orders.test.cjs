const { removeWorker, runWorker } = require('../../worker.cjs');

// The suite's own teardown: the worker is gone before must-gather stops recording.
afterAll(() => removeWorker());

test('the catalogue lists products', () => {
  expect(['book', 'pen']).toContain('book');
});

test('an order is confirmed', () => {
  expect(runWorker()).toBe(0);
});
