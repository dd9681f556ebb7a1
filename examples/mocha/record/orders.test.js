import { strict as assert } from 'node:assert';
import worker from '../../worker.cjs';

describe('orders', () => {
  // The suite's own teardown: the worker is gone before must-gather stops recording.
  after(() => worker.removeWorker());

  it('lists the catalogue', () => {
    assert.ok(['book', 'pen'].includes('book'));
  });

  it('confirms an order', () => {
    assert.equal(worker.runWorker(), 0, 'the worker exit code');
  });
});
