/**
 * What each score means (the widget's "hover to see what each rating means").
 * The single source for labels: the GraphQL ratingScale query serves this list.
 */
export interface RatingLevel {
  score: number;
  label: string;
  description: string;
}

export const RATING_SCALE: readonly RatingLevel[] = [
  {
    score: 1,
    label: 'Inaccurate',
    description: 'Mostly false or misleading; the page gets the key facts wrong.',
  },
  {
    score: 2,
    label: 'Mostly inaccurate',
    description: 'More wrong than right; important claims are false or unsupported.',
  },
  {
    score: 3,
    label: 'Mixed',
    description: 'Some claims hold up and some do not.',
  },
  {
    score: 4,
    label: 'Mostly accurate',
    description: 'Largely correct, with minor errors or exaggerations.',
  },
  {
    score: 5,
    label: 'Accurate',
    description: 'Correct as stated; nothing you know contradicts it.',
  },
];
