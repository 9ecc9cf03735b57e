// Comments on decisions and closures: the server's limits, checked before sending.

/** The longest comment the server takes (`team_core::ids::Comment`), in characters. */
export const MAX_COMMENT_CHARS = 2000;

/**
 * What is wrong with `comment`, or null when it may be sent. Blank counts as none (the
 * server trims); `required` is for admins cancelling or revoking, and the kill switch.
 */
export function commentProblem(comment: string, required: boolean): string | null {
  const trimmed = comment.trim();
  if (!trimmed) return required ? 'Enter a comment.' : null;
  if ([...trimmed].length > MAX_COMMENT_CHARS) return `Must be at most ${MAX_COMMENT_CHARS} characters.`;
  return null;
}
