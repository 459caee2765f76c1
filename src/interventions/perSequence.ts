/**
 * Different hooks for different sequences of one ragged batch, so prompts under different
 * interventions (arms, emotions) share forward passes. The dispatch reads `context.sequence`, which
 * is the prompt index in `generate` and the input index in `forward`.
 */
import type { Hook, HookFn } from '../model/hooks.js';

/**
 * One hook per distinct hook name that runs `hookSets[s]`'s hooks of that name on sequence s only.
 * Within one sequence, hooks of the same name keep their order.
 *
 * @example
 * const hooks = perSequenceHooks([compileInterventions(steerAnger, config), [], compileInterventions(steerFear, config)]);
 * model.generate([p0, p1, p2], { hooks }); // p1 runs unsteered
 */
export function perSequenceHooks(hookSets: readonly (readonly Hook[])[]): Hook[] {
  const byName = new Map<string, HookFn[][]>();
  hookSets.forEach((hooks, s) => {
    for (const hook of hooks) {
      let perSequence = byName.get(hook.name);
      if (!perSequence) byName.set(hook.name, (perSequence = hookSets.map(() => [])));
      perSequence[s].push(hook.fn);
    }
  });
  return [...byName].map(([name, perSequence]) => ({
    name,
    fn: (activation, context) => {
      for (const fn of perSequence[context.sequence] ?? []) fn(activation, context);
    },
  }));
}
