import { registerEnumType } from 'type-graphql';
import {
  AccuracyVerdict,
  ChangeEntityType,
  ChangeOperation,
  FactCategory,
  MediaType,
  ReportReason,
  ReportState,
  ReviewOutcome,
  ReviewStatus,
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
  ReportReason,
  ReportState,
  ReviewOutcome,
  ReviewStatus,
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
    TAKE_UP_REVIEW: { description: 'takeUpReview' },
    RESOLVE_REVIEW: {
      description:
        "resolveReview: the review's resolution, and the fact's edit made with it (a suggested text applied, a verification, its removal)",
    },
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
    FACT_REVIEW: {
      description: "A fact's review (taken up or resolved); entityId is the fact's ID.",
    },
  },
});

registerEnumType(ReportReason, {
  name: 'ReportReason',
  description: 'Why a viewer reports a fact as wrong (see reportFact).',
  valuesConfig: {
    INACCURATE: { description: 'It states something false.' },
    MISLEADING: { description: 'True in its words, but it gives a wrong picture.' },
    OUTDATED: { description: 'It was right once, and is not any more.' },
    UNVERIFIABLE: { description: 'No source can be found for it.' },
    OTHER: { description: 'Something else: the note says what.' },
  },
});
registerEnumType(ReportState, {
  name: 'ReportState',
  description: "A report's life: open until an editor's resolution of its fact closes it.",
  valuesConfig: {
    OPEN: { description: "Waiting for an editor; counted in the fact's review." },
    CLOSED: { description: 'Closed by a resolution of the fact; the voter may report again.' },
  },
});
registerEnumType(ReviewStatus, {
  name: 'ReviewStatus',
  description:
    "Where an editor's review of a fact stands (public). Reports alone never make a fact UNDER_REVIEW.",
  valuesConfig: {
    NOT_REVIEWED: { description: 'No editor has resolved it yet (reports may be waiting).' },
    UNDER_REVIEW: { description: 'An editor has taken it up and is checking it.' },
    REVIEWED: { description: 'Resolved: see outcome and reviewedAt.' },
  },
});
registerEnumType(ReviewOutcome, {
  name: 'ReviewOutcome',
  description: "How an editor resolved a fact's review (public, with its date).",
  valuesConfig: {
    CONFIRMED_ACCURATE: { description: 'Checked: the fact stands as it is.' },
    CORRECTED: { description: 'The fact was wrong and its text was corrected.' },
    REMOVED: { description: 'The fact was removed from its page.' },
    DISMISSED: {
      description:
        'Set aside without a verdict on the fact (e.g. the reports were not about its accuracy).',
    },
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
