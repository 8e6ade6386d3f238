import { registerEnumType } from 'type-graphql';
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
  },
});
