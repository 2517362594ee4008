// Reward recomputation: format and accuracy rewards of the frameworks Rollout Lens reads, with explain traces.
export * from './trace';
export * from './formatRewards';
export * from './accuracyRewards';
export * from './boxRewards';
export * from './recompute';
