import {
  ArrayMaxSize,
  ArrayUnique,
  IsInt,
  IsOptional,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  validate,
  ValidateNested,
  ValidationError,
} from 'class-validator';
import {
  Arg,
  ArgumentValidationError,
  Authorized,
  Ctx,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Resolver,
} from 'type-graphql';
import type { TitlePatch } from '../../../curation/service';
import { MAX_IMPORTED_RECOMMENDATIONS } from '../../../curation/tmdb-import';
import { EDITOR } from '../../request/editor-auth';
import { badUserInput } from '../../errors';
import {
  type FactRecord,
  MAX_RECOMMENDATIONS,
  type RatingRecord,
  type TitleRecord,
} from '../../../model';
import type { Context } from '../../request/context';
import { FactCategory, MediaType, VerificationStatus } from '../enums';
import { Fact } from '../facts/fact';
import { requireGlobalId } from '../node/ids';
import { Rating } from '../ratings/rating';
import { Title } from '../titles/title';
import { validatedByResolver } from '../validate-args';

/**
 * Editors' mutations: each needs Authorization: Bearer <ADMIN_TOKEN>
 * (@Authorized, checked before the arguments are validated), validates its
 * input (BAD_USER_INPUT naming the field), and is one CurationService call,
 * which writes everything or nothing with its change records.
 */

const NOT_BLANK = /\S/;
const blank = (field: string) => ({ message: `${field} must not be blank` });
const atMost = (field: string, max: number) => ({
  message: `${field} must be at most ${max} characters`,
});

/** A title's optional fields, shared by CreateTitleInput and UpdateTitleInput (null: none). */
@InputType({ description: "A title's optional fields (see CreateTitleInput, UpdateTitleInput)." })
abstract class TitleFieldsInput {
  @Field(() => String, { nullable: true, description: 'The name in its original language.' })
  @IsOptional()
  @MaxLength(200, atMost('originalName', 200))
  originalName?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Year of first release (added to the slug when the name clashes).',
  })
  @IsOptional()
  @Min(1870, { message: 'year must be from 1870 to 2200' })
  @Max(2200, { message: 'year must be from 1870 to 2200' })
  year?: number | null;

  @Field(() => String, { nullable: true, description: 'The one-line tagline.' })
  @IsOptional()
  @MaxLength(300, atMost('tagline', 300))
  tagline?: string | null;

  @Field(() => String, { nullable: true, description: 'The plot summary.' })
  @IsOptional()
  @MaxLength(5000, atMost('overview', 5000))
  overview?: string | null;

  @Field(() => [String], { nullable: true, description: 'Genre names, at most 20.' })
  @IsOptional()
  @ArrayMaxSize(20, { message: 'genres must hold at most 20 names' })
  @ArrayUnique((genre: string) => genre.trim().toLowerCase(), {
    message: 'genres must not name a genre twice',
  })
  @MaxLength(60, { each: true, message: 'each genre must be at most 60 characters' })
  @Matches(NOT_BLANK, { each: true, message: 'a genre must not be blank' })
  genres?: string[] | null;

  @Field(() => String, { nullable: true, description: 'The editorial "Accuracy Verdict" text.' })
  @IsOptional()
  @MaxLength(2000, atMost('verdictBlurb', 2000))
  verdictBlurb?: string | null;

  @Field(() => Int, { nullable: true, description: "The title's id on TMDB." })
  @IsOptional()
  @Min(1, { message: 'tmdbId must be a positive TMDB id' })
  tmdbId?: number | null;
}

@InputType({ description: 'A new title: its name and type; everything else can come later.' })
export class CreateTitleInput extends TitleFieldsInput {
  @Field({ description: 'The title as the page header shows it; its slug is made from it.' })
  @Matches(NOT_BLANK, blank('name'))
  @MaxLength(200, atMost('name', 200))
  name!: string;

  @Field(() => MediaType, { description: 'Film or series.' })
  mediaType!: MediaType;
}

@InputType({
  description:
    'Changes to a title: a field left out stays as it is; null clears a nullable one. A new name gives a new slug (the old one keeps resolving).',
})
export class UpdateTitleInput extends TitleFieldsInput {
  @Field(() => String, { nullable: true, description: 'The new name (not null).' })
  @IsOptional()
  @Matches(NOT_BLANK, blank('name'))
  @MaxLength(200, atMost('name', 200))
  name?: string;
}

