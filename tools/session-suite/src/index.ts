export {
  type LifecycleStoreFactory,
  type LifecycleSuiteOptions,
  type StoreHandle,
  sessionLifecycleSuite,
} from './lifecycle/index.js';
export {
  type SweeperStoreHandle,
  type SweeperSuiteOptions,
  type SweepingStore,
  sweeperSuite,
} from './sweeper.js';
