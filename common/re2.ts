// RE2, the regular expression syntax of Envoy and of gRPC's xDS clients: what a Route's
// pattern must be for them to compile it (one that Envoy cannot compile makes it refuse the
// whole RouteConfiguration, every Service in it).

/**
 * Why `pattern` cannot be used as a regular expression by Envoy and gRPC, or undefined when
 * it can. Both run RE2, which has no lookaround and no backreferences; JavaScript's parser
 * checks the rest of the syntax (after RE2's leading flag group, e.g. `(?i)`, which it lacks).
 */
export function regexProblem(pattern: string): string | undefined {
  const body = pattern.replace(/^\(\?[imsU]+\)/, '');
  try {
    new RegExp(body, 'u');
  } catch {
    try {
      new RegExp(body);
    } catch (error) {
      return `is not a valid regular expression (${(error as Error).message})`;
    }
  }
  return unsupportedSyntax(body);
}

/** Lookarounds and backreferences, found by a scan that skips escapes and character classes. */
function unsupportedSyntax(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'uses a backreference, which RE2 (Envoy, gRPC) does not support';
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
      if (pattern[i + 1] === ']') i++; // a leading "]" is a literal member
    } else if (char === '(' && /^\(\?<?[=!]/.test(pattern.slice(i, i + 4))) {
      return 'uses a lookaround ((?=, (?!, (?<=, (?<!), which RE2 (Envoy, gRPC) does not support';
    }
  }
  return undefined;
}
