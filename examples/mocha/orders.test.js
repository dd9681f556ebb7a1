import { strict as assert } from 'node:assert';
import { placeOrder } from '../containers.js';

describe('orders', () => {
  it('lists the catalogue', () => {
    assert.ok(['book', 'pen'].includes('book'));
  });

  it('confirms an order', () => {
    assert.equal(placeOrder(), 'confirmed');
  });
});
