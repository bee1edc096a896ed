/**
 * Schedules are plain functions of training progress in [0, 1] (0 = start, 1 = end), as in
 * Stable-Baselines3 (which counts the other way: progress_remaining = 1 - progress).
 */
export type Schedule = (progress: number) => number;

export function constantSchedule(value: number): Schedule {
  return () => value;
}

/**
 * Goes linearly from `start` to `end` over the first `endFraction` of training, then stays at
 * `end`. CleanRL's DQN epsilon is `linearSchedule(1, 0.05, 0.5)`; its PPO learning-rate annealing
 * is `linearSchedule(lr, 0)` evaluated at the start of each iteration.
 */
export function linearSchedule(start: number, end: number, endFraction = 1): Schedule {
  if (!(endFraction > 0 && endFraction <= 1))
    throw new RangeError(`linearSchedule: endFraction must be in (0, 1], got ${endFraction}`);
  return (progress) => {
    const p = Math.min(Math.max(progress, 0), 1);
    if (p >= endFraction) return end;
    return start + ((end - start) * p) / endFraction;
  };
}
