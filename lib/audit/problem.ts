/** What the verifier finds wrong, named so an operator knows where to look. */

/** Kinds of damage the verifier names. */
export type ProblemKind =
  | 'edited'
  | 'deleted'
  | 'reordered'
  | 'inserted'
  | 'bad signature'
  | 'missing recording'
  | 'truncated recording'
  | 'edited recording';

/** One finding: the first broken event, checkpoint or session of its kind. */
export interface Problem {
  subject: 'event' | 'checkpoint' | 'session';
  id: number;
  kind: ProblemKind;
  detail: string;
}

/** One line naming the problem, e.g. `event 12 edited: its content does not match its hash`. */
export function formatProblem(p: Problem): string {
  return `${p.subject} ${p.id} ${p.kind}: ${p.detail}`;
}