@InputType({ description: 'A new fact on a title page.' })
export class AddFactInput {
  @Field(() => ID, { description: 'The title whose page gets the fact.' })
  titleId!: string;

  @Field(() => FactCategory, { description: 'The section it goes in.' })
  category!: FactCategory;

  @Field({ description: 'The fact as the page states it.' })
  @Matches(NOT_BLANK, blank('text'))
  @MaxLength(1000, atMost('text', 1000))
  text!: string;

  @Field(() => Int, {
    nullable: true,
    description:
      '1-based position in its section; the facts from there on move down. Omit to add it last.',
  })
  @IsOptional()
  @IsInt({ message: 'position must be a whole number' })
  @Min(1, { message: 'position must be 1 or more' })
  position?: number | null;
}

@InputType({ description: "Changes to a fact's text." })
export class UpdateFactInput {
  @Field({ description: 'The new text.' })
  @Matches(NOT_BLANK, blank('text'))
  @MaxLength(1000, atMost('text', 1000))
  text!: string;
}

@InputType({ description: 'A source a fact was checked against.' })
export class VerificationSourceInput {
  @Field({ description: 'An http or https URL.' })
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: true },
    { message: 'url must be an http(s) URL' },
  )
  @MaxLength(2000, atMost('url', 2000))
  url!: string;

  @Field({ description: 'What it is, e.g. "Wikipedia: Crash Landing on You".' })
  @Matches(NOT_BLANK, blank('label'))
  @MaxLength(200, atMost('label', 200))
  label!: string;
}

@InputType({
  description:
    "An editor's verdict on a fact. Any status but UNVERIFIED needs at least one source: readers are told why.",
})
export class FactVerificationInput {
  @Field(() => VerificationStatus, { description: 'What the sources say.' })
  status!: VerificationStatus;

  @Field(() => String, { nullable: true, description: 'What is right instead, or why disputed.' })
  @IsOptional()
  @MaxLength(1000, atMost('note', 1000))
  note?: string | null;

  @Field(() => [VerificationSourceInput], { description: 'The sources checked, at most 10.' })
  @ArrayMaxSize(10, { message: 'sources must hold at most 10 sources' })
  @ValidateNested({ each: true })
  sources!: VerificationSourceInput[];
}

@InputType({ description: 'One "Watch Next" entry.' })
export class RecommendationInput {
  @Field(() => ID, { description: 'The recommended title.' })
  titleId!: string;

  @Field({ description: 'Genre label, e.g. "More Drama".' })
  @Matches(NOT_BLANK, blank('label'))
  @MaxLength(60, atMost('label', 60))
  label!: string;

  @Field({ description: 'Why a viewer of this page would enjoy it; may be empty.' })
  @MaxLength(500, atMost('reason', 500))
  reason!: string;
}

@ObjectType({ description: 'The result of removeFact.' })
export class RemoveFactPayload {
  @Field(() => ID, { description: "The removed fact's ID (it names nothing any more)." })
  removedFactId!: string;

  @Field(() => Title, {
    description: 'The title, without the fact: select its facts to update caches.',
  })
  title!: TitleRecord;
}

@ObjectType({ description: 'The result of importTitleFromTmdb.' })
export class ImportTitleFromTmdbPayload {
  @Field(() => Title, { description: 'The imported (or refreshed) title.' })
  title!: TitleRecord;

  @Field({
    description: 'True when the title was created; false when it existed and was refreshed.',
  })
  created!: boolean;

  @Field(() => [Title], {
    description:
      'The recommended titles imported with it (TMDB\'s order), now in its "Watch Next".',
  })
  recommendedTitles!: TitleRecord[];
}

const expectedRevisionArg = {
  description:
    'The revision you read; if it changed since, the answer is CONFLICT and nothing is written.',
};

@Resolver()
export class EditingResolver {
  @Authorized(EDITOR)
  @Mutation(() => Title, {
    description:
      'Editors: creates a title (revision 1) with a slug from its name; the year is added on a clash.',
  })
  createTitle(
    @Arg('input', () => CreateTitleInput, { description: 'The new title.' })
    input: CreateTitleInput,
    @Ctx() ctx: Context,
  ): Promise<TitleRecord> {
    return ctx.curation.createTitle(input);
  }

