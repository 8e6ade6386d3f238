import { registerEnumType } from 'type-graphql';

/** GraphQL enums mirror the store's string unions, so values pass through unchanged. */
export enum MediaType {
  MOVIE = 'MOVIE',
  TV = 'TV',
}

export enum FactCategory {
  BEHIND_THE_SCENES = 'BEHIND_THE_SCENES',
  DID_YOU_KNOW = 'DID_YOU_KNOW',
}

export enum AccuracyVerdict {
  UNRATED = 'UNRATED',
  INACCURATE = 'INACCURATE',
  MOSTLY_INACCURATE = 'MOSTLY_INACCURATE',
  MIXED = 'MIXED',
  MOSTLY_ACCURATE = 'MOSTLY_ACCURATE',
  ACCURATE = 'ACCURATE',
}

registerEnumType(MediaType, { name: 'MediaType', description: 'Film or series.' });
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
