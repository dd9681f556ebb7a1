import { collectionSuite } from './collect.suite.js';

collectionSuite('podman', 'cli');
collectionSuite('podman', 'api');
