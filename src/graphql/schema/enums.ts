import { registerEnumType } from 'type-graphql';
import {
  AccuracyVerdict,
  ChangeEntityType,
  ChangeOperation,
  FactCategory,
  MediaType,
  VERDICT_THRESHOLDS,
  VerificationStatus,
} from '../../model';

/**
 * The model's enums, registered as GraphQL enums: one source for each set of
 * values, so a stored value and a GraphQL value are the same string.
 */
export {
  AccuracyVerdict,
  ChangeEntityType,
  ChangeOperation,
  FactCategory,
  MediaType,
  VerificationStatus,
};

registerEnumType(VerificationStatus, {
  name: 'VerificationStatus',
  description: 'What an editor found when checking a fact against sources (see Fact.verification).',
  valuesConfig: {
    UNVERIFIED: { description: 'Not checked yet: the page states it as it is.' },
    VERIFIED: { description: 'Checked and confirmed by the sources.' },
    DISPUTED: { description: 'Sources contradict it in part, or tell another story.' },
    FALSE: { description: 'Sources show it is wrong; the note says what is right.' },
  },
});
registerEnumType(ChangeOperation, {
  name: 'ChangeOperation',
  description: 'The editor operation (or import) that made a change.',
  valuesConfig: {
    CREATE_TITLE: { description: 'createTitle' },
    UPDATE_TITLE: { description: 'updateTitle' },
    ADD_FACT: { description: 'addFact' },
    UPDATE_FACT: { description: 'updateFact' },
    MOVE_FACT: { description: 'moveFact' },
    REMOVE_FACT: { description: 'removeFact' },
    SET_FACT_VERIFICATION: { description: 'setFactVerification' },
    SET_RECOMMENDATIONS: { description: 'setRecommendations' },
    HIDE_RATING_COMMENT: { description: 'hideRatingComment' },
    IMPORT_FROM_TMDB: { description: 'importTitleFromTmdb' },
    IMPORT_CATALOG: { description: 'npm run catalog:import (and the seed)' },
  },
});
registerEnumType(ChangeEntityType, {
  name: 'ChangeEntityType',
  description: 'What a change record is about.',
  valuesConfig: {
    TITLE: { description: "The title's own fields." },
    FACT: { description: 'One fact (added, changed, moved, verified or removed).' },
    RECOMMENDATIONS: { description: 'The title\'s "Watch Next" list, as a whole.' },
    RATING_COMMENT: { description: "A viewer's comment (hidden by an editor)." },
  },
});

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
    "Viewers' verdict, read from a damped mean of their ratings so a few votes cannot outrank many (see docs/api.md: Summaries and verdicts).",
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
