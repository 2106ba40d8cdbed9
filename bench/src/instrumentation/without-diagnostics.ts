// Stands in for packages/core/src/diagnostics.ts in the build without
// instrumentation (see ../instrumentation.ts): every hook does nothing.
export const sessChannels = {};
export function publishRenew(): void {}
export function publishRetry(): void {}
export function publishRotate(): void {}
export function publishUnreadable(): void {}
export function publishSweep(): void {}
