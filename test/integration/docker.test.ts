import { collectionSuite } from './collect.suite.js';

collectionSuite('docker', 'cli');
collectionSuite('docker', 'api');
