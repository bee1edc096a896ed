/**
 * Does a saved policy fit an env? Checked before any episode by every command that takes a model
 * (eval, distill, export, report), so a CartPole student is never run on Acrobot's six
 * observations and three actions. Errors name the model, both shapes or spaces and what would fit:
 *
 *   checkPolicyFitsEnv({ obsShape: [4], output: "logits", actionSize: 2 }, env, "--model runs/d/student.rldistill");
 *   // ConfigError: --model runs/d/student.rldistill: observes shape [4] but Acrobot-v1 gives
 *   //   Box(..., (6,), float32) (shape [6]); allowed: an env whose observations have shape [4]
 *
 * The policy is described structurally (PolicySpec fits), plus the spaces it recorded when saved.
 */
import { ConfigError } from "./errors.js";
import {
  type AnySpace,
  Box,
  Discrete,
  type Space,
  type SpaceJSON,
  spaceFromJSON,
  spacesEqual,
} from "./spaces.js";

/** What a policy says about its inputs and outputs. */
export interface PolicyShape {
  obsShape: readonly number[];
  /** "logits" and "q" act in a Discrete space of actionSize actions; "mean" in a Box of actionSize dims. */
  output: string;
  actionSize: number;
}

/** The spaces a policy recorded when it was saved (students and agents record them). */
export interface RecordedSpaces {
  observationSpace?: SpaceJSON;
  actionSpace?: SpaceJSON;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The action space a policy output acts in, in words. */
function actsIn(p: PolicyShape): string {
  return p.output === "mean"
    ? `a Box of ${p.actionSize} action dimension(s) (${p.output} output)`
    : `Discrete(${p.actionSize}) (${p.actionSize} ${p.output === "q" ? "Q-values" : "logits"})`;
}

/**
 * Throws a ConfigError (field `what`) unless the policy's observation shape (and recorded
 * observation space, dtype included) and action space (kind and size) match `env`'s.
 */
export function checkPolicyFitsEnv(
  policy: PolicyShape,
  env: { observationSpace: Space<unknown>; actionSpace: Space<unknown>; spec?: { id: string } | null },
  what: string,
  recorded: RecordedSpaces = {},
): void {
  const id = env.spec?.id ?? "the env";
  const obs = env.observationSpace as unknown as AnySpace;
  const envShape = obs instanceof Box ? obs.shape : obs instanceof Discrete ? [1] : [];
  if (!(obs instanceof Box) || !sameShape(policy.obsShape, envShape)) {
    throw new ConfigError(
      what,
      `observes shape ${shapeText(policy.obsShape)} but ${id} gives ${obs.toString()}` +
        (obs instanceof Box ? ` (shape ${shapeText(envShape)})` : "") +
        `; allowed: an env whose observations have shape ${shapeText(policy.obsShape)}`,
    );
  }
  if (recorded.observationSpace) {
    const saved = spaceFromJSON(recorded.observationSpace);
    if (saved instanceof Box && saved.dtype !== obs.dtype) {
      throw new ConfigError(
        what,
        `was trained on ${saved.dtype} observations (${saved.toString()}) but ${id} gives ${obs.dtype} (${obs.toString()})`,
      );
    }
  }
  const act = env.actionSpace as unknown as AnySpace;
  const fits =
    policy.output === "mean"
      ? act instanceof Box && act.size === policy.actionSize
      : act instanceof Discrete && act.n === policy.actionSize && act.start === 0;
  if (!fits) {
    throw new ConfigError(
      what,
      `acts in ${actsIn(policy)} but ${id} takes ${act.toString()}; allowed: an env whose actions are ${
        policy.output === "mean"
          ? `a Box of ${policy.actionSize} dimension(s)`
          : `Discrete(${policy.actionSize})`
      }`,
    );
  }
  if (recorded.actionSpace && policy.output === "mean") {
    const saved = spaceFromJSON(recorded.actionSpace);
    if (!spacesEqual(saved, act)) {
      throw new ConfigError(
        what,
        `was trained for actions in ${saved.toString()} but ${id} takes ${act.toString()}`,
      );
    }
  }
}

/**
 * A policy against the spaces it recorded when saved (export has no env): a file whose network
 * and recorded spaces disagree is refused, naming both.
 */
export function checkPolicyFitsRecorded(policy: PolicyShape, recorded: RecordedSpaces, what: string): void {
  if (!recorded.observationSpace || !recorded.actionSpace) return;
  checkPolicyFitsEnv(
    policy,
    {
      observationSpace: spaceFromJSON(recorded.observationSpace),
      actionSpace: spaceFromJSON(recorded.actionSpace),
      spec: { id: "its recorded spaces" },
    },
    what,
  );
}