  @Authorized(EDITOR)
  @Mutation(() => Title, {
    description: "Editors: changes a title's fields at the revision you read.",
  })
  updateTitle(
    @Arg('id', () => ID, { description: "The title's ID." }) id: string,
    @Arg('input', () => UpdateTitleInput, { description: 'What to change.' })
    input: UpdateTitleInput,
    @Arg('expectedRevision', () => Int, expectedRevisionArg) expectedRevision: number,
    @Ctx() ctx: Context,
  ): Promise<TitleRecord> {
    requireAtLeastOne('expectedRevision', expectedRevision, EXPECTED_REVISION_HINT);
    const titleId = requireGlobalId('Title', id, 'id');
    if (input.name === null) {
      throw badUserInputFor('name', 'name cannot be null: leave it out to keep it');
    }
    const { genres, ...rest } = withoutUndefined(input);
    const patch = genres === undefined ? rest : { ...rest, genres: genres ?? [] };
    return ctx.curation.updateTitle(titleId, patch as TitlePatch, expectedRevision);
  }

  @Authorized(EDITOR)
  @Mutation(() => Fact, { description: 'Editors: adds a fact (UNVERIFIED, revision 1).' })
  addFact(
    @Arg('input', () => AddFactInput, { description: 'The fact and where it goes.' })
    input: AddFactInput,
    @Ctx() ctx: Context,
  ): Promise<FactRecord> {
    const titleId = requireGlobalId('Title', input.titleId, 'titleId');
    return ctx.curation.addFact(titleId, {
      category: input.category,
      text: input.text,
      position: input.position,
    });
  }

  @Authorized(EDITOR)
  @Mutation(() => Fact, { description: "Editors: changes a fact's text at the revision you read." })
  updateFact(
    @Arg('id', () => ID, { description: "The fact's ID." }) id: string,
    @Arg('input', () => UpdateFactInput, { description: 'What to change.' }) input: UpdateFactInput,
    @Arg('expectedRevision', () => Int, expectedRevisionArg) expectedRevision: number,
    @Ctx() ctx: Context,
  ): Promise<FactRecord> {
    requireAtLeastOne('expectedRevision', expectedRevision, EXPECTED_REVISION_HINT);
    return ctx.curation.updateFact(requireGlobalId('Fact', id, 'id'), input, expectedRevision);
  }

  @Authorized(EDITOR)
  @Mutation(() => Fact, {
    description: 'Editors: moves a fact to a position in its section; the facts in between shift.',
  })
  moveFact(
    @Arg('id', () => ID, { description: "The fact's ID." }) id: string,
    @Arg('position', () => Int, { description: 'The new 1-based position in its section.' })
    position: number,
    @Ctx() ctx: Context,
  ): Promise<FactRecord> {
    requireAtLeastOne('position', position);
    return ctx.curation.moveFact(requireGlobalId('Fact', id, 'id'), position);
  }

