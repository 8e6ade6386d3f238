import { registerEnumType } from 'type-graphql';
import { VERDICT_THRESHOLDS } from '../accuracy/verdict';
import { AccuracyVerdict, FactCategory, MediaType } from '../model';

/**
 * The model's enums, registered as GraphQL enums: one source for each set of
 * values, so a stored value and a GraphQL value are the same string.
 */
export { AccuracyVerdict, FactCategory, MediaType };

registerEnumType(MediaType, {
  name: 'MediaType',
  description: 'Film or series.',
  valuesConfig: {
    MOVIE: { description: 'A film.' },
    TV: { description: 'A series.' },
  },
});
registerEnumType(FactCategory, {
  name: 'FactCategory',
  description: 'The section of the title page a fact appears in.',
  valuesConfig: {
    BEHIND_THE_SCENES: { description: '"Behind the Scenes"' },
    DID_YOU_KNOW: { description: '"Did You Know?"' },
  },
});
registerEnumType(AccuracyVerdict, {
  name: 'AccuracyVerdict',
  description:
    "Viewers' verdict, read from a damped mean of their ratings so a few votes cannot outrank many (see README).",
  valuesConfig: {
    UNRATED: { description: 'No ratings yet: the app shows "Be the first to rate!".' },
    ...verdictRanges(),
  },
});

/** "Damped mean from 2.5 to below 3.5." for each verdict, from the thresholds the verdict uses. */
function verdictRanges(): Record<string, { description: string }> {
  const ranges: Record<string, { description: string }> = {};
  VERDICT_THRESHOLDS.forEach(([lower, verdict], i) => {
    const upper = i > 0 ? VERDICT_THRESHOLDS[i - 1][0] : null;
    const range =
      upper === null
        ? `of ${lower} or more`
        : Number.isFinite(lower)
          ? `from ${lower} to below ${upper}`
          : `below ${upper}`;
    ranges[verdict] = { description: `Damped mean ${range}.` };
  });
  return ranges;
}
