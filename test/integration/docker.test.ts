import { collectionSuite } from './collect.suite.js';

collectionSuite('docker');
