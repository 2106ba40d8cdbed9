// Stands in for packages/core/src/session/observe.ts in the build without
// instrumentation (see ../instrumentation.ts): the manager calls the store
// itself, and a commit is just the commit.
export function observeStore<S>(store: S): S {
  return store;
}
export function traceCommit<T>(
  _store: unknown,
  _id: unknown,
  commit: () => Promise<T>,
): Promise<T> {
  return commit();
}