  @Authorized(EDITOR)
  @Mutation(() => RemoveFactPayload, {
    description: 'Editors: removes a fact from its page (its ratings stay stored, shown nowhere).',
  })
  async removeFact(
    @Arg('id', () => ID, { description: "The fact's ID." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<RemoveFactPayload> {
    const title = await ctx.curation.removeFact(requireGlobalId('Fact', id, 'id'));
    return { removedFactId: id, title };
  }

  @Authorized(EDITOR)
  @Mutation(() => Fact, {
    description: "Editors: sets a fact's verification (public): status, note and sources.",
  })
  setFactVerification(
    @Arg('id', () => ID, { description: "The fact's ID." }) id: string,
    @Arg('input', () => FactVerificationInput, { description: 'The verdict and its sources.' })
    input: FactVerificationInput,
    @Ctx() ctx: Context,
  ): Promise<FactRecord> {
    return ctx.curation.setFactVerification(requireGlobalId('Fact', id, 'id'), {
      status: input.status,
      note: input.note?.trim() ? input.note : null,
      sources: input.sources.map(({ url, label }) => ({ url, label })),
    });
  }

  @Authorized(EDITOR)
  @Mutation(() => Title, {
    description: `Editors: replaces a title's "Watch Next" list, in order (at most ${MAX_RECOMMENDATIONS}).`,
  })
  async setRecommendations(
    @Arg('titleId', () => ID, { description: 'The title whose list it is.' }) titleId: string,
    // Validated below, entry by entry, so that an error names its entry.
    @Arg('items', () => [RecommendationInput], {
      description: 'The entries, in page order.',
      validateFn: validatedByResolver,
    })
    items: RecommendationInput[],
    @Ctx() ctx: Context,
  ): Promise<TitleRecord> {
    if (items.length > MAX_RECOMMENDATIONS) {
      throw badUserInputFor('items', `items must hold at most ${MAX_RECOMMENDATIONS} entries`);
    }
    await validateEntries('items', items);
    return ctx.curation.setRecommendations(
      requireGlobalId('Title', titleId, 'titleId'),
      items.map((item, i) => ({
        titleId: requireGlobalId('Title', item.titleId, `items[${i}].titleId`),
        label: item.label,
        reason: item.reason,
      })),
    );
  }

  @Authorized(EDITOR)
  @Mutation(() => Rating, {
    description:
      "Editors: hides a rating's comment from readers (the rating still counts); hiding again re-words the reason.",
  })
  hideRatingComment(
    @Arg('ratingId', () => ID, { description: "The rating's ID." }) ratingId: string,
    @Arg('reason', { description: 'Why (editors see it), at most 500 characters.' }) reason: string,
    @Ctx() ctx: Context,
  ): Promise<RatingRecord> {
    const id = requireGlobalId('Rating', ratingId, 'ratingId');
    if (!NOT_BLANK.test(reason) || reason.length > 500) {
      throw badUserInputFor('reason', 'reason must be 1 to 500 characters, not blank');
    }
    return ctx.curation.hideRatingComment(id, reason);
  }

  @Authorized(EDITOR)
  @Mutation(() => ImportTitleFromTmdbPayload, {
    description:
      'Editors: creates a title from TMDB\'s details, or refreshes the TMDB-owned fields (name, original name, tagline, overview, year, genres, poster, score) of the title with that TMDB id, leaving curated text alone. With recommendations: n, also imports up to n of TMDB\'s recommendations and adds them to "Watch Next" (labelled from a shared genre, reason empty for an editor).',
  })
  async importTitleFromTmdb(
    @Arg('tmdbId', () => Int, { description: "The title's id on TMDB." }) tmdbId: number,
    @Arg('mediaType', () => MediaType, { description: 'Film or series (TMDB numbers them apart).' })
    mediaType: MediaType,
    @Arg('recommendations', () => Int, {
      defaultValue: 0,
      description: `How many of TMDB's recommendations to import with it, 0 to ${MAX_IMPORTED_RECOMMENDATIONS}.`,
    })
    recommendations: number,
    @Ctx() ctx: Context,
  ): Promise<ImportTitleFromTmdbPayload> {
    if (!Number.isSafeInteger(tmdbId) || tmdbId < 1) {
      throw badUserInputFor('tmdbId', 'tmdbId must be a positive TMDB id');
    }
    if (recommendations < 0 || recommendations > MAX_IMPORTED_RECOMMENDATIONS) {
      throw badUserInputFor(
        'recommendations',
        `recommendations must be from 0 to ${MAX_IMPORTED_RECOMMENDATIONS}`,
      );
    }
    const result = await ctx.tmdbImporter.importTitle(tmdbId, mediaType, recommendations);
    return {
      title: result.title,
      created: result.created,
      recommendedTitles: result.recommendations,
    };
  }
}

/** Leaves out fields the client did not send, so they stay as they are. */
function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function badUserInputFor(field: string, message: string) {
  return badUserInput(message, field);
}

const EXPECTED_REVISION_HINT = ': send the revision you read';

/**
 * Revisions and positions count from 1. Checked with the rest of the input,
 * before ids are looked up: a -1 is a mistake, not a CONFLICT or NOT_FOUND.
 */
function requireAtLeastOne(field: string, value: number, hint = ''): void {
  if (value < 1) throw badUserInputFor(field, `${field} must be 1 or more${hint}`);
}

/**
 * class-validator on each entry of a list argument. TypeGraphQL validates a
 * list's entries too, but its errors do not say which entry; these name it
 * (`items[2].label`), as every other field path does (see format-error.ts).
 */
async function validateEntries(argument: string, entries: object[]): Promise<void> {
  const results = await Promise.all(
    entries.map((entry) => validate(entry, { skipMissingProperties: true })),
  );
  const failed = results.flatMap((errors, i) =>
    errors.length > 0 ? [validationNode(String(i), errors)] : [],
  );
  if (failed.length > 0) throw new ArgumentValidationError([validationNode(argument, failed)]);
}

function validationNode(property: string, children: ValidationError[]): ValidationError {
  return Object.assign(new ValidationError(), { property, children });
}
