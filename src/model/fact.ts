import { InvalidInputError } from './errors';

/** "Behind the Scenes" and "Did You Know?" facts, in the order the page shows them. */

/** The section of the page a fact is in, listed in page order. */
export const FactCategory = {
  BEHIND_THE_SCENES: 'BEHIND_THE_SCENES',
  DID_YOU_KNOW: 'DID_YOU_KNOW',
} as const;
export type FactCategory = (typeof FactCategory)[keyof typeof FactCategory];

/** What an editor found when checking a fact against sources. Public: readers see it. */
export const VerificationStatus = {
  UNVERIFIED: 'UNVERIFIED',
  VERIFIED: 'VERIFIED',
  DISPUTED: 'DISPUTED',
  FALSE: 'FALSE',
} as const;
export type VerificationStatus = (typeof VerificationStatus)[keyof typeof VerificationStatus];

export interface VerificationSource {
  url: string;
  label: string;
}

export interface FactVerification {
  status: VerificationStatus;
  note: string | null;
  sources: VerificationSource[];
  /** When an editor last set it; null while it was never set. */
  updatedAt: Date | null;
}

export const UNVERIFIED: FactVerification = Object.freeze({
  status: VerificationStatus.UNVERIFIED,
  note: null,
  sources: [],
  updatedAt: null,
}) as FactVerification;

export interface FactRecord {
  id: string;
  titleId: string;
  category: FactCategory;
  /** 1-based order within (title, category), as on the page. */
  position: number;
  text: string;
  verification: FactVerification;
  /** 1 when added, +1 per editor change of this fact (text, position, verification). */
  revision: number;
  updatedAt: Date;
}

/** Every fact's text: not blank, at most this many characters (after trimming). */
export const MAX_FACT_TEXT_LENGTH = 1000;

/**
 * The one rule for a fact's text, whoever writes it (an editor, an import, a
 * viewer's suggestion an editor may apply as it is). Returns it trimmed, or
 * throws InvalidInputError naming `field`.
 */
export function validFactText(field: string, text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidInputError(field, `${field} must not be blank`);
  if (trimmed.length > MAX_FACT_TEXT_LENGTH) {
    throw new InvalidInputError(
      field,
      `${field} must be at most ${MAX_FACT_TEXT_LENGTH} characters`,
    );
  }
  return trimmed;
}

const CATEGORY_ORDER: Record<FactCategory, number> = { BEHIND_THE_SCENES: 0, DID_YOU_KNOW: 1 };

/** Page order: "Behind the Scenes" before "Did You Know?", then by position. */
export function compareFactsInPageOrder(a: FactRecord, b: FactRecord): number {
  return (
    (CATEGORY_ORDER[a.category] ?? 99) - (CATEGORY_ORDER[b.category] ?? 99) ||
    a.position - b.position
  );
}
