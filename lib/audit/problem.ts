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

/** One finding: the first broken event, checkpoint or session of its kind, or a kept head the chain lost. */
export interface Problem {
  /** `head`: a head kept outside the portal (`--head`); its id is the sequence number. */
  subject: 'event' | 'checkpoint' | 'session' | 'head';
  id: number;
  kind: ProblemKind;
  detail: string;
}

/** One line naming the problem, e.g. `event 12 edited: its content does not match its hash`. */
export function formatProblem(p: Problem): string {
  return `${p.subject} ${p.id} ${p.kind}: ${p.detail}`;
}
